/**
 * A marketing campaign cut off part-way by a Redis host crash (the default mode; the AOF cut back
 * to what Redis had fsynced), produced for real; recipients of its first chunk, already sent,
 * reply TD; the caller retries with the same idempotency key, as the cut-off tells it to. The
 * retry takes the send over and routes the list again: before, it cut the list anew, with the new
 * opt-outs taken out, while the chunks written before were kept as they were, so every chunk
 * after them started 5 numbers later, and the 5 numbers at the start of the first chunk not
 * written were in no chunk: never sent, while the send read complete (5,995 recipients accepted,
 * 5 "suppressed": the 5 who had been sent it before they replied).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { uniformRetention } from '../../src/queue/retention.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { openReportIngest } from '../../src/receipts/report-ingest.js';
import { systemClock } from '../../src/clock.js';
import { createProducer } from '../../producers/producer.js';
import { buildServer } from '../../server/build-server.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { startCrashableRedis } from '../support/crashable-redis.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const logger = createLogger({ level: 'silent' });
const REPORT_TOKEN = 'report-token-abcdef0123456789';

async function reportServer(url: string, prefix: string) {
  const redis = createRedisConnection(url, { role: 'client' });
  closers.push(() => void redis.disconnect());
  await waitFor(() => redis.status === 'ready', 'the server connection');
  const { ingest, close } = openReportIngest({ redis, prefix, clock: systemClock, logger, retention: uniformRetention(86_400), receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
  closers.push(close);
  const producer = createProducer({ redis, prefix, logger });
  closers.push(() => producer.close());
  const app = await buildServer({ redis, prefix, producer, logger, apiToken: 'test-api-token-0123456789', dashboard: { token: 'dashboard-token-0123456789' }, reports: { ingest, token: REPORT_TOKEN } });
  closers.push(() => app.close());
  return (body: unknown[]) => app.inject({ method: 'POST', url: '/v1/reports/sms-up', headers: { 'x-smsq-report-token': REPORT_TOKEN }, payload: body });
}

const phonesFrom = (first: number, count: number) => Array.from({ length: count }, (_, i) => String(first + i));

function acceptedPerPhone(h: Harness): Map<string, number> {
  const per = new Map<string, number>();
  for (const send of h.emulator.accepted()) for (const phone of send.phoneNumbers) per.set(phone, (per.get(phone) ?? 0) + 1);
  return per;
}

describe('a campaign cut off by a Redis host crash, retried under its idempotency key after recipients of its first chunk opted out', () => {
  it('the retry completes the same send: every recipient is in one chunk, sent once, none left out', async () => {
    const redis = await startCrashableRedis({ appendfsync: 'always', fsyncDelayMs: 2 });
    closers.push(() => redis.stop());
    const h = await createHarness({ label: 'retry-opt-outs', redisUrl: redis.url });
    closers.push(() => h.close());
    await h.startWorker();
    const conn = createRedisConnection(redis.url, { role: 'client', connectTimeoutMs: 500 });
    closers.push(() => void conn.disconnect());
    const producer = createProducer({ redis: conn, prefix: h.prefix, logger, connectTimeoutMs: 500 });
    closers.push(() => producer.close());
    const phones = phonesFrom(13848300000, 6000);
    const settings = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'marketing' as const, idempotencyKey: 'autumn-list' };
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let written = 0;
    async function* rows() {
      for (let i = 0; i < 3000; i++) yield { phone: phones[i] as string };
      await gate;
      for (let i = 3000; i < 6000; i++) yield { phone: phones[i] as string };
    }
    const first = producer.campaign(rows(), settings, { onProgress: (p) => (written = p.written) }).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    await waitFor(() => written >= 3000, 'the first 3,000 written');
    // The first chunk goes out.
    await waitFor(() => phones.slice(0, 1000).every((p) => acceptedPerPhone(h).has(p)), 'the first chunk sent');
    await redis.crash('fsynced');
    // The rest of the list arrives while Redis is down: the campaign is cut off, naming its send and key.
    release();
    const cutOff = await first;
    expect(cutOff?.code, cutOff?.message).toBe('SMSQ_REDIS_UNAVAILABLE');
    expect(cutOff?.message).toContain('make the same request with the same idempotency key (autumn-list)');
    await redis.start();
    // Five recipients of the first chunk reply TD.
    const push = await reportServer(redis.url, h.prefix);
    const optedOut = phones.slice(10, 15);
    const res = await push(optedOut.map((p, i) => ({ phone_number: p, content: 'TD', send_time: '2026-11-24 10:00:05', dest_code: '1', sequence_id: i + 1 })));
    expect(res.statusCode, res.body).toBe(200);
    // The retry, as the cut-off says (waiting out the first request's lease on the key).
    let retried: Awaited<ReturnType<typeof producer.campaign>> | undefined;
    await waitFor(async () => {
      const r = await producer.campaign((async function* () {
        for (const phone of phones) yield { phone };
      })(), settings).catch((e: unknown) => {
        if ((e as { code?: string }).code === 'SMSQ_IDEMPOTENCY_IN_PROGRESS' || (e as { code?: string }).code === 'SMSQ_REDIS_UNAVAILABLE') return undefined;
        throw e;
      });
      retried = r;
      return r;
    }, 'the retry', 60_000, 500);
    await waitFor(async () => {
      const { send, counts } = await producer.getStatus(retried!.sendId);
      return send.state !== 'enqueuing' && counts.queued + counts.sending + counts.unknown === 0;
    }, 'settled', 40_000);
    const per = acceptedPerPhone(h);
    const { send, counts } = await producer.getStatus(retried!.sendId);
    const never = phones.filter((p) => !per.get(p));
    const twice = phones.filter((p) => (per.get(p) ?? 0) > 1);
    const told = `the retry answered ${JSON.stringify({ sendId: retried!.sendId, completedEarlier: retried!.completedEarlier, recipients: retried!.recipients, suppressed: retried!.suppressed })}; counts ${JSON.stringify(counts)}; of 6,000 recipients ${never.length} never sent (${never.slice(0, 5).join(', ')}), ${twice.length} twice`;
    expect({ never: never.length, twice: twice.length }, told).toEqual({ never: 0, twice: 0 });
    // The answer and the counts say what happened: all 6,000 queued, the 5 who replied TD among them (sent before they did).
    expect(retried, told).toMatchObject({ completedEarlier: true, recipients: 6000, suppressed: 0 });
    expect(send.recipients, told).toBe(6000);
    expect(counts.accepted + counts.delivered, told).toBe(6000);
    expect(counts.suppressed, told).toBe(0);
  }, 120_000);
});
