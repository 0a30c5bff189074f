/** The gauges behind the alert rules: pure parsing and rendering, no Redis. */
import { describe, expect, it } from 'vitest';
import { countAutoPaused, heldWithdrawn, isUnresolved, parseAccountBlock, parseHousekeepingFailures, parseWithdrawals, type AlertState } from '../../src/metrics/alert-state.js';
import { countBackingOff } from '../../src/queue/endpoint-backoffs.js';
import { WITHDRAWN_REASON, lapsedReason } from '../../src/queue/withdrawal.js';
import { parseUnknownOutcomeMember, unknownOutcomeMember } from '../../src/metrics/metric-keys.js';
import { parseCallMetrics } from '../../src/metrics/metrics-snapshot.js';
import { renderPrometheus, renderRedisDown } from '../../src/metrics/prometheus.js';
import { judgePausedRecord } from '../../src/metrics/paused-sends.js';

const noCalls = parseCallMetrics({ calls: {}, latency: {}, waits: {}, recipients: {}, writers: 0 });
const noWithdrawals = parseWithdrawals({});
const noBackoffs = countBackingOff([], []).backingOff;
const quiet: AlertState = { accountBlock: undefined, autoPausedSends: 0, pausedSends: { count: 0, oldestSinceMs: undefined }, withdrawnSends: 0, withdrawals: noWithdrawals, oldestUnknownSinceMs: undefined, workers: [], clockSkews: [], refusedReceipts: {}, refusedReportFields: {}, refusedReplies: {}, reconcileResults: {}, housekeepingFailures: [], durabilityHeldWorkers: 0, liveWorkers: 0, backingOffWorkers: noBackoffs };
const settings = { qps: 4500, reconcileSettleMs: 60_000 };

describe('alert state', () => {
  it('reads an account block from the guard hash, and none without a code', () => {
    expect(parseAccountBlock({ code: 'isv.AMOUNT_NOT_ENOUGH', message: 'no balance', since: '1700000000000' })).toEqual({ code: 'isv.AMOUNT_NOT_ENOUGH', sinceMs: 1_700_000_000_000 });
    expect(parseAccountBlock({})).toBeUndefined();
    expect(parseAccountBlock({ code: 'Forbidden.RAM', since: 'x' })).toEqual({ code: 'Forbidden.RAM', sinceMs: 0 });
  });

  it('counts only sends still paused by auto-pause (not resumed, cancelled, operator-paused or expired)', () => {
    expect(
      countAutoPaused([
        ['paused', 'auto-pause: 11 of the last 20 chunks failed'],
        ['active', 'auto-pause: 11 of the last 20 chunks failed'],
        ['paused', 'operator'],
        ['cancelled', 'auto-pause: 12 of the last 20 chunks failed'],
        [null, null],
        ['paused', 'auto-pause: 20 of the last 20 chunks failed'],
      ]),
    ).toBe(2);
  });

  it('judges an indexed send paused (since its state changed), or not and whether it may be paused again', () => {
    expect(judgePausedRecord(['paused', 'paused', 'operator', '1700000000000'])).toEqual({ paused: true, sinceMs: 1_700_000_000_000 });
    expect(judgePausedRecord(['paused', 'paused', 'auto-pause: 11 of the last 20 chunks failed', '5'])).toEqual({ paused: true, sinceMs: 5 });
    expect(judgePausedRecord(['active', 'paused', 'operator', '7'])).toEqual({ paused: true, sinceMs: 7 }); // a record from before the paused state
    expect(judgePausedRecord(['paused', 'paused', WITHDRAWN_REASON, '7'])).toEqual({ paused: false, ended: false }); // smsq_sends_withdrawn's
    expect(judgePausedRecord(['active', 'active', 'resumed', '7'])).toEqual({ paused: false, ended: false }); // may be paused again: left to set-control
    expect(judgePausedRecord(['enqueuing', 'active', 'resumed', '7'])).toEqual({ paused: false, ended: false });
    for (const state of ['sent', 'completed', 'cancelled', 'expired', 'failed']) expect(judgePausedRecord([state, 'active', 'x', '7']), state).toEqual({ paused: false, ended: true });
    expect(judgePausedRecord([null, null, null, null])).toEqual({ paused: false, ended: true });
  });

  it('counts only sends still held by their withdrawal (not taken back, lapsed, moved by an operator or gone)', () => {
    expect(
      heldWithdrawn([
        ['paused', WITHDRAWN_REASON],
        ['active', 'resumed: a retry of its request (same idempotency key) found it confirmed durable'],
        ['cancelled', lapsedReason(600_000)],
        ['paused', 'held by an operator'],
        ['active', WITHDRAWN_REASON],
        [null, null],
      ]),
    ).toEqual([true, false, false, false, false, false]);
  });

  it('reads the withdrawals hash with every outcome, skipping other fields', () => {
    expect(parseWithdrawals({ held: '3', lapsed: '1', odd: '7', 'taken-back': 'x' })).toEqual({ held: 3, cancelled: 0, 'taken-back': 0, lapsed: 1 });
  });

  it('keeps an unknown attempt indexed only while its chunk is at that attempt and in doubt', () => {
    expect(isUnresolved(1, { state: 'unknown', attempt: '1' })).toBe(true);
    expect(isUnresolved(1, { state: 'sending', attempt: '1' })).toBe(true);
    expect(isUnresolved(1, { state: 'accepted', attempt: '1' })).toBe(false);
    expect(isUnresolved(1, { state: 'queued', attempt: '1' })).toBe(false); // not accepted: resent
    expect(isUnresolved(1, { state: 'unknown', attempt: '2' })).toBe(false); // a later attempt is its own entry
    expect(isUnresolved(1, { state: null, attempt: null })).toBe(false); // expired
  });

  it('names one attempt per index member, chunk ids with dots and dashes included', () => {
    const member = unknownOutcomeMember('s-AbC.12-3', 4);
    expect(parseUnknownOutcomeMember(member)).toEqual({ chunkId: 's-AbC.12-3', attempt: 4 });
    expect(parseUnknownOutcomeMember('no-separator')).toBeUndefined();
    expect(parseUnknownOutcomeMember('chunk|x')).toBeUndefined();
  });
});

describe('alert gauges in /metrics', () => {
  it('exports the block with its code, the auto-paused sends, the oldest unknown age, heartbeats and refusals', async () => {
    const text = await renderPrometheus({
      queues: [],
      calls: noCalls,
      settings,
      nowMs: 1_000_000,
      alerts: {
        accountBlock: { code: 'isv.AMOUNT_NOT_ENOUGH', sinceMs: 900_000 },
        autoPausedSends: 2,
        pausedSends: { count: 4, oldestSinceMs: 820_000 },
        withdrawnSends: 3,
        withdrawals: { ...noWithdrawals, held: 5, 'taken-back': 1, lapsed: 1 },
        oldestUnknownSinceMs: 910_000,
        workers: [{ worker: 'host-a:12:abc', lastSeenMs: 999_000 }],
        clockSkews: [{ worker: 'host-a:12:abc', skewMs: -2500 }],
        refusedReceipts: { 'other-attempt': 3 },
        refusedReportFields: { report_time: 2 },
        refusedReplies: { malformed: 5 },
        reconcileResults: { found: 3, 'not-found': 1 },
        housekeepingFailures: [{ name: 'callback', outcome: 'retried', count: 4 }],
        durabilityHeldWorkers: 2,
        liveWorkers: 3,
        backingOffWorkers: { ...noBackoffs, ConnectionRefused: 1, 'RequestNotBuilt.Setup': 1 },
      },
    });
    expect(text).toMatch(/^smsq_redis_up 1$/m);
    expect(text).toMatch(/^smsq_api_call_rate_cap 4500$/m);
    expect(text).toMatch(/^smsq_reconcile_settle_seconds 60$/m);
    expect(text).toMatch(/^smsq_account_blocked\{code="isv.AMOUNT_NOT_ENOUGH"\} 1$/m);
    expect(text).toMatch(/^smsq_sends_auto_paused 2$/m);
    expect(text).toMatch(/^smsq_sends_paused 4$/m);
    expect(text).toMatch(/^smsq_reconcile_results_total\{result="found"\} 3$/m);
    expect(text).toMatch(/^smsq_reconcile_results_total\{result="not-found"\} 1$/m);
    expect(text).toMatch(/^smsq_reconcile_results_total\{result="gave-up"\} 0$/m);
    expect(text).toMatch(/^smsq_sends_paused_oldest_age_seconds 180$/m);
    expect(text).toMatch(/^smsq_worker_clock_skew_seconds\{worker="host-a:12:abc"\} -2\.5$/m);
    expect(text).toMatch(/^smsq_sends_withdrawn 3$/m);
    expect(text).toMatch(/^smsq_send_withdrawals_total\{outcome="held"\} 5$/m);
    expect(text).toMatch(/^smsq_send_withdrawals_total\{outcome="lapsed"\} 1$/m);
    expect(text).toMatch(/^smsq_send_withdrawals_total\{outcome="cancelled"\} 0$/m);
    expect(text).toMatch(/^smsq_unknown_outcome_oldest_age_seconds 90$/m);
    expect(text).toMatch(/^smsq_worker_last_seen_timestamp_seconds\{worker="host-a:12:abc"\} 999$/m);
    expect(text).toMatch(/^smsq_receipts_refused_total\{reason="other-attempt"\} 3$/m);
    expect(text).toMatch(/^smsq_replies_refused_total\{reason="malformed"\} 5$/m);
    expect(text).toMatch(/^smsq_housekeeping_failures_total\{name="callback",outcome="retried"\} 4$/m);
    expect(text).toMatch(/^smsq_housekeeping_failures_total\{name="callback",outcome="given-up"\} 0$/m);
    expect(text).toMatch(/^smsq_workers_durability_held 2$/m);
    expect(text).toMatch(/^smsq_workers_live 3$/m);
    expect(text).toMatch(/^smsq_workers_backing_off\{code="ConnectionRefused"\} 1$/m);
    expect(text).toMatch(/^smsq_workers_backing_off\{code="RequestNotBuilt.Setup"\} 1$/m);
    expect(text).toMatch(/^smsq_workers_backing_off\{code="other"\} 0$/m);
  });

  it('reads the housekeeping failures hash, skipping fields of another shape', () => {
    expect(parseHousekeepingFailures({ 'callback|retried': '3', 'callback|given-up': '1', odd: '2', 'a|b|c': '1' })).toEqual([
      { name: 'callback', outcome: 'retried', count: 3 },
      { name: 'callback', outcome: 'given-up', count: 1 },
    ]);
  });

  it('exports 0 for a healthy account and no unknown outcome, without a code label', async () => {
    const text = await renderPrometheus({ queues: [], calls: noCalls, alerts: quiet, nowMs: 5000 });
    expect(text).toMatch(/^smsq_account_blocked 0$/m);
    expect(text).toMatch(/^smsq_unknown_outcome_oldest_age_seconds 0$/m);
    expect(text).toMatch(/^smsq_sends_auto_paused 0$/m);
    expect(text).toMatch(/^smsq_sends_paused 0$/m);
    expect(text).toMatch(/^smsq_sends_paused_oldest_age_seconds 0$/m);
    expect(text).toMatch(/^smsq_sends_withdrawn 0$/m);
    expect(text).toMatch(/^smsq_send_withdrawals_total\{outcome="held"\} 0$/m);
    expect(text).toMatch(/^smsq_workers_durability_held 0$/m);
    expect(text).toMatch(/^smsq_workers_live 0$/m);
    // Every code from 0, so that a rule's sum over them is 0, not absent.
    for (const code of ['ConnectionRefused', 'HostNotFound', 'RequestNotBuilt.Setup', 'InvalidCredentials', 'other']) expect(text).toMatch(new RegExp(`^smsq_workers_backing_off\\{code="${code}"\\} 0$`, 'm'));
    expect(text).toMatch(/^smsq_receipts_refused_total\{reason="not-recipient"\} 0$/m);
    expect(text).toMatch(/^smsq_replies_refused_total\{reason="malformed"\} 0$/m);
    expect(text).not.toMatch(/^smsq_api_call_rate_cap /m); // no settings given
  });

  it('says only smsq_redis_up 0, the settings and the process while Redis does not answer', async () => {
    const text = await renderRedisDown({ settings });
    const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(samples).toEqual(['smsq_redis_up 0', 'smsq_api_call_rate_cap 4500', 'smsq_reconcile_settle_seconds 60']);
  });
});
