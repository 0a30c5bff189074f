/**
 * Which Dysmsapi action a throttle answer was to, as the workers log it for status
 * (throttle-log.ts): the throttled wait always advised "the account's cap is below SMS_QPS: lower
 * SMS_QPS", also when the calls throttled were receipt look-ups (QuerySendDetails), which share the
 * cap with sends. A real worker meets the emulator's throttle answers through the real SDK; the
 * facts status reads name the action, and the wait's words give the look-ups' fix.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createKeys } from '../../src/queue/keys.js';
import { readWaitFacts } from '../../src/queue/send-wait-facts.js';
import { sendWait, waitText } from '../../src/queue/send-wait.js';
import { DEFAULT_QUIET_HOURS } from '../../src/queue/quiet-hours.js';
import { DEFAULT_RECEIPT_POLICIES } from '../../src/queue/receipt-policy.js';
import { redisNowMs } from '../../src/clock-skew.js';
import { harnessPerTest } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const harnesses = harnessPerTest();
const NOTICE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, kind: 'notification' as const };

describe('the throttle log names the action throttled', () => {
  it('receipt look-ups throttled: QuerySendDetails, and the fix that says they share the cap with sends', async () => {
    const h = await harnesses.create({ label: 'throttle-actions', emulator: { delivery: { delayMs: 0, failureRatio: 0 } } });
    h.emulator.setFaults([{ kind: 'throttle', actions: ['QuerySendDetails'], times: 2 }]);
    await h.startWorker({ receiptSchedule: { lookDelaysMs: [100, 300], windowMs: 3_600_000 } });
    const { sendId } = await h.producer.send({ ...NOTICE, phones: ['13854200001'] });
    await waitFor(() => h.emulator.calls().filter((c) => c.action === 'QuerySendDetails' && c.code === 'Throttling.User').length === 2, 'both look-ups throttled', 15_000);
    await waitFor(async () => (await h.producer.getStatus(sendId)).counts.delivered === 1, 'the receipt, once the look-ups go through', 15_000);

    const keys = createKeys(h.prefix);
    const atMs = await redisNowMs(h.redis);
    const facts = await readWaitFacts(h.redis, keys, atMs);
    expect(facts.recentThrottles).toMatchObject({ times: 2, actions: ['QuerySendDetails'] });
    // What another send still queued would be told meanwhile.
    const queued = { send: { kind: 'notification' as const, state: 'active' as const, stateChangedAt: atMs, history: [{ state: 'active' as const, at: atMs }] }, counts: { queued: 5, sending: 0, unknown: 0, accepted: 0, delivered: 0, failed: 0, expired: 0 } };
    const wait = sendWait(queued, { now: atMs, redisNow: atMs, quietHours: DEFAULT_QUIET_HOURS, receiptWindowMs: 3_600_000, receiptLookups: DEFAULT_RECEIPT_POLICIES, ...facts, workers: 1 });
    expect(wait).toMatchObject({ reason: 'throttled', times: 2, actions: ['QuerySendDetails'] });
    expect(waitText(wait!)).toMatch(/\(QuerySendDetails\), every worker pausing after each .*: the throttled calls are receipt look-ups \(QuerySendDetails\), which share the account's cap with sends/);
  }, 40_000);

  it('sends throttled: their action, and a log written by an earlier version (no action) still counted', async () => {
    const h = await harnesses.create({ label: 'throttle-actions-send' });
    h.emulator.setFaults([{ kind: 'throttle', actions: ['SendSms'], times: 1 }]);
    const keys = createKeys(h.prefix);
    // An earlier version's member: `<until>:<random>`, no action.
    const earlier = (await redisNowMs(h.redis)) + 500;
    await h.redis.zadd(keys.throttles(), earlier, `${earlier}:0a1b2c3d`);
    await h.startWorker();
    await h.producer.send({ ...NOTICE, phones: ['13854200002'] });
    await waitFor(() => h.emulator.accepted().length === 1, 'the send accepted after its throttle', 15_000);
    const facts = await readWaitFacts(h.redis, keys, await redisNowMs(h.redis));
    expect(facts.recentThrottles).toMatchObject({ times: 2, actions: ['SendSms'] });
  }, 40_000);
});
