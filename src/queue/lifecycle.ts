/**
 * The lifecycles of smsq's records, declared once: every state a chunk or a send can be in, and
 * every transition between them with the trigger that fires it and what it records. The chunk
 * store and the send store refuse a trigger this table does not declare before they call Redis,
 * and their Lua scripts receive the table itself (lifecycle-lua.ts generates it into each script
 * at load), so TypeScript and Lua cannot disagree about which move is allowed.
 * docs/lifecycle.md is drawn from this file (`npm run docs`).
 */
import { UndeclaredTransitionError, type SmsqCode } from '../errors.js';

/** The pseudo-state a creating transition starts from: the record does not exist yet. */
export const NEW = 'new';

export interface Transition<S extends string = string, T extends string = string> {
  /** What fires it, as callers name it. A trigger may have several rows (one per from-state group). */
  readonly trigger: T;
  /** The states it leaves, or {@link NEW} for a transition that creates the record. */
  readonly from: readonly S[] | typeof NEW;
  readonly to: S;
  /** Fields it writes besides `state` and `updatedAt`. */
  readonly records: readonly string[];
  /** Counters it adds one to, each time it applies (a field no other row writes). */
  readonly counts?: readonly string[];
  /** The code it records, when it always records the same one. */
  readonly code?: SmsqCode;
  /**
   * The in-doubt states ({@link UNSENT_CHUNK_STATES}) from which a caller naming a NEWER attempt
   * than the record's (an OutId the record does not have: Redis lost the claim) is also let
   * through; the record adopts that attempt (attempt, OutId, sentAt, adoptedAt; the start of the
   * attempt it held kept in priorSentAt, for the look-up's dates). Without it, only
   * the record's own attempt (or a caller naming none) passes.
   */
  readonly adoptsNewerAttempt?: readonly S[];
  /**
   * The in-doubt states from which a caller naming an EARLIER attempt than the record's (or the
   * same attempt under another OutId: a claim Redis lost and made again) is also let through: the
   * caller holds Dysmsapi's own word that its attempt was accepted, which no later attempt the
   * record holds (adopted from a pushed report, which anyone with the report token can forge, or
   * claimed after the caller was taken for lost) can undo. The record takes that attempt back
   * (OutId, and sentAt from the caller's ownSentAt, adoptedAt cleared), so that its receipts apply
   * and are looked up on its day; `attempt` keeps counting the claims.
   */
  readonly provesEarlierAttempt?: readonly S[];
  /** Files that fire it (a script or a caller of a store), for readers and for the table's test. */
  readonly by: readonly string[];
  /** When it happens, in a few words. */
  readonly when: string;
}

export interface Lifecycle<S extends string = string, T extends string = string> {
  /** Its name in docs and errors. */
  readonly name: string;
  /** The record's field that holds the state. */
  readonly field: string;
  readonly states: readonly S[];
  /** The state of a record that has not moved yet. */
  readonly start: S;
  /** States no transition leaves. */
  readonly final: readonly S[];
  readonly transitions: readonly Transition<S, T>[];
}

export const CHUNK_STATES = ['queued', 'sending', 'unknown', 'accepted', 'failed', 'expired', 'cancelled', 'split'] as const;
export type ChunkState = (typeof CHUNK_STATES)[number];

/**
 * Not past the API as far as the record knows. A record in one of these may be behind an attempt
 * that was made (a Redis that lost writes): such a chunk is looked up, never assumed unsent, and a
 * transition that adopts a newer attempt (or takes back an earlier one it has proof of) leaves only these.
 */
export const UNSENT_CHUNK_STATES = ['queued', 'sending', 'unknown'] as const satisfies readonly ChunkState[];
export type UnsentChunkState = (typeof UNSENT_CHUNK_STATES)[number];

/** Whether a chunk in `state` is one of {@link UNSENT_CHUNK_STATES}. */
export function isUnsent(state: ChunkState): state is UnsentChunkState {
  return (UNSENT_CHUNK_STATES as readonly ChunkState[]).includes(state);
}

const IN_FLIGHT: readonly ChunkState[] = ['sending', 'unknown'];
/** Adoption of a newer attempt from every in-doubt state: an outcome of that attempt, or a look-up of it. */
const ADOPTS = UNSENT_CHUNK_STATES;
const ANSWER = ['workers/send-processor.ts'];
const LOOKUP = ['workers/reconcile-processor.ts'];
/** The claim's checks of a queued chunk's send (failed, cancelled, past its deadline), shared with the repair sweep's end of one with no job. */
const SEND_ENDS_CHUNK = 'src/queue/lua/includes/send-ends-chunk.lua';
const CLAIM_OR_SWEEP = 'claim-6.lua, end-by-send-5.lua: the same checks, no look-up';

const CHUNK_TRANSITIONS = [
  { trigger: 'enqueue', from: NEW, to: 'queued', records: ['sendId', 'index', 'kind', 'n', 'payload', 'attempt', 'createdAt'], by: ['src/queue/lua/create-chunks.lua'], when: 'a producer writes the chunk' },
  { trigger: 'split-child', from: NEW, to: 'queued', records: ['sendId', 'index', 'kind', 'n', 'payload', 'attempt', 'createdAt'], by: ['src/queue/lua/split-chunk.lua'], when: 'a split writes one single-number child per recipient' },
  { trigger: 'claim', from: ['queued'], to: 'sending', records: ['attempt', 'outId', 'sentAt'], by: ['src/queue/lua/claim-6.lua'], when: 'a send job starts an attempt (before its call)' },
  { trigger: 'cancel', from: ['queued'], to: 'cancelled', records: ['code'], code: 'SMSQ_CANCELLED', by: [SEND_ENDS_CHUNK, 'src/queue/send-cancel.ts', 'src/repair/orphan-rules.ts'], when: `the send is cancelled: at its cancel; when claimed, or found by the repair sweep with no job (${CLAIM_OR_SWEEP})` },
  { trigger: 'send-failed', from: ['queued'], to: 'failed', records: ['code'], by: [SEND_ENDS_CHUNK, 'src/queue/send-cancel.ts', 'src/repair/orphan-rules.ts'], when: `the send failed as a whole (its code): when claimed, or found by the repair sweep with no job (${CLAIM_OR_SWEEP}); at once when the repair sweep fails its send as abandoned` },
  { trigger: 'deadline', from: ['queued'], to: 'expired', records: ['code'], code: 'SMSQ_DEADLINE', by: [SEND_ENDS_CHUNK, 'src/repair/orphan-rules.ts'], when: `past the send's deadline: when claimed, or found by the repair sweep with no job (${CLAIM_OR_SWEEP}); its recipients are added to its send's \`deadlineExpired\`, which alone decides whether the send ends \`expired\`` },
  { trigger: 'give-up', from: ['queued'], to: 'failed', records: ['code', 'reason'], code: 'SMSQ_GAVE_UP', by: ['workers/sms-worker.ts', 'src/queue/lua/claim-6.lua'], when: 'the queue gave up on its send job; or, claimed, its attempts reached the most an OutId of smsq names (MAX_ATTEMPT, out-id.ts)' },
  { trigger: 'worker-lost', from: ['sending'], to: 'unknown', records: ['code'], code: 'SMSQ_WORKER_LOST', by: ['src/queue/lua/claim-6.lua'], when: 'claimed while mid-call: its worker died' },
  { trigger: 'undo-claim', from: ['sending'], to: 'queued', records: ['code'], counts: ['undone'], adoptsNewerAttempt: ADOPTS, by: ANSWER, when: 'not sent after all, no call made: the claim was not durable, the worker is stopping, it was held up past the call deadline, the account was paused when its slot came, or its send was paused, cancelled or failed while the claim was confirmed (its call gate kept shut); `undone` counts it, so that the attempts that may have made a call are told from it' },
  { trigger: 'payload-unreadable', from: ['sending'], to: 'failed', records: ['code', 'reason'], code: 'SMSQ_PAYLOAD_UNREADABLE', by: ANSWER, when: 'its claim found a stored payload or kind that does not parse: failed before any call (nothing readable to send)' },
  { trigger: 'answer-accepted', from: UNSENT_CHUNK_STATES, to: 'accepted', records: ['bizId', 'code', 'resolvedBy', 'acceptedAt'], adoptsNewerAttempt: ADOPTS, provesEarlierAttempt: UNSENT_CHUNK_STATES, by: ANSWER, when: 'Dysmsapi accepted the call; also late, from `queued` (its call taken for lost and looked up without a find, not yet claimed again), and for an earlier attempt than a record in doubt holds (one adopted from a pushed report, or claimed after this call was taken for lost): proof, the record takes that attempt back and nothing is resent' },
  { trigger: 'answer-failed', from: IN_FLIGHT, to: 'failed', records: ['code'], adoptsNewerAttempt: ADOPTS, by: ANSWER, when: 'Dysmsapi refused the recipients or the send for good' },
  { trigger: 'request-not-built', from: IN_FLIGHT, to: 'failed', records: ['code', 'reason'], code: 'SMSQ_REQUEST_NOT_BUILT', adoptsNewerAttempt: ADOPTS, by: ANSWER, when: 'its call failed before a byte was written, on a value of the send no request can carry: failed, neither looked up nor resent' },
  { trigger: 'answer-not-sent', from: IN_FLIGHT, to: 'queued', records: ['code', 'flowRetries', 'flowRetryAt'], adoptsNewerAttempt: ADOPTS, by: ANSWER, when: 'refused for now (throttled, account blocked, per-number flow control, or a fault of this worker\'s own: its endpoint not reached, its setup unable to build the request): sent again later' },
  { trigger: 'answer-unknown', from: IN_FLIGHT, to: 'unknown', records: ['code'], adoptsNewerAttempt: ADOPTS, by: ANSWER, when: 'no answer (timeout, network): looked up before any resend' },
  { trigger: 'split', from: IN_FLIGHT, to: 'split', records: ['children'], by: ['src/queue/lua/split-chunk.lua'], when: 'flow control on a multi-number chunk: its recipients move to single-number children' },
  { trigger: 'lookup-found', from: UNSENT_CHUNK_STATES, to: 'accepted', records: ['code', 'resolvedBy', 'acceptedAt', 'outId', 'sentAt'], adoptsNewerAttempt: ADOPTS, by: LOOKUP, when: 'QuerySendDetails found an attempt of the chunk: accepted, never resent; one other than the record\'s is recorded with its OutId and the time Alibaba gives it (`sentAt`), which its receipt look-ups date by' },
  { trigger: 'lookup-not-found', from: IN_FLIGHT, to: 'queued', records: ['code', 'resolvedBy'], code: 'SMSQ_NOT_ACCEPTED', adoptsNewerAttempt: ADOPTS, by: LOOKUP, when: 'not found after the settling window: resent with a new attempt' },
  { trigger: 'lookup-gave-up', from: ['unknown'], to: 'expired', records: ['code', 'reason'], code: 'SMSQ_OUTCOME_UNKNOWN', adoptsNewerAttempt: ADOPTS, by: ['workers/sms-worker.ts', ...LOOKUP, 'src/repair/foreign-attempt.ts'], when: 'its look-ups kept failing, or cannot be made (a stored payload or kind that does not parse, a recorded attempt none of smsq\'s claims makes): expired as unknown, not resent' },
  { trigger: 'attempt-not-ours', from: ['queued'], to: 'expired', records: ['code', 'reason'], code: 'SMSQ_OUTCOME_UNKNOWN', by: ['src/repair/foreign-attempt.ts'], when: 'its record holds an attempt none of smsq\'s claims makes (adopted from a forged report by an earlier version): queued again by a look-up of that forged OutId, after calls of which one may have been accepted, so expired as unknown, never looked up or resent' },
  { trigger: 'report-accepted', from: IN_FLIGHT, to: 'accepted', records: ['code', 'resolvedBy', 'acceptedAt', 'bizId'], adoptsNewerAttempt: ADOPTS, by: ['src/receipts/report-ingest.ts'], when: 'a pushed report names a recipient of this attempt' },
  { trigger: 'report-lost-attempt', from: ['queued', 'unknown'], to: 'unknown', records: ['code', 'resolvedBy'], code: 'SMSQ_REDIS_ROLLBACK', adoptsNewerAttempt: ['queued', 'unknown'], by: ['src/receipts/report-ingest.ts'], when: 'a pushed report names an attempt the record lost (or claims to: anyone with the report token can push): looked up. Not while the chunk is `sending`: a push is no proof, its worker\'s answer is, and a chunk mid-call is never sent again without a look-up, which finds any attempt of the chunk' },
  { trigger: 'rollback-lost-claim', from: UNSENT_CHUNK_STATES, to: 'unknown', records: ['code'], code: 'SMSQ_REDIS_ROLLBACK', adoptsNewerAttempt: ADOPTS, by: ['workers/rollback-recovery.ts'], when: 'Redis came back without a claim this worker made: looked up' },
  { trigger: 'orphan-sending', from: ['sending'], to: 'unknown', records: ['code'], code: 'SMSQ_ORPHANED', adoptsNewerAttempt: ADOPTS, by: ['src/repair/orphan-sweep.ts', 'src/repair/foreign-attempt.ts'], when: 'the repair sweep finds it mid-call without a job: looked up' },
  { trigger: 'orphan-lost-claim', from: UNSENT_CHUNK_STATES, to: 'unknown', records: ['attempt', 'outId', 'sentAt', 'code'], code: 'SMSQ_ORPHANED', by: ['src/repair/orphan-sweep.ts'], when: 'the repair sweep finds it without a job, maybe behind a lost claim: the next attempt is looked up' },
  { trigger: 'send-missing', from: ['queued'], to: 'cancelled', records: ['code'], code: 'SMSQ_SEND_MISSING', by: ['src/queue/lua/claim-6.lua', 'src/repair/orphan-sweep.ts'], when: 'its send job\'s claim, or the repair sweep, finds its send record gone: ended before any call' },
  { trigger: 'send-missing', from: IN_FLIGHT, to: 'expired', records: ['code'], code: 'SMSQ_SEND_MISSING', by: ['src/repair/orphan-sweep.ts'], when: 'the repair sweep finds its send record gone' },
] as const satisfies readonly Transition<ChunkState>[];

export type ChunkTrigger = (typeof CHUNK_TRANSITIONS)[number]['trigger'];

/** A chunk: one Dysmsapi call's worth of recipients (chunk-store.ts). */
export const CHUNK_LIFECYCLE: Lifecycle<ChunkState, ChunkTrigger> = {
  name: 'chunk',
  field: 'state',
  states: CHUNK_STATES,
  start: 'queued',
  final: ['accepted', 'failed', 'expired', 'cancelled', 'split'],
  transitions: CHUNK_TRANSITIONS,
};

/**
 * A send's states. `sent`: every recipient is past the API (accepted, or final without a call);
 * `completed`: every recipient is final (a receipt, or the end of the receipt window). `paused`
 * and `cancelled` are what an operator (or auto-pause, or the withdrawal of an enqueue not
 * confirmed durable: withdrawal.ts) asked for; `expired`: its deadline passed
 * with recipients never sent; `failed`: it failed as a whole.
 */
export const SEND_STATES = ['enqueuing', 'active', 'paused', 'sent', 'completed', 'cancelled', 'expired', 'failed'] as const;
export type SendState = (typeof SEND_STATES)[number];

/** The states a send ends in: its callback fires on the first it reaches (and only then). */
export const SEND_END_STATES: readonly SendState[] = ['completed', 'cancelled', 'expired', 'failed'];

/** Whether a send's state is one it ends in. */
export function isSendEnded(state: SendState): boolean {
  return SEND_END_STATES.includes(state);
}

/**
 * The states of a send every recipient of which was sent (or ended without a call): a cancel or a
 * pause has nothing left to stop, and is refused (SMSQ_SEND_ALREADY_SENT) rather than recorded as
 * if nothing had gone out, or answered as if the send were held. The table has no cancel or pause
 * from them, so set-control-5.lua refuses it in the same script that would move the send: a send
 * going `sent` while a cancel runs is one or the other.
 */
export const SENT_IN_FULL: readonly SendState[] = ['sent', 'completed'];

/** Whether a send in `state` was sent in full ({@link SENT_IN_FULL}). */
export function isSentInFull(state: SendState): state is 'sent' | 'completed' {
  return SENT_IN_FULL.includes(state);
}

const SEND_TOTALS = ['recipients', 'rejected', 'duplicates', 'chunks'];
/** Every move of a send records its time (`stateChangedAt`) and appends to its `history`. */
const STAMPED = ['stateChangedAt', 'history'];
const OPERATOR = ['producers/producer.ts'];
const CONTROL = ['control', 'controlReason', ...STAMPED];
/**
 * settleSend, run by settle-send-3.lua (completion.ts) and mark-enqueued-3.lua; and its move of a
 * send with nothing left unsent (moveAllSent: `sent`, or `expired` past its deadline), which
 * transition-7.lua runs too when a chunk takes the send's last unsent recipients past the API.
 */
const SETTLE = ['src/queue/lua/includes/send-state.lua'];

const SEND_TRANSITIONS = [
  {
    trigger: 'enqueue',
    from: NEW,
    to: 'enqueuing',
    records: ['sendId', 'kind', 'api', 'templateCode', 'signName', 'smsUpExtendCode', 'name', 'idempotencyKey', 'callbackUrl', 'deadline', 'deadlineExpired', ...SEND_TOTALS, 'createdAt', ...STAMPED],
    by: ['src/queue/lua/create-send-5.lua'],
    when: 'a producer starts writing the send; with a deadline, `deadlineExpired` 0 (the recipients its deadline expires unsent: see the chunk\'s `deadline`)',
  },
  {
    trigger: 'enqueued',
    from: ['enqueuing'],
    to: 'active',
    records: [...SEND_TOTALS, 'api', 'enqueuedAt', 'code', 'reason', ...STAMPED],
    by: ['src/queue/lua/mark-enqueued-3.lua'],
    when: 'every chunk and job is written (a producer, or the repair sweep finishing one); a paused send stays paused, and a send cancelled before its producer ended it has it ended by the cancel or the repair sweep at the chunks written (code SMSQ_ENQUEUE_CUT_SHORT), and so has one the repair sweep failed as abandoned (code SMSQ_ENQUEUE_ABANDONED)',
  },
  // Not from `sent` either: nothing is left to hold there (SENT_IN_FULL).
  { trigger: 'pause', from: ['enqueuing', 'active', 'paused'], to: 'paused', records: CONTROL, by: OPERATOR, when: 'an operator pauses it: its chunks wait, queued. One sent or completed is refused (SMSQ_SEND_ALREADY_SENT): nothing is left to hold' },
  { trigger: 'auto-pause', from: ['enqueuing', 'active'], to: 'paused', records: CONTROL, by: ['src/queue/lua/transition-7.lua'], when: 'too many of its last chunks failed (a campaign still streaming in included)' },
  { trigger: 'resume', from: ['paused', 'active'], to: 'active', records: CONTROL, by: [...OPERATOR, 'producers/enqueue-withdrawal.ts'], when: 'an operator resumes it, or a retry of its request (same idempotency key and body) takes back a withdrawn send once it is confirmed durable' },
  { trigger: 'resume-enqueuing', from: ['paused'], to: 'enqueuing', records: CONTROL, by: ['src/queue/lua/set-control-5.lua'], when: 'an operator resumes it before its enqueue finished' },
  { trigger: 'all-sent', from: ['active', 'paused'], to: 'sent', records: STAMPED, by: SETTLE, when: 'its last unsent recipient moved past the API (in the transition that moved it, transition-7.lua, or at the settle after a chunk ended without a call), and its deadline, if passed, expired none unsent (`deadlineExpired` 0; recipients expired after their call, as unknown or at the end of their receipt window, do not count)' },
  { trigger: 'complete', from: ['active', 'paused', 'sent'], to: 'completed', records: STAMPED, by: SETTLE, when: 'every recipient is final (a receipt, or the receipt window ended)' },
  { trigger: 'deadline', from: ['active', 'paused'], to: 'expired', records: ['code', ...STAMPED], code: 'SMSQ_DEADLINE', by: SETTLE, when: 'nothing is left to send and its deadline expired recipients never sent (`deadlineExpired` above 0; a send written by the version before, without it: its `expired` count): whichever chunk ends last, a claim that expired it (the settle after it) or one an answer, look-up or report moved past the API (transition-7.lua, by the same rule)' },
  { trigger: 'withdraw', from: ['active'], to: 'paused', records: CONTROL, by: ['producers/enqueue-withdrawal.ts'], when: 'its enqueue under an idempotency key was not confirmed durable (refused SMSQ_NOT_DURABLE): held, its chunks wait queued, until a retry of its request takes it back' },
  // Not from `sent`: nothing is left to stop there, and `cancelled` read as if nothing had gone out (SENT_IN_FULL).
  { trigger: 'cancel', from: ['enqueuing', 'active', 'paused'], to: 'cancelled', records: CONTROL, by: OPERATOR, when: 'an operator cancels it (or an enqueue without an idempotency key, not confirmed durable, withdraws it): its queued chunks are cancelled, its callback goes. One sent or completed is refused (SMSQ_SEND_ALREADY_SENT): nothing is left to cancel' },
  { trigger: 'withdrawal-lapsed', from: ['paused'], to: 'cancelled', records: CONTROL, by: ['src/repair/orphan-sweep.ts'], when: 'withdrawn, and no retry of its request took it back within SMSQ_REPAIR_ENQUEUE_GRACE_MS: its queued chunks are cancelled, its callback goes' },
  { trigger: 'retention-lapsed', from: ['paused'], to: 'cancelled', records: CONTROL, by: ['src/repair/orphan-sweep.ts'], when: 'still paused within two repair sweep intervals of the end of its retention (its record would expire with its recipients queued, counted so for good in the totals across sends): its queued chunks are cancelled, its callback goes' },
  { trigger: 'fail', from: ['enqueuing', 'active', 'paused'], to: 'failed', records: ['code', 'reason', ...STAMPED], by: ['workers/send-processor.ts'], when: 'the signature or template is unusable: queued chunks fail when claimed' },
  { trigger: 'abandon', from: ['enqueuing', 'paused'], to: 'failed', records: ['code', 'reason', ...STAMPED], code: 'SMSQ_ENQUEUE_ABANDONED', by: ['src/repair/orphan-sweep.ts'], when: 'its producer died before acknowledging it; its enqueue is then ended at the chunks written (enqueued)' },
] as const satisfies readonly Transition<SendState>[];

export type SendTrigger = (typeof SEND_TRANSITIONS)[number]['trigger'];
/** The triggers an operator fires (`smsq campaign pause|resume|cancel`, the producer API). */
export type SendControlTrigger = Extract<SendTrigger, 'pause' | 'resume' | 'cancel'>;
/**
 * The moves of a send's control (set-control-5.lua): an operator's, the withdrawal of an
 * enqueue not confirmed durable (withdrawal.ts) and its end, and the repair sweep's end of a send
 * paused up to its retention.
 */
export type SendControlMove = SendControlTrigger | Extract<SendTrigger, 'withdraw' | 'withdrawal-lapsed' | 'retention-lapsed'>;

/**
 * A send's `state` (send-store.ts), from its enqueue to its end. The record also keeps `control`
 * (`active`, `paused`, `cancelled`), written with every operator move, for the claim script that
 * reads it on the send path and for REST clients that read it.
 */
export const SEND_LIFECYCLE: Lifecycle<SendState, SendTrigger> = {
  name: 'send',
  field: 'state',
  states: SEND_STATES,
  start: 'enqueuing',
  final: SEND_END_STATES,
  transitions: SEND_TRANSITIONS,
};

/** What `control` says for a send in `state`: what an operator asked for, as REST reported it before states ended. */
export function controlOf(state: SendState): 'active' | 'paused' | 'cancelled' {
  return state === 'paused' || state === 'cancelled' ? state : 'active';
}
export type SendControl = ReturnType<typeof controlOf>;

export const LIFECYCLES = [CHUNK_LIFECYCLE, SEND_LIFECYCLE] as const;

/** What a store needs to know about one trigger, gathered once per lifecycle. */
export interface TriggerRule<S extends string = string, T extends string = string> {
  rows: readonly Transition<S, T>[];
  /** Every field any of its rows records. */
  records: ReadonlySet<string>;
  /** Every counter any of its rows adds one to. */
  counts: ReadonlySet<string>;
  /** The code every row records, when they all record the same fixed one. */
  code: SmsqCode | undefined;
}

const rules = new WeakMap<Lifecycle, Map<string, TriggerRule>>();

function rulesOf<S extends string, T extends string>(lifecycle: Lifecycle<S, T>): Map<string, TriggerRule<S, T>> {
  let byTrigger = rules.get(lifecycle as Lifecycle) as Map<string, TriggerRule<S, T>> | undefined;
  if (!byTrigger) {
    byTrigger = new Map();
    for (const trigger of new Set(lifecycle.transitions.map((t) => t.trigger))) {
      const rows = lifecycle.transitions.filter((t) => t.trigger === trigger);
      const code = rows[0]?.code !== undefined && rows.every((r) => r.code === rows[0]?.code) ? rows[0].code : undefined;
      byTrigger.set(trigger, { rows, records: new Set(rows.flatMap((r) => r.records)), counts: new Set(rows.flatMap((r) => r.counts ?? [])), code });
    }
    rules.set(lifecycle as Lifecycle, byTrigger as Map<string, TriggerRule>);
  }
  return byTrigger;
}

/** The rows of `trigger` (empty when the lifecycle does not declare it). */
export function rowsOf<S extends string, T extends string>(lifecycle: Lifecycle<S, T>, trigger: string): readonly Transition<S, T>[] {
  return rulesOf(lifecycle).get(trigger)?.rows ?? [];
}

/** Where `trigger` takes a record in `from` (its own attempt), or undefined when the table has no such move. */
export function targetOf<S extends string, T extends string>(lifecycle: Lifecycle<S, T>, trigger: T, from: S | typeof NEW): S | undefined {
  return rowsOf(lifecycle, trigger).find((t) => (t.from === NEW ? from === NEW : (t.from as readonly string[]).includes(from)))?.to;
}

/**
 * Whether `trigger` moves a record in `from` for a caller naming the record's own attempt (or
 * none): what a caller asks before choosing a trigger, rather than testing states itself.
 */
export function canFire<S extends string, T extends string>(lifecycle: Lifecycle<S, T>, trigger: T, from: S): boolean {
  return targetOf(lifecycle, trigger, from) !== undefined;
}

/**
 * Whether `trigger` moves a chunk in `from` for a caller naming a NEWER attempt than the record's
 * (the record lost its claim): from the in-doubt states its row names (adoptsNewerAttempt).
 */
export function canAdopt(trigger: ChunkTrigger, from: ChunkState): boolean {
  return rowsOf(CHUNK_LIFECYCLE, trigger).some((t) => (t.adoptsNewerAttempt as readonly ChunkState[] | undefined)?.includes(from) === true);
}

/**
 * The rule of `trigger`, checked before a store calls Redis: the trigger must be declared, every
 * field written must be one it records, a code written must be its fixed code if it has one, and
 * an expected state must be one it leaves. Throws
 * {@link UndeclaredTransitionError} otherwise (nothing is called, nothing changes).
 */
export function declaredRule<S extends string, T extends string>(
  lifecycle: Lifecycle<S, T>,
  trigger: string,
  written: { fields?: readonly string[]; expectState?: string; code?: string } = {},
): TriggerRule<S, T> {
  const rule = rulesOf(lifecycle).get(trigger);
  if (!rule) throw new UndeclaredTransitionError(lifecycle.name, trigger, 'no such trigger');
  const extra = (written.fields ?? []).filter((f) => !rule.records.has(f));
  if (extra.length) throw new UndeclaredTransitionError(lifecycle.name, trigger, `it does not record ${extra.join(', ')} (it records ${[...rule.records].join(', ') || 'nothing'})`);
  if (rule.code !== undefined && written.code !== undefined && written.code !== rule.code) {
    throw new UndeclaredTransitionError(lifecycle.name, trigger, `it records the code ${rule.code}, not ${written.code}`);
  }
  const { expectState } = written;
  if (expectState !== undefined && !rule.rows.some((r) => r.from !== NEW && (r.from as readonly string[]).includes(expectState))) {
    throw new UndeclaredTransitionError(lifecycle.name, trigger, `it never leaves ${expectState}`);
  }
  return rule;
}
