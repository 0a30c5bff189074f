import { describe, expect, it } from 'vitest';
import { DEFAULT_QUIET_HOURS, parseQuietHours } from '../../src/queue/quiet-hours.js';
import { DEFAULT_RECEIPT_POLICIES, type ReceiptPolicy } from '../../src/queue/receipt-policy.js';
import { sendPace, sendWait, waitText, type WaitFacts, type WaitInput } from '../../src/queue/send-wait.js';
import { WITHDRAWN_REASON } from '../../src/queue/withdrawal.js';

const at = (cst: string) => Date.parse(`${cst}+08:00`);
const ZERO = { queued: 0, sending: 0, unknown: 0, accepted: 0, delivered: 0, failed: 0, expired: 0 };
const HOUR = 3_600_000;

function status(over: Partial<WaitInput['send']> = {}, counts: Partial<WaitInput['counts']> = {}): WaitInput {
  const active = at('2026-12-04T07:40:00');
  return {
    send: { kind: 'marketing', state: 'active', stateChangedAt: active, history: [{ state: 'enqueuing', at: active - 1000 }, { state: 'active', at: active }], ...over },
    counts: { ...ZERO, ...counts },
  };
}
const facts = (over: Partial<WaitFacts> = {}): WaitFacts => ({ now: at('2026-12-04T07:42:22'), quietHours: DEFAULT_QUIET_HOURS, receiptWindowMs: 72 * HOUR, receiptLookups: DEFAULT_RECEIPT_POLICIES, ...over });

describe('sendWait', () => {
  it('names marketing quiet hours with the China time they end', () => {
    const wait = sendWait(status({}, { queued: 5000 }), facts());
    expect(wait).toEqual({ reason: 'quiet-hours', until: at('2026-12-04T08:00:00') });
    expect(waitText(wait!)).toBe('marketing quiet hours until 08:00 China time (2026-12-04 08:00:00 +08:00)');
    // Not for a notification, and not outside the window.
    expect(sendWait(status({ kind: 'notification' }, { queued: 1 }), facts())).toBeUndefined();
    expect(sendWait(status({}, { queued: 1 }), facts({ now: at('2026-12-04T09:00:00') }))).toBeUndefined();
  });

  it("uses the live workers' quiet hours over the local setting, and says when they disagree", () => {
    const q = (spec: string) => parseQuietHours(spec);
    const tenThirty = at('2026-12-04T10:30:00');
    // The local default does not hold at 10:30; the workers' window does.
    expect(sendWait(status({}, { queued: 5 }), facts({ now: tenThirty, workerQuietHours: [q('10:00-11:30')] }))).toEqual({ reason: 'quiet-hours', until: at('2026-12-04T11:30:00') });
    // The local setting holds, the workers have none.
    expect(sendWait(status({}, { queued: 5 }), facts({ workerQuietHours: [undefined] }))).toBeUndefined();
    const split = sendWait(status({}, { queued: 5 }), facts({ now: tenThirty, workerQuietHours: [q('10:00-11:30'), undefined] }));
    expect(split).toEqual({ reason: 'quiet-hours-disagree', settings: ['10:00-11:30', 'off'] });
    expect(waitText(split!)).toBe('workers disagree on marketing quiet hours (SMSQ_QUIET_HOURS 10:00-11:30, off): some hold its chunks now, others send them; give every worker the same SMSQ_QUIET_HOURS');
    const both = sendWait(status({}, { queued: 5 }), facts({ now: tenThirty, workerQuietHours: [q('10:00-11:30'), q('10:15-11:00')] }));
    expect(both).toEqual({ reason: 'quiet-hours-disagree', settings: ['10:00-11:30', '10:15-11:00'], until: at('2026-12-04T11:00:00') });
    // Different windows that both leave now open say nothing.
    expect(sendWait(status({}, { queued: 5 }), facts({ now: at('2026-12-04T12:00:00'), workerQuietHours: [q('10:00-11:30'), undefined] }))).toBeUndefined();
  });

  it('names who paused it and why', () => {
    expect(sendWait(status({ state: 'paused', controlReason: 'auto-pause: 11 of the last 20 chunks failed' }, { queued: 1 }), facts())).toEqual({
      reason: 'paused',
      by: 'auto-pause',
      detail: 'auto-pause: 11 of the last 20 chunks failed',
    });
    const byHand = sendWait(status({ state: 'paused', controlReason: 'paused by an operator' }, { queued: 1 }), facts());
    expect(byHand).toMatchObject({ by: 'operator' });
    // The default reason is the same words: said once.
    expect(waitText(byHand!)).toBe('paused by an operator: resume to continue');
    const withWhy = sendWait(status({ state: 'paused', controlReason: 'waiting for legal sign-off' }, { queued: 1 }), facts());
    expect(waitText(withWhy!)).toBe('paused by an operator (waiting for legal sign-off): resume to continue');
  });

  it('tells a send paused because its enqueue was stopped (Ctrl-C on smsq campaign) from an operator\'s pause, with the ways on', () => {
    // It read "paused by an operator (its enqueue was stopped (SIGINT) after line 1001): resume to continue".
    const ctrlC = sendWait(status({ state: 'paused', controlReason: 'its enqueue was stopped (SIGINT) after line 1001' }, { queued: 1000 }), facts());
    expect(ctrlC).toEqual({ reason: 'paused', by: 'stopped', detail: 'its enqueue was stopped (SIGINT) after line 1001' });
    expect(waitText(ctrlC!, 'smx1')).toBe(
      'paused because its smsq campaign was interrupted (Ctrl-C, SIGINT) after line 1001, holding the rows read before the stop: ' +
        'resume it to send those (smsq campaign resume smx1; the rest of the list is not in it), or cancel it (smsq campaign cancel smx1)',
    );
    const text = (controlReason: string) => waitText(sendWait(status({ state: 'paused', controlReason }, { queued: 1 }), facts())!);
    expect(text('its enqueue was stopped (SIGTERM) after 2500 rows')).toMatch(/^paused because its smsq campaign was stopped \(SIGTERM\) after 2500 rows, holding the rows read before the stop: resume it .*smsq campaign resume SEND_ID/);
    expect(text('its enqueue was stopped (client disconnected) after line 7')).toMatch(/^paused because the client of its POST \/v1\/campaigns disconnected after line 7, /);
    expect(text('its enqueue was stopped (test stop) once its whole list was read (after 1500 rows)')).toBe(
      'paused because its enqueue was stopped (test stop) once its whole list was read (after 1500 rows), holding the whole list: resume it to send it (smsq campaign resume SEND_ID), or cancel it (smsq campaign cancel SEND_ID)',
    );
    // The operator's own pause keeps its words.
    expect(text('paused by an operator')).toBe('paused by an operator: resume to continue');
  });

  it('tells a send withdrawn at enqueue from an operator\'s pause: why it waits, and what ends the wait', () => {
    const withdrawn = sendWait(status({ state: 'paused', controlReason: WITHDRAWN_REASON }, { queued: 1 }), facts());
    expect(withdrawn).toEqual({ reason: 'paused', by: 'withdrawn', detail: WITHDRAWN_REASON });
    expect(waitText(withdrawn!)).toBe(
      'withdrawn at enqueue: its writes were not confirmed durable in time (WAIT), so its request was refused SMSQ_NOT_DURABLE; ' +
        'the retry of that request with the same idempotency key resumes it once the replicas confirm it, and the repair sweep cancels it if none comes within SMSQ_REPAIR_ENQUEUE_GRACE_MS (10 min by default); ' +
        'resume or cancel it yourself if its caller will not retry',
    );
    // Only that very mark: an operator's reason that merely mentions it is the operator's.
    expect(sendWait(status({ state: 'paused', controlReason: `${WITHDRAWN_REASON}? checking` }, { queued: 1 }), facts())).toMatchObject({ by: 'operator' });
  });

  it('no worker: named last, after what holds a send whatever runs; unknown worker counts say nothing', () => {
    const active = status({ state: 'active', kind: 'verification' }, { queued: 3 });
    expect(sendWait(active, facts({ workers: 0 }))).toEqual({ reason: 'no-worker' });
    expect(sendWait(active, facts({ workers: 1 }))).toBeUndefined();
    expect(sendWait(active, facts())).toBeUndefined();
    const block = { code: 'isv.AMOUNT_NOT_ENOUGH', message: 'no balance', since: 1 };
    expect(sendWait(active, facts({ workers: 0, accountBlock: block }))).toMatchObject({ reason: 'account-blocked' });
    expect(waitText({ reason: 'no-worker' })).toBe('no worker serves its SMSQ_PREFIX: none is connected to its queue or beat in the last 3 s; nothing is sent until one starts: smsq worker');
  });

  it('no worker: named before quiet hours, which hold no longer, with when they end', () => {
    // 07:42 China time, inside the default 21:00-08:00.
    const marketing = status({ state: 'active', kind: 'marketing' }, { queued: 3 });
    const wait = sendWait(marketing, facts({ workers: 0 }));
    expect(wait).toEqual({ reason: 'no-worker', quietUntil: at('2026-12-04T08:00:00') });
    expect(waitText(wait!)).toBe(
      'no worker serves its SMSQ_PREFIX: none is connected to its queue or beat in the last 3 s; nothing is sent until one starts: smsq worker; ' +
        'then marketing quiet hours hold it until 08:00 China time (2026-12-04 08:00:00 +08:00)',
    );
    // Workers that disagree, one of them holding now: no single end to name.
    const off = facts({ workers: 0, workerQuietHours: [DEFAULT_QUIET_HOURS, undefined] });
    expect(sendWait(marketing, off)).toEqual({ reason: 'no-worker' });
    // Outside them, or nothing queued: no-worker alone.
    expect(sendWait(marketing, facts({ workers: 0, now: at('2026-12-04T10:00:00') }))).toEqual({ reason: 'no-worker' });
    expect(sendWait(status({ state: 'active', kind: 'marketing' }, { unknown: 3 }), facts({ workers: 0 }))).toEqual({ reason: 'no-worker' });
  });

  it('names an account block with its code, and throttling, before quiet hours', () => {
    const block = { code: 'isv.AMOUNT_NOT_ENOUGH', message: 'no balance', since: at('2026-12-04T07:00:00') };
    expect(sendWait(status({}, { queued: 1 }), facts({ accountBlock: block }))).toMatchObject({ reason: 'account-blocked', code: 'isv.AMOUNT_NOT_ENOUGH' });
    const until = at('2026-12-04T07:42:25');
    expect(sendWait(status({ kind: 'notification' }, { queued: 1 }), facts({ throttledUntil: until }))).toEqual({ reason: 'throttled', until });
  });

  it('names workers held for durability with their refusals, when recipients are queued, after an account block and before throttling and quiet hours', () => {
    const refusal = 'Redis cannot keep SMSQ_DURABILITY=fsync: appendfsync is everysec: a host crash loses up to a second of acknowledged writes (SMSQ_DURABILITY=fsync needs always). Fix: CONFIG SET appendfsync always';
    const durabilityHolds = { workers: 2, refusals: [refusal] };
    // Inside quiet hours (07:42) and throttled: the hold is what an operator must fix.
    const wait = sendWait(status({}, { queued: 3 }), facts({ durabilityHolds, throttledUntil: at('2026-12-04T07:42:25') }));
    expect(wait).toEqual({ reason: 'durability-held', workers: 2, refusals: [refusal] });
    expect(waitText(wait!)).toBe(`2 workers make no new call until Redis keeps the durability mode again (jobs wait, nothing is lost): ${refusal}`);
    expect(waitText({ reason: 'durability-held', workers: 1, refusals: ['a', 'b'] })).toBe('1 worker makes no new call until Redis keeps the durability mode again (jobs wait, nothing is lost): a / b');
    const block = { code: 'isv.AMOUNT_NOT_ENOUGH', message: 'no balance', since: 1 };
    expect(sendWait(status({}, { queued: 3 }), facts({ durabilityHolds, accountBlock: block }))).toMatchObject({ reason: 'account-blocked' });
    // Nothing queued: no claim of it waits on the hold.
    expect(sendWait(status({ kind: 'notification' }, { sending: 1 }), facts({ durabilityHolds }))).toBeUndefined();
    expect(sendWait(status({ kind: 'notification' }, { accepted: 1 }), facts({ durabilityHolds }))).toMatchObject({ reason: 'receipts' });
    expect(sendWait(status({ kind: 'notification' }, { accepted: 1 }), facts({ durabilityHolds }))).not.toHaveProperty('lookupsHeld');
    expect(sendWait(status({ state: 'paused' }, { queued: 1 }), facts({ durabilityHolds }))).toMatchObject({ reason: 'paused' });
  });

  it('names every worker backing off from its endpoint with the fault, the host and the fix; after a block, a pause and a durability hold, before throttling, a lost worker and quiet hours', () => {
    const until = at('2026-12-04T07:42:30');
    const endpointBackoffs = { workerIds: ['web-1:1:aa', 'web-2:2:bb'], until, fault: 'ConnectionRefused', endpoint: 'dysmsapi.internal:8443', others: [] };
    // Inside quiet hours (07:42), throttled, a call lost: none goes out while no worker reaches the endpoint.
    const lostCalls = { chunks: 1, recipients: 1 };
    const wait = sendWait(status({}, { queued: 3, sending: 1 }), facts({ endpointBackoffs, throttledUntil: at('2026-12-04T07:42:25'), lostCalls, workers: 2 }));
    expect(wait).toEqual({ reason: 'endpoint-unreachable', workers: 2, until, fault: 'ConnectionRefused', endpoint: 'dysmsapi.internal:8443' });
    expect(waitText(wait!)).toBe(
      'none of the 2 workers reaches SMS_ENDPOINT=dysmsapi.internal:8443 (ConnectionRefused): they take no job until 2026-12-04 07:42:30 +08:00, then try again (backing off, doubling while it lasts), ' +
        'and put back what they took without counting an attempt: jobs wait, nothing is lost. ' +
        'Fix: start what SMS_ENDPOINT names (the sandbox emulator: `smsq emulator`), correct SMS_ENDPOINT, or check the network (a firewall refusing the port)',
    );
    const one = waitText({ reason: 'endpoint-unreachable', workers: 1, until, fault: 'HostNotFound', endpoint: '', others: [{ fault: 'ConnectionRefused', endpoint: '10.0.0.9:80' }] });
    expect(one).toMatch(/^1 worker cannot reach SMS_ENDPOINT \(HostNotFound; some meet ConnectionRefused at SMS_ENDPOINT=10\.0\.0\.9:80\): it takes no job until .*, then tries again .* and puts back what it took .*Fix: correct SMS_ENDPOINT \(Alibaba Cloud's is dysmsapi\.aliyuncs\.com/);
    // An attempt in doubt waits for its look-up, which needs the endpoint too.
    expect(sendWait(status({ kind: 'notification' }, { unknown: 1 }), facts({ endpointBackoffs }))).toMatchObject({ reason: 'endpoint-unreachable' });
    // A call in flight is one to the endpoint they cannot reach: put back in a moment. Nothing left: nothing of it waits.
    expect(sendWait(status({ kind: 'notification' }, { sending: 1 }), facts({ endpointBackoffs }))).toMatchObject({ reason: 'endpoint-unreachable' });
    expect(sendWait(status({ kind: 'notification' }, { accepted: 1 }), facts({ endpointBackoffs }))).toMatchObject({ reason: 'receipts' });
    // What holds every call whatever the endpoint does comes first; no worker at all is said as such.
    const block = { code: 'isv.AMOUNT_NOT_ENOUGH', message: 'no balance', since: 1 };
    expect(sendWait(status({}, { queued: 3 }), facts({ endpointBackoffs, accountBlock: block }))).toMatchObject({ reason: 'account-blocked' });
    expect(sendWait(status({ state: 'paused' }, { queued: 1 }), facts({ endpointBackoffs }))).toMatchObject({ reason: 'paused' });
    expect(sendWait(status({}, { queued: 3 }), facts({ endpointBackoffs, durabilityHolds: { workers: 1, refusals: ['r'] } }))).toMatchObject({ reason: 'durability-held' });
    expect(sendWait(status({ kind: 'notification' }, { queued: 3 }), facts({ endpointBackoffs, workers: 0 }))).toEqual({ reason: 'no-worker' });
  });

  it('names every worker backing off from its own setup (RequestNotBuilt.Setup) as such, with the fix and without SMS_ENDPOINT; an endpoint fault among them as another', () => {
    const until = at('2026-12-04T07:42:30');
    const endpointBackoffs = { workerIds: ['web-1:1:aa'], until, fault: 'RequestNotBuilt.Setup', endpoint: '', others: [] };
    const wait = sendWait(status({}, { queued: 3 }), facts({ endpointBackoffs, workers: 1 }));
    expect(wait).toEqual({ reason: 'worker-setup-fault', workers: 1, until, fault: 'RequestNotBuilt.Setup' });
    expect(waitText(wait!)).toMatch(
      /^1 worker cannot build a request from its own setup \(RequestNotBuilt\.Setup\): it takes no job until 2026-12-04 07:42:30 \+08:00, then tries again \(backing off, doubling while it lasts\), and puts back what it took without counting an attempt: jobs wait, nothing is lost\. Fix: correct the setting its log names at each back-off step \(code RequestNotBuilt\.Setup\): the AccessKey ID or STS token its credential provider returns \(ALIBABA_CLOUD_ACCESS_KEY_ID, .*\) or the client's userAgent option, then restart it$/,
    );
    const mixed = { ...endpointBackoffs, workerIds: ['a', 'b', 'c'], others: [{ fault: 'ConnectionRefused', endpoint: '10.0.0.9:80' }] };
    const both = sendWait(status({}, { queued: 3 }), facts({ endpointBackoffs: mixed, workers: 3 }));
    expect(both).toMatchObject({ reason: 'worker-setup-fault', workers: 3, others: [{ fault: 'ConnectionRefused', endpoint: '10.0.0.9:80' }] });
    expect(waitText(both!)).toMatch(/^none of the 3 workers can build a request from its own setup \(RequestNotBuilt\.Setup; some meet ConnectionRefused at SMS_ENDPOINT=10\.0\.0\.9:80\): they take no job/);
    // Most of them meet the endpoint: said as the endpoint's, the setup fault among the others without an endpoint.
    const endpointFirst = waitText({ reason: 'endpoint-unreachable', workers: 2, until, fault: 'ConnectionRefused', endpoint: '10.0.0.9:80', others: [{ fault: 'RequestNotBuilt.Setup', endpoint: '' }] });
    expect(endpointFirst).toMatch(/^none of the 2 workers reaches SMS_ENDPOINT=10\.0\.0\.9:80 \(ConnectionRefused; some meet RequestNotBuilt\.Setup\): /);
    // An account block still comes first.
    const block = { code: 'isv.AMOUNT_NOT_ENOUGH', message: 'no balance', since: 1 };
    expect(sendWait(status({}, { queued: 3 }), facts({ endpointBackoffs, accountBlock: block }))).toMatchObject({ reason: 'account-blocked' });
    // A credential the chain does not resolve: asked for a credential, not a header's character, and no restart (the worker goes on at its first answer).
    const none = waitText({ reason: 'worker-setup-fault', workers: 1, until, fault: 'InvalidCredentials' });
    expect(none).toMatch(/^1 worker resolves no credential from its default chain \(InvalidCredentials\): it takes no job until .*Fix: give that process a credential \(ALIBABA_CLOUD_ACCESS_KEY_ID .*a worker goes on by itself at its first answered call$/);
    expect(none).not.toMatch(/header|restart/);
  });

  it('names throttling of the last minute between the pauses, after quiet hours and a missing worker', () => {
    const now = at('2026-12-04T10:00:00');
    const recentThrottles = { times: 37, lastUntil: now - 400 };
    const wait = sendWait(status({ kind: 'notification' }, { queued: 2000 }), facts({ now, recentThrottles }));
    expect(wait).toEqual({ reason: 'throttled', until: now - 400, times: 37 });
    expect(waitText(wait!)).toBe(
      "throttled by Dysmsapi 37 times in the last minute, every worker pausing after each (the latest until 2026-12-04 09:59:59 +08:00): if it goes on, the account's cap is below SMS_QPS, or another client calling with the same AccessKey takes part of it: lower SMS_QPS or have the cap raised",
    );
    // Inside a pause, the pause's end with the count.
    expect(sendWait(status({ kind: 'notification' }, { queued: 1 }), facts({ now, recentThrottles, throttledUntil: now + 600 }))).toEqual({ reason: 'throttled', until: now + 600, times: 37 });
    expect(sendWait(status({ kind: 'notification' }, { queued: 1 }), facts({ now, recentThrottles, workers: 0 }))).toEqual({ reason: 'no-worker' });
    expect(sendWait(status({}, { queued: 1 }), facts({ now: at('2026-12-04T07:42:22'), recentThrottles }))).toMatchObject({ reason: 'quiet-hours' });
    // Nothing left to send: throttling is not its reason.
    expect(sendWait(status({ kind: 'notification' }, { accepted: 1 }), facts({ now, recentThrottles }))).toMatchObject({ reason: 'receipts' });
  });

  it('names marketing quiet hours before a throttle pause: the campaign is held by them, not by the throttling of other calls (it said "lower SMS_QPS")', () => {
    // China night, inside the default quiet hours (21:00-08:00), the account throttled meanwhile.
    const night = at('2026-12-04T07:42:22');
    const throttled = { now: night, throttledUntil: night + 800, recentThrottles: { times: 37, lastUntil: night + 800 } };
    expect(sendWait(status({}, { queued: 5000 }), facts(throttled))).toEqual({ reason: 'quiet-hours', until: at('2026-12-04T08:00:00') });
    // And when the workers disagree on the quiet hours, that first too.
    expect(sendWait(status({}, { queued: 5000 }), facts({ ...throttled, workerQuietHours: [DEFAULT_QUIET_HOURS, undefined] }))).toMatchObject({ reason: 'quiet-hours-disagree' });
    // Other kinds are not held by quiet hours: the throttling is theirs.
    expect(sendWait(status({ kind: 'notification' }, { queued: 5000 }), facts(throttled))).toMatchObject({ reason: 'throttled', until: night + 800, times: 37 });
    // What waits for an operator still comes first: it holds the campaign after the quiet hours too.
    expect(sendWait(status({}, { queued: 5000 }), facts({ ...throttled, accountBlock: { code: 'isv.AMOUNT_NOT_ENOUGH', message: '', since: night } }))).toMatchObject({ reason: 'account-blocked' });
  });

  it('names the actions throttled, and the fix that fits them: look-ups share the cap with sends, another client of the AccessKey may take part of it', () => {
    const now = at('2026-12-04T10:00:00');
    const throttledBy = (actions?: string[]) => {
      const wait = sendWait(status({ kind: 'notification' }, { queued: 20 }), facts({ now, recentThrottles: { times: 12, lastUntil: now - 400, ...(actions ? { actions } : {}) } }));
      return { wait, text: waitText(wait!) };
    };
    const lookups = throttledBy(['QuerySendDetails']);
    expect(lookups.wait).toEqual({ reason: 'throttled', until: now - 400, times: 12, actions: ['QuerySendDetails'] });
    expect(lookups.text).toBe(
      'throttled by Dysmsapi 12 times in the last minute (QuerySendDetails), every worker pausing after each (the latest until 2026-12-04 09:59:59 +08:00): ' +
        "the throttled calls are receipt look-ups (QuerySendDetails), which share the account's cap with sends (SMS_QPS paces both), as does any other client calling with the same AccessKey: " +
        'if it goes on, lower SMS_QPS, look fewer up (SMSQ_RECEIPT_LOOKUPS), or have the cap raised',
    );
    const sends = throttledBy(['SendBatchSms']);
    expect(sends.text).toBe(
      'throttled by Dysmsapi 12 times in the last minute (SendBatchSms), every worker pausing after each (the latest until 2026-12-04 09:59:59 +08:00): ' +
        "if it goes on, the account's cap is below SMS_QPS, or another client calling with the same AccessKey takes part of it: lower SMS_QPS or have the cap raised",
    );
    expect(throttledBy(['SendSms', 'QuerySendDetails']).text).toMatch(
      /\(SendSms, QuerySendDetails\), every worker .*: if it goes on, the account's cap is below SMS_QPS \(receipt look-ups, QuerySendDetails, share it with sends\), or another client calling with the same AccessKey takes part of it: lower SMS_QPS/,
    );
    // A log of an earlier version names no action: the general fix, as before.
    expect(throttledBy().wait).not.toHaveProperty('actions');
    // Inside a pause, the actions too.
    expect(waitText(sendWait(status({ kind: 'notification' }, { queued: 1 }), facts({ now, throttledUntil: now + 600, recentThrottles: { times: 1, lastUntil: now + 600, actions: ['QuerySendDetails'] } }))!)).toMatch(
      /^throttled by Dysmsapi 1 time in the last minute \(QuerySendDetails\), .*the throttled calls are receipt look-ups/,
    );
  });

  it('names recipients in doubt and their look-ups, not throttling of the last minute, when nothing is left queued', () => {
    const now = at('2026-12-04T10:00:00');
    const recentThrottles = { times: 13, lastUntil: now - 400 };
    const only = status({ kind: 'notification' }, { unknown: 3000 });
    expect(sendWait(only, facts({ now }))).toEqual({ reason: 'in-doubt', recipients: 3000, retryWithinMs: 60_000 });
    expect(sendWait(only, facts({ now, recentThrottles }))).toEqual({ reason: 'in-doubt', recipients: 3000, retryWithinMs: 60_000 });
    expect(waitText(sendWait(status({ kind: 'notification' }, { unknown: 1 }), facts({ now }))!)).toBe(
      "1 recipient in doubt: its call timed out or failed in transit, so whether Dysmsapi accepted it is unknown; it is looked up (QuerySendDetails) before anything is resent, a look-up that fails tried again within 60 s (if Dysmsapi does not answer, check SMS_ENDPOINT and the network, or Alibaba Cloud's status)",
    );
    // Chunks still queued beside them: throttling of the last minute holds those.
    expect(sendWait(status({ kind: 'notification' }, { unknown: 5, queued: 5 }), facts({ now, recentThrottles }))).toMatchObject({ reason: 'throttled' });
    expect(sendWait(status({ kind: 'notification' }, { unknown: 5, queued: 5 }), facts({ now }))).toMatchObject({ reason: 'in-doubt', recipients: 5 });
    // A pause now holds the look-ups too; no worker, nothing looks them up.
    expect(sendWait(only, facts({ now, throttledUntil: now + 600 }))).toMatchObject({ reason: 'throttled' });
    expect(sendWait(only, facts({ now, workers: 0 }))).toEqual({ reason: 'no-worker' });
  });

  it('names a per-number flow-control retry when nothing else of the send is in flight', () => {
    const now = at('2026-12-04T10:00:10');
    const retryAt = at('2026-12-04T10:01:00');
    const wait = sendWait(status({ kind: 'verification' }, { queued: 1 }), facts({ now, flowControlRetryAt: retryAt }));
    expect(wait).toEqual({ reason: 'flow-control', retryAt });
    expect(waitText(wait!)).toBe('per-number flow control (isv.BUSINESS_LIMIT_CONTROL): retried at 10:01 China time (2026-12-04 10:01:00 +08:00)');
    expect(sendWait(status({ kind: 'verification' }, { queued: 1, sending: 1 }), facts({ now, flowControlRetryAt: retryAt }))).toBeUndefined();
    expect(sendWait(status({ kind: 'verification' }, { queued: 1 }), facts({ now, flowControlRetryAt: now - 1 }))).toBeUndefined();
  });

  it("judges a flow-control retry and a throttle's end, both on the workers' clocks, at Redis's time when given, not the asker's", () => {
    const redisNow = at('2026-12-04T10:00:10');
    const ahead = redisNow + 90_000; // an asker's clock 90 s ahead
    const retryAt = redisNow + 30_000;
    expect(sendWait(status({ kind: 'verification' }, { queued: 1 }), facts({ now: ahead, redisNow, flowControlRetryAt: retryAt }))).toEqual({ reason: 'flow-control', retryAt });
    expect(sendWait(status({ kind: 'notification' }, { queued: 1 }), facts({ now: ahead, redisNow, throttledUntil: redisNow + 600 }))).toEqual({ reason: 'throttled', until: redisNow + 600 });
    // One 90 s behind: past on Redis's time is past, whatever the asker's clock says.
    const behind = redisNow - 90_000;
    expect(sendWait(status({ kind: 'verification' }, { queued: 1 }), facts({ now: behind, redisNow, flowControlRetryAt: redisNow - 1 }))).toBeUndefined();
    expect(sendWait(status({ kind: 'notification' }, { queued: 1 }), facts({ now: behind, redisNow, throttledUntil: redisNow - 1 }))).toBeUndefined();
  });

  describe('receipts, once everything is sent: how many, how they come (SMSQ_RECEIPT_LOOKUPS), until the window of the last one sent ends', () => {
    const sentAt = at('2026-12-04T07:41:00');
    const sent = (kind: WaitInput['send']['kind'], accepted: number) =>
      status({ kind, state: 'sent', stateChangedAt: sentAt, history: [{ state: 'active', at: sentAt - 60_000 }, { state: 'sent', at: sentAt }] }, { accepted, delivered: 4750 });
    const until = sentAt + 72 * HOUR;
    const lookups = (marketing: ReceiptPolicy) => ({ receiptLookups: { ...DEFAULT_RECEIPT_POLICIES, marketing } });

    it('looked up, every one (all)', () => {
      const wait = sendWait(sent('notification', 250), facts());
      expect(wait).toEqual({ reason: 'receipts', pending: 250, until, lookups: 'notification=all', lookedUp: 250, pushedOnly: 0 });
      expect(waitText(wait!)).toBe('waiting for receipts of 250 recipients, looked up (QuerySendDetails; SMSQ_RECEIPT_LOOKUPS notification=all), at the latest until 2026-12-07 07:41:00 +08:00');
    });

    it('out of the sample: a pushed report only, or they expire (it said "waiting for receipts of 2 recipients" of two never looked up)', () => {
      const wait = sendWait(sent('marketing', 2), facts({ lookedUpPending: 0 }));
      expect(wait).toEqual({ reason: 'receipts', pending: 2, until, lookups: 'marketing=sample:0.05', lookedUp: 0, pushedOnly: 2 });
      expect(waitText(wait!)).toBe(
        'waiting for receipts of 2 recipients, not looked up (SMSQ_RECEIPT_LOOKUPS marketing=sample:0.05): only a pushed report settles them, or they expire at 2026-12-07 07:41:00 +08:00',
      );
      expect(waitText(sendWait(sent('marketing', 1), facts({ lookedUpPending: 0 }))!)).toBe(
        'waiting for receipts of 1 recipient, not looked up (SMSQ_RECEIPT_LOOKUPS marketing=sample:0.05): only a pushed report settles it, or it expires at 2026-12-07 07:41:00 +08:00',
      );
      // Not looked up at all: none, or a sample of 0.
      expect(sendWait(sent('marketing', 7), facts(lookups({ mode: 'none', sampleRate: 0 })))).toMatchObject({ lookups: 'marketing=none', lookedUp: 0, pushedOnly: 7 });
      expect(sendWait(sent('marketing', 7), facts(lookups({ mode: 'sample', sampleRate: 0 })))).toMatchObject({ lookups: 'marketing=sample:0', lookedUp: 0, pushedOnly: 7 });
      expect(sendWait(sent('marketing', 7), facts(lookups({ mode: 'sample', sampleRate: 1 })))).toMatchObject({ lookups: 'marketing=sample:1', lookedUp: 7, pushedOnly: 0 });
    });

    it('some in the sample, some out, as counted (a count past the pending, read apart from them, is capped)', () => {
      const wait = sendWait(sent('marketing', 40), facts({ lookedUpPending: 3 }));
      expect(wait).toEqual({ reason: 'receipts', pending: 40, until, lookups: 'marketing=sample:0.05', lookedUp: 3, pushedOnly: 37 });
      expect(waitText(wait!)).toBe(
        'waiting for receipts of 40 recipients: 3 looked up (QuerySendDetails), 37 not (SMSQ_RECEIPT_LOOKUPS marketing=sample:0.05): only a pushed report settles those, or they expire at 2026-12-07 07:41:00 +08:00',
      );
      expect(waitText(sendWait(sent('marketing', 2), facts({ lookedUpPending: 1 }))!)).toMatch(/: 1 looked up \(QuerySendDetails\), 1 not \(.*\): only a pushed report settles that one, or it expires at /);
      expect(sendWait(sent('marketing', 2), facts({ lookedUpPending: 5 }))).toMatchObject({ lookedUp: 2, pushedOnly: 0 });
    });

    it('names what keeps the workers from looking them up: no worker, an account block, every worker backing off, a throttle pause (it said "looked up" with no worker running)', () => {
      const held = (over: Partial<WaitFacts>) => sendWait(sent('notification', 150), facts(over));
      const noWorker = held({ workers: 0 });
      expect(noWorker).toEqual({ reason: 'receipts', pending: 150, until, lookups: 'notification=all', lookedUp: 150, pushedOnly: 0, lookupsHeld: { reason: 'no-worker' } });
      expect(waitText(noWorker!)).toBe(
        'no receipt is looked up (QuerySendDetails) now: no worker serves its SMSQ_PREFIX: none is connected to its queue or beat in the last 3 s; start one: smsq worker. ' +
          'Meanwhile waiting for receipts of 150 recipients, looked up (QuerySendDetails; SMSQ_RECEIPT_LOOKUPS notification=all), at the latest until 2026-12-07 07:41:00 +08:00',
      );
      const since = at('2026-12-04T07:30:00');
      const blocked = held({ workers: 0, accountBlock: { code: 'isv.AMOUNT_NOT_ENOUGH', message: 'balance', since } });
      expect(blocked).toMatchObject({ lookupsHeld: { reason: 'account-blocked', code: 'isv.AMOUNT_NOT_ENOUGH', since } });
      expect(waitText(blocked!)).toMatch(/^no receipt is looked up \(QuerySendDetails\) now: account blocked since .*then smsq resume\. Meanwhile waiting for receipts of 150 recipients, looked up/);
      const endpointBackoffs = { workerIds: ['w1'], until: at('2026-12-04T07:42:30'), fault: 'ConnectionRefused', endpoint: '127.0.0.1:8399', others: [] };
      expect(held({ workers: 1, endpointBackoffs })).toMatchObject({ lookupsHeld: { reason: 'endpoint-unreachable', workers: 1, fault: 'ConnectionRefused', endpoint: '127.0.0.1:8399' } });
      expect(held({ workers: 1, endpointBackoffs: { ...endpointBackoffs, fault: 'RequestNotBuilt.Setup', endpoint: '' } })).toMatchObject({ lookupsHeld: { reason: 'worker-setup-fault' } });
      const now = at('2026-12-04T07:42:22');
      expect(held({ workers: 1, throttledUntil: now + 600 })).toMatchObject({ lookupsHeld: { reason: 'throttled', until: now + 600 } });
      // What holds none of them: a durability hold (it holds send claims, not look-ups), throttle answers between pauses, a running worker.
      expect(held({ workers: 1, durabilityHolds: { workers: 1, refusals: ['r'] } })).not.toHaveProperty('lookupsHeld');
      expect(held({ workers: 1, recentThrottles: { times: 5, lastUntil: now - 100 } })).not.toHaveProperty('lookupsHeld');
      expect(held({ workers: 1 })).not.toHaveProperty('lookupsHeld');
      expect(held({})).not.toHaveProperty('lookupsHeld');
    });

    it('says no hold of receipts awaited from pushed reports only: those need no worker; the sampled ones of a send too large are held', () => {
      const outOfSample = sendWait(sent('marketing', 2), facts({ lookedUpPending: 0, workers: 0 }));
      expect(outOfSample).toEqual({ reason: 'receipts', pending: 2, until, lookups: 'marketing=sample:0.05', lookedUp: 0, pushedOnly: 2 });
      expect(waitText(outOfSample!)).toMatch(/^waiting for receipts of 2 recipients, not looked up/);
      expect(sendWait(sent('marketing', 7), facts({ ...lookups({ mode: 'none', sampleRate: 0 }), workers: 0 }))).not.toHaveProperty('lookupsHeld');
      // Some in the sample: held.
      expect(sendWait(sent('marketing', 40), facts({ lookedUpPending: 3, workers: 0 }))).toMatchObject({ lookedUp: 3, pushedOnly: 37, lookupsHeld: { reason: 'no-worker' } });
      const large = sendWait(sent('marketing', 95_000), facts({ workers: 0 }));
      expect(large).toMatchObject({ lookedUpAbout: 4750, lookupsHeld: { reason: 'no-worker' } });
      expect(waitText(large!)).toMatch(/^no receipt is looked up \(QuerySendDetails\) now: no worker serves .*Meanwhile waiting for receipts of 95000 recipients: at most about 4750 looked up/);
    });

    it('a sample not counted (a send too large): the share it looks up at most, said as an estimate', () => {
      const wait = sendWait(sent('marketing', 95_000), facts());
      expect(wait).toEqual({ reason: 'receipts', pending: 95_000, until, lookups: 'marketing=sample:0.05', lookedUpAbout: 4750 });
      expect(waitText(wait!)).toBe(
        'waiting for receipts of 95000 recipients: at most about 4750 looked up (QuerySendDetails; a sample, not counted in a send this large), the rest not (SMSQ_RECEIPT_LOOKUPS marketing=sample:0.05): only a pushed report settles those, or they expire at 2026-12-07 07:41:00 +08:00',
      );
    });
  });

  it('says nothing for a send that moves or has ended', () => {
    expect(sendWait(status({ kind: 'notification' }, { queued: 10, accepted: 5 }), facts())).toBeUndefined();
    expect(sendWait(status({ state: 'cancelled' }, { queued: 10 }), facts())).toBeUndefined();
    expect(sendWait(status({ state: 'enqueuing' }), facts())).toEqual({ reason: 'enqueuing' });
  });
});

describe('job-failed', () => {
  it('names chunks a job BullMQ failed left unsent, or with no job at all, after a block and before a throttle pause, quiet hours and no-worker', () => {
    const failed = { chunks: 1, recipients: 400, jobId: 's.sabc.3.a1', failedReason: 'job stalled more than allowable limit' };
    const stranded = { failed, missing: { chunks: 2, recipients: 2 } };
    const queued = status({ kind: 'marketing' }, { queued: 400 });
    const wait = sendWait(queued, facts({ stranded, workers: 0 }));
    expect(wait).toEqual({ reason: 'job-failed', ...failed });
    expect(waitText(wait!)).toMatch(/^400 recipients in 1 chunk left unsent by a job BullMQ failed without smsq recording it \(s\.sabc\.3\.a1: job stalled more than allowable limit\): no job will send them\. The repair sweep looks them up \(QuerySendDetails\) before anything is resent/);
    const now = at('2026-12-04T07:42:22');
    // A pause of a second holds nothing of chunks no job will take: said after them.
    expect(sendWait(queued, facts({ stranded, throttledUntil: now + 1000 }))).toMatchObject({ reason: 'job-failed' });
    expect(sendWait(queued, facts({ stranded, accountBlock: { code: 'isv.AMOUNT_NOT_ENOUGH', message: '', since: now } }))).toMatchObject({ reason: 'account-blocked' });
    expect(sendWait(queued, facts())).toMatchObject({ reason: 'quiet-hours' });
    expect(sendWait(status({ state: 'paused' }, { queued: 1 }), facts({ stranded }))).toMatchObject({ reason: 'paused' });
    // With no job at all (removed, or lost): said as such.
    const missing = sendWait(queued, facts({ stranded: { missing: { chunks: 1, recipients: 1 } } }));
    expect(missing).toEqual({ reason: 'job-missing', chunks: 1, recipients: 1 });
    expect(waitText(missing!)).toMatch(/^1 recipient in 1 chunk left unsent with no job in the queue \(removed, by Bull Board's clean or empty or by hand, or lost with Redis writes\): no job will send them\. The repair sweep/);
  });
});

describe('worker-lost', () => {
  it('names chunks whose worker stopped mid-call, after a block and before a throttle pause, quiet hours and no-worker', () => {
    const lostCalls = { chunks: 2, recipients: 1500 };
    const sending = status({}, { queued: 10, sending: 1500 });
    const wait = sendWait(sending, facts({ lostCalls, workers: 2 }));
    expect(wait).toEqual({ reason: 'worker-lost', chunks: 2, recipients: 1500, checkEveryMs: 30_000 });
    expect(waitText(wait!)).toBe(
      "the worker calling 1500 recipients in 2 chunks stopped mid-call (its job's lock lapsed): a running worker's stalled-job check takes the job back within about 30 s, and they are looked up (QuerySendDetails) before anything is resent",
    );
    const alone = sendWait(sending, facts({ lostCalls: { chunks: 1, recipients: 1 }, workers: 0 }));
    expect(alone).toEqual({ reason: 'worker-lost', chunks: 1, recipients: 1, checkEveryMs: 30_000, noWorker: true });
    expect(waitText(alone!)).toMatch(/^the worker calling 1 recipient in 1 chunk stopped mid-call \(its job's lock lapsed\), and no worker runs to take the job back: start one \(smsq worker\)/);
    const now = at('2026-12-04T07:42:22');
    // Taken back within 30 s: longer than a throttle pause of a second, said first.
    expect(sendWait(sending, facts({ lostCalls, throttledUntil: now + 1000 }))).toMatchObject({ reason: 'worker-lost' });
    expect(sendWait(status({ kind: 'notification' }, { queued: 10 }), facts({ throttledUntil: now + 1000 }))).toMatchObject({ reason: 'throttled' });
    // Without lost calls, quiet hours hold its queued chunks as before.
    expect(sendWait(sending, facts())).toMatchObject({ reason: 'quiet-hours' });
    expect(sendWait(status({ state: 'paused' }, { sending: 1 }), facts({ lostCalls }))).toMatchObject({ reason: 'paused' });
  });
});

describe('sendPace', () => {
  it('counts only the time it was active, and estimates when it will be sent', () => {
    const t0 = at('2026-12-04T10:00:00');
    const s = status(
      { state: 'active', history: [{ state: 'active', at: t0 }, { state: 'paused', at: t0 + 10_000 }, { state: 'active', at: t0 + 70_000 }] },
      { queued: 1000, accepted: 1500, delivered: 500 },
    );
    // 20 s active (10 + 10), 2000 recipients past the API: 100/s; 1000 left: 10 s more.
    expect(sendPace(s, t0 + 80_000)).toEqual({ rate: 100, estimatedSentAt: t0 + 90_000 });
    // Paused after 2000 went past the API: no rate, which would read as going on; nor once sent.
    expect(sendPace({ ...s, send: { ...s.send, state: 'paused', history: [...s.send.history, { state: 'paused', at: t0 + 80_000 }] } }, t0 + 90_000)).toBeUndefined();
    expect(sendPace(status({ state: 'sent' }, { accepted: 5 }), t0)).toBeUndefined();
    // Held (quiet hours, throttling): the rate stays, the finish time is not guessed.
    expect(sendPace(s, t0 + 80_000, { reason: 'quiet-hours', until: t0 + 3_600_000 }, 1)).toEqual({ rate: 100 });
    expect(sendPace(s, t0 + 80_000, { reason: 'throttled', until: t0 + 81_000 })).toEqual({ rate: 100 });
  });

  it('gives no pace while no worker runs: its rate would read as sending going on', () => {
    const t0 = at('2026-12-04T10:00:00');
    // A worker sent 14 of 200 codes in its 5 s, then exited at once (a forced exit): 186 left, 26 of them `sending`.
    const s = status({ state: 'active', history: [{ state: 'active', at: t0 }] }, { queued: 160, sending: 26, accepted: 14 });
    expect(sendPace(s, t0 + 5000, undefined, 1)).toEqual({ rate: 2.8, estimatedSentAt: t0 + 5000 + Math.ceil((186 / 2.8) * 1000) });
    expect(sendPace(s, t0 + 5000, { reason: 'no-worker' }, 0)).toBeUndefined();
    // Whatever else holds it, and with no wait at all: no worker, no pace.
    expect(sendPace(s, t0 + 5000, { reason: 'throttled', until: t0 + 6000 }, 0)).toBeUndefined();
    expect(sendPace(s, t0 + 5000, undefined, 0)).toBeUndefined();
    // Not known (Redis refuses CLIENT LIST, no heartbeat): the pace as before.
    expect(sendPace(s, t0 + 5000, undefined, undefined)).toMatchObject({ rate: 2.8 });
  });
});
