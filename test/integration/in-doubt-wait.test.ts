/**
 * A send whose calls timed out (Dysmsapi frozen: the emulator answers nothing in time) has its
 * recipients in doubt (`unknown`) while their look-ups fail too. Its status said nothing of why it
 * waited, or, with any throttle answer in the last minute, blamed throttling and asked for a lower
 * SMS_QPS: the wait names the recipients in doubt, and that they are looked up before any resend.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createKeys } from '../../src/queue/keys.js';
import { createThrottleLog } from '../../src/queue/throttle-log.js';
import { systemClock } from '../../src/clock.js';
import { waitText } from '../../src/queue/send-wait.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const CODE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, kind: 'notification' as const };

describe('status of a send in doubt', () => {
  it('says its recipients are in doubt and looked up before any resend, not throttling, even with throttle answers in the last minute', async () => {
    h = await createHarness({ label: 'in-doubt', readTimeoutMs: 300 });
    // Every call answered too late: sends and look-ups alike time out.
    h.emulator.setFaults([{ kind: 'lost-answer', delayMs: 5000, actions: ['SendSms', 'SendBatchSms', 'QuerySendDetails'], times: Infinity }]);
    const res = await h.producer.send({ ...CODE, phones: ['13900000001', '13900000002'] });
    await h.startWorker();
    const s = await waitFor(async () => {
      const st = await h!.producer.getStatus(res.sendId);
      return st.counts.unknown === 2 ? st : undefined;
    }, 'both recipients in doubt', 20_000);
    expect(s.wait).toMatchObject({ reason: 'in-doubt', recipients: 2 });
    expect(waitText(s.wait!)).toMatch(/^2 recipients in doubt: their calls timed out or failed in transit.*looked up \(QuerySendDetails\) before anything is resent/);
    // A throttle answer in the last minute (as a worker logs it) does not take the blame.
    await createThrottleLog({ redis: h.redis, keys: createKeys(h.prefix), clock: systemClock }).record(500, 'SendSms');
    await new Promise((r) => setTimeout(r, 600));
    const again = await h.producer.getStatus(res.sendId);
    expect(again.counts.unknown).toBe(2);
    expect(again.wait).toMatchObject({ reason: 'in-doubt', recipients: 2 });
    // Each recipient says it is in doubt, as the counts do: it was listed `sending` beside `unknown 2`.
    const listed = [];
    for await (const r of h.producer.recipients(res.sendId)) listed.push(r);
    expect(listed.map((r) => r.state)).toEqual(['unknown', 'unknown']);
    h.emulator.clearFaults();
  }, 40_000);
});
