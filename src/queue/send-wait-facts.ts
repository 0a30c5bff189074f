import { parseAccountBlock } from './account-block.js';
import type { RedisConnection } from './connection.js';
import { chunkIdOf } from './chunk-store.js';
import { CALLS_QUEUE, type Keys } from './keys.js';
import { parseQuietHours } from './quiet-hours.js';
import type { WaitFacts } from './send-wait.js';
import { THROTTLE_ACTIONS_READ, THROTTLE_LOG_WINDOW_MS, throttledActions } from './throttle-log.js';
import { distinctQuietHours, WORKER_SETTINGS_TTL_MS } from './worker-settings.js';
import { DURABILITY_HOLD_TTL_MS, parseDurabilityHolds } from './durability-holds.js';
import { ENDPOINT_BACKOFF_GRACE_MS, parseEndpointBackoffs } from './endpoint-backoffs.js';
import { isLookedUp, type ReceiptPolicy } from './receipt-policy.js';
import { readStoredChunk } from './stored-payload.js';

/** The value BullMQ's `queue.rateLimit(ms)` writes to the limiter key (workers/account-pauses.ts throttles with it). */
const RATE_LIMITED = String(Number.MAX_SAFE_INTEGER);

/**
 * Reads what every send shares (the account block, Dysmsapi's throttling of every worker now and
 * in the last minute with the actions it throttled, the live workers' quiet hours, durability holds and endpoint back-offs) in
 * one round trip, for {@link sendWait}. The back-offs are given only when every live worker backs
 * off: one that reaches its endpoint sends what the others put back.
 *
 * `atMs` is Redis's time (redisNowMs), what every window here is judged at: the workers stamped
 * these words on their clocks, kept near Redis's, and the asker's may be off by any amount (a
 * laptop a minute ahead found no live worker, hold or back-off; one behind, those of a worker dead
 * for a minute). A throttle's end is said on Redis's time too.
 */
export async function readWaitFacts(
  redis: RedisConnection,
  keys: Keys,
  atMs: number,
): Promise<Pick<WaitFacts, 'accountBlock' | 'throttledUntil' | 'recentThrottles' | 'workerQuietHours' | 'durabilityHolds' | 'endpointBackoffs'>> {
  const limiter = `${keys.prefix}:${CALLS_QUEUE}:limiter`;
  const replies =
    (await redis
      .multi()
      .hgetall(keys.account())
      .get(limiter)
      .pttl(limiter)
      .zrangebyscore(keys.workerSettings(), atMs - WORKER_SETTINGS_TTL_MS, '+inf')
      .zcount(keys.throttles(), atMs - THROTTLE_LOG_WINDOW_MS, '+inf')
      .zrange(keys.throttles(), -THROTTLE_ACTIONS_READ, -1, 'WITHSCORES')
      .zrangebyscore(keys.workerDurabilityHolds(), atMs - DURABILITY_HOLD_TTL_MS, '+inf')
      .zrangebyscore(keys.workerEndpointBackoffs(), atMs - ENDPOINT_BACKOFF_GRACE_MS, '+inf', 'WITHSCORES')
      .exec()) ?? [];
  const [hash, limit, ttl, settings, throttles, last, holding, backingOff] = replies.map(([err, value]) => (err ? undefined : value)) as [
    Record<string, string> | undefined,
    string | null | undefined,
    number | undefined,
    string[] | undefined,
    number | undefined,
    string[] | undefined,
    string[] | undefined,
    string[] | undefined,
  ];
  const block = parseAccountBlock(hash);
  const backoffs = parseEndpointBackoffs(backingOff ?? [], settings ?? []);
  const holds = parseDurabilityHolds(holding ?? []);
  const quiet = distinctQuietHours(settings ?? []);
  // The latest answers, oldest first, member and score in turn: those of the last minute name the actions throttled.
  const latest = last ?? [];
  const since = atMs - THROTTLE_LOG_WINDOW_MS;
  const actions = throttledActions(latest.filter((member, i) => i % 2 === 0 && Number(latest[i + 1]) >= since));
  const lastUntil = latest.at(-1);
  return {
    ...(block ? { accountBlock: block } : {}),
    ...(limit === RATE_LIMITED && ttl !== undefined && ttl > 0 ? { throttledUntil: atMs + ttl } : {}),
    ...(throttles && lastUntil ? { recentThrottles: { times: throttles, lastUntil: Number(lastUntil), ...(actions.length ? { actions } : {}) } } : {}),
    ...(quiet.length ? { workerQuietHours: quiet.map(parseQuietHours) } : {}),
    ...(holds ? { durabilityHolds: holds } : {}),
    ...(backoffs ? { endpointBackoffs: backoffs } : {}),
  };
}

/** The code of a per-number flow-control refusal (src/sms/error-codes.ts). */
const FLOW_CONTROL_CODE = 'isv.BUSINESS_LIMIT_CONTROL';

/** Sends with more chunks than this are not walked for a flow-control wait: status is asked often. */
export const FLOW_CONTROL_WALK_MAX_CHUNKS = 64;

/** Split children (one number each) walked at most per status, over all of a send's split chunks: a notification's chunk splits into up to 1000. */
export const STATUS_WALK_MAX_CHILDREN = 1_000;

/**
 * Every chunk record of a send with `fields` (and its state, its number count `n` and its `index`),
 * split chunks walked into their children (`<index>-<i>`, one number each): one pipelined round
 * trip, two with splits. Undefined when its split chunks have more than `maxChildren` children, none read.
 */
export async function readChunkFields<F extends string>(redis: RedisConnection, keys: Keys, sendId: string, chunks: number, fields: readonly F[], maxChildren = Infinity): Promise<ChunkFields<F>[] | undefined> {
  const names = ['state', 'n', ...fields] as const;
  const read = async (indexes: string[]) => {
    const p = redis.pipeline();
    for (const index of indexes) p.hmget(keys.chunk(chunkIdOf(sendId, index)), ...names);
    const res = (await p.exec()) ?? [];
    return res.map(([err, v], i) => ({ index: indexes[i] as string, f: err ? [] : (v as (string | null)[]) }));
  };
  const top = await read(Array.from({ length: chunks }, (_, i) => String(i)));
  const split = top.filter((c) => c.f[0] === 'split');
  // Counted before they are listed: a record's `n` is not trusted to be small.
  if (split.reduce((sum, c) => sum + Number(c.f[1] ?? 0), 0) > maxChildren) return undefined;
  const children = split.flatMap((c) => Array.from({ length: Number(c.f[1] ?? 0) }, (_, i) => `${c.index}-${i}`));
  const all = [...top, ...(children.length ? await read(children) : [])];
  return all.map(({ index, f }) => ({ ...(Object.fromEntries(names.map((name, i) => [name, f[i] ?? null])) as Record<F | 'state' | 'n', string | null>), index }));
}

/** A chunk record as {@link readChunkFields} reads it. */
export type ChunkFields<F extends string> = Record<F | 'state' | 'n', string | null> & { index: string };

/** What a status reads of each chunk of a send it walks: for the flow-control wait and the stranded chunks (chunk-jobs.ts readStrandedChunks). */
export const STATUS_CHUNK_FIELDS = ['attempt', 'code', 'updatedAt', 'sentAt', 'priorSentAt', 'flowRetryAt'] as const;
export type StatusChunk = ChunkFields<(typeof STATUS_CHUNK_FIELDS)[number]>;

/**
 * A send's chunk records as a status reads them, once for all it says of them: undefined for a
 * send of more than {@link FLOW_CONTROL_WALK_MAX_CHUNKS} chunks or whose split chunks have more
 * than {@link STATUS_WALK_MAX_CHILDREN} children (status is asked often: `--wait`, `--watch`).
 */
export async function readStatusChunks(redis: RedisConnection, keys: Keys, sendId: string, chunks: number): Promise<StatusChunk[] | undefined> {
  if (chunks < 1 || chunks > FLOW_CONTROL_WALK_MAX_CHUNKS) return undefined;
  return readChunkFields(redis, keys, sendId, chunks, STATUS_CHUNK_FIELDS, STATUS_WALK_MAX_CHILDREN);
}

/**
 * When a send's queued chunks go again, if every one of them waits for a per-number flow-control
 * window (send-processor.ts records `flowRetryAt` with the refusal and delays the job until then):
 * the earliest such time still ahead of `atMs`; undefined when any queued chunk waits for something
 * else, none is queued, or the send's chunks were not walked ({@link readStatusChunks}).
 * `atMs` is Redis's time: `flowRetryAt` is on the refused worker's clock, as is the job's delay.
 */
export function flowControlRetryOf(chunks: readonly StatusChunk[] | undefined, atMs: number): number | undefined {
  let earliest: number | undefined;
  for (const chunk of chunks ?? []) {
    if (chunk.state !== 'queued') continue;
    const at = Number(chunk.flowRetryAt);
    if (chunk.code !== FLOW_CONTROL_CODE || !(at > atMs)) return undefined;
    earliest = Math.min(earliest ?? at, at);
  }
  return earliest;
}

/**
 * Sends larger than this (chunks, recipients) are not counted for {@link readLookedUpPending}:
 * status is asked every second by a watch, and the count reads every number of the send.
 */
export const LOOKED_UP_COUNT_MAX = Object.freeze({ chunks: FLOW_CONTROL_WALK_MAX_CHUNKS, recipients: 10_000 });

/**
 * Of a sent send's accepted recipients still without a receipt, how many its kind's sample looks
 * up (`policy`, as the receipt processor decides it: isLookedUp): the numbers of its accepted
 * chunks in the sample, less those with a receipt in its recipients hash (every entry there is a
 * final one). A status read, not one on the send path: the chunks and the receipts of the sample
 * are read in two or three round trips. Undefined for a send larger than {@link LOOKED_UP_COUNT_MAX}.
 * A chunk whose stored payload does not parse has no number to look up: none of it is counted.
 */
export async function readLookedUpPending(redis: RedisConnection, keys: Keys, send: { sendId: string; chunks: number; recipients: number }, policy: ReceiptPolicy): Promise<number | undefined> {
  if (send.chunks < 1 || send.chunks > LOOKED_UP_COUNT_MAX.chunks || send.recipients > LOOKED_UP_COUNT_MAX.recipients) return undefined;
  const chunks = await readChunkFields(redis, keys, send.sendId, send.chunks, ['payload', 'kind']);
  const sampled = (chunks ?? [])
    .filter((c) => c.state === 'accepted')
    .flatMap((c) => readStoredChunk({ payload: c.payload ?? undefined, kind: c.kind ?? undefined }).payload?.phones ?? [])
    .filter((phone) => isLookedUp(policy, send.sendId, phone));
  if (sampled.length === 0) return 0;
  const receipts = await redis.hmget(keys.recipients(send.sendId), ...sampled);
  return receipts.filter((r) => r === null).length;
}
