/**
 * OpenTelemetry tracing, optional and off by default (docs/tracing.md). Every OpenTelemetry package
 * is loaded here by `import()`, and this module itself is only imported when `config.tracing` is
 * set, so a deployment without `OTEL_*` variables loads none of them.
 *
 * A trace follows a send: the producer's span (`smsq send`), BullMQ's `addBulk calls` and, through
 * the context each job carries (bullmq-otel), `process calls` for each of its jobs, with a
 * `Dysmsapi/<Action>` span per API call inside; follow-up jobs (reconcile, receipts) added while a
 * job runs continue the same trace.
 */
import type { Telemetry } from 'bullmq';
import type { Sampler, SpanExporter } from '@opentelemetry/sdk-trace';
import type { TracingConfig } from './tracing-config.js';
import type { Logger } from '../logger.js';
import type { SmsqSpanKind, SpanRunner } from './span-runner.js';

export interface TracingOptions {
  config: TracingConfig;
  /** Which smsq process this is (`worker`, `server`, `cli`): the `smsq.role` resource attribute. */
  role: string;
  logger: Logger;
  /** Replaces the OTLP exporter (tests pass an InMemorySpanExporter). */
  exporter?: SpanExporter;
}

export interface Tracing {
  /** smsq's own spans (API calls, enqueues). */
  readonly spans: SpanRunner;
  /** BullMQ's `telemetry` option, for every Queue and Worker of the process. */
  readonly bullmq: Telemetry;
  /** Exports every span that has ended. */
  flush(): Promise<void>;
  /** Flushes, stops exporting, and unregisters the global tracer provider, context manager and propagator. */
  shutdown(): Promise<void>;
}

/** The tracer name of smsq's spans (and of BullMQ's, through bullmq-otel). */
export const TRACER_NAME = 'smsq';

export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const [api, sdk, asyncHooks, core, resources, bullmqOtel] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('bullmq-otel'),
  ]);
  const { config } = options;
  const exporter =
    options.exporter ??
    new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter({
      url: config.tracesEndpoint,
      headers: config.headers,
      timeoutMillis: config.timeoutMs,
    });

  const ratio = new sdk.TraceIdRatioBasedSampler(config.sampler.ratio);
  const samplers: Record<TracingConfig['sampler']['name'], () => Sampler> = {
    always_on: () => new sdk.AlwaysOnSampler(),
    always_off: () => new sdk.AlwaysOffSampler(),
    traceidratio: () => ratio,
    parentbased_always_on: () => new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() }),
    parentbased_always_off: () => new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() }),
    parentbased_traceidratio: () => new sdk.ParentBasedSampler({ root: ratio }),
  };
  const provider = new sdk.TracerProvider({
    resource: resources.resourceFromAttributes({ ...config.resourceAttributes, 'service.name': config.serviceName, 'smsq.role': options.role }),
    sampler: samplers[config.sampler.name](),
    // Explicit, so that no OTEL_BSP_* variable is read behind config.ts's back.
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter, maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 5000, exportTimeoutMillis: config.timeoutMs })],
  });

  // bullmq-otel reaches the tracer, the active context and the propagator through the API's
  // globals, so they are registered for the process (and unregistered by shutdown()).
  const contextManager = new asyncHooks.AsyncLocalStorageContextManager().enable();
  const registered = [
    api.context.setGlobalContextManager(contextManager),
    api.propagation.setGlobalPropagator(new core.W3CTraceContextPropagator()),
    api.trace.setGlobalTracerProvider(provider),
  ];
  if (registered.includes(false)) {
    options.logger.warn('another OpenTelemetry setup is registered in this process: smsq traces go to it, not to OTEL_EXPORTER_OTLP_*');
  }

  const tracer = api.trace.getTracer(TRACER_NAME);
  const kinds: Record<SmsqSpanKind, number> = { client: api.SpanKind.CLIENT, producer: api.SpanKind.PRODUCER, internal: api.SpanKind.INTERNAL };
  const spans: SpanRunner = {
    run(name, kind, attributes, fn) {
      return tracer.startActiveSpan(name, { kind: kinds[kind], attributes }, async (span) => {
        try {
          return await fn({
            setAttributes: (a) => void span.setAttributes(a),
            setError: (code) => void span.setStatus({ code: api.SpanStatusCode.ERROR, message: code }),
          });
        } catch (err) {
          // The class and code only: an error message may quote the request.
          const code = (err as { code?: unknown } | null)?.code;
          span.setAttributes({ 'error.type': err instanceof Error ? err.name : typeof err, ...(typeof code === 'string' ? { 'smsq.code': code } : {}) });
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: typeof code === 'string' ? code : undefined });
          throw err;
        } finally {
          span.end();
        }
      });
    },
  };

  options.logger.info({ endpoint: options.exporter ? 'custom exporter' : config.tracesEndpoint, serviceName: config.serviceName, sampler: config.sampler.name }, 'OpenTelemetry tracing on');
  let stopped = false;
  return {
    spans,
    bullmq: new bullmqOtel.BullMQOtel({ tracerName: TRACER_NAME }),
    flush: () => provider.forceFlush(),
    async shutdown() {
      if (stopped) return;
      stopped = true;
      await provider.shutdown().catch((err: unknown) => options.logger.warn({ err }, 'could not export the last spans'));
      api.trace.disable();
      api.propagation.disable();
      api.context.disable();
    },
  };
}
