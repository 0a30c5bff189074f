import type { EventEmitter } from 'node:events';
import { Cluster, type ClusterNode, type ClusterOptions, type Command, type Redis } from 'ioredis';
import { connectTimeoutOf } from './connect-timeout.js';
import { linkHistoryOf, noteFailure } from './link-history.js';
import { certificateRefusal } from './redis-errors.js';
import { releaseArgumentsWhenAnswered } from './released-arguments.js';

/**
 * ioredis's `Cluster`, except that `disconnect()` ends it while it waits to reconnect, as
 * DroppableRedis (droppable-redis.ts) does for one Redis: status `end`, the `end` event, and every
 * command still waiting rejected with "Connection is closed.".
 *
 * In ioredis 5.11, a Cluster whose every node is down waits to reconnect on a timer (status
 * `reconnecting`); its disconnect() then cancels the timer and empties a pool that holds no node,
 * so nothing ever ends it: the status stays `disconnecting`, and the commands in its offline queue
 * (a `worker` connection keeps them for when the Cluster is back) wait for ever, and so does a
 * graceful close that waits for them (test/integration/connection-drop.test.ts). The same while it
 * waits with status `close`: each node of the pool it emptied drains it again as its link ends,
 * and ioredis sets `close` at each (test/integration/cluster-connect-settles.test.ts).
 */
export class DroppableCluster extends Cluster {
  /** The last node certificate refused while reading the Cluster's slots, since they were last read. */
  private refusedCertificate: Error | undefined;

  constructor(...args: ConstructorParameters<typeof Cluster>) {
    super(...args);
    noteClusterStateFail(this);
    keepEnded(this);
    this.on('+node', (node: Redis) => this.keepCertificateRefusals(node));
    this.on('refresh', () => (this.refusedCertificate = undefined));
  }

  /**
   * ioredis's read of the slots, except that when no node answered, the error ("Failed to refresh
   * slots cache.", its last node error "Connection is closed.") says why when a node refused TLS:
   * its `lastNodeError` is that refusal (see {@link keepCertificateRefusals}).
   */
  override refreshSlotsCache(callback?: (err?: Error | null) => void): void {
    super.refreshSlotsCache((err?: Error | null) => {
      if (err?.name === 'ClusterAllFailedError' && this.refusedCertificate !== undefined) (err as { lastNodeError?: Error }).lastNodeError = this.refusedCertificate;
      callback?.(err);
    });
  }

  /**
   * ioredis reads the slots (CLUSTER SLOTS) on a duplicate of a node's client whose errors it
   * drops: a certificate every node's handshake refused (a CA this process does not trust, a
   * certificate not naming the address dialled) left only "Failed to refresh slots cache.", said
   * as Redis not answering, with the fix to start it. A refusal on such a duplicate is kept, named
   * with the node's address, for {@link refreshSlotsCache}.
   */
  private keepCertificateRefusals(node: Redis): void {
    const address = `${node.options.host ?? ''}:${node.options.port ?? ''}`;
    const duplicate = node.duplicate.bind(node);
    node.duplicate = (...args: Parameters<Redis['duplicate']>) => {
      const copy = duplicate(...args);
      copy.on('error', (err: unknown) => {
        const refused = certificateRefusal(err);
        if (refused) this.refusedCertificate = Object.assign(new Error(refused.message, { cause: refused }), { code: (refused as { code?: unknown }).code, node: address });
      });
      return copy;
    };
  }

  /**
   * ioredis's connect(), except that its promise settles however the attempt goes: resolved once
   * the Cluster is ready, rejected ("Connection is closed.") once it has ended.
   *
   * In ioredis 5.11 a connect whose ready check fails (CLUSTER INFO answering
   * `cluster_state:fail`, as between a master's death and its replica's promotion) reconnects by
   * itself and drops the promise it returned, which then never settles, however the Cluster goes
   * on (redis/ioredis#709). BullMQ awaits that promise when it resets a blocking connection whose
   * BZPOPMIN went unanswered: the worker's fetch loop for that queue waited for ever, its jobs
   * were no longer taken, and Worker.close() waited for the loop, so a worker with nothing in
   * flight outlived its grace after a failover
   * (test/integration/cluster-failover-close.test.ts).
   */
  override connect(): Promise<void> {
    // Refused by ioredis at once, its promise rejected: nothing of this attempt to wait for.
    if (this.status === 'connecting' || this.status === 'connect' || this.status === 'ready') return super.connect();
    const attempt = super.connect();
    return new Promise<void>((resolve, reject) => {
      const settle = (outcome: () => void) => {
        this.off('ready', onReady);
        this.off('end', onEnd);
        outcome();
      };
      const onReady = () => settle(resolve);
      const onEnd = () => settle(() => reject(new Error(CONNECTION_CLOSED)));
      this.once('ready', onReady);
      this.once('end', onEnd);
      attempt.then(onReady, (err: unknown) => settle(() => reject(err)));
    });
  }

  override disconnect(reconnect = false): void {
    const waitingToReconnect = !reconnect && (this as unknown as ReconnectInternals).reconnectTimeout != null;
    super.disconnect(reconnect);
    // Once ioredis ends such a Cluster itself, this finds it ended and does nothing.
    if (waitingToReconnect && this.status === 'disconnecting') endStranded(this);
  }

  /**
   * ioredis's handling of a reply to follow (MOVED, ASK, TRYAGAIN, CLUSTERDOWN, a closed link),
   * except that a command given up after its retries names what kept it from being served, not
   * only the last error. ioredis retries a command answered CLUSTERDOWN on a node picked at
   * random, the failed master among them (it keeps its slots), and its "Too many Cluster
   * redirections" named only the last error: "Connection is closed." of that master whenever the
   * last retry landed on it, told as Redis not answering, with the fix to start it. Short of a
   * Cluster down, a closed link is named: the master of the command's slot is gone while the
   * Cluster is up (ioredis retries a closed link only while it is ready), as in the seconds before
   * its replica's promotion. The nodes ioredis retries on meanwhile answer MOVED to that master,
   * and a last MOVED was told as the slot moving in a reshard, with the fix `redis-cli --cluster
   * fix` (which would give the failed master's slots away, empty).
   */
  override handleError(error: Error, ttl: { value?: unknown }, handlers: RedirectionHandlers): void {
    const met = ttl as { value?: unknown; clusterDown?: Error; closed?: Error };
    if (/^CLUSTERDOWN\b/.test(error.message)) met.clusterDown = error;
    if (error.message === CONNECTION_CLOSED && this.status === 'ready') met.closed = error;
    const reason = met.clusterDown ?? met.closed;
    const saysReason: RedirectionHandlers = { ...handlers, maxRedirections: () => handlers.maxRedirections(new Error(`Too many Cluster redirections. Last error: ${String(reason)}`)) };
    super.handleError(error, ttl, reason === undefined || reason === error ? handlers : saysReason);
  }

  /** A script lets go of its arguments once answered (released-arguments.ts). */
  override sendCommand(command: Command, stream?: Parameters<Cluster['sendCommand']>[1], node?: Parameters<Cluster['sendCommand']>[2]): unknown {
    const sent = super.sendCommand(command, stream, node);
    releaseArgumentsWhenAnswered(command, stream);
    return sent;
  }

  override duplicate(overrideStartupNodes: ClusterNode[] = [], overrideOptions: ClusterOptions = {}): DroppableCluster {
    const internals = this as unknown as { startupNodes: ClusterNode[] };
    return new DroppableCluster(overrideStartupNodes.length > 0 ? overrideStartupNodes : internals.startupNodes.slice(0), { ...this.options, ...overrideOptions });
  }
}

/** ioredis's error for a command whose node's link closed (its CONNECTION_CLOSED_ERROR_MSG, not exported). */
const CONNECTION_CLOSED = 'Connection is closed.';

/** What ioredis 5's handleError calls for each kind of reply (only the one changed here is named). */
interface RedirectionHandlers {
  maxRedirections(err: Error): void;
  [kind: string]: (...args: never[]) => void;
}

/** ioredis 5's check of a Cluster's state before it is ready (private in its types): `fail` is `cluster_state:fail` in CLUSTER INFO. */
type ReadyCheck = (callback: (err?: Error | null, fail?: boolean | string) => void) => void;

/** How a node's silence past the connect timeout is said (its reason when every node is silent). */
const NO_ANSWER = 'no answer to CLUSTER INFO';

/**
 * ioredis's ready check, CLUSTER INFO, asked of every master it knows rather than of one node at
 * random, and the first answer taken, with a Cluster down noted as the link's failure.
 *
 * A Cluster whose CLUSTER INFO says `cluster_state:fail` (a master down with no replica to take its
 * slots, under `cluster-require-full-coverage yes`) is never ready: ioredis drops the link and
 * reconnects, emitting no error, so whoever asked why it was down said "not connected;
 * reconnecting" and the fix "start Redis". The state is noted in the words Redis answers each
 * command with meanwhile (CLUSTERDOWN), which redis-errors.ts reads as the Cluster down. The node
 * ioredis asked could be the dead master (it still holds its slots), whose "Connection is closed."
 * said the same; only when no node answers is a node's failure the reason.
 *
 * Masters only: a replica says the same state, and every (re)connect of every connection asked
 * each one too. A node that neither answers nor refuses (a frozen process keeps its connection
 * open) counts as failed after the connect timeout: waited for, it kept the check from ever
 * calling back once the others had refused, and the connection from being ready or retrying.
 */
function noteClusterStateFail(cluster: Cluster): void {
  const internals = cluster as unknown as { readyCheck: ReadyCheck };
  const ownCheck = internals.readyCheck.bind(cluster);
  internals.readyCheck = (callback) => {
    const masters = cluster.nodes('master');
    const nodes = masters.length > 0 ? masters : cluster.nodes('all');
    if (nodes.length === 0) return ownCheck(callback);
    const answerMs = connectTimeoutOf(cluster);
    let answered = false;
    const failures: unknown[] = [];
    const timers: NodeJS.Timeout[] = [];
    const settle = (err?: Error | null, fail?: string) => {
      answered = true;
      for (const timer of timers) clearTimeout(timer);
      callback(err, fail);
    };
    for (const node of nodes) {
      const address = `${node.options.host ?? ''}:${node.options.port ?? ''}`;
      const late = new Promise<never>((_, reject) => timers.push(setTimeout(() => reject(new Error(`${NO_ANSWER} within ${answerMs} ms from ${address}`)), answerMs)));
      Promise.race([node.cluster('INFO'), late]).then(
        (info) => {
          if (answered) return;
          const state = /^cluster_state:(\w+)/m.exec(String(info))?.[1];
          if (state !== 'fail') return settle();
          noteFailure(linkHistoryOf(cluster), new Error(`CLUSTERDOWN cluster_state:fail in CLUSTER INFO of ${address}`));
          settle(null, state);
        },
        (err: unknown) => {
          failures.push(err);
          if (answered || failures.length < nodes.length) return;
          // Every node silent past the connect timeout: said as that (a frozen Cluster never called back).
          if (failures.every((f) => f instanceof Error && f.message.startsWith(NO_ANSWER))) return settle(failures[0] as Error);
          // Links not up (yet) or refused: ioredis's own check, which waits for a link through the
          // Cluster's queue. Failing at once sent a new client round its reconnect loop while its
          // nodes' links came up (a whole-suite run: a client never ready, its command pending).
          answered = true;
          for (const timer of timers) clearTimeout(timer);
          // Bounded as the masters' own answers are: ioredis's asks a node at random with no timeout.
          let called = false;
          const once = (err?: Error | null, fail?: boolean | string) => {
            if (called) return;
            called = true;
            clearTimeout(giveUp);
            callback(err, fail);
          };
          const giveUp = setTimeout(() => once(failures[0] instanceof Error ? failures[0] : new Error(String(failures[0]))), answerMs);
          ownCheck(once);
        },
      );
    }
  };
}

/**
 * A Cluster ended stays ended. ioredis 5.11 sets `close` whenever its pool drains, even after the
 * end: a node whose link ends only after the Cluster's disconnect drains the pool once more, as
 * after a master's failover. A Cluster in `close` queues every command in its offline queue with
 * nothing left to flush it, and never becomes ready: BullMQ's blocking BZPOPMIN, still being
 * retried by ioredis round the failover when the worker closed, waited for ever there, and so did
 * Worker.close() (and BullMQ's reset of that connection, waiting for it to be ready), so a worker
 * with nothing in flight outlived its grace (test/integration/cluster-failover-close.test.ts).
 */
function keepEnded(cluster: Cluster): void {
  const pool = (cluster as unknown as { connectionPool: EventEmitter }).connectionPool;
  const own = pool.listeners('drain') as (() => void)[];
  pool.removeAllListeners('drain');
  pool.on('drain', () => {
    if (cluster.status === 'end') return;
    for (const listener of own) listener();
  });
}

/** ioredis 5's timer of a Cluster's next connect after a close (private in its types): set while it waits to reconnect. */
interface ReconnectInternals {
  reconnectTimeout: NodeJS.Timeout | null | undefined;
}

/** The parts of ioredis 5's `Cluster` that its own end uses (private in its types). */
interface CloseInternals {
  setStatus(status: 'end'): void;
  /** Rejects the offline queue. */
  flushQueue(err: Error): void;
}

/** Ends `cluster` as ioredis ends a Cluster closed by hand, rejecting what waits in its queue. */
function endStranded(cluster: Cluster): void {
  const internals = cluster as unknown as CloseInternals;
  internals.setStatus('end');
  internals.flushQueue(new Error(CONNECTION_CLOSED));
}
