/**
 * What tracing needs from the environment (parsed from the `OTEL_*` variables in src/config.ts),
 * kept apart so that src/telemetry never imports the configuration module itself.
 */

/** The samplers of the OpenTelemetry specification that smsq accepts in `OTEL_TRACES_SAMPLER`. */
export const TRACE_SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

/** Where and how traces are exported (OTLP over HTTP, protobuf). */
export interface TracingConfig {
  /** Full URL of the traces endpoint: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. */
  tracesEndpoint: string;
  /** Headers sent with every export (`OTEL_EXPORTER_OTLP_HEADERS`, then `..._TRACES_HEADERS`): secrets, never logged. */
  headers: Record<string, string>;
  /** Export timeout (ms): `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` or `OTEL_EXPORTER_OTLP_TIMEOUT`. Default 10000. */
  timeoutMs: number;
  /** `service.name`: `OTEL_SERVICE_NAME`. Default `smsq`. */
  serviceName: string;
  /** More resource attributes: `OTEL_RESOURCE_ATTRIBUTES` (`key=value,...`). */
  resourceAttributes: Record<string, string>;
  /** `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` (the ratio, 0..1). Default `parentbased_always_on`. */
  sampler: { name: (typeof TRACE_SAMPLERS)[number]; ratio: number };
}
