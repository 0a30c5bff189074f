import type { Redis } from 'ioredis';
import { NotDurableError } from '../errors.js';
import { blockingCommand } from '../queue/blocking-commands.js';
import { resolveDurability, type DurabilityOptions } from './mode.js';
import { leaveIfPrimaryMoved } from './primary-moved.js';
import { attachedReplicas, countedReplicas, countReplicas, recountSoon } from './replica-count.js';
import { finishedWithin } from '../finished-within.js';

/**
 * Confirms that the writes sent on one connection since a mark are durable in the configured mode.
 * `fsync` and `none` need no round trip (with appendfsync always Redis replies only after the
 * fsync); the WAIT modes send WAIT / WAITAOF on the same connection, which covers every write that
 * connection sent before it, and only those: a write sent on a connection that has since been
 * lost is not covered by a WAIT on its successor, so the mark is taken before the first write.
 */
export interface DurabilityBarrier {
  /** Taken before the first write of what `confirm` will confirm (a claim, an enqueue). */
  mark(): Promise<WriteMark>;
  /**
   * Throws NotDurableError when the confirmation did not come in time, or the connection was lost
   * since `since`. `written`, a field the writes set, lets a worker's watch make sure they are held
   * by the server it checked (confirmedByWatch, watch.ts); the barrier itself does not read it.
   */
  confirm(what: string, since: WriteMark, written?: WrittenField): Promise<void>;
}

/** A hash field the writes set (a claim's OutId in its chunk), as proof of where they are held. */
export interface WrittenField {
  readonly key: string;
  readonly field: string;
  readonly value: string;
}

/**
 * Which connection the writes went out on: the server's connection object (a Cluster replaces a
 * node's object when its connection drops) and how many times it had been lost when they began.
 */
export interface WriteMark {
  readonly node: Redis | undefined;
  readonly closes: number;
}

const NO_MARK: WriteMark = Object.freeze({ node: undefined, closes: 0 });

/**
 * `server` names the Redis that holds the writes (on a Cluster, the master serving the
 * deployment's slot: connection.ts createNodeResolver); WAIT must go to it.
 */
/** The fix of a confirmation that a lost connection cut short: nothing is wrong with the replicas. */
const RETRY_AFTER_RECONNECT = 'retry once Redis answers again (with the same idempotency key, for an enqueue); nothing was sent on it';

export function createDurabilityBarrier(server: () => Promise<Redis>, opts: DurabilityOptions): DurabilityBarrier {
  const { mode, replicas: asked, timeoutMs } = resolveDurability(opts);
  if (mode === 'fsync' || mode === 'none') return { mark: async () => NO_MARK, async confirm() {} };
  return {
    async mark() {
      const node = await server();
      return { node, closes: closesOf(node) };
    },
    async confirm(what, since) {
      const redis = await server();
      if (redis !== since.node) throw new NotDurableError(what, 'the connection to Redis was replaced after the writes, so the confirmation would not cover them', RETRY_AFTER_RECONNECT);
      // WAIT counts the replicas holding what *this connection* wrote. A connection lost after
      // the mark (Redis restarted or failed over between the writes and here), or while WAIT
      // waits (ioredis resends WAIT on a new connection that wrote nothing, and any replica
      // "confirms" it), leaves writes it does not cover: count that as not confirmed.
      if (redis.status !== 'ready') throw new NotDurableError(what, 'the connection to Redis was down before the writes could be confirmed', RETRY_AFTER_RECONNECT);
      const connectionLost = () => {
        if (closesOf(redis) !== since.closes) throw new NotDurableError(what, 'the connection to Redis was lost after the writes, so the confirmation would not cover them', RETRY_AFTER_RECONNECT);
      };
      connectionLost();
      // A confirmation cut by the connection's loss (its own, or the one it was to share) is that:
      // not ioredis's "Connection is closed." or "Stream isn't writeable".
      const orLost = (err: unknown): never => {
        connectionLost();
        // Its close event may come after the commands it failed.
        if (redis.status !== 'ready') throw new NotDurableError(what, 'the connection to Redis was lost after the writes, so the confirmation would not cover them', RETRY_AFTER_RECONNECT);
        throw err;
      };
      // A number is the caller's (waitaof with 0: the primary's own fsync alone); `all` with none up confirms nothing.
      const replicas = asked === 'all' ? await followedCount(redis, what, timeoutMs, orLost) : asked;
      connectionLost();
      if (asked === 'all' && replicas < 1) throw new NotDurableError(what, 'no replica is up to confirm it (SMSQ_DURABILITY_REPLICAS=all)', 'bring a replica back; calls wait meanwhile');
      if (mode === 'waitaof') {
        // Not shared as WAIT is: each WAITAOF that blocks has the primary ask the replicas for their
        // fsynced offset, and fewer of them left confirmations waiting for the replicas' once-a-second
        // report on Valkey 8.0 (docs/benchmarks.md, "Durability modes").
        const [local, remote] = (await blockingCommand(redis, redis.call('WAITAOF', 1, replicas, timeoutMs)).catch(orLost)) as [number, number];
        connectionLost();
        if (remote < replicas) fallenShort(redis, asked === 'all');
        if (local < 1 || remote < replicas) throw new NotDurableError(what, `WAITAOF: fsynced locally ${local}, on ${remote} of ${replicas} replica(s) within ${timeoutMs} ms`);
        if (asked === 'all') await everyAttachedCounted(redis, what, orLost);
        return;
      }
      const acked = (await sharedConfirmation(redis, ['WAIT', replicas, timeoutMs]).catch(orLost)) as number;
      connectionLost();
      if (acked < replicas) {
        fallenShort(redis, asked === 'all');
        throw new NotDurableError(what, `WAIT: ${acked} of ${replicas} replica(s) confirmed within ${timeoutMs} ms`);
      }
      if (asked === 'all') await everyAttachedCounted(redis, what, orLost);
    },
  };
}

/**
 * A confirmation fell short on `redis`: if it is on a primary the sentinels have replaced (a
 * manual failover leaves the old one writable for some 10 s), move it to the promoted one now;
 * with `all`, count the replicas again (a replica the sentinels now flag down stops holding calls).
 * Not awaited: the refusal is said at once, and a sentinel slow to answer holds no one.
 */
function fallenShort(redis: Redis, recount: boolean): void {
  leaveIfPrimaryMoved(redis).catch(() => {});
  if (recount) recountSoon(redis);
}

/**
 * `all`: the count of the last check on this link, or one made now (a link not yet counted, as a
 * push's confirmation after a reconnect, whose check comes after its writes), within the
 * confirmation's own timeout. While a replica is left out it is counted again soon: once back and
 * attached, it must count before a failover could promote it.
 */
async function followedCount(redis: Redis, what: string, timeoutMs: number, orLost: (err: unknown) => never): Promise<number> {
  let count = countedReplicas(redis);
  if (count === undefined) {
    const counting = countReplicas(redis);
    if (!(await finishedWithin(counting, timeoutMs).catch(orLost))) {
      counting.catch(() => {}); // finished later, or failed: nobody waits for it any more
      throw new NotDurableError(what, `the replicas could not be counted within ${timeoutMs} ms (the sentinels did not answer)`);
    }
    count = await counting;
  }
  // The count moves the connection to the primary the sentinels name (replica-count.ts). One whose
  // move was skipped (a link dropped less than a gap before: primary-moved.ts leaveNamedElsewhere)
  // is made again soon, and moves it then: kept, it refused every call on this link until the
  // next check (a worker's: 30 s).
  if ('elsewhere' in count) {
    recountSoon(redis);
    throw new NotDurableError(what, 'the sentinels name another primary than the one the writes went to (the newest config epoch, or a majority of them)', RETRY_AFTER_RECONNECT);
  }
  if (count.leftOut > 0) recountSoon(redis);
  return count.count;
}

/**
 * `all`: after the confirmation, the replicas attached to the primary (INFO replication, on the same
 * connection, so read after the WAIT) must all be among those counted. One attached since the
 * count (added, or back) and lagging was not waited for, and a failover may promote it without
 * the writes: the confirmation is refused and the replicas counted again. A replica that attaches
 * after this read syncs from the primary, writes included.
 */
async function everyAttachedCounted(redis: Redis, what: string, orLost: (err: unknown) => never): Promise<void> {
  const info = await redis.info('replication').catch(orLost);
  const count = countedReplicas(redis);
  const counted = count && 'replicas' in count ? count.replicas : [];
  const uncounted = attachedReplicas(info).filter((address) => !counted.includes(address));
  if (uncounted.length === 0) return;
  recountSoon(redis);
  throw new NotDurableError(what, `replica ${uncounted.join(', ')} attached since the replicas were counted (SMSQ_DURABILITY_REPLICAS=all), so the confirmation may not include it`, 'retry: the replicas are counted again within a second');
}

/** A connection's WAIT (one per arguments): the one out, and the one that will follow it. */
interface ConfirmationQueue {
  running?: Promise<unknown>;
  next?: Promise<unknown>;
}
const confirmationQueues = new WeakMap<Redis, Map<string, ConfirmationQueue>>();

/**
 * Sends `command` (a WAIT) for a caller whose writes went out on `redis` before this call.
 * A WAIT covers every write its connection sent before it, and blocks that connection until it
 * answers. So every confirmation asked for while one is out shares the next, sent once that one
 * answers (after every write of its callers), instead of each queueing a round trip to the
 * replicas behind the others' (docs/benchmarks.md, "Durability modes").
 */
function sharedConfirmation(redis: Redis, command: [string, ...(string | number)[]]): Promise<unknown> {
  let queues = confirmationQueues.get(redis);
  if (!queues) confirmationQueues.set(redis, (queues = new Map()));
  const key = command.join(' ');
  let queue = queues.get(key);
  if (!queue) queues.set(key, (queue = {}));
  const q = queue;
  const send = (): Promise<unknown> => {
    const sent = blockingCommand(redis, redis.call(...command));
    q.running = sent;
    const done = () => {
      if (q.running === sent) q.running = undefined;
    };
    sent.then(done, done);
    return sent;
  };
  if (!q.running) return send();
  if (!q.next) {
    const after = () => {
      q.next = undefined;
      return send();
    };
    q.next = q.running.then(after, after);
  }
  return q.next;
}

/**
 * Whether the connection that `since` noted has been lost (or is not up) since: a write sent now
 * would go to whatever server it reconnected to, which may lack the writes made before (a replica
 * promoted while it lagged). Always false in the `fsync` and `none` modes, whose marks note no
 * connection: a Redis that comes back from its fsynced AOF holds every write it acknowledged.
 */
export function connectionLostSince(since: WriteMark): boolean {
  const node = since.node;
  return node !== undefined && (closesOf(node) !== since.closes || node.status !== 'ready');
}

const closeCounts = new WeakMap<Redis, { closes: number }>();

/** How many times `redis` lost its connection since the first call for it. */
export function closesOf(redis: Redis): number {
  let entry = closeCounts.get(redis);
  if (!entry) {
    const counter = { closes: 0 };
    redis.on('close', () => counter.closes++);
    closeCounts.set(redis, counter);
    entry = counter;
  }
  return entry.closes;
}
