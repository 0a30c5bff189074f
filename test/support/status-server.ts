/**
 * A producer reading status with the waits a test sets, and `smsq server`'s app on it (API token,
 * read-only campaigns page, responses checked against their schemas): the status tests' views of
 * one send. Closed by `defer` (the harness's).
 */
import { createProducer, type Producer } from '../../producers/producer.js';
import type { ReceiptPolicies } from '../../src/queue/receipt-policy.js';
import type { QuietHours } from '../../src/queue/quiet-hours.js';
import type { Clock } from '../../src/clock.js';
import { buildServer } from '../../server/build-server.js';
import type { Harness } from './pipeline.js';

export interface StatusServerOptions {
  receiptWindowMs: number;
  receiptLookups: ReceiptPolicies;
  apiToken: string;
  basicAuth: { user: string; password: string };
  /** The producer's own quiet hours, judged when no worker has said its own; none by default. */
  quietHours?: QuietHours;
  /** The producer's clock (the calendar its quiet hours are judged on); the system's by default. */
  clock?: Clock;
}

export async function startStatusServer(h: Harness, defer: (close: () => Promise<void>) => void, opts: StatusServerOptions) {
  const producer: Producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, logger: h.logger, ...(opts.clock ? { clock: opts.clock } : {}), waits: { quietHours: opts.quietHours, receiptWindowMs: opts.receiptWindowMs, receiptLookups: opts.receiptLookups } });
  const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer, logger: h.logger, apiToken: opts.apiToken, dashboard: { basicAuth: opts.basicAuth, readOnly: true }, checkResponses: true });
  defer(async () => {
    await app.close();
    await producer.close();
  });
  /** The send's wait as `GET /v1/sends/:id` gives it, and its campaigns page (both answered 200, or this throws). */
  const views = async (sendId: string) => {
    const view = await app.inject({ url: `/v1/sends/${sendId}`, headers: { authorization: `Bearer ${opts.apiToken}` } });
    const page = await app.inject({ url: `/admin/campaigns/${sendId}`, headers: { authorization: `Basic ${Buffer.from(`${opts.basicAuth.user}:${opts.basicAuth.password}`).toString('base64')}` } });
    if (view.statusCode !== 200 || page.statusCode !== 200) throw new Error(`GET /v1/sends/${sendId}: ${view.statusCode} ${view.body}; its page: ${page.statusCode}`);
    return { wait: (view.json() as { wait?: unknown }).wait, page: page.body };
  };
  return { producer, app, views };
}
