/**
 * `/metrics` of a real `smsq server` (run in-process by runCli, on a real port, against the
 * private Redis), scraped over HTTP as Prometheus does: what a fresh deployment exports before
 * anything happened, and what pushed reports that name no send of ours leave behind.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { COUNTED_STATES } from '../../src/queue/send-store.js';
import { REFUSED_RECEIPT_REASONS } from '../../src/receipts/recipient-store.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { startSmsqServer } from '../support/smsq-server.js';

const REPORT_TOKEN = 'metrics-report-token-0123456789';
const redis = createTestConnection();
let emulator: Emulator;
let endpoint: string;
const prefixes: string[] = [];
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  emulator = createEmulator();
  endpoint = (await emulator.listen()).endpoint;
});

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  for (const p of prefixes.splice(0)) await deleteKeys(redis, p);
});

afterAll(async () => {
  redis.disconnect();
  await emulator.close();
});

/** `smsq server` on a deployment of its own (a fresh prefix); stopped after the test. */
async function startServer(label: string): Promise<{ url: string; logs: () => string }> {
  const prefix = uniquePrefix(label);
  prefixes.push(prefix);
  const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn', SMSQ_REPORT_TOKEN: REPORT_TOKEN };
  const server = await startSmsqServer(env, ['--insecure']);
  stops.push(async () => expect(await server.stop()).toBe(0));
  return server;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text).toMatch(/^smsq_redis_up 1$/m);
  return text;
}

const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('/metrics of a real smsq server', () => {
  it('a fresh deployment exports every recipient state, refusal reason and housekeeping outcome at 0, so that rate() sees the first one', async () => {
    const { url } = await startServer('fresh-metrics');
    const text = await scrape(url);
    // Today's fault: smsq_recipients had no series at all until a send wrote the totals hash.
    for (const state of COUNTED_STATES) expect(sample(text, `smsq_recipients{state="${state}"}`), state).toBe(0);
    for (const reason of REFUSED_RECEIPT_REASONS) expect(sample(text, `smsq_receipts_refused_total{reason="${reason}"}`), reason).toBe(0);
    for (const reason of ['malformed', 'never-sent']) expect(sample(text, `smsq_replies_refused_total{reason="${reason}"}`), reason).toBe(0);
    for (const outcome of ['retried', 'given-up', 'deferred']) expect(sample(text, `smsq_housekeeping_failures_total{name="callback",outcome="${outcome}"}`), outcome).toBe(0);
  });

  it('pushed reports that name no send smsq holds are counted as refused (unknown-out-id) and said in one warn line', async () => {
    const { url, logs } = await startServer('unknown-outid');
    const report = (outId: string | undefined, phone = '13800138000') => ({
      phone_number: phone,
      success: true,
      err_code: 'DELIVERED',
      biz_id: '900000000001^0',
      ...(outId === undefined ? {} : { out_id: outId }),
      report_time: '2026-11-24 10:00:05',
    });
    const push = await fetch(`${url}/v1/reports/sms-report`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-smsq-report-token': REPORT_TOKEN },
      // Another system's send on the same account (its own OutId, or none), and a well-formed smsq
      // OutId of a send this deployment does not hold (gone after its retention, or forged).
      body: JSON.stringify([report('ORDER-2026-0001'), report(undefined), report('smwv5m7pf01956b6f2f7c.0.1-3f9a0c2b71'), report('sabc.0.1', 'not-a-number')]),
    });
    expect(push.status).toBe(200);
    const text = await scrape(url);
    // Today's fault: none of these was counted anywhere an operator looks.
    expect(sample(text, 'smsq_receipts_refused_total{reason="unknown-out-id"}')).toBe(3);
    expect(sample(text, 'smsq_receipts_refused_total{reason="not-recipient"}')).toBe(1);
    expect(Number(await redis.hget(`${prefixes[0]}:receipts-refused`, 'unknown-out-id'))).toBe(3);
    const warned = logs()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string; unknownOutIds?: number })
      .filter((l) => l.msg.startsWith('pushed reports naming no send smsq holds'));
    expect(warned).toEqual([expect.objectContaining({ unknownOutIds: 3 })]);
  });

  it('pushed replies (SmsUp) that are no reply are counted as refused (malformed), as malformed reports are', async () => {
    const { url } = await startServer('malformed-replies');
    const reply = { phone_number: '13800138000', content: 'hello', send_time: '2026-11-24 10:00:05', dest_code: '1', sequence_id: 1 };
    const push = await fetch(`${url}/v1/reports/sms-up`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-smsq-report-token': REPORT_TOKEN },
      // A reply, one without its number, one whose content is no text.
      body: JSON.stringify([reply, { ...reply, phone_number: undefined }, { ...reply, content: 7 }]),
    });
    expect(push.status).toBe(200);
    const text = await scrape(url);
    expect(sample(text, 'smsq_replies_refused_total{reason="malformed"}')).toBe(2);
    expect(Number(await redis.hget(`${prefixes[0]}:replies-refused`, 'malformed'))).toBe(2);
  });

  it('opt-out replies from numbers smsq never sent to are counted as refused (never-sent), not only logged', async () => {
    const { url } = await startServer('never-sent-replies');
    const optOut = (phone: string) => ({ phone_number: phone, content: 'TD', send_time: '2026-11-24 10:00:05', dest_code: '1', sequence_id: 1 });
    const push = await fetch(`${url}/v1/reports/sms-up`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-smsq-report-token': REPORT_TOKEN },
      // Two opt-outs from numbers this deployment never sent to (a forged push, or another system's), and a reply that opts nobody out.
      body: JSON.stringify([optOut('13854999998'), optOut('13854999999'), { ...optOut('13854999997'), content: 'thanks' }]),
    });
    expect(push.status).toBe(200);
    const text = await scrape(url);
    expect(sample(text, 'smsq_replies_refused_total{reason="never-sent"}')).toBe(2);
    expect(sample(text, 'smsq_replies_refused_total{reason="malformed"}')).toBe(0);
    expect(Number(await redis.hget(`${prefixes[0]}:replies-refused`, 'never-sent'))).toBe(2);
  });
});
