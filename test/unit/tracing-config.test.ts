/** The OTEL_* variables smsq reads (src/config.ts): off unless an endpoint is set, every bad value named with its fix. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const errorOf = (env: NodeJS.ProcessEnv): ConfigError => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('tracing configuration', () => {
  it('is off by default, and off when disabled or the exporter is none', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_SERVICE_NAME: 'x' }).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeUndefined();
  });

  it('is on with an endpoint: the base gets /v1/traces, a traces endpoint is used as is, with defaults', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      tracesEndpoint: 'http://collector:4318/v1/traces',
      headers: {},
      timeoutMs: 10_000,
      serviceName: 'smsq',
      resourceAttributes: {},
      sampler: { name: 'parentbased_always_on', ratio: 1 },
    });
    const c = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example:443/otlp/v1/traces',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant=ops',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=sms',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      OTEL_SERVICE_NAME: 'smsq-worker',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=production,service.namespace=sms',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    }).tracing;
    expect(c).toEqual({
      tracesEndpoint: 'https://traces.example:443/otlp/v1/traces',
      headers: { authorization: 'Bearer abc', 'x-tenant': 'sms' },
      timeoutMs: 2000,
      serviceName: 'smsq-worker',
      resourceAttributes: { 'deployment.environment': 'production', 'service.namespace': 'sms' },
      sampler: { name: 'parentbased_traceidratio', ratio: 0.25 },
    });
  });

  it('refuses what it cannot honour, naming the variable and the fix, never echoing headers', () => {
    const e = errorOf({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization:Bearer s3cr3t-value',
      OTEL_TRACES_SAMPLER: 'jaeger_remote',
      OTEL_TRACES_SAMPLER_ARG: '2',
    });
    const text = e.lines.join('\n');
    expect(e.lines.find((l) => l.startsWith('OTEL_EXPORTER_OTLP_ENDPOINT='))).toMatch(/URL.*Fix: OTEL_EXPORTER_OTLP_ENDPOINT=http/);
    expect(e.lines.find((l) => l.startsWith('OTEL_EXPORTER_OTLP_PROTOCOL='))).toMatch(/http\/protobuf.*Fix:/);
    expect(e.lines.find((l) => l.startsWith('OTEL_EXPORTER_OTLP_HEADERS='))).toMatch(/^OTEL_EXPORTER_OTLP_HEADERS=<redacted> .*key=value.*Fix:/);
    expect(e.lines.find((l) => l.startsWith('OTEL_TRACES_SAMPLER='))).toMatch(/parentbased_traceidratio/);
    expect(e.lines.find((l) => l.startsWith('OTEL_TRACES_SAMPLER_ARG='))).toMatch(/0 to 1/);
    expect(text).not.toContain('s3cr3t');
  });
});
