/**
 * What smsq's own spans need from a tracer. `tracing.ts` implements it over OpenTelemetry; the
 * modules that decide what a span says (traced-client.ts, producers/traced-producer.ts) see only
 * this, so they load no OpenTelemetry package.
 */

/** Attribute values smsq puts on spans: counts, ids, codes and names; never a phone number, a template param or a secret. */
export type SpanAttributes = Record<string, string | number | boolean>;

export interface SmsqSpan {
  setAttributes(attributes: SpanAttributes): void;
  /** Marks the span failed with a stable code (no free text: messages can quote the request). */
  setError(code: string): void;
}

/** `client`: a call to Dysmsapi; `producer`: an enqueue that jobs will follow; `internal`: the rest. */
export type SmsqSpanKind = 'client' | 'producer' | 'internal';

export interface SpanRunner {
  /**
   * Runs `fn` inside a new span, the child of the active one (a BullMQ job's, when called from a
   * processor), and ends it when `fn` settles; a throw is recorded by its error class and code only.
   */
  run<T>(name: string, kind: SmsqSpanKind, attributes: SpanAttributes, fn: (span: SmsqSpan) => Promise<T>): Promise<T>;
}
