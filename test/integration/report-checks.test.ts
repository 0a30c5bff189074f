/**
 * Pushed reports are checked against the send they name (issue 11): only a recipient of the
 * chunk, at the attempt its OutId names, with that attempt's BizId, is moved; counts stay in
 * 0..n whatever arrives. Real Redis, a real worker and the emulator through the SDK; pushes go
 * through the server's HTTP endpoint (inject) and the ingest.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { COUNTED_STATES } from '../../src/queue/send-store.js';
import { createRecipientStore } from '../../src/receipts/recipient-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { systemClock } from '../../src/clock.js';
import type { SmsqServer } from '../../server/build-server.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { SERVER_TOKENS, startReportServer } from '../support/report-server.js';
import { seeded } from '../support/seeded.js';

const REPORT_TOKEN = SERVER_TOKENS.report;
const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const NONE = { mode: 'none', sampleRate: 0 } as const;
const NO_LOOKUPS = { receiptPolicies: { verification: NONE, notification: NONE, marketing: NONE } };

const harnesses = harnessPerTest();

async function setup(label: string): Promise<{ h: Harness; app: SmsqServer; push(body: object): Promise<void> }> {
  const { h, app } = await startReportServer(harnesses, label);
  const push = async (body: object) => {
    const res = await app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: { 'x-smsq-report-token': REPORT_TOKEN }, payload: body });
    expect(res.statusCode).toBe(200);
  };
  return { h, app, push };
}

interface Report {
  phone_number: string;
  success: boolean;
  err_code: string;
  biz_id?: string;
  out_id: string;
  report_time: string;
}
const report = (phone: string, outId: string, bizId: string | undefined, success: boolean): Report => ({
  phone_number: phone,
  success,
  err_code: success ? 'DELIVERED' : 'MK:0001',
  ...(bizId === undefined ? {} : { biz_id: bizId }),
  out_id: outId,
  report_time: '2026-11-24 10:00:05',
});

/** The accepted attempt (OutId, BizId) of a send's only chunk, from the emulator. */
function attemptOf(h: Harness, phone: string): { outId: string; bizId: string } {
  const a = h.emulator.accepted().find((x) => x.phoneNumbers.includes(phone));
  if (!a) throw new Error(`no accepted send to ${phone}`);
  return { outId: a.outId, bizId: a.bizId };
}

describe('pushed reports are checked against their send', () => {
  it('reports for numbers that are not recipients change nothing', async () => {
    const { h, push } = await setup('rpt-foreign');
    const res = await h.producer.send({ ...NOTE, phones: ['13850000001', '13850000002'] });
    await h.startWorker(NO_LOOKUPS);
    await waitFor(async () => (await h.producer.getStatus(res.sendId)).counts.accepted === 2, 'accepted');
    const { outId, bizId } = attemptOf(h, '13850000001');
    // Today's fault: these moved the send to accepted -2, delivered 4 (complete, callback fired).
    await push(['13859999901', '13859999902', '13859999903', '13859999904'].map((p) => report(p, outId, bizId, true)));
    const s = await h.producer.getStatus(res.sendId);
    expect(s.counts).toMatchObject({ accepted: 2, delivered: 0, failed: 0 });
    const refused = await createRecipientStore({ redis: h.redis, keys: createKeys(h.prefix), clock: systemClock, retentionSeconds: 60 }).refusedCounts();
    expect(refused['not-recipient']).toBe(4);
  });

  it('a report with another BizId is set aside, and the genuine one that follows is applied', async () => {
    const { h, push } = await setup('rpt-bizid');
    const phone = '13851000001';
    const res = await h.producer.send({ ...NOTE, phones: [phone, '13851000002'] });
    await h.startWorker(NO_LOOKUPS);
    await waitFor(async () => (await h.producer.getStatus(res.sendId)).counts.accepted === 2, 'accepted');
    const { outId, bizId } = attemptOf(h, phone);
    await push([report(phone, outId, '999999999999999999^0', false), report(phone, outId, undefined, false)]);
    expect((await h.producer.getStatus(res.sendId)).counts).toMatchObject({ accepted: 2, failed: 0 });
    await push([report(phone, outId, bizId, true)]);
    expect((await h.producer.getStatus(res.sendId)).counts).toMatchObject({ accepted: 1, delivered: 1, failed: 0 });
  });

  it('a report naming another attempt of the chunk is set aside', async () => {
    const { h, push } = await setup('rpt-attempt');
    const phone = '13852000001';
    const res = await h.producer.send({ ...NOTE, phones: [phone] });
    await h.startWorker(NO_LOOKUPS);
    await waitFor(async () => (await h.producer.getStatus(res.sendId)).counts.accepted === 1, 'accepted');
    const { outId, bizId } = attemptOf(h, phone);
    const otherAttempt = outId.replace(/\.1(-[0-9a-z]+)?$/, '.7$1');
    expect(otherAttempt).not.toBe(outId);
    await push([report(phone, otherAttempt, bizId, false), report(phone, `${otherAttempt}.zz`, bizId, false)]);
    expect((await h.producer.getStatus(res.sendId)).counts).toMatchObject({ accepted: 1, failed: 0 });
  });

  it('no sequence of genuine, repeated, foreign, forged and out-of-order reports takes a count out of 0..n', async () => {
    const { h, push } = await setup('rpt-bounds');
    const TRIALS = 12;
    const PER_SEND = 3;
    const sends: { sendId: string; phones: string[] }[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const phones = Array.from({ length: PER_SEND }, (_, i) => String(13853000000 + t * 10 + i));
      sends.push({ sendId: (await h.producer.send({ ...NOTE, phones })).sendId, phones });
    }
    await h.startWorker(NO_LOOKUPS);
    for (const s of sends) await waitFor(async () => (await h.producer.getStatus(s.sendId)).counts.accepted === PER_SEND, 'accepted');

    for (let t = 0; t < TRIALS; t++) {
      const random = seeded(1000 + t);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
      const mine = sends[t]!;
      const other = sends[(t + 1) % TRIALS]!;
      const own = attemptOf(h, mine.phones[0]!);
      const theirs = attemptOf(h, other.phones[0]!);
      /** The first genuine report per number decides its final state; nothing after it does. */
      const expected = new Map<string, 'delivered' | 'failed'>();
      const sent: Report[] = [];
      for (let i = 0; i < 40; i++) {
        const phone = pick(mine.phones);
        const success = random() < 0.5;
        const kind = pick(['genuine', 'genuine', 'repeat', 'foreign-number', 'other-send-number', 'forged-biz-id', 'no-biz-id', 'other-attempt', 'other-send'] as const);
        let r: Report;
        if (kind === 'genuine') r = report(phone, own.outId, own.bizId, success);
        else if (kind === 'repeat') r = sent.length ? pick(sent) : report(phone, own.outId, own.bizId, success);
        else if (kind === 'foreign-number') r = report(String(13859000000 + Math.floor(random() * 1000)), own.outId, own.bizId, success);
        else if (kind === 'other-send-number') r = report(pick(other.phones), own.outId, own.bizId, success);
        else if (kind === 'forged-biz-id') r = report(phone, own.outId, `${Math.floor(random() * 1e12)}^0`, success);
        else if (kind === 'no-biz-id') r = report(phone, own.outId, undefined, success);
        else if (kind === 'other-attempt') r = report(phone, own.outId.replace(/\.1(-[0-9a-z]+)?$/, `.${2 + Math.floor(random() * 5)}$1`), own.bizId, success);
        else r = report(phone, theirs.outId, own.bizId, success); // our number, another send's OutId
        if (r.out_id === own.outId && r.biz_id === own.bizId && mine.phones.includes(r.phone_number) && !expected.has(r.phone_number)) {
          expected.set(r.phone_number, r.success ? 'delivered' : 'failed');
        }
        sent.push(r);
        await push(random() < 0.3 ? [r, r] : [r]);
        for (const s of [mine, other]) {
          const counts = (await h.producer.getStatus(s.sendId)).counts;
          const inStates = COUNTED_STATES.map((k) => counts[k]);
          expect(inStates.every((n) => n >= 0 && n <= PER_SEND), `trial ${t} step ${i}: ${JSON.stringify(counts)}`).toBe(true);
          expect(inStates.reduce((a, b) => a + b, 0), `trial ${t} step ${i}: ${JSON.stringify(counts)}`).toBe(PER_SEND);
        }
      }
      const states = new Map<string, string>();
      for await (const r of h.producer.recipients(mine.sendId)) states.set(r.phone, r.state);
      for (const p of mine.phones) expect(states.get(p), `trial ${t} ${p}`).toBe(expected.get(p) ?? 'accepted');
    }
  });
});

describe('SmsUp replies are checked', () => {
  it('an opt-out from a number smsq never sent to changes nothing', async () => {
    const { h, app } = await setup('rpt-smsup');
    await h.producer.send({ ...NOTE, phones: ['13854000001'] });
    const up = await app.inject({
      method: 'POST',
      url: '/v1/reports/sms-up',
      headers: { 'x-smsq-report-token': REPORT_TOKEN },
      payload: [
        { phone_number: '13854000001', content: 'TD' },
        { phone_number: '13854999999', content: 'TD' },
      ],
    });
    expect(up.statusCode).toBe(200);
    expect(await h.redis.smembers(`${h.prefix}:suppressed`)).toEqual(['13854000001']);
  });
});

