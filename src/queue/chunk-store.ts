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
-- KEYS[1] recipient totals; then for chunk i: KEYS[2i] its hash, KEYS[2i+1] its send's counts.
-- ARGV[1] now, ARGV[2] ttl (s); then for chunk i, from ARGV[5i-2]: n, sendId, index, kind, payload.
-- Idempotent: an existing chunk is left as it is. Returns how many chunks were created.
local now, ttl, created, queued = ARGV[1], ARGV[2], 0, 0
for i = 1, (#KEYS - 1) / 2 do
  local chunk, a = KEYS[2 * i], 5 * i - 2
  if redis.call('EXISTS', chunk) == 0 then
    local n = tonumber(ARGV[a])
    redis.call('HSET', chunk, 'state', 'queued', 'attempt', 0, 'n', n, 'createdAt', now, 'updatedAt', now,
      'sendId', ARGV[a + 1], 'index', ARGV[a + 2], 'kind', ARGV[a + 3], 'payload', ARGV[a + 4])
    redis.call('EXPIRE', chunk, ttl)
    redis.call('HINCRBY', KEYS[2 * i + 1], 'queued', n)
    created = created + 1
    queued = queued + n
  end
end
if queued > 0 then redis.call('HINCRBY', KEYS[1], 'queued', queued) end
return created
`;

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
  const createScript = luaScript(redis, 'smsqCreateChunks', CREATE_SCRIPT);
  return {
    async create(newChunks, ttlSeconds) {
      // Each payload goes as UTF-8 bytes, made at once: its JSON string (two bytes a character
      // when a param is Chinese) is garbage at once, and the bytes wait for the reply outside the
      // heap. Strings held until a reply live long enough for V8 to promote them to the old
      // generation and raise a campaign's peak RSS (docs/benchmarks.md, "Figures behind the code").
      const now = clock.now();
      const writes: Promise<unknown>[] = [];
      for (let first = 0; first < newChunks.length; first += CHUNKS_PER_CREATE) {
        const group = newChunks.slice(first, first + CHUNKS_PER_CREATE);
        const args: (string | number | Buffer)[] = [1 + 2 * group.length, keys.recipientTotals()];
        for (const c of group) args.push(keys.chunk(chunkIdOf(c.sendId, c.index)), keys.sendCounts(c.sendId));
        args.push(now, ttlSeconds);
        for (const c of group) args.push(c.payload.phones.length, c.sendId, c.index, c.kind, Buffer.from(JSON.stringify(c.payload)));
        writes.push(createScript(...args));
      }
      await Promise.all(writes);
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
