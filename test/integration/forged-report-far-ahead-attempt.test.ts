/**
 * A forged pushed report naming attempt MAX_ATTEMPT of a queued chunk. The docs promise a
 * forged attempt "is not found and the chunk is sent as it would have been" (report-ingest.ts).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { MAX_ATTEMPT } from '../../src/queue/out-id.js';
import { buildServer } from '../../server/build-server.js';
import { ingestFor } from '../support/ingest.js';
import { harnessPerTest } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const REPORT_TOKEN = 'report-token-abcdef0123456789';
const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const NONE = { mode: 'none', sampleRate: 0 } as const;
const NO_LOOKUPS = { receiptPolicies: { verification: NONE, notification: NONE, marketing: NONE } };
const harnesses = harnessPerTest();

describe('a forged report naming attempt MAX_ATTEMPT of a queued chunk', () => {
  it('the chunk is still sent once', async () => {
    const h = await harnesses.create({ label: 'forged-far-ahead' });
    const { ingest, close } = ingestFor(h);
    harnesses.defer(close);
    const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: 'test-api-token-0123456789', dashboard: { token: 'dashboard-token-0123456789' }, reports: { ingest, token: REPORT_TOKEN }, checkResponses: true });
    harnesses.defer(() => app.close());
    const phone = '13862000009';
    const { sendId } = await h.producer.send({ ...NOTE, phones: [phone] });
    const forged = { phone_number: phone, success: false, err_code: 'MK:0001', out_id: `${sendId}.0.${MAX_ATTEMPT}-abcdef`, report_time: '2026-11-24 10:00:05' };
    const r = await app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: { 'x-smsq-report-token': REPORT_TOKEN }, payload: [forged] });
    expect(r.statusCode).toBe(200);
    await h.startWorker({ ...NO_LOOKUPS, compactFinished: false });
    await waitFor(async () => { const c = (await h.producer.getStatus(sendId)).counts; return c.accepted === 1 || c.failed === 1; }, 'settled', 40_000).catch(() => undefined);
    const chunk = await h.redis.hgetall(`${h.prefix}:chunk:${sendId}.0`);
    const sent = h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone));
    expect({ sent: sent.length, state: chunk.state, code: chunk.code }).toEqual({ sent: 1, state: 'accepted', code: 'OK' });
  }, 60_000);
});
