import type { RedisConnection } from './connection.js';
import type { Clock } from '../clock.js';
import { ChunkPayload } from './chunk-payload.js';
import type { PacerSlotArgs } from './call-pacer.js';
import { CLAIM_SCRIPT, SPLIT_SCRIPT, TRANSITION_SCRIPT } from './chunk-scripts.js';
import { luaScript } from './lua.js';
import type { Keys } from './keys.js';
import type { MessageKind } from './kinds.js';
import { newOutIdNonce } from './out-id.js';

export const CHUNK_STATES = ['queued', 'sending', 'unknown', 'accepted', 'failed', 'expired', 'cancelled', 'split'] as const;
export type ChunkState = (typeof CHUNK_STATES)[number];

/**
 * Not past the API as far as the record knows. A record in one of these may be behind an attempt
 * that was made (a Redis that lost writes): such a chunk is looked up, never assumed unsent.
 */
export const UNSENT_CHUNK_STATES: readonly ChunkState[] = ['queued', 'sending', 'unknown'];

export interface NewChunk {
  sendId: string;
  /** Position in the send; split chunks use `<parent>-<i>`. */
  index: string;
  kind: MessageKind;
  payload: ChunkPayload;
}

export interface ChunkRecord {
  chunkId: string;
  sendId: string;
  index: string;
  kind: MessageKind;
  n: number;
  state: ChunkState;
  attempt: number;
  outId: string | undefined;
  sentAt: number | undefined;
  bizId: string | undefined;
  code: string | undefined;
  resolvedBy: string | undefined;
  flowRetries: number;
  /** When the chunk was accepted (answer, reconcile or pushed report). */
  acceptedAt: number | undefined;
  payload: ChunkPayload;
}

export type ClaimResult =
  | {
      type: 'send';
      attempt: number;
      outId: string;
      payload: ChunkPayload;
      kind: MessageKind;
      n: number;
      index: string;
      /** µs until the pacer slot reserved with the claim (-1: refused); undefined when none was asked. */
      slotWaitMicros: number | undefined;
      /**
       * The time the claim recorded as the attempt's start (`sentAt`; clock ms): taken when the
       * claim was first sent, so a claim that Redis ran late (resent after a reconnect) shows its age.
       */
      claimedAt: number;
    }
  | { type: 'unknown'; attempt: number; outId: string; sentAt: number }
  | { type: 'ended'; state: 'failed' | 'cancelled' | 'expired'; code: string }
  | { type: 'paused' }
  | { type: 'quiet'; until: number }
  | { type: 'done'; state: ChunkState }
  | { type: 'missing' };

export interface TransitionRequest {
  /** Only apply if the chunk's current OutId is this one. */
  outId?: string;
  from: readonly ChunkState[];
  to: ChunkState;
  fields?: Record<string, string | number>;
  /** When the chunk becomes `accepted`: when its receipt window ends (the window sweep expires it then). */
  windowEndsAt?: number;
  /** The send path's outcome for auto-pause, recorded with the transition when it applies. */
  outcome?: AutoPauseOutcome;
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

export type TransitionResult =
  | {
      applied: true;
      from: ChunkState;
      /** Set when this outcome auto-paused the send. */
      pauseReason?: string;
      /** Set when the record was behind (it lost writes) and adopted the caller's newer attempt. */
      adoptedAttempt?: number;
    }
  | { applied: false; state: string; outId: string };

export function chunkIdOf(sendId: string, index: string): string {
  return `${sendId}.${index}`;
}

/** Events kept in the stream by default (approximate trimming); consumers must keep up. */
export const DEFAULT_EVENTS_MAXLEN = 100_000;

const CREATE_SCRIPT = `
-- KEYS[1] chunk hash, KEYS[2] send counts, KEYS[3] recipient totals; ARGV: n, now, ttl (s), then
-- field/value pairs. Idempotent: an existing chunk is left as it is.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'queued', 'attempt', 0, 'n', ARGV[1], 'createdAt', ARGV[2], 'updatedAt', ARGV[2])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('HINCRBY', KEYS[2], 'queued', tonumber(ARGV[1]))
redis.call('HINCRBY', KEYS[3], 'queued', tonumber(ARGV[1]))
return 1
`;

export interface ChunkStoreOptions {
  redis: RedisConnection;
  keys: Keys;
  clock: Clock;
  /** Approximate length the events stream is trimmed to. Default {@link DEFAULT_EVENTS_MAXLEN}. */
  eventsMaxLen?: number;
}

/** The chunk state machine (see chunk-scripts.ts). */
export interface ChunkStore {
  /** Writes chunks; existing ones are left untouched (idempotent enqueue). */
  create(chunks: readonly NewChunk[], ttlSeconds: number): Promise<void>;
  /**
   * `quietUntil`: end of the current marketing quiet window, or 0 outside it. `slot`: reserve the
   * call's pacer slot with the claim (the send path); see `CallPacer.awaitReserved`.
   */
  claim(chunkId: string, sendId: string, quietUntil?: number, slot?: PacerSlotArgs): Promise<ClaimResult>;
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
  const claimScript = luaScript(redis, 'smsqClaim', CLAIM_SCRIPT, 6);
  const transitionScript = luaScript(redis, 'smsqTransition', TRANSITION_SCRIPT, 7);
  const splitScript = luaScript(redis, 'smsqSplit', SPLIT_SCRIPT);
  const createScript = luaScript(redis, 'smsqCreateChunk', CREATE_SCRIPT, 3);
  return {
    async create(newChunks, ttlSeconds) {
      // One command per chunk, sent together (ioredis writes them in one go), not a pipeline: a
      // pipeline holds every payload until the last reply, long enough for V8 to promote them to
      // the old generation and raise a campaign's peak RSS (docs/benchmarks.md, "Figures behind the code").
      const now = clock.now();
      await Promise.all(
        newChunks.map((c) =>
          createScript(
            keys.chunk(chunkIdOf(c.sendId, c.index)),
            keys.sendCounts(c.sendId),
            keys.recipientTotals(),
            c.payload.phones.length,
            now,
            ttlSeconds,
            'sendId',
            c.sendId,
            'index',
            c.index,
            'kind',
            c.kind,
            'payload',
            JSON.stringify(c.payload),
          ),
        ),
      );
    },

    async claim(chunkId, sendId, quietUntil = 0, slot) {
      const claimedAt = clock.now();
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
      )) as string[];
      switch (res[0]) {
        case 'send':
          return {
            type: 'send',
            attempt: Number(res[1]),
            outId: String(res[2]),
            payload: ChunkPayload.parse(JSON.parse(String(res[3]))),
            kind: res[4] as MessageKind,
            n: Number(res[5]),
            index: String(res[6]),
            slotWaitMicros: res[7] ? Number(res[7]) : undefined,
            claimedAt,
          };
        case 'unknown':
          return { type: 'unknown', attempt: Number(res[1]), outId: String(res[2] ?? ''), sentAt: Number(res[3] ?? 0) };
        case 'ended':
          return { type: 'ended', state: res[1] as 'failed' | 'cancelled' | 'expired', code: String(res[2]) };
        case 'paused':
          return { type: 'paused' };
        case 'quiet':
          return { type: 'quiet', until: Number(res[1]) };
        case 'done':
          return { type: 'done', state: res[1] as ChunkState };
        default:
          return { type: 'missing' };
      }
    },

    async transition(chunkId, sendId, req) {
      const o = req.outcome;
      const argv: (string | number)[] = [
        req.outId ?? '',
        req.from.join(','),
        req.to,
        clock.now(),
        eventsMaxLen,
        req.windowEndsAt ?? '',
        o ? (o.ok ? '1' : '0') : '',
        o?.window ?? 0,
        o?.maxFailureRatio ?? 0,
        o?.ttlSeconds ?? 0,
      ];
      for (const [k, v] of Object.entries(req.fields ?? {})) argv.push(k, v);
      const res = (await transitionScript(
        keys.chunk(chunkId),
        keys.sendCounts(sendId),
        keys.events(),
        keys.recipientTotals(),
        keys.receiptWindow(),
        keys.sendOutcomes(sendId),
        keys.send(sendId),
        ...argv,
      )) as [number, string, string?, string?];
      const [applied, state, third, adopted] = res;
      if (applied !== 1) return { applied: false, state, outId: third ?? '' };
      return {
        applied: true,
        from: state as ChunkState,
        ...(third ? { pauseReason: third } : {}),
        ...(adopted ? { adoptedAttempt: Number(adopted) } : {}),
      };
    },

    async split(chunkId, sendId, outId, children, ttlSeconds) {
      const first = children[0];
      const childKeys = children.map((c) => keys.chunk(chunkIdOf(c.sendId, c.index)));
      const argv: (string | number)[] = [outId, clock.now(), ttlSeconds, sendId, first?.kind ?? 'notification', eventsMaxLen];
      for (const c of children) argv.push(c.index, JSON.stringify(c.payload));
      const res = await splitScript(
        4 + childKeys.length,
        keys.chunk(chunkId),
        keys.sendCounts(sendId),
        keys.events(),
        keys.recipientTotals(),
        ...childKeys,
        ...argv,
      );
      return res === 1;
    },

    async setBizId(chunkId, bizId) {
      await redis.hset(keys.chunk(chunkId), 'bizId', bizId);
    },

    async get(chunkId) {
      const h = await redis.hgetall(keys.chunk(chunkId));
      if (!h.state) return undefined;
      return {
        chunkId,
        sendId: h.sendId ?? '',
        index: h.index ?? '',
        kind: h.kind as MessageKind,
        n: Number(h.n ?? 0),
        state: h.state as ChunkState,
        attempt: Number(h.attempt ?? 0),
        outId: h.outId || undefined,
        sentAt: h.sentAt ? Number(h.sentAt) : undefined,
        bizId: h.bizId || undefined,
        code: h.code || undefined,
        resolvedBy: h.resolvedBy || undefined,
        flowRetries: Number(h.flowRetries ?? 0),
        acceptedAt: h.acceptedAt ? Number(h.acceptedAt) : undefined,
        payload: ChunkPayload.parse(JSON.parse(h.payload ?? '{}')),
      };
    },
  };
}
