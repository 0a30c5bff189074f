/**
 * A push of Alibaba's (SmsReport, SmsUp) while Redis is gone: 503, so that Alibaba pushes it again,
 * said as what it is (a push, maybe applied in part) and without REDIS_URL (the answer goes to
 * Alibaba). The report ingest is not behind the producer's gate: ioredis's own error reached the
 * error handler, which answered as for an enqueue, "nothing was enqueued". A real redis-server, stopped.
 */
import { afterEach, expect, it } from 'vitest';
import { uniformRetention } from '../../src/queue/retention.js';
import { systemClock } from '../../src/clock.js';
import { createLogger } from '../../src/logger.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { openReportIngest } from '../../src/receipts/report-ingest.js';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import { createProducer } from '../../producers/producer.js';
import { buildServer } from '../../server/build-server.js';

const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

it('a push while Redis is gone is answered 503 saying the push may be applied in part and Alibaba pushes it again (it said "nothing was enqueued")', async () => {
  const server = await startPrivateRedis({ appendfsync: 'always' });
  closers.push(() => server.stop());
  const redis = createRedisConnection(server.url, { role: 'client', connectTimeoutMs: 500 });
  redis.on('error', () => {});
  closers.push(() => redis.disconnect());
  await new Promise((resolve) => redis.once('ready', resolve));
  const logger = createLogger({ level: 'silent' });
  const prefix = '{review-push}';
  const { ingest, close } = openReportIngest({ redis, prefix, clock: systemClock, logger, retention: uniformRetention(86_400), receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
  closers.push(close);
  const producer = createProducer({ redis, prefix, logger, connectTimeoutMs: 500, redactedRedisUrl: server.url });
  closers.push(() => producer.close());
  const token = 'report-token-abcdef0123456789';
  const app = await buildServer({ redis, prefix, producer, logger, apiToken: 'test-api-token-0123456789', dashboard: { token: 'dashboard-token-0123456789' }, reports: { ingest, token } });
  closers.push(() => app.close());
  const report = { phone_number: '13844000001', send_time: '2026-11-24 10:00:00', report_time: '2026-11-24 10:00:03', success: true, err_code: 'DELIVERED', err_msg: 'ok', sms_size: '1', biz_id: 'b1', out_id: 'sabc.0.1' };
  await server.stop();
  await new Promise((r) => setTimeout(r, 300));
  for (const path of ['sms-report', 'sms-up']) {
    const payload = path === 'sms-report' ? [report] : [{ phone_number: '13844000001', content: 'TD', send_time: '2026-11-24 10:00:05', dest_code: '1', sequence_id: 9 }];
    const res = await app.inject({ method: 'POST', url: `/v1/reports/${path}`, headers: { 'x-smsq-report-token': token }, payload });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({ code: 'SMSQ_REDIS_UNAVAILABLE', message: expect.stringMatching(/^Redis does not answer; the push may be applied in part\. Alibaba pushes it again/) });
    expect(res.json().error.message).not.toContain(String(server.port));
    expect(res.headers['retry-after']).toBe('5');
  }
}, 30_000);
