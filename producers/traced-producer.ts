/**
 * The producer's enqueues as spans (`smsq send`, `smsq send-batch`, `smsq campaign`), so that a
 * trace starts where the send does: BullMQ's enqueue and every job of the send are its children.
 * The spans carry counts and the send id; never a number or a param.
 */
import type { SpanAttributes, SpanRunner } from '../src/telemetry/span-runner.js';
import type { EnqueueResult, Producer } from './producer.js';

/** The send's outcome as span attributes. */
function resultAttributes(r: EnqueueResult): SpanAttributes {
  return {
    'smsq.send_id': r.sendId,
    'smsq.recipients': r.recipients,
    'smsq.rejected': r.rejectedCount,
    'smsq.duplicates': r.duplicates,
    'smsq.chunks': r.chunks,
    'smsq.api_calls': r.apiCalls,
    'smsq.idempotent_replay': r.duplicate,
  };
}

/** `producer` with each enqueue in a producer span; everything else passes through. */
export function traceProducer(producer: Producer, spans: SpanRunner): Producer {
  const enqueue = (name: string, run: () => Promise<EnqueueResult>) =>
    spans.run(name, 'producer', { 'smsq.operation': name.replace(/^smsq /, '') }, async (span) => {
      const result = await run();
      span.setAttributes(resultAttributes(result));
      return result;
    });
  return {
    ...producer,
    send: (request) => enqueue('smsq send', () => producer.send(request)),
    sendBatch: (request) => enqueue('smsq send-batch', () => producer.sendBatch(request)),
    campaign: (recipients, request, opts) => enqueue('smsq campaign', () => producer.campaign(recipients, request, opts)),
  };
}
