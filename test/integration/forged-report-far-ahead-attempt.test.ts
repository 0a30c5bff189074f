/**
 * A forged pushed report naming an attempt of a queued chunk further ahead than lost writes explain
 * (past MAX_ATTEMPT_LEAD, up to MAX_ATTEMPT). The docs promise a forged attempt "is not found and
 * the chunk is sent as it would have been" (report-ingest.ts): it is refused as another attempt,
 * not adopted (adopting MAX_ATTEMPT made the next claim give the chunk up, SMSQ_GAVE_UP, unsent).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { MAX_ATTEMPT, MAX_ATTEMPT_LEAD } from '../../src/queue/out-id.js';
import { buildServer } from '../../server/build-server.js';
import { ingestFor } from '../support/ingest.js';
import { harnessPerTest } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const REPORT_TOKEN = 'report-token-abcdef0123456789';
const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const NONE = { mode: 'none', sampleRate: 0 } as const;
const NO_LOOKUPS = { receiptPolicies: { verification: NONE, notification: NONE, marketing: NONE } };
const harnesses = harnessPerTest();

describe('a forged report naming an attempt of a queued chunk past MAX_ATTEMPT_LEAD', () => {
  for (const attempt of [MAX_ATTEMPT_LEAD + 1, MAX_ATTEMPT]) {
    it(`attempt ${attempt}: refused as another attempt; the chunk is sent once and its genuine report applied`, async () => {
      const h = await harnesses.create({ label: `forged-far-ahead-${String(attempt).length}` });
      const { ingest, close } = ingestFor(h);
      harnesses.defer(close);
      const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: 'test-api-token-0123456789', dashboard: { token: 'dashboard-token-0123456789' }, reports: { ingest, token: REPORT_TOKEN }, checkResponses: true });
      harnesses.defer(() => app.close());
      const phone = '13862000009';
      const { sendId } = await h.producer.send({ ...NOTE, phones: [phone] });
      const forged = { phone_number: phone, success: false, err_code: 'MK:0001', out_id: `${sendId}.0.${attempt}-abcdef`, report_time: '2026-11-24 10:00:05' };
      const r = await app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: { 'x-smsq-report-token': REPORT_TOKEN }, payload: [forged] });
      expect(r.statusCode).toBe(200);
      expect(await h.redis.hmget(`${h.prefix}:chunk:${sendId}.0`, 'state', 'attempt')).toEqual(['queued', '0']);
      await h.startWorker({ ...NO_LOOKUPS, compactFinished: false });
      await waitFor(async () => { const c = (await h.producer.getStatus(sendId)).counts; return c.accepted === 1 || c.failed === 1; }, 'settled', 40_000).catch(() => undefined);
      const chunk = await h.redis.hgetall(`${h.prefix}:chunk:${sendId}.0`);
      const sent = h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone));
      expect({ sent: sent.length, state: chunk.state, code: chunk.code, attempt: chunk.attempt }).toEqual({ sent: 1, state: 'accepted', code: 'OK', attempt: '1' });
      const { outId, bizId } = sent[0]!;
      const genuine = { phone_number: phone, success: true, err_code: 'DELIVERED', biz_id: bizId, out_id: outId, report_time: '2026-11-24 10:00:05' };
      expect((await app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: { 'x-smsq-report-token': REPORT_TOKEN }, payload: [genuine] })).statusCode).toBe(200);
      expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ delivered: 1, accepted: 0, failed: 0 });
      expect(h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone))).toHaveLength(1);
    }, 60_000);
  }
});
