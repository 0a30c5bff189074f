/**
 * Probes of the trust boundaries (review trust25): pushed reports, idempotency keys, REST inputs.
 * Real Redis, a real worker and the emulator, as report-checks.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { SERVER_TOKENS, startReportServer } from '../support/report-server.js';

const TOKEN = SERVER_TOKENS.api;
const REPORT_TOKEN = SERVER_TOKENS.report;
const AUTH = { authorization: `Bearer ${TOKEN}` };
const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const NONE = { mode: 'none', sampleRate: 0 } as const;
const NO_LOOKUPS = { receiptPolicies: { verification: NONE, notification: NONE, marketing: NONE } };
const harnesses = harnessPerTest();

const setup = (label: string) => startReportServer(harnesses, label);

const attemptOf = (h: Harness, phone: string) => {
  const a = h.emulator.accepted().find((x) => x.phoneNumbers.includes(phone));
  if (!a) throw new Error('none');
  return { outId: a.outId, bizId: a.bizId };
};

describe('pushed reports: one odd item of another system sinks the whole push', () => {
  for (const [label, odd] of [
    ['err_msg null', { err_msg: null }],
    ['out_id null', { out_id: null }],
    ['send_time null', { send_time: null }],
    ['err_code null', { err_code: null }],
  ] as const) {
    it(`a push holding a genuine report and another system's report with ${label} applies the genuine one`, async () => {
      const { h, app } = await setup(`probe-${label.replace(/ /g, '-')}`);
      const phone = '13861000001';
      const res = await h.producer.send({ ...NOTE, phones: [phone] });
      await h.startWorker(NO_LOOKUPS);
      await waitFor(async () => (await h.producer.getStatus(res.sendId)).counts.accepted === 1, 'accepted');
      const { outId, bizId } = attemptOf(h, phone);
      const genuine = { phone_number: phone, send_time: '2026-11-24 10:00:00', report_time: '2026-11-24 10:00:03', success: true, err_code: 'DELIVERED', err_msg: '用户接收成功', sms_size: '1', biz_id: bizId, out_id: outId };
      const foreign = { ...genuine, phone_number: '13869999999', biz_id: '123456789012^0', out_id: 'order-77', ...odd };
      const r = await app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: { 'x-smsq-report-token': REPORT_TOKEN }, payload: [genuine, foreign] });
      expect(r.statusCode, r.body).toBe(200);
      expect((await h.producer.getStatus(res.sendId)).counts).toMatchObject({ delivered: 1, accepted: 0 });
    });
  }
});

describe('an upload column named __proto__', () => {
  it('is refused by name, as the JSON body refuses the key, not dropped without a word', async () => {
    const { h, app } = await setup('probe-proto-column');
    const q = `signName=${encodeURIComponent(N.sign)}&templateCode=${N.notificationTemplate}`;
    const r = await app.inject({ method: 'POST', url: `/v1/campaigns?${q}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: 'phone,name,order,__proto__\n13863000001,Li,7,x\n' });
    const id = r.statusCode === 202 ? (r.json().sendId as string) : undefined;
    const payload = id ? await h.redis.hget(`${h.prefix}:chunk:${id}.0`, 'payload') : null;
    expect(r.statusCode, `${r.body} payload=${payload}`).toBe(400);
  });
});
