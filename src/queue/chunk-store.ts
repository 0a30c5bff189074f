import type { RedisConnection } from './connection.js';
import { SendCancelledError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { ChunkPayload } from './chunk-payload.js';
import type { PacerSlotArgs } from './call-pacer.js';
import { CHUNK_LIFECYCLE, declaredRule, type ChunkState, type ChunkTrigger, type SendState } from './lifecycle.js';
import { luaScript } from './lua.js';
import type { Keys } from './keys.js';
import type { MessageKind } from './kinds.js';
import { foreignAttemptOf, newOutIdNonce } from './out-id.js';
import { newNonce } from './nonce.js';
import { readStoredChunk } from './stored-payload.js';
import { slotReservation, type SlotReservation } from './slot-clock.js';

export { CHUNK_STATES, isUnsent, UNSENT_CHUNK_STATES, type ChunkState, type ChunkTrigger } from './lifecycle.js';

export interface NewChunk {
  sendId: string;
  /** Position in the send; split chunks use `<parent>-<i>`. */
  index: string;
  kind: MessageKind;
  payload: ChunkPayload;
}

/**
 * How far a campaign had read its list when it wrote chunks: its first `rows` rows, and their
 * digest (producers/list-digest.ts). Kept in the first chunk of the write, in the same script
 * run, so a chunk of it in Redis has it there: a repeat under the campaign's idempotency key
 * compares its own list that far (producers/queued-before.ts).
 */
export interface ListRead {
  rows: number;
  digest: string;
}

export interface ChunkRecord {
  chunkId: string;
  sendId: string;
  index: string;
  /** Undefined when the stored kind is not one smsq writes ({@link problem} says why). */
  kind: MessageKind | undefined;
  n: number;
  state: ChunkState;
  /**
   * Claims of the chunk so far, each with its own OutId (the last made is {@link outId}, unless an
   * accepted answer for an earlier one took it back: then {@link outId} is that one's, and this
   * still counts every claim); {@link undone} of them made no call.
   */
  attempt: number;
  /** The recorded attempt when it is none our claims make (out-id.ts foreignAttemptOf): then {@link attempt} means nothing. */
  foreignAttempt: string | undefined;
  /**
   * Claims undone before their call (trigger `undo-claim`: the worker stopping, a claim not
   * confirmed durable, held past the call deadline, the account paused): none reached Dysmsapi.
   */
  undone: number;
  outId: string | undefined;
  sentAt: number | undefined;
  /**
   * When a newer attempt was adopted (from a pushed report, or an outcome the record had lost:
   * {@link sentAt} is then the adoption's time), the start of the attempt the record held before
   * (the earliest since its last claim): still in doubt, and found by a look-up only on its own
   * day, so the look-up asks every date from it on. Undefined otherwise.
   */
  priorSentAt: number | undefined;
  bizId: string | undefined;
  code: string | undefined;
  resolvedBy: string | undefined;
  flowRetries: number;
  /** When the chunk was accepted (answer, reconcile or pushed report). */
  acceptedAt: number | undefined;
  /** What it sends; undefined when the stored payload does not parse ({@link problem} says why). */
  payload: ChunkPayload | undefined;
  /** What is wrong with the stored payload or kind (stored-payload.ts), naming the field; undefined when both parse. */
  problem: string | undefined;
  /**
   * Final receipts applied to its recipients, by state (apply-receipt-6.lua tallies them; a chunk
   * accepted by a version before the tally counts only later ones): what a chunk whose numbers no
   * longer read still says of its recipients.
   */
  receiptTally: Readonly<Record<string, number>>;
  /** Recipients its receipt window expired by chunk, its numbers unreadable (expire-chunk-receipts.lua); undefined when it did not. */
  windowExpired: number | undefined;
}

/** The chunk hash's fields that tally its receipts: `receipts.<state>` (apply-receipt-6.lua). */
const TALLY_PREFIX = 'receipts.';

/**
 * A queued chunk ended without an attempt because its send says so (includes/send-ends-chunk.lua):
 * failed, cancelled or past its deadline; or failed SMSQ_GAVE_UP, its attempts at MAX_ATTEMPT (out-id.ts).
 */
export interface EndedBySend {
  type: 'ended';
  state: 'failed' | 'cancelled' | 'expired';
  code: string;
}

/** The reply of a script that ended a chunk by its send: `{'ended', state, code}`. */
const endedBySend = (res: readonly string[]): EndedBySend => ({ type: 'ended', state: res[1] as EndedBySend['state'], code: String(res[2]) });

/** What {@link ChunkStore.openCallGate} found: `call`, or why the attempt must not make its call. */
export type CallGate = { type: 'call' } | { type: 'moved'; state: string } | { type: 'stopped'; state: string; control: string };

export type ClaimResult =
  | {
      type: 'send';
      attempt: number;
      outId: string;
      payload: ChunkPayload;
      kind: MessageKind;
      n: number;
      index: string;
      /** The pacer slot reserved with the claim (its wait -1: refused); undefined when none was asked. */
      slot: SlotReservation | undefined;
      /**
       * The time the claim recorded as the attempt's start (`sentAt`; clock ms): taken when the
       * claim was first sent, so a claim that Redis ran late (resent after a reconnect) shows its age.
       */
      claimedAt: number;
    }
  | {
      /**
       * Claimed (now `sending` at this attempt), but its stored payload or kind does not parse: the
       * caller must not call, and fails it (trigger `payload-unreadable`). `problem` names what is wrong.
       */
      type: 'unreadable';
      attempt: number;
      outId: string;
      problem: string;
    }
  | { type: 'unknown'; attempt: number; outId: string; sentAt: number }
  | EndedBySend
  /**
   * Queued at an attempt none of our claims writes (out-id.ts foreignAttemptOf): nothing changed,
   * no call; the caller ends it as unknown (src/repair/foreign-attempt.ts), as the repair sweep does.
   */
  | { type: 'foreign-attempt' }
  /**
   * The send record is gone while the chunk was kept (deleted by hand, evicted, lost): nothing says
   * whether or how to send it, so the claim ended it without an attempt (trigger `send-missing`,
   * code SMSQ_SEND_MISSING). The caller makes no call.
   */
  | { type: 'send-missing'; state: ChunkState }
  /** `deadline`: the send's, when it has one (the claim after it ends the chunk expired). */
  | { type: 'paused'; deadline?: number }
  | { type: 'quiet'; until: number }
  | { type: 'done'; state: ChunkState }
  | { type: 'missing' };

/**
 * What {@link ChunkStore.endBySend} did: ended the queued chunk as its claim would (its send failed,
 * was cancelled or is past its deadline); left it `open` (its send goes on, or its record is gone);
 * or found it `moved` past queued, or `missing`.
 */
export type EndBySendResult =
  | EndedBySend
  | { type: 'open' }
  | { type: 'moved'; state: ChunkState }
  | { type: 'missing' };

/** A move of the chunk lifecycle (lifecycle.ts): the trigger names it, the table gives its target. */
export interface TransitionRequest {
  trigger: ChunkTrigger;
  /**
   * The caller's attempt: apply only to the record at this OutId, or (a trigger that adopts a
   * newer attempt) to a record in doubt at an older one, which adopts it, or (a trigger with proof
   * of its attempt: provesEarlierAttempt) to a record in doubt at a later one, which takes the
   * caller's back. Omitted: any attempt.
   */
  outId?: string;
  /** Apply only if the chunk is still in this state, the one the caller read (a state the trigger leaves). */
  expectState?: ChunkState;
  /** Fields to record: only those the transition declares. A fixed code of the transition is recorded without being named. */
  fields?: Record<string, string | number>;
  /** When the chunk becomes `accepted`: when its receipt window ends (the window sweep expires it then). */
  windowEndsAt?: number;
  /** The send path's outcome for auto-pause, recorded with the transition when it applies. */
  outcome?: AutoPauseOutcome;
  /**
   * The start of the caller's attempt (its claim's `sentAt`): recorded as `sentAt` when the record,
   * in doubt at a later attempt, takes the caller's back (provesEarlierAttempt), so that its
   * receipts are looked up on the day it was sent. Ignored otherwise.
   */
  ownSentAt?: number;
}

/** A chunk outcome counted towards a send's auto-pause (see docs/receipts-and-controls.md "Campaign controls"). */
export interface AutoPauseOutcome {
  ok: boolean;
  /** Pause when more than `maxFailureRatio` of the last `window` chunks failed. */
  window: number;
  maxFailureRatio: number;
  /** Lifetime of the outcomes list. */
  ttlSeconds: number;
}

/**
 * Why a transition did not apply: no such chunk; it `moved` from the state the caller expected;
 * it is at `other-attempt` than the caller's (not one it may adopt); the table has no move of
 * this trigger `not-from-state` the chunk is in. Each is a race the caller lost, not an error.
 */
export type TransitionRefusal = 'missing' | 'moved' | 'other-attempt' | 'not-from-state';

/** What a chunk transition moves its send to when it takes the send's last unsent recipients on (transition-7.lua). */
type SendMovedByChunk = Extract<SendState, 'sent' | 'expired'>;

export type TransitionResult =
  | {
      applied: true;
      from: ChunkState;
      to: ChunkState;
      /** Set when this outcome auto-paused the send. */
      pauseReason?: string;
      /** Set when the record was behind (it lost writes) and adopted the caller's newer attempt. */
      adoptedAttempt?: number;
      /**
       * Set when the record, in doubt at a later attempt (or the same one under another OutId),
       * took back the caller's attempt, whose proof the trigger carries (provesEarlierAttempt).
       */
      provedAttempt?: number;
      /**
       * Set when the chunk took its send's last unsent recipients past the API and the send moved
       * with it: `sent`, or `expired` (SMSQ_DEADLINE) when its deadline left recipients unsent.
       * `expired` is an end state: its caller settles the send to announce it (completion.ts endedSend).
       */
      sendTo?: SendMovedByChunk;
    }
  | { applied: false; refused: TransitionRefusal; state: string; outId: string };

export function chunkIdOf(sendId: string, index: string): string {
  return `${sendId}.${index}`;
}

/** Events kept in the stream by default (approximate trimming); consumers must keep up. */
export const DEFAULT_EVENTS_MAXLEN = 100_000;

/**
 * Chunks one create script writes at most: a batch of large chunks is one command (one write to
 * the socket, one script run), and a batch of many small ones (verification codes, one a chunk)
 * several, so that no single run keeps Redis busy long.
 */
const CHUNKS_PER_CREATE = 64;

export interface ChunkStoreOptions {
  redis: RedisConnection;
  keys: Keys;
  clock: Clock;
  /** Approximate length the events stream is trimmed to. Default {@link DEFAULT_EVENTS_MAXLEN}. */
  eventsMaxLen?: number;
}

/** The chunk lifecycle (lifecycle.ts), kept by the Lua scripts of ./lua/ (claim-6, end-by-send-5, transition-7, split-chunk, create-chunks). */
export interface ChunkStore {
  /**
   * Writes chunks; existing ones are left untouched (idempotent enqueue). A chunk of a cancelled
   * send is not written: SendCancelledError (its cancel ended the send's enqueue). `listRead`, kept
   * in the first chunk (when written now): how far its campaign had read its list.
   */
  create(chunks: readonly NewChunk[], ttlSeconds: number, listRead?: ListRead): Promise<void>;
  /**
   * `quietUntil`: end of the current marketing quiet window, or 0 outside it. `slot`: reserve the
   * call's pacer slot with the claim (the send path); see `CallPacer.awaitReserved`. `gateCall`:
   * the attempt's call waits for {@link ChunkStore.openCallGate} (a claim confirmed by WAIT).
   */
  claim(chunkId: string, sendId: string, quietUntil?: number, slot?: PacerSlotArgs, gateCall?: boolean): Promise<ClaimResult>;
  /**
   * Lets the attempt `outId` make its call, unless its send was cancelled, paused or failed since
   * its claim, or the chunk moved on (open-call-gate-2.lua): what a withdrawn enqueue's producer
   * reads of its chunks after its withdrawal is then so (producers/enqueue-withdrawal.ts).
   */
  openCallGate(chunkId: string, sendId: string, outId: string): Promise<CallGate>;
  /**
   * Ends a queued chunk as its claim would when its send says so, without starting an attempt
   * (end-by-send-5.lua, the claim's own checks): for a chunk no job will claim. The send is not
   * moved: settle it afterwards (completion.ts), as after a claim's end.
   */
  endBySend(chunkId: string, sendId: string): Promise<EndBySendResult>;
  /**
   * Moves the chunk as `req.trigger` says, if the table has that move from its current state.
   * Throws UndeclaredTransitionError (before calling Redis) for a trigger or a field the table
   * does not declare. The same call run twice by the client (its answer lost) answers as it did.
   */
  transition(chunkId: string, sendId: string, req: TransitionRequest): Promise<TransitionResult>;
  get(chunkId: string): Promise<ChunkRecord | undefined>;
  /** Records the BizId of an accepted chunk (when acceptance was learned before the answer). */
  setBizId(chunkId: string, bizId: string): Promise<void>;
  /**
   * Replaces a chunk at attempt `outId` by single-recipient children (their recipients are
   * counted as queued again, the parent's state becomes `split`). False if the parent moved on.
   */
  split(chunkId: string, sendId: string, outId: string, children: readonly NewChunk[], ttlSeconds: number): Promise<boolean>;
}


export function createChunkStore({ redis, keys, clock, eventsMaxLen = DEFAULT_EVENTS_MAXLEN }: ChunkStoreOptions): ChunkStore {
  const claimScript = luaScript(redis, 'claim-6');
  const transitionScript = luaScript(redis, 'transition-7');
  const splitScript = luaScript(redis, 'split-chunk');
  const createScript = luaScript(redis, 'create-chunks');
  const setBizIdScript = luaScript(redis, 'set-biz-id-1');
  const openCallGateScript = luaScript(redis, 'open-call-gate-2');
  const endBySendScript = luaScript(redis, 'end-by-send-5');
  return {
    async create(newChunks, ttlSeconds, listRead) {
      // Each payload goes as UTF-8 bytes, made at once: its JSON string (two bytes a character
      // when a param is Chinese) is garbage at once, and the bytes wait for the reply outside the
      // heap. Strings held until a reply live long enough for V8 to promote them to the old
      // generation and raise a campaign's peak RSS (docs/benchmarks.md, "Figures behind the code").
      const now = clock.now();
      const writes: Promise<unknown>[] = [];
      for (let first = 0; first < newChunks.length; first += CHUNKS_PER_CREATE) {
        const group = newChunks.slice(first, first + CHUNKS_PER_CREATE);
        const args: (string | number | Buffer)[] = [1 + 3 * group.length, keys.recipientTotals()];
        for (const c of group) args.push(keys.chunk(chunkIdOf(c.sendId, c.index)), keys.sendCounts(c.sendId), keys.send(c.sendId));
        args.push(now, ttlSeconds);
        for (const c of group) args.push(c.payload.phones.length, c.sendId, c.index, c.kind, Buffer.from(JSON.stringify(c.payload)));
        // In the first run of the write: a later run's chunks are in Redis only if its were (one connection, in order).
        if (first === 0 && listRead !== undefined) args.push(listRead.rows, listRead.digest);
        writes.push(createScript(...args));
      }
      const cancelled = (await Promise.all(writes)).map((reply) => (reply as [number, string])[1]).find((sendId) => sendId !== '');
      if (cancelled !== undefined) throw new SendCancelledError(cancelled);
    },

    async claim(chunkId, sendId, quietUntil = 0, slot, gateCall = false) {
      const claimedAt = clock.now();
      const scriptSentAt = performance.now();
      const res = (await claimScript(
        keys.chunk(chunkId),
        keys.sendCounts(sendId),
        keys.send(sendId),
        keys.events(),
        keys.recipientTotals(),
        slot?.key ?? keys.pacer(),
        claimedAt,
        eventsMaxLen,
        quietUntil,
        slot?.intervalMicros ?? '',
        slot?.maxAheadMicros ?? 0,
        newOutIdNonce(),
        slot?.leadMicros ?? 0,
        gateCall ? '1' : '',
      )) as string[];
      switch (res[0]) {
        case 'send': {
          // The claim script returns payload and kind with the attempt (no read of its own before it),
          // so one that does not parse is found with the chunk already `sending`: reported as
          // claimed, for the caller to fail without a call.
          const stored = readStoredChunk({ payload: res[3] || undefined, kind: res[4] || undefined });
          if (!stored.payload || !stored.kind) return { type: 'unreadable', attempt: Number(res[1]), outId: String(res[2]), problem: stored.problem ?? '' };
          return {
            type: 'send',
            attempt: Number(res[1]),
            outId: String(res[2]),
            payload: stored.payload,
            kind: stored.kind,
            n: Number(res[5]),
            index: String(res[6]),
            slot: res[7] ? slotReservation(res[7], res[8], performance.now(), scriptSentAt) : undefined,
            claimedAt,
          };
        }
        case 'unknown':
          return { type: 'unknown', attempt: Number(res[1]), outId: String(res[2] ?? ''), sentAt: Number(res[3] ?? 0) };
        case 'ended':
          return endedBySend(res);
        case 'send-missing':
          return { type: 'send-missing', state: res[1] as ChunkState };
        case 'foreign-attempt':
          return { type: 'foreign-attempt' };
        case 'paused': {
          // A deadline that is no number (a record written by hand) is none, as the claim reads it.
          const deadline = res[1] ? Number(res[1]) : Number.NaN;
          return Number.isFinite(deadline) ? { type: 'paused', deadline } : { type: 'paused' };
        }
        case 'quiet':
          return { type: 'quiet', until: Number(res[1]) };
        case 'done':
          return { type: 'done', state: res[1] as ChunkState };
        default:
          return { type: 'missing' };
      }
    },

    async endBySend(chunkId, sendId) {
      const res = (await endBySendScript(keys.chunk(chunkId), keys.sendCounts(sendId), keys.send(sendId), keys.events(), keys.recipientTotals(), clock.now(), eventsMaxLen)) as string[];
      switch (res[0]) {
        case 'ended':
          return endedBySend(res);
        case 'open':
          return { type: 'open' };
        case 'moved':
          return { type: 'moved', state: res[1] as ChunkState };
        default:
          return { type: 'missing' };
      }
    },

    async transition(chunkId, sendId, req) {
      const fields = req.fields ?? {};
      const names = Object.keys(fields);
      const rule = declaredRule(CHUNK_LIFECYCLE, req.trigger, { fields: names, expectState: req.expectState, code: fields.code as string | undefined });
      // The optional parts travel as one packed argument (the script's header lists them).
      // A token of this call's own: the same call run again (its answer lost, sent again by the
      // client) is answered as it was (transition-7.lua), not judged anew.
      const options: { call: string; expectState?: ChunkState; windowEndsAt?: number; outcome?: AutoPauseOutcome; count?: string[]; ownSentAt?: number } = { call: newNonce() };
      if (req.expectState) options.expectState = req.expectState;
      if (rule.counts.size > 0) options.count = [...rule.counts];
      if (req.windowEndsAt !== undefined) options.windowEndsAt = req.windowEndsAt;
      if (req.outcome) options.outcome = req.outcome;
      if (req.ownSentAt !== undefined) options.ownSentAt = req.ownSentAt;
      const argv: (string | number)[] = [req.trigger, req.outId ?? '', clock.now(), eventsMaxLen, JSON.stringify(options)];
      for (const name of names) argv.push(name, fields[name] as string | number);
      if (rule.code !== undefined && fields.code === undefined) argv.push('code', rule.code);
      const res = (await transitionScript(
        keys.chunk(chunkId),
        keys.sendCounts(sendId),
        keys.events(),
        keys.recipientTotals(),
        keys.receiptWindow(),
        keys.sendOutcomes(sendId),
        keys.send(sendId),
        ...argv,
      )) as [number, string, string, string, string?, string?, string?];
      if (res[0] !== 1) return { applied: false, refused: res[1] as TransitionRefusal, state: res[2], outId: res[3] };
      const [, from, to, pauseReason, adopted, sendTo, proved] = res;
      return {
        applied: true,
        from: from as ChunkState,
        to: to as ChunkState,
        ...(pauseReason ? { pauseReason } : {}),
        ...(adopted ? { adoptedAttempt: Number(adopted) } : {}),
        ...(proved ? { provedAttempt: Number(proved) } : {}),
        ...(sendTo ? { sendTo: sendTo as SendMovedByChunk } : {}),
      };
    },

    async split(chunkId, sendId, outId, children, ttlSeconds) {
      const first = children[0];
      const childKeys = children.map((c) => keys.chunk(chunkIdOf(c.sendId, c.index)));
      const options = {
        sendId,
        kind: first?.kind ?? 'notification',
        ttl: ttlSeconds,
        maxlen: eventsMaxLen,
        children: children.map((c) => ({ index: c.index, payload: JSON.stringify(c.payload) })),
      };
      const res = await splitScript(
        4 + childKeys.length,
        keys.chunk(chunkId),
        keys.sendCounts(sendId),
        keys.events(),
        keys.recipientTotals(),
        ...childKeys,
        outId,
        clock.now(),
        JSON.stringify(options),
      );
      return res === 1;
    },

    async openCallGate(chunkId, sendId, outId) {
      const res = (await openCallGateScript(keys.chunk(chunkId), keys.send(sendId), outId)) as string[];
      if (res[0] === 'moved') return { type: 'moved', state: String(res[1] ?? '') };
      if (res[0] === 'stopped') return { type: 'stopped', state: String(res[1] ?? ''), control: String(res[2] ?? '') };
      return { type: 'call' };
    },

    async setBizId(chunkId, bizId) {
      await setBizIdScript(keys.chunk(chunkId), bizId);
    },

    async get(chunkId) {
      const h = await redis.hgetall(keys.chunk(chunkId));
      if (!h.state) return undefined;
      const stored = readStoredChunk({ payload: h.payload, kind: h.kind });
      const receiptTally: Record<string, number> = {};
      for (const [field, value] of Object.entries(h)) if (field.startsWith(TALLY_PREFIX)) receiptTally[field.slice(TALLY_PREFIX.length)] = Number(value);
      return {
        chunkId,
        sendId: h.sendId ?? '',
        index: h.index ?? '',
        kind: stored.kind,
        n: Number(h.n ?? 0),
        state: h.state as ChunkState,
        attempt: Number(h.attempt ?? 0),
        foreignAttempt: foreignAttemptOf(h.attempt),
        undone: Number(h.undone ?? 0),
        outId: h.outId || undefined,
        sentAt: h.sentAt ? Number(h.sentAt) : undefined,
        priorSentAt: h.priorSentAt ? Number(h.priorSentAt) : undefined,
        bizId: h.bizId || undefined,
        code: h.code || undefined,
        resolvedBy: h.resolvedBy || undefined,
        flowRetries: Number(h.flowRetries ?? 0),
        acceptedAt: h.acceptedAt ? Number(h.acceptedAt) : undefined,
        payload: stored.payload,
        problem: stored.problem,
        receiptTally,
        windowExpired: h.windowExpired ? Number(h.windowExpired) : undefined,
      };
    },
  };
}
