import type { Redis } from 'ioredis';
import { NotDurableError, RedisNotDurableError } from '../errors.js';
import { mention } from '../setting-mention.js';
import type { Logger } from '../logger.js';
import { isCluster, type RedisConnection } from '../queue/connection.js';
import { closesOf, type DurabilityBarrier, type WrittenField } from './barrier.js';
import { createLatch } from '../latch.js';
import type { DurabilityOptions } from './mode.js';
import { checkRedisDurability } from './check.js';

/**
 * A worker's watch over the durability mode after its start-up check. Redis can stop keeping the
 * mode while smsq runs: an operator's CONFIG SET (appendfsync everysec, no-appendfsync-on-rewrite
 * yes), a restart with another redis.conf, a failover to a replica configured otherwise. A claim
 * written then is not durable before its call, which is what the mode promises. So the watch
 * checks again every `intervalMs` and whenever the connection comes back (the server may be
 * another), and while the mode does not hold it holds every new claim: the jobs wait, nothing is
 * called, and the claims go on once a check finds the mode kept again. From a lost connection
 * until the check after it, claims are held too: the first claim on a new server comes after its check.
 * On a Cluster a claim can itself be what finds the slot moved (below, {@link confirmedByWatch}).
 */
export interface DurabilityWatch {
  /** Begins checking (after the start-up check passed on `judged`, the server it checked). */
  start(judged?: Redis): void;
  stop(): void;
  /** Undefined while the mode holds; otherwise resolves once a check finds it kept (or the watch stops). */
  held(): Promise<void> | undefined;
  /**
   * Whether claims are not held and `node` is the server the last passing check judged, its
   * connection not lost since. When not (and nothing holds the claims yet), the claims are held
   * and the mode checked again, as after a lost connection.
   */
  vouchesFor(node: Redis): boolean;
  /** Checks now; resolves when this check is done (a probe that fails leaves things as they were). */
  check(): Promise<void>;
}

export interface DurabilityWatchOptions {
  /** The connection whose 'close' and 'ready' say that the server may have changed. */
  redis: RedisConnection;
  /** The server holding the deployment's keys (a Cluster's master of the slot). */
  server: () => Promise<Redis>;
  durability: DurabilityOptions;
  logger: Logger;
  /** How often to check while nothing else prompts it (ms). */
  intervalMs: number;
  /** Warnings already logged (by the start-up check): each is said once. */
  warned?: Set<string>;
  /**
   * Called when the claims become held for a refusal, or for another one (its message, which names
   * the fix), and with undefined when that hold ends (the mode holds again, or the watch stops); a
   * hold for a lost connection alone is not told. The worker says it in Redis for status and /metrics.
   */
  onHoldChange?: (refusal: string | undefined) => void;
}

/** How often a watch that holds the claims checks whether the mode is kept again (ms). */
const HELD_RECHECK_MS = 1000;
/** Checks in a row without an answer, while claims are held, before the watch says so. */
const UNANSWERED_BEFORE_WARNING = 5;
/** What an ioredis Cluster emits when the node serving a slot may have changed. */
const CLUSTER_TOPOLOGY_EVENTS = ['refresh', '+node', '-node'] as const;

export function createDurabilityWatch(options: DurabilityWatchOptions): DurabilityWatch {
  const log = options.logger;
  const warned = options.warned ?? new Set<string>();
  const claims = createLatch();
  /** Why claims are held now: a refusal's message, or a lost connection; undefined when not held. */
  let reason: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let heldTimer: NodeJS.Timeout | undefined;
  let checking: Promise<void> | undefined;
  let stopped = true;
  // Connections lost so far: a check releases the claims only if none was lost while it ran.
  let losses = 0;
  // Checks in a row that got no answer (see checkOnce).
  let unanswered = 0;
  // The server the last passing check judged, and its connection's losses then: on a Cluster the
  // deployment's connection does not close when the slot's master changes (a failover, a reshard).
  let checkedOn: { node: Redis; closes: number } | undefined;

  const holdClaims = (why: string) => {
    reason = why;
    // Held, it looks again soon: the fix (a CONFIG SET), or the server after a reconnect, should
    // not wait for the next interval.
    if (!heldTimer) {
      heldTimer = setInterval(() => void check(), Math.min(options.intervalMs, HELD_RECHECK_MS));
      heldTimer.unref();
    }
    claims.close();
  };
  const releaseClaims = () => {
    const refused = reason !== undefined && reason !== 'connection';
    unanswered = 0;
    if (heldTimer) clearInterval(heldTimer);
    heldTimer = undefined;
    claims.open();
    reason = undefined;
    if (refused) options.onHoldChange?.(undefined);
  };

  async function checkOnce(): Promise<void> {
    const lossesSeen = losses;
    let refusal: RedisNotDurableError | undefined;
    let node: Redis | undefined;
    try {
      node = await options.server();
      await checkRedisDurability(node, options.durability, log, warned);
    } catch (err) {
      if (!(err instanceof RedisNotDurableError)) {
        // Redis does not answer (claims cannot be written either), or not to this check. While
        // claims are held for it, it is said once it lasts: jobs then wait with no other sign.
        unanswered++;
        if (claims.closed && unanswered === UNANSWERED_BEFORE_WARNING) {
          log.warn({ err, checks: unanswered }, 'DURABILITY: Redis does not answer the durability check since its connection came back: this worker makes no new call until a check passes (jobs wait, nothing is lost)');
        } else log.debug({ err }, 'durability check: no answer from Redis');
        return;
      }
      refusal = err;
    }
    unanswered = 0;
    if (stopped) return;
    if (refusal) {
      if (reason !== refusal.message) {
        log.error({ durability: options.durability.mode, code: refusal.code }, `DURABILITY: this worker makes no new call until it holds again (jobs wait, nothing is lost). ${refusal.message}`);
        options.onHoldChange?.(refusal.message);
      }
      holdClaims(refusal.message);
      return;
    }
    if (node) checkedOn = { node, closes: closesOf(node) };
    if (claims.closed && losses === lossesSeen) {
      const wasRefused = reason !== 'connection';
      releaseClaims();
      if (wasRefused) log.info({ durability: options.durability.mode }, 'DURABILITY: Redis keeps the mode again; calls resume');
    }
  }

  // One check at a time; a check asked for meanwhile runs once after it (a reconnect must be
  // judged by a probe sent after it, not by one sent to the server before).
  let again: Promise<void> | undefined;
  const check = (): Promise<void> => {
    if (!checking) {
      checking = checkOnce().finally(() => (checking = undefined));
      return checking;
    }
    again ??= checking.then(() => {
      again = undefined;
      return check();
    });
    return again;
  };
  const onClose = () => {
    losses++;
    if (!claims.closed) holdClaims('connection');
  };
  const onReady = () => {
    void check();
  };
  const judged = (node: Redis) => node === checkedOn?.node && closesOf(node) === checkedOn.closes;
  const suspect = () => {
    onClose();
    void check();
  };
  // A Cluster: its slots were refreshed or a node came or went. Claims are held and the mode
  // checked again only if the deployment's slot is now served by another node than the one last
  // judged (or that node's connection was lost since).
  const onTopology = () => {
    void options
      .server()
      .catch(() => undefined)
      .then((node) => {
        if (!stopped && !(node && judged(node))) suspect();
      });
  };

  return {
    start(judgedAtStart) {
      if (!stopped) return;
      stopped = false;
      if (judgedAtStart) checkedOn = { node: judgedAtStart, closes: closesOf(judgedAtStart) };
      options.redis.on('close', onClose);
      options.redis.on('ready', onReady);
      if (isCluster(options.redis)) for (const event of CLUSTER_TOPOLOGY_EVENTS) options.redis.on(event, onTopology);
      timer = setInterval(() => void check(), options.intervalMs);
      timer.unref();
    },
    stop() {
      stopped = true;
      options.redis.off('close', onClose);
      options.redis.off('ready', onReady);
      if (isCluster(options.redis)) for (const event of CLUSTER_TOPOLOGY_EVENTS) options.redis.off(event, onTopology);
      if (timer) clearInterval(timer);
      timer = undefined;
      releaseClaims();
    },
    held: () => claims.wait(),
    vouchesFor(node) {
      if (stopped) return true;
      if (claims.closed) return false;
      if (judged(node)) return true;
      suspect();
      return false;
    },
    check,
  };
}

/**
 * `barrier`, which also refuses a claim the watch cannot vouch for: written on a server other than
 * the one its last check judged, or while claims were held. On a Cluster, the claim itself may be
 * the worker's first command on its slot after the slot moved: ioredis sends a command answered
 * MOVED on to the new master at once and says 'refresh' only after asking the Cluster for its
 * slots, so the claim lands on the new master, unchecked, before the watch hears of it (9 runs of
 * 9 of its test in durability-recheck.test.ts). By the time the claim's answer is back, the
 * client's slot table names the new master, so `server` finds it: the claim is undone before any
 * call (SMSQ_NOT_DURABLE, tried again a second later) and the mode checked there.
 *
 * While a slot is being migrated (a reshard), the master still serving it answers ASK for a key it
 * has already handed over, and ioredis sends the claim to the importing master with no event and
 * no change to its slot table (node_modules/ioredis/built/cluster/index.js, the `ask` handler):
 * `server` still names the master judged, and the claim is on another, never checked. So on a
 * Cluster (`cluster`) the claim's `written` field is read back from the judged master itself, on
 * its own connection: it must answer with the claim's value. A key it no longer holds is answered
 * ASK (or MOVED once the move ended): the claim is undone as above, and tried again until the move
 * ends and the slot's new master has been checked. This costs one HGET per claim on a Cluster.
 */
export function confirmedByWatch(barrier: DurabilityBarrier, watch: DurabilityWatch, server: () => Promise<Redis>, cluster: boolean): DurabilityBarrier {
  return {
    mark: () => barrier.mark(),
    async confirm(what, since, written) {
      await barrier.confirm(what, since);
      // After the barrier's WAIT: a move while it waited counts too.
      const node = await server();
      if (!watch.vouchesFor(node)) {
        throw new NotDurableError(
          what,
          `the Redis server that holds it was not checked for ${mention('durability.mode')} since it took over (a Cluster slot moved) or while claims were held`,
          'nothing to do if the check now under way passes: the claim is made again; if it refuses, the worker logs why and the fix',
        );
      }
      if (cluster && written && !(await heldBy(node, written))) {
        throw new NotDurableError(
          what,
          `it was written on a Redis Cluster master other than the one checked for ${mention('durability.mode')}: the slot is being migrated (a reshard) and its keys had moved there (ASK)`,
          'nothing to do: the claim is made again a second later, and once the migration ends the slot\'s new master is checked before any call',
        );
      }
    },
  };
}

/** Whether `node` itself holds `written` (a command on a node's own connection is not redirected). */
async function heldBy(node: Redis, written: WrittenField): Promise<boolean> {
  try {
    return (await node.hget(written.key, written.field)) === written.value;
  } catch (err) {
    // The key is elsewhere: ASK while its slot migrates, MOVED once the slot has moved.
    if (err instanceof Error && /^(ASK|MOVED) /.test(err.message)) return false;
    throw err;
  }
}
