/**
 * Why a send is waiting, and how fast it goes: the one answer `smsq status` and
 * `GET /v1/sends/:id` give (docs/receipts-and-controls.md, "Why a send waits"). Pure: the facts
 * are read by the producer (send-wait-facts.ts) and passed in with the time.
 */
import { clockTime, formatTime } from '../china-time.js';
import { isSendEnded, type SendState } from './lifecycle.js';
import type { MessageKind } from './kinds.js';
import { quietHoursText, quietUntil, type QuietHours } from './quiet-hours.js';
import { workerText, type AccountBlock, type BlockingWorker } from './account-block.js';
import { STALLED_CHECK_MS, type LostCalls } from './lost-calls.js';
import type { DurabilityHolds } from './durability-holds.js';
import type { EndpointBackoffs } from './endpoint-backoffs.js';
import { INVALID_CREDENTIALS, isWorkerSetupFault, lookupCode, setupFixTail } from '../sms/error-codes.js';
import { isWithdrawn } from './withdrawal.js';
import { enqueueStoppedText, isEnqueueStopped } from './stopped-pause.js';
import { NO_WORKER_MEANS } from './worker-presence.js';
import { lookupReach, receiptPolicyText, type ReceiptPolicies } from './receipt-policy.js';
import { inEnvironmentTerms } from '../setting-mention.js';
import { LOOKUP_RETRY_CAP_MS } from './follow-ups.js';

/** The reason a pause records when the operator gives none; said once when the wait is put in words. */
export const OPERATOR_PAUSE_REASON = 'paused by an operator';

/** Why a send is not moving on by itself right now. */
export type SendWait =
  /** Its producer is still writing its chunks. */
  | { reason: 'enqueuing' }
  /** Marketing inside quiet hours: its chunks wait for the window to open (ms). */
  | { reason: 'quiet-hours'; until: number }
  /**
   * Marketing with queued recipients, and the live workers have different quiet hours (their
   * SMSQ_QUIET_HOURS, `off` for none), at least one of which holds now: what happens depends on
   * which worker takes a chunk. `until`: when the first of them opens, when every one holds now.
   */
  | { reason: 'quiet-hours-disagree'; settings: string[]; until?: number }
  /**
   * Paused by an operator or by auto-pause, with the reason recorded; `stopped`: its campaign's
   * enqueue was stopped by its caller (Ctrl-C on smsq campaign: stopped-pause.ts), holding what was
   * read; or `withdrawn`: its enqueue was not confirmed durable (withdrawal.ts), and it waits for a
   * retry of its request to take it back.
   */
  | { reason: 'paused'; by: 'operator' | 'auto-pause' | 'stopped' | 'withdrawn'; detail: string }
  /** The account is blocked (all sending stops until it is fixed and resumed): the Dysmsapi code, and the worker that hit it when known. */
  | { reason: 'account-blocked'; code: string; detail: string; since: number; worker?: BlockingWorker }
  /**
   * `workers` live workers make no new call because Redis does not keep their durability mode
   * (SMSQ_DURABILITY; src/durability/watch.ts): its queued chunks wait, nothing is lost.
   * `refusals`: their distinct reasons, each naming the setting and its fix.
   */
  | { reason: 'durability-held'; workers: number; refusals: string[] }
  /**
   * Every live worker backs off from an SMS_ENDPOINT it cannot reach (workers/endpoint-backoff.ts):
   * `workers` of them take no job, and put back what they took, counting no attempt. `fault`: the
   * code they meet (`ConnectionRefused`, `HostNotFound`) at `endpoint` (host[:port]; '' when not
   * known), that of most of them; `others`: any other they meet. `until`: when the first of their
   * back-off steps ends (ms; just past while it takes a job again).
   */
  | { reason: 'endpoint-unreachable'; workers: number; until: number; fault: string; endpoint: string; others?: { fault: string; endpoint: string }[] }
  /**
   * Every live worker backs off because its own setup cannot build a request (RequestNotBuilt.Setup:
   * the AccessKey ID or STS token its credential provider returned, or its userAgent option, holds
   * a character no HTTP header can carry; workers/endpoint-backoff.ts): `workers` of them take no
   * job, and put back what they took, counting no attempt. `fault`: the code most of them meet;
   * `others`: any other fault some meet (an endpoint's with its host[:port], '' for none). `until`:
   * when the first of their back-off steps ends. Each worker's log names the setting and its fix.
   */
  | { reason: 'worker-setup-fault'; workers: number; until: number; fault: string; others?: { fault: string; endpoint: string }[] }
  /**
   * Dysmsapi throttled the account: every worker waits until `until` (ms), or, once that pause is
   * over, `times` throttle answers in the last minute say it may come again (`until` then past).
   * `actions`: the Dysmsapi actions the latest answers throttled (SendSms, SendBatchSms,
   * QuerySendDetails), most first, when the workers logged them (throttle-log.ts): the fix depends on it.
   */
  | { reason: 'throttled'; until: number; times?: number; actions?: string[] }
  /**
   * The worker calling `chunks` chunks (`recipients` recipients) stopped mid-call: their BullMQ
   * job is active without its lock (lost-calls.ts). They stay `sending` until a running worker's
   * stalled-job check (every `checkEveryMs`) hands the job back; the worker that takes it looks the
   * attempt up (QuerySendDetails) before anything is resent. `noWorker`: none runs to do it.
   */
  | { reason: 'worker-lost'; chunks: number; recipients: number; checkEveryMs: number; noWorker?: true }
  /**
   * `chunks` chunks (`recipients` recipients) were left `queued`, `sending` or `unknown` by a send
   * or look-up job BullMQ failed without smsq recording it (its worker killed before its failure
   * handler's writes, Redis refusing them, another program failing it through BullMQ's API), and no
   * job of theirs will act (src/repair/chunk-jobs.ts): nothing moves them until the repair sweep
   * (every worker's SMSQ_REPAIR_INTERVAL_MS, or `smsq repair`) looks them up before anything is
   * resent. `jobId` and `failedReason`: one of those jobs and BullMQ's reason.
   */
  | { reason: 'job-failed'; chunks: number; recipients: number; jobId: string; failedReason: string }
  /**
   * `chunks` chunks (`recipients` recipients) are `queued`, `sending` or `unknown`, unchanged for a
   * minute, with no job at all (removed from the queue, by Bull Board's clean or empty with write
   * access or by hand, or lost with Redis writes): as `job-failed`, nothing moves them until the
   * repair sweep. Looked for in a send of at most 64 chunks only (src/repair/chunk-jobs.ts).
   */
  | { reason: 'job-missing'; chunks: number; recipients: number }
  /**
   * `recipients` recipients are in doubt (`unknown`): their call timed out or failed in transit, so
   * whether Dysmsapi accepted it is not known. Each is looked up (QuerySendDetails) before anything
   * is resent; a look-up that cannot be made (Dysmsapi still unreachable) is tried again, at most
   * `retryWithinMs` later (follow-ups.ts, LOOKUP_RETRY_CAP_MS).
   */
  | { reason: 'in-doubt'; recipients: number; retryWithinMs: number }
  /** Every queued chunk of the send waits for a per-number flow-control window (isv.BUSINESS_LIMIT_CONTROL) and goes again at `retryAt` (ms). */
  | { reason: 'flow-control'; retryAt: number }
  /**
   * No worker serves the prefix (none connected to the queue, no heartbeat in the last few seconds:
   * worker-presence.ts): nothing is sent until one starts. `quietUntil`: a marketing send with
   * queued recipients inside quiet hours, when they end (ms): a worker started before then holds
   * its chunks until then.
   */
  | { reason: 'no-worker'; quietUntil?: number }
  /**
   * Everything is sent; `pending` recipients wait for a receipt, at the latest until the window
   * ends (ms). `lookups`: the kind's SMSQ_RECEIPT_LOOKUPS (`marketing=sample:0.05`), which decides
   * how they settle: `lookedUp` of them are looked up (QuerySendDetails), and the other
   * `pushedOnly` settle only by a pushed report, or expire at `until`. A sampled send too large to
   * count on each status (send-wait-facts.ts, readLookedUpPending) gives `lookedUpAbout` instead:
   * the sample's share of `pending`, an upper estimate, as look-ups settle the sampled first.
   * `lookupsHeld`: what keeps the workers from looking any of them up now, when something does
   * ({@link LookupsHold}); absent when none is looked up, as a pushed report needs no worker.
   */
  | { reason: 'receipts'; pending: number; until: number; lookups: string; lookedUp?: number; pushedOnly?: number; lookedUpAbout?: number; lookupsHeld?: LookupsHold };

/**
 * What keeps the workers from looking up a sent send's receipts now (receipt look-ups are
 * QuerySendDetails calls made by workers, from jobs on the calls queue): the account block (the
 * queue is paused), no worker, every live worker backing off from its endpoint or its own setup
 * (they take no job), or a throttle pause now (no job starts). A durability hold is not one: it
 * holds send claims only, and look-ups go on (send-processor.ts claimsHeld).
 */
export type LookupsHold = Extract<SendWait, { reason: 'account-blocked' | 'no-worker' | 'endpoint-unreachable' | 'worker-setup-fault' | 'throttled' }>;

/** How fast a send goes and when it should be sent, at that pace. */
export interface SendPace {
  /** Recipients past the API per second while it was active (not paused), since it first became active. */
  rate: number;
  /** When every recipient should be past the API at `rate` (ms); absent when nothing is left or nothing moves. */
  estimatedSentAt?: number;
}

/** A send's chunks left `queued`, `sending` or `unknown` with no job that will act on them (src/repair/chunk-jobs.ts readStrandedChunks). */
export interface StrandedChunks {
  /** Left so by a send or look-up job BullMQ failed (`job-failed`): one of those jobs and BullMQ's reason. */
  failed?: { chunks: number; recipients: number; jobId: string; failedReason: string };
  /** With no job at all (`job-missing`): removed from the queue, or lost with Redis writes. Looked for in a send of at most 64 chunks only. */
  missing?: { chunks: number; recipients: number };
}

/** The state of the account and the queue that every send shares. */
export interface WaitFacts {
  /** The asker's clock: the calendar the quiet hours are judged on here. */
  now: number;
  /**
   * Redis's clock when the facts were read (redisNowMs): what the workers' stamps among them (a
   * throttle's end, a flow-control retry) are judged against, as the workers' clocks are kept near
   * it and the asker's may be off; `now` when absent.
   */
  redisNow?: number;
  /** This process's quiet hours: used only when no live worker has said its own (`workerQuietHours`). */
  quietHours: QuietHours | undefined;
  /** The distinct quiet hours (undefined: off) of the live workers (worker-settings.ts); absent or empty when none has said. */
  workerQuietHours?: readonly (QuietHours | undefined)[];
  /** The account block (keys.account()), if any. */
  accountBlock?: AccountBlock;
  /** The live workers that hold their claims for durability (durability-holds.ts), if any. */
  durabilityHolds?: DurabilityHolds;
  /** The live workers' endpoint back-offs (endpoint-backoffs.ts), when every live worker backs off. */
  endpointBackoffs?: EndpointBackoffs;
  /** Until when Dysmsapi's throttling holds every worker (ms), if it does. */
  throttledUntil?: number;
  /**
   * Throttle answers in the last minute and when the latest pause ends (ms), if any, and the
   * Dysmsapi actions the latest of them throttled, most first (throttle-log.ts throttledActions).
   */
  recentThrottles?: { times: number; lastUntil: number; actions?: readonly string[] };
  /** The receipt window (ms after acceptance). */
  receiptWindowMs: number;
  /** SMSQ_RECEIPT_LOOKUPS, per kind: which of a sent send's recipients are looked up, and which wait for a pushed report only. */
  receiptLookups: ReceiptPolicies;
  /**
   * Of the send's accepted recipients still without a receipt, those its kind's sample looks up,
   * counted (send-wait-facts.ts, readLookedUpPending); undefined when not counted.
   */
  lookedUpPending?: number;
  /** When the send's queued chunks, all refused by per-number flow control, go again (ms); send-wait-facts.ts. */
  flowControlRetryAt?: number;
  /** Workers serving the prefix (src/queue/worker-presence.ts); undefined when not known. */
  workers?: number;
  /** The send's chunks left `sending` by a worker that stopped mid-call (lost-calls.ts), if any. */
  lostCalls?: LostCalls;
  /** The send's chunks no job will send or settle (chunk-jobs.ts): left by a job BullMQ failed without smsq recording it, or with none. */
  stranded?: StrandedChunks;
}

/** What the wait needs of a send's status. */
export interface WaitInput {
  send: { kind: MessageKind; state: SendState; stateChangedAt: number; controlReason?: string; history: readonly { state: SendState; at: number }[] };
  counts: Readonly<Record<'queued' | 'sending' | 'unknown' | 'accepted' | 'delivered' | 'failed' | 'expired', number>>;
}

const unsentOf = (c: WaitInput['counts']) => c.queued + c.sending + c.unknown;

/** Why `status` waits now, or undefined when it is moving (or has ended). */
export function sendWait(status: WaitInput, facts: WaitFacts): SendWait | undefined {
  const { state } = status.send;
  if (isSendEnded(state)) return undefined;
  if (state === 'paused') {
    const detail = status.send.controlReason ?? '';
    const by = isWithdrawn(status.send) ? 'withdrawn' : detail.startsWith('auto-pause') ? 'auto-pause' : isEnqueueStopped(detail) ? 'stopped' : 'operator';
    return { reason: 'paused', by, detail };
  }
  if (state === 'enqueuing') return { reason: 'enqueuing' };
  if (unsentOf(status.counts) > 0) {
    const blocked = accountBlockedWait(facts);
    if (blocked) return blocked;
    // Before throttling and quiet hours, which end by themselves: this one waits for an operator's fix.
    if (facts.durabilityHolds && status.counts.queued > 0) return { reason: 'durability-held', workers: facts.durabilityHolds.workers, refusals: [...facts.durabilityHolds.refusals] };
    // After the account block and a durability hold: those stop every call whatever the endpoint
    // does, and a held worker makes none, so a back-off it said is older news. Before throttling,
    // worker-lost, quiet hours and flow control: none of the send's chunks goes out, nor is an
    // attempt in doubt looked up, while no worker reaches SMS_ENDPOINT, whatever else holds them;
    // those end by themselves, this one may need SMS_ENDPOINT fixed. Queued chunks wait for a
    // worker, unknown ones for their look-up, and a `sending` one is a call to that endpoint, put
    // back in a moment (said as a wait too, or status would flicker at every back-off step). Not
    // without a worker: then `no-worker` says it.
    // Every worker backing off from its own setup (a credential that cannot go into a header) holds
    // the send the same way: named by the fault most of them meet.
    const backingOff = facts.workers !== 0 ? backoffWait(facts) : undefined;
    if (backingOff) return backingOff;
    const workersNow = facts.redisNow ?? facts.now;
    // Before quiet hours and no-worker: they hold queued chunks, and `sending` with no reason reads as a call going on.
    if (facts.lostCalls) {
      return { reason: 'worker-lost', ...facts.lostCalls, checkEveryMs: STALLED_CHECK_MS, ...(facts.workers === 0 ? { noWorker: true as const } : {}) };
    }
    // Before quiet hours and no-worker too: no worker will take these chunks, whatever holds the others.
    if (facts.stranded?.failed) return { reason: 'job-failed', ...facts.stranded.failed };
    if (facts.stranded?.missing) return { reason: 'job-missing', ...facts.stranded.missing };
    const quiet = status.send.kind === 'marketing' && status.counts.queued > 0 ? quietWait(facts) : undefined;
    // Before quiet hours: no worker holds longer (nothing moves when they end), and said after them
    // it was never seen, an operator waiting for 08:00 for nothing. They still hold once one starts.
    if (facts.workers === 0) return { reason: 'no-worker', ...(quiet?.until !== undefined ? { quietUntil: quiet.until } : {}) };
    if (quiet) return quiet;
    // After what holds longer than a throttle pause (about a second; each of those above holds for
    // minutes or hours, or until someone acts): a marketing campaign in quiet hours was said to be
    // throttled, with "lower SMS_QPS", while no chunk of it was even claimed, and read as quiet
    // hours only once the throttling (of other sends' calls) stopped.
    const pause = throttlePause(facts);
    if (pause) return pause;
    if (facts.flowControlRetryAt !== undefined && facts.flowControlRetryAt > workersNow && status.counts.sending + status.counts.unknown === 0) {
      return { reason: 'flow-control', retryAt: facts.flowControlRetryAt };
    }
    // Recipients in doubt with nothing left queued wait for their look-ups, which throttle answers
    // of the last minute do not hold (a pause now, said above, does): throttling named here sent
    // the operator to lower SMS_QPS while the calls had timed out.
    const inDoubt = status.counts.unknown > 0 ? { reason: 'in-doubt' as const, recipients: status.counts.unknown, retryWithinMs: LOOKUP_RETRY_CAP_MS } : undefined;
    if (inDoubt && status.counts.queued === 0) return inDoubt;
    // Between pauses too: a send throttled again and again is held back by it, though no pause holds it this instant.
    if (facts.recentThrottles?.times) return { reason: 'throttled', until: facts.recentThrottles.lastUntil, ...throttledDetail(facts) };
    return inDoubt;
  }
  if (status.counts.accepted > 0) return receiptsWait(status, facts);
  return undefined;
}

/** The throttle answers of the last minute and the actions they throttled, as a throttled wait gives them. */
function throttledDetail(facts: WaitFacts): { times?: number; actions?: string[] } {
  const recent = facts.recentThrottles;
  return { ...(recent?.times ? { times: recent.times } : {}), ...(recent?.actions?.length ? { actions: [...recent.actions] } : {}) };
}

/** The throttle pause every worker is in now, if any (judged on Redis's time, as the workers stamp it). */
function throttlePause(facts: WaitFacts): Extract<SendWait, { reason: 'throttled' }> | undefined {
  const workersNow = facts.redisNow ?? facts.now;
  if (facts.throttledUntil === undefined || facts.throttledUntil <= workersNow) return undefined;
  return { reason: 'throttled', until: facts.throttledUntil, ...throttledDetail(facts) };
}

/**
 * What keeps the workers from looking receipts up now, if anything: the account block first (it
 * waits for an operator's fix, whatever runs), then no worker (none to back off or pause), then
 * every live worker backing off, then a throttle pause. Throttle answers of the last minute are
 * not one: between pauses look-ups go on.
 */
function lookupsHold(facts: WaitFacts): LookupsHold | undefined {
  const blocked = accountBlockedWait(facts);
  if (blocked) return blocked;
  if (facts.workers === 0) return { reason: 'no-worker' };
  return backoffWait(facts) ?? throttlePause(facts);
}

/** The account block as a wait, if the account is blocked. */
function accountBlockedWait(facts: WaitFacts): Extract<SendWait, { reason: 'account-blocked' }> | undefined {
  if (!facts.accountBlock) return undefined;
  const { code, message, since, worker } = facts.accountBlock;
  return { reason: 'account-blocked', code, detail: message, since, ...(worker ? { worker } : {}) };
}

/** Every live worker backing off (given only then: send-wait-facts.ts), named by the fault most of them meet: their endpoint's, or their own setup's. */
function backoffWait(facts: WaitFacts): Extract<SendWait, { reason: 'endpoint-unreachable' | 'worker-setup-fault' }> | undefined {
  const backoffs = facts.endpointBackoffs;
  if (!backoffs) return undefined;
  const { until, fault, endpoint, others } = backoffs;
  const rest = others.length ? { others: others.map((o) => ({ ...o })) } : {};
  if (isWorkerSetupFault({ code: fault })) return { reason: 'worker-setup-fault', workers: backoffs.workerIds.length, until, fault, ...rest };
  return { reason: 'endpoint-unreachable', workers: backoffs.workerIds.length, until, fault, endpoint, ...rest };
}

/** The wait of a send past the API for its receipts: how many, how they come, and until when. */
function receiptsWait(status: WaitInput, facts: WaitFacts): SendWait {
  // The last recipient went past the API when the send became `sent`: its window ends last.
  const sentAt = status.send.history.findLast((c) => c.state === 'sent')?.at ?? status.send.stateChangedAt;
  const { kind } = status.send;
  const policy = facts.receiptLookups[kind];
  const pending = status.counts.accepted;
  const wait = { reason: 'receipts' as const, pending, until: sentAt + facts.receiptWindowMs, lookups: `${kind}=${receiptPolicyText(policy)}` };
  const reach = lookupReach(policy);
  // A count made in another read than the counts may be behind a receipt that came between the two.
  const lookedUp = reach === 'all' ? pending : reach === 'none' ? 0 : facts.lookedUpPending === undefined ? undefined : Math.min(facts.lookedUpPending, pending);
  const lookedUpAbout = lookedUp === undefined ? Math.round(pending * policy.sampleRate) : undefined;
  // Only receipts smsq looks up wait for a worker: a pushed report is taken by the server (POST
  // /reports) or by whatever pulls them, not by a look-up.
  const held = (lookedUp ?? lookedUpAbout ?? 0) > 0 ? lookupsHold(facts) : undefined;
  const hold = held ? { lookupsHeld: held } : {};
  if (lookedUpAbout !== undefined) return { ...wait, lookedUpAbout, ...hold };
  return { ...wait, lookedUp: lookedUp as number, pushedOnly: pending - (lookedUp as number), ...hold };
}

/** Whether quiet hours hold marketing now, as the workers have them (the local setting when none said). */
function quietWait(facts: WaitFacts): Extract<SendWait, { reason: 'quiet-hours' | 'quiet-hours-disagree' }> | undefined {
  const settings = facts.workerQuietHours?.length ? facts.workerQuietHours : [facts.quietHours];
  const ends = settings.map((q) => quietUntil(facts.now, q));
  if (ends.every((end) => end === 0)) return undefined;
  if (settings.length === 1) return { reason: 'quiet-hours', until: ends[0] as number };
  const texts = settings.map((q) => (q ? quietHoursText(q) : 'off'));
  return { reason: 'quiet-hours-disagree', settings: texts, ...(ends.every((end) => end > 0) ? { until: Math.min(...ends) } : {}) };
}

/** Milliseconds the send spent active (not paused, not enqueuing) from its first `active` until `now`. */
function activeMs(history: WaitInput['send']['history'], now: number): number {
  let total = 0;
  history.forEach((c, i) => {
    if (c.state !== 'active') return;
    const end = history[i + 1]?.at ?? now;
    total += Math.max(0, end - c.at);
  });
  return total;
}

/**
 * The pace of a send: its rate while active, and when it should be sent at that rate; no estimate
 * while something holds it (`wait`: quiet hours, throttling), or it would slide on.
 * None unless it is `active`: a paused send's rate would read as going on, and a send past the API
 * (sent) or ended has no pace left to tell. None either while no worker runs (`workers` 0, as
 * {@link WaitFacts.workers}): nothing is sending, and its rate, an average over its active time,
 * would read as sending going on (after a worker's forced exit, say).
 */
export function sendPace(status: WaitInput, now: number, wait?: SendWait, workers?: number): SendPace | undefined {
  if (status.send.state !== 'active' || workers === 0) return undefined;
  const c = status.counts;
  const past = c.accepted + c.delivered + c.failed + c.expired;
  const ms = activeMs(status.send.history, now);
  const rate = ms > 0 ? Math.round((past / (ms / 1000)) * 10) / 10 : 0;
  const unsent = unsentOf(c);
  const moving = unsent > 0 && rate > 0 && wait === undefined;
  return { rate, ...(moving ? { estimatedSentAt: now + Math.ceil((unsent / rate) * 1000) } : {}) };
}

/**
 * The wait in words, for text output: `quiet hours until 08:00 China time`, ... `sendId`: the
 * send's, for the commands a wait names (`SEND_ID` without it). In the terms of the CLI and the
 * server, its readers: a worker's durability refusal, kept as it named the settings for any reader
 * (`` `durability.mode: "fsync"` ``), is said as the environment names them.
 */
export function waitText(wait: SendWait, sendId?: string): string {
  switch (wait.reason) {
    case 'enqueuing':
      return 'its producer is still writing its chunks';
    case 'no-worker': {
      const quiet = wait.quietUntil === undefined ? '' : `; then marketing quiet hours hold it until ${clockTime(wait.quietUntil)} China time (${formatTime(wait.quietUntil)})`;
      return `no worker serves its SMSQ_PREFIX: ${NO_WORKER_MEANS}; nothing is sent until one starts: smsq worker${quiet}`;
    }
    case 'quiet-hours':
      return `marketing quiet hours until ${clockTime(wait.until)} China time (${formatTime(wait.until)})`;
    case 'quiet-hours-disagree':
      return `workers disagree on marketing quiet hours (SMSQ_QUIET_HOURS ${wait.settings.join(', ')}): ${
        wait.until === undefined ? 'some hold its chunks now, others send them' : `none sends before ${clockTime(wait.until)} China time (${formatTime(wait.until)})`
      }; give every worker the same SMSQ_QUIET_HOURS`;
    case 'worker-lost': {
      const what = `${wait.recipients} recipient${wait.recipients === 1 ? '' : 's'} in ${wait.chunks} chunk${wait.chunks === 1 ? '' : 's'}`;
      const lookUp = 'looked up (QuerySendDetails) before anything is resent';
      return wait.noWorker
        ? `the worker calling ${what} stopped mid-call (its job's lock lapsed), and no worker runs to take the job back: start one (smsq worker); they are ${lookUp}`
        : `the worker calling ${what} stopped mid-call (its job's lock lapsed): a running worker's stalled-job check takes the job back within about ${Math.round(wait.checkEveryMs / 1000)} s, and they are ${lookUp}`;
    }
    case 'job-failed':
    case 'job-missing': {
      const what = `${wait.recipients} recipient${wait.recipients === 1 ? '' : 's'} in ${wait.chunks} chunk${wait.chunks === 1 ? '' : 's'}`;
      const why =
        wait.reason === 'job-failed'
          ? `left unsent by a job BullMQ failed without smsq recording it (${wait.jobId}: ${wait.failedReason})`
          : 'left unsent with no job in the queue (removed, by Bull Board\'s clean or empty or by hand, or lost with Redis writes)';
      return (
        `${what} ${why}: no job will send them. ` +
        `The repair sweep looks them up (QuerySendDetails) before anything is resent, then sends what was not accepted, at its next round (every worker's SMSQ_REPAIR_INTERVAL_MS, 5 min by default); \`smsq repair\` runs one now`
      );
    }
    case 'in-doubt': {
      const one = wait.recipients === 1;
      return (
        `${wait.recipients} recipient${one ? '' : 's'} in doubt: ${one ? 'its call' : 'their calls'} timed out or failed in transit, so whether Dysmsapi accepted ${one ? 'it' : 'them'} is unknown; ` +
        `${one ? 'it is' : 'they are'} looked up (QuerySendDetails) before anything is resent, a look-up that fails tried again within ${Math.round(wait.retryWithinMs / 1000)} s ` +
        '(if Dysmsapi does not answer, check SMS_ENDPOINT and the network, or Alibaba Cloud\'s status)'
      );
    }
    case 'flow-control':
      return `per-number flow control (isv.BUSINESS_LIMIT_CONTROL): retried at ${clockTime(wait.retryAt)} China time (${formatTime(wait.retryAt)})`;
    case 'paused':
      if (wait.by === 'withdrawn') {
        // These words are said only by `smsq status` and the campaigns page of `smsq server`, both
        // configured by the environment (the Node API returns the wait itself, `{ reason, by }`, and
        // no text), and computed as they are read, not kept: so the variable, as their other waits
        // name SMSQ_PREFIX and SMSQ_QUIET_HOURS. A reason kept on the send is another matter (withdrawal.ts).
        return (
          'withdrawn at enqueue: its writes were not confirmed durable in time (WAIT), so its request was refused SMSQ_NOT_DURABLE; ' +
          'the retry of that request with the same idempotency key resumes it once the replicas confirm it, and the repair sweep cancels it if none comes within SMSQ_REPAIR_ENQUEUE_GRACE_MS (10 min by default); ' +
          'resume or cancel it yourself if its caller will not retry'
        );
      }
      if (wait.by === 'stopped') return enqueueStoppedText(wait.detail, sendId);
      // The default reason is these very words: said once.
      return wait.by === 'auto-pause'
        ? `paused by auto-pause (${wait.detail}): fix the cause, then resume or cancel`
        : `${OPERATOR_PAUSE_REASON}${wait.detail && wait.detail !== OPERATOR_PAUSE_REASON ? ` (${wait.detail})` : ''}: resume to continue`;
    case 'account-blocked':
      return `account blocked since ${formatTime(wait.since)} (${wait.code}${wait.detail ? `: ${wait.detail}` : ''})${wait.worker ? ` by ${workerText(wait.worker)}` : ''}: fix the account, or that worker's environment if others send with it, then smsq resume`;
    case 'durability-held':
      return `${wait.workers === 1 ? '1 worker makes' : `${wait.workers} workers make`} no new call until Redis keeps the durability mode again (jobs wait, nothing is lost): ${wait.refusals.map(inEnvironmentTerms).join(' / ')}`;
    case 'endpoint-unreachable':
      return endpointWaitText(wait);
    case 'worker-setup-fault':
      return setupWaitText(wait);
    case 'throttled':
      return throttledWaitText(wait);
    case 'receipts':
      return receiptsWaitText(wait);
  }
}

const LOOKUP_ACTION = 'QuerySendDetails';

/**
 * Throttling in words, with the fix that fits the calls throttled: receipt look-ups share the
 * account's cap with sends (SMS_QPS paces both), and another client of the same AccessKey takes
 * its share of the cap unseen, so "lower SMS_QPS" alone was advice for one case of three.
 */
function throttledWaitText(wait: Extract<SendWait, { reason: 'throttled' }>): string {
  const actions = wait.actions ?? [];
  const of = actions.length ? ` (${actions.join(', ')})` : '';
  if (!wait.times) return `throttled by Dysmsapi${of}: every worker waits until ${formatTime(wait.until)}`;
  const lookups = actions.includes(LOOKUP_ACTION);
  const fix =
    lookups && actions.length === 1
      ? `the throttled calls are receipt look-ups (${LOOKUP_ACTION}), which share the account's cap with sends (SMS_QPS paces both), as does any other client calling with the same AccessKey: ` +
        'if it goes on, lower SMS_QPS, look fewer up (SMSQ_RECEIPT_LOOKUPS), or have the cap raised'
      : `if it goes on, the account's cap is below SMS_QPS${lookups ? ` (receipt look-ups, ${LOOKUP_ACTION}, share it with sends)` : ''}, ` +
        'or another client calling with the same AccessKey takes part of it: lower SMS_QPS or have the cap raised';
  return `throttled by Dysmsapi ${wait.times} time${wait.times === 1 ? '' : 's'} in the last minute${of}, every worker pausing after each (the latest until ${formatTime(wait.until)}): ${fix}`;
}

/**
 * How the receipts of a send past the API come, in words: looked up, or waited for from a pushed
 * report only (out of the sample, or not looked up at all) until they expire; and, first, what
 * keeps the workers from looking them up now, when something does.
 */
function receiptsWaitText(wait: Extract<SendWait, { reason: 'receipts' }>): string {
  const held = wait.lookupsHeld;
  if (!held) return receiptsComeText(wait);
  return `no receipt is looked up (QuerySendDetails) now: ${lookupsHoldText(held)}. Meanwhile ${receiptsComeText(wait)}`;
}

/** What holds the look-ups, in words: the wait's own, but for no worker, whose own speaks of sending. */
function lookupsHoldText(held: LookupsHold): string {
  if (held.reason === 'no-worker') return `no worker serves its SMSQ_PREFIX: ${NO_WORKER_MEANS}; start one: smsq worker`;
  return waitText(held);
}

function receiptsComeText(wait: Extract<SendWait, { reason: 'receipts' }>): string {
  const who = `${wait.pending} recipient${wait.pending === 1 ? '' : 's'}`;
  const setting = `SMSQ_RECEIPT_LOOKUPS ${wait.lookups}`;
  const at = formatTime(wait.until);
  const expire = (n: number) => `${n === 1 ? 'it expires' : 'they expire'} at ${at}`;
  const { lookedUp, pushedOnly } = wait;
  if (lookedUp === undefined || pushedOnly === undefined) {
    return (
      `waiting for receipts of ${who}: at most about ${wait.lookedUpAbout ?? 0} looked up (QuerySendDetails; a sample, not counted in a send this large), ` +
      `the rest not (${setting}): only a pushed report settles those, or they expire at ${at}`
    );
  }
  if (pushedOnly === 0) return `waiting for receipts of ${who}, looked up (QuerySendDetails; ${setting}), at the latest until ${at}`;
  if (lookedUp === 0) return `waiting for receipts of ${who}, not looked up (${setting}): only a pushed report settles ${wait.pending === 1 ? 'it' : 'them'}, or ${expire(wait.pending)}`;
  return `waiting for receipts of ${who}: ${lookedUp} looked up (QuerySendDetails), ${pushedOnly} not (${setting}): only a pushed report settles ${pushedOnly === 1 ? 'that one' : 'those'}, or ${expire(pushedOnly)}`;
}

const endpointAt = (endpoint: string) => (endpoint ? `SMS_ENDPOINT=${endpoint}` : 'SMS_ENDPOINT');

/** The other faults some of the workers meet: `; some meet ConnectionRefused at SMS_ENDPOINT=...`, or ''. */
function othersText(others: { fault: string; endpoint: string }[] | undefined): string {
  if (!others?.length) return '';
  return `; some meet ${others.map((o) => (isWorkerSetupFault({ code: o.fault }) ? o.fault : `${o.fault} at ${endpointAt(o.endpoint)}`)).join(', ')}`;
}

/** What the backing-off workers do meanwhile, in one clause after the colon. */
function backingOffText(workers: number, until: number): string {
  const one = workers === 1;
  return (
    `${one ? 'it takes' : 'they take'} no job until ${formatTime(until)}, then ${one ? 'tries' : 'try'} again (backing off, doubling while it lasts), ` +
    `and ${one ? 'puts back what it took' : 'put back what they took'} without counting an attempt: jobs wait, nothing is lost`
  );
}

function endpointWaitText(wait: Extract<SendWait, { reason: 'endpoint-unreachable' }>): string {
  const who = wait.workers === 1 ? '1 worker cannot reach' : `none of the ${wait.workers} workers reaches`;
  return `${who} ${endpointAt(wait.endpoint)} (${wait.fault}${othersText(wait.others)}): ${backingOffText(wait.workers, wait.until)}. Fix: ${endpointFix(wait.fault)}`;
}

function setupWaitText(wait: Extract<SendWait, { reason: 'worker-setup-fault' }>): string {
  const one = wait.workers === 1;
  // Status has the code, not the message: the worker's warn line says what its chain or Node said.
  if (wait.fault === INVALID_CREDENTIALS) {
    const who = one ? '1 worker resolves' : `none of the ${wait.workers} workers resolves`;
    return (
      `${who} no credential from its default chain (${wait.fault}${othersText(wait.others)}): ${backingOffText(wait.workers, wait.until)}. ` +
      `Fix: give ${one ? 'that process' : 'those processes'} a credential (ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET, a profile, or a RAM role whose instance metadata answers; ${one ? 'its' : 'their'} log says what the chain met); ` +
      'a worker goes on by itself at its first answered call'
    );
  }
  const who = one ? '1 worker cannot' : `none of the ${wait.workers} workers can`;
  return (
    `${who} build a request from its own setup (${wait.fault}${othersText(wait.others)}): ${backingOffText(wait.workers, wait.until)}. ` +
    `Fix: correct the setting ${one ? 'its' : 'their'} log names at each back-off step (code ${wait.fault}): the AccessKey ID or STS token its credential provider returns ` +
    "(ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_SECURITY_TOKEN, a credentials profile) or the client's userAgent option, then restart it"
  );
}

/** What a person does about `fault`: the error table's fix (docs/errors.md), without what the workers do meanwhile. */
function endpointFix(fault: string): string {
  const info = lookupCode(fault)?.info;
  return info ? setupFixTail(info.action) : 'correct SMS_ENDPOINT, or check the network between the workers and it';
}
