/**
 * A pushed report naming a newer attempt of a chunk is adopted and looked up; docs/receipts-and-controls.md
 * and report-ingest.ts promise that a forged one "is not found and the chunk is sent as it would have been".
 * Probes with attempt numbers the OutId pattern accepts but the rest of smsq cannot carry.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { buildServer } from '../../server/build-server.js';
import { ingestFor } from '../support/ingest.js';
import { harnessPerTest } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const REPORT_TOKEN = 'report-token-abcdef0123456789';
const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const NONE = { mode: 'none', sampleRate: 0 } as const;
const NO_LOOKUPS = { receiptPolicies: { verification: NONE, notification: NONE, marketing: NONE } };
const harnesses = harnessPerTest();

async function setup(label: string) {
  const h = await harnesses.create({ label });
  const { ingest, close } = ingestFor(h);
  harnesses.defer(close);
  const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: 'test-api-token-0123456789', dashboard: { token: 'dashboard-token-0123456789' }, reports: { ingest, token: REPORT_TOKEN }, checkResponses: true });
  harnesses.defer(() => app.close());
  return { h, app };
}

describe('a forged report naming a newer attempt of a queued chunk', () => {
  for (const attempt of ['2', '100000000000000', '99999999999999999999']) {
    it(`attempt ${attempt}: the chunk is still sent once, and its genuine report is applied`, async () => {
      const { h, app } = await setup(`forged-attempt-${attempt.length}`);
      const phone = '13862000001';
      const { sendId } = await h.producer.send({ ...NOTE, phones: [phone] });
      const forged = { phone_number: phone, success: false, err_code: 'MK:0001', out_id: `${sendId}.0.${attempt}-abcdef`, report_time: '2026-11-24 10:00:05' };
      const r = await app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: { 'x-smsq-report-token': REPORT_TOKEN }, payload: [forged] });
      expect(r.statusCode).toBe(200);
      await h.startWorker(NO_LOOKUPS);
      await waitFor(async () => h.emulator.accepted().some((a) => a.phoneNumbers.includes(phone)), 'sent', 30_000).catch(() => undefined);
      const chunk = await h.redis.hgetall(`${h.prefix}:chunk:${sendId}.0`);
      const sent = h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone));
      expect(sent.length, JSON.stringify(chunk)).toBe(1);
      const { outId, bizId } = sent[0]!;
      const genuine = { phone_number: phone, success: true, err_code: 'DELIVERED', biz_id: bizId, out_id: outId, report_time: '2026-11-24 10:00:05' };
      await waitFor(async () => (await h.producer.getStatus(sendId)).counts.accepted === 1, 'accepted');
      const g = await app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: { 'x-smsq-report-token': REPORT_TOKEN }, payload: [genuine] });
      expect(g.statusCode).toBe(200);
      expect((await h.producer.getStatus(sendId)).counts, outId).toMatchObject({ delivered: 1, accepted: 0 });
    }, 60_000);
  }
});

describe('after a forged report named a newer attempt, an attempt whose answer is lost', () => {
  for (const attempt of ['2', '100000000000000']) {
    it(`attempt ${attempt}: is looked up and found (accepted), not left unknown`, async () => {
      const { h, app } = await setup(`forged-lost-${attempt.length}`);
      const phone = '13862000002';
      const { sendId } = await h.producer.send({ ...NOTE, phones: [phone] });
      const forged = { phone_number: phone, success: false, err_code: 'MK:0001', out_id: `${sendId}.0.${attempt}-abcdef`, report_time: '2026-11-24 10:00:05' };
      expect((await app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: { 'x-smsq-report-token': REPORT_TOKEN }, payload: [forged] })).statusCode).toBe(200);
      h.emulator.addFault({ kind: 'lost-answer', actions: ['SendSms'], phones: [phone], delayMs: 5000 });
      await h.startWorker(NO_LOOKUPS);
      await waitFor(async () => (await h.producer.getStatus(sendId)).counts.accepted === 1, 'accepted', 30_000).catch(() => undefined);
      const chunk = await h.redis.hgetall(`${h.prefix}:chunk:${sendId}.0`);
      const sent = h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone)).map((a) => a.outId);
      expect({ sent: sent.length, state: chunk.state }, JSON.stringify({ sent, outId: chunk.outId, code: chunk.code })).toEqual({ sent: 1, state: 'accepted' });
    }, 60_000);
  }
});
