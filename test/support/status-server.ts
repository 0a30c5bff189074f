/**
 * A producer reading status with the waits a test sets, and `smsq server`'s app on it (API token,
 * read-only campaigns page, responses checked against their schemas): the status tests' views of
 * one send. Closed by `defer` (the harness's).
 */
import { createProducer, type Producer } from '../../producers/producer.js';
import type { ReceiptPolicies } from '../../src/queue/receipt-policy.js';
import { buildServer } from '../../server/build-server.js';
import type { Harness } from './pipeline.js';

export interface StatusServerOptions {
  receiptWindowMs: number;
  receiptLookups: ReceiptPolicies;
  apiToken: string;
  basicAuth: { user: string; password: string };
}

export async function startStatusServer(h: Harness, defer: (close: () => Promise<void>) => void, opts: StatusServerOptions) {
  const producer: Producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, logger: h.logger, waits: { quietHours: undefined, receiptWindowMs: opts.receiptWindowMs, receiptLookups: opts.receiptLookups } });
  const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer, logger: h.logger, apiToken: opts.apiToken, dashboard: { basicAuth: opts.basicAuth, readOnly: true }, checkResponses: true });
  defer(async () => {
    await app.close();
    await producer.close();
  });
  return { producer, app };
}
