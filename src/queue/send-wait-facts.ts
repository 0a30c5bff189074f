import { parseAccountBlock } from './account-block.js';
import type { RedisConnection } from './connection.js';
import { chunkIdOf } from './chunk-store.js';
import { CALLS_QUEUE, type Keys } from './keys.js';
import { parseQuietHours } from './quiet-hours.js';
import type { WaitFacts } from './send-wait.js';
import { THROTTLE_LOG_WINDOW_MS } from './throttle-log.js';
import { distinctQuietHours, WORKER_SETTINGS_TTL_MS } from './worker-settings.js';
import { DURABILITY_HOLD_TTL_MS, parseDurabilityHolds } from './durability-holds.js';
import { ENDPOINT_BACKOFF_GRACE_MS, parseEndpointBackoffs } from './endpoint-backoffs.js';

/** The value BullMQ's `queue.rateLimit(ms)` writes to the limiter key (workers/account-pauses.ts throttles with it). */
const RATE_LIMITED = String(Number.MAX_SAFE_INTEGER);

/**
 * Reads what every send shares (the account block, Dysmsapi's throttling of every worker now and
 * in the last minute, the live workers' quiet hours, durability holds and endpoint back-offs) in
 * one round trip, for {@link sendWait}. `now` is the caller's clock. The back-offs are given only
 * when every live worker backs off: one that reaches its endpoint sends what the others put back.
 */
export async function readWaitFacts(
  redis: RedisConnection,
  keys: Keys,
  now: number,
): Promise<Pick<WaitFacts, 'accountBlock' | 'throttledUntil' | 'recentThrottles' | 'workerQuietHours' | 'durabilityHolds' | 'endpointBackoffs'>> {
  const limiter = `${keys.prefix}:${CALLS_QUEUE}:limiter`;
  const replies =
    (await redis
      .multi()
      .hgetall(keys.account())
      .get(limiter)
      .pttl(limiter)
      .zrangebyscore(keys.workerSettings(), now - WORKER_SETTINGS_TTL_MS, '+inf')
      .zcount(keys.throttles(), now - THROTTLE_LOG_WINDOW_MS, '+inf')
      .zrange(keys.throttles(), -1, -1, 'WITHSCORES')
      .zrangebyscore(keys.workerDurabilityHolds(), now - DURABILITY_HOLD_TTL_MS, '+inf')
      .zrangebyscore(keys.workerEndpointBackoffs(), now - ENDPOINT_BACKOFF_GRACE_MS, '+inf', 'WITHSCORES')
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
  return {
    ...(block ? { accountBlock: block } : {}),
    ...(limit === RATE_LIMITED && ttl !== undefined && ttl > 0 ? { throttledUntil: now + ttl } : {}),
    ...(throttles && last?.[1] ? { recentThrottles: { times: throttles, lastUntil: Number(last[1]) } } : {}),
    ...(quiet.length ? { workerQuietHours: quiet.map(parseQuietHours) } : {}),
    ...(holds ? { durabilityHolds: holds } : {}),
    ...(backoffs ? { endpointBackoffs: backoffs } : {}),
  };
}

/** The code of a per-number flow-control refusal (src/sms/error-codes.ts). */
const FLOW_CONTROL_CODE = 'isv.BUSINESS_LIMIT_CONTROL';

/** Sends with more chunks than this are not walked for a flow-control wait: status is asked often. */
export const FLOW_CONTROL_WALK_MAX_CHUNKS = 64;

/**
 * When a send's queued chunks go again, if every one of them waits for a per-number flow-control
 * window (send-processor.ts records `flowRetryAt` with the refusal and delays the job until then):
 * the earliest such time still ahead of `now`; undefined when any queued chunk waits for something
 * else, none is queued, or the send has more than {@link FLOW_CONTROL_WALK_MAX_CHUNKS} chunks.
 * Split chunks are walked into their children (`<index>-<i>`, one number each).
 */
export async function readFlowControlRetry(redis: RedisConnection, keys: Keys, sendId: string, chunks: number, now: number): Promise<number | undefined> {
  if (chunks < 1 || chunks > FLOW_CONTROL_WALK_MAX_CHUNKS) return undefined;
  const FIELDS = ['state', 'code', 'flowRetryAt', 'n'] as const;
  const read = async (indexes: string[]) => {
    const p = redis.pipeline();
    for (const index of indexes) p.hmget(keys.chunk(chunkIdOf(sendId, index)), ...FIELDS);
    const res = (await p.exec()) ?? [];
    return res.map(([err, v], i) => ({ index: indexes[i] as string, f: err ? [] : (v as (string | null)[]) }));
  };
  const top = await read(Array.from({ length: chunks }, (_, i) => String(i)));
  const children = top.filter((c) => c.f[0] === 'split').flatMap((c) => Array.from({ length: Number(c.f[3] ?? 0) }, (_, i) => `${c.index}-${i}`));
  const all = [...top, ...(children.length ? await read(children) : [])];
  let earliest: number | undefined;
  for (const { f } of all) {
    if (f[0] !== 'queued') continue;
    const at = Number(f[2]);
    if (f[1] !== FLOW_CONTROL_CODE || !(at > now)) return undefined;
    earliest = Math.min(earliest ?? at, at);
  }
  return earliest;
}
