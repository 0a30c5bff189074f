import { Cluster, type ClusterOptions, type Redis, type RedisOptions } from 'ioredis';
import { connectTimeoutOf, DEFAULT_REDIS_CONNECT_TIMEOUT_MS } from './connect-timeout.js';
import { DroppableCluster } from './droppable-cluster.js';
import { parseRedisUrl, redactRedisUrl, targetSpeaksTls, type RedisTarget } from './redis-url.js';
import { keyPairFault } from './tls-key-pair.js';
import { DroppableRedis } from './droppable-redis.js';
import { ConfigError, NO_SLOT_MASTER, RedisUnavailableError } from '../errors.js';
import { positiveMsLine, shown, unknownOptionLines } from '../factory-options.js';
import { pause } from '../pause.js';
import { finishedWithin } from '../finished-within.js';

export { redactRedisUrl };

/**
 * A connection to smsq's Redis, whatever its topology: one Redis (possibly found through
 * Sentinel) or a Cluster. BullMQ accepts either; smsq's keys of one deployment share a hash-tagged
 * prefix, so on a Cluster every multi-key script and pipeline stays on one slot.
 */
export type RedisConnection = Redis | Cluster;

/** How a connection behaves while Redis does not answer. */
export type RedisRole =
  /**
   * BullMQ workers: commands wait through an outage (and a failover) and run once Redis is back
   * (blocking commands need `maxRetriesPerRequest: null`), so a worker resumes unaided.
   */
  | 'worker'
  /**
   * Producers, the server and one-shot commands: while Redis is down a command fails at once
   * instead of waiting in a queue to run later (an enqueue the caller was told had failed must not
   * happen behind its back), and a command that Redis does not answer within the command timeout
   * fails then (by default the connect timeout). A Redis frozen or cut off without a reset (a
   * stopped process, a host gone, a partition) keeps its TCP connection open, and without the
   * timeout such a command waited for the kernel to give up on it, ~15 minutes. A command on the
   * wire when the link drops is not sent again once it is back (its caller was told it failed, at
   * its timeout): it fails, and may or may not have run, as the error says.
   * No command of these roles blocks past the timeout: an events consumer's blocking read waits at most
   * half the timeout, on a duplicate of the connection (src/receipts/events.ts).
   */
  | 'client';

export interface RedisConnectionOptions {
  /** Do not connect until the first command (or `connect()`). Default false. */
  lazyConnect?: boolean;
  /** Longest a TCP connect (and the ready check) may take (ms). Default 5000 (SMSQ_REDIS_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  /** Default `worker`. */
  role?: RedisRole;
  /**
   * A `client` connection's longest wait for a command's answer (ms). Default the connect timeout.
   * Longer than any command it sends must take: a durability confirmation's WAIT or WAITAOF waits up
   * to SMSQ_DURABILITY_TIMEOUT_MS ({@link clientCommandTimeoutMs}).
   */
  commandTimeoutMs?: number;
  /**
   * The client certificate presented to a TLS deployment (`rediss://`, `rediss+sentinel://`,
   * `rediss+cluster://`) whose nodes ask for one (`tls-auth-clients yes`): to every node and
   * sentinel. PEM text (or a Buffer of it), as Node's `tls.connect` takes them.
   */
  clientCertificate?: RedisClientCertificate;
}

/** A TLS client certificate and its private key, PEM. */
export interface RedisClientCertificate {
  cert: string | Buffer;
  key: string | Buffer;
}

/** The longest a connection waits for a command's answer (ms; ioredis `commandTimeout`), on one Redis or a Cluster's nodes; undefined: for ever. */
export function commandTimeoutOf(redis: RedisConnection): number | undefined {
  const options = redis.options as { commandTimeout?: number; redisOptions?: { commandTimeout?: number } } | undefined;
  return options?.commandTimeout ?? options?.redisOptions?.commandTimeout;
}


/** A `client` connection's command timeout: the connect timeout, or longer than a durability confirmation may wait (WAIT's timeout and a second more). */
export function clientCommandTimeoutMs(connectTimeoutMs: number, durabilityTimeoutMs: number): number {
  return Math.max(connectTimeoutMs, durabilityTimeoutMs + 1000);
}

// Below the connection (connect-timeout.ts): a Cluster's own ready check (droppable-cluster.ts) reads it too.
export { connectTimeoutOf, DEFAULT_REDIS_CONNECT_TIMEOUT_MS } from './connect-timeout.js';

/** Reconnect delays: 100 ms, doubling, at most 3 s, for ever (an outage ends when Redis is back). */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), 3000);
}

/** The ioredis options of a connection of `role` (for a Redis, or a Cluster's `redisOptions`). */
export function redisConnectionOptions(opts: RedisConnectionOptions = {}): RedisOptions {
  const client = (opts.role ?? 'worker') === 'client';
  return {
    maxRetriesPerRequest: client ? 1 : null,
    enableOfflineQueue: !client,
    enableReadyCheck: true,
    lazyConnect: opts.lazyConnect ?? false,
    connectTimeout: opts.connectTimeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
    ...(client ? { commandTimeout: opts.commandTimeoutMs ?? opts.connectTimeoutMs ?? DEFAULT_REDIS_CONNECT_TIMEOUT_MS, autoResendUnfulfilledCommands: false } : {}),
    retryStrategy: reconnectDelayMs,
  };
}

/**
 * A Redis connection for BullMQ and smsq's own keys, from `REDIS_URL` (see src/queue/redis-url.ts),
 * behaving during an outage as its role says (see {@link RedisRole}). `disconnect()` ends it even
 * while Redis is down, failing what still waits for Redis (src/queue/droppable-redis.ts, and
 * droppable-cluster.ts for a Cluster).
 */
export function createRedisConnection(url: string, opts: RedisConnectionOptions = {}): RedisConnection {
  const problems = connectionOptionProblems(opts);
  if (problems.length > 0) throw new ConfigError(problems);
  const target = parseRedisUrl(url);
  if (opts.clientCertificate !== undefined && !targetSpeaksTls(target)) {
    throw new ConfigError([`createRedisConnection options: clientCertificate is presented in TLS only, and ${redactRedisUrl(url)} does not speak it. Fix: a rediss://, rediss+sentinel:// or rediss+cluster:// URL, or leave clientCertificate out`]);
  }
  return connectTo(target, opts);
}

/** Every option of {@link RedisConnectionOptions}: a name not here is a JavaScript caller's typo. */
const CONNECTION_OPTION_NAMES = Object.keys({ lazyConnect: true, connectTimeoutMs: true, role: true, commandTimeoutMs: true, clientCertificate: true } satisfies Record<keyof RedisConnectionOptions, true>);
const ROLES: readonly RedisRole[] = ['worker', 'client'];

/**
 * The options a connection cannot be made with, one line each: a role it does not have was taken
 * as `worker` (`role: 'producer'` gave a producer a connection createProducer then refused, naming
 * options the caller never set), a misspelt name was dropped, a timeout that is no time.
 */
function connectionOptionProblems(opts: RedisConnectionOptions): string[] {
  const where = 'createRedisConnection options';
  const msFix = (name: string, dflt: string) => `leave it out (${dflt}) or give a number of ms, e.g. ${name}: 5000`;
  return [
    ...unknownOptionLines(where, 'createRedisConnection', opts, CONNECTION_OPTION_NAMES),
    ...[
      opts.role === undefined || ROLES.includes(opts.role)
        ? undefined
        : `${where}: role must be 'worker' or 'client', got ${shown(opts.role)}. Fix: role: 'client' for a producer, a server or a one-shot command (fails fast while Redis is down), role: 'worker' (the default) for createSmsWorker`,
      opts.lazyConnect === undefined || typeof opts.lazyConnect === 'boolean' ? undefined : `${where}: lazyConnect must be true or false, got ${shown(opts.lazyConnect)}. Fix: leave it out (false) or give a boolean`,
      positiveMsLine(where, 'connectTimeoutMs', opts.connectTimeoutMs, msFix('connectTimeoutMs', `${DEFAULT_REDIS_CONNECT_TIMEOUT_MS} ms, as SMSQ_REDIS_CONNECT_TIMEOUT_MS`)),
      positiveMsLine(where, 'commandTimeoutMs', opts.commandTimeoutMs, msFix('commandTimeoutMs', 'the connect timeout')),
      clientCertificateProblem(where, opts.clientCertificate),
    ].filter((line): line is string => line !== undefined),
  ];
}

/**
 * The ioredis options of `rediss+sentinel://`: TLS to the sentinels (`sentinelTLS`) and to the
 * primary and replicas they name (`tls`, used in Sentinel mode only with
 * `enableTLSForSentinelMode`). As `rediss://` gives one Redis (ioredis's `tls: true`): Node's CA
 * store and NODE_EXTRA_CA_CERTS, the certificate checked against the address dialled, and the
 * client certificate when one is given, to sentinels and nodes alike; one deployment's settings
 * read alike whichever URL names it.
 */
function sentinelTlsOptions(certificate: RedisClientCertificate | undefined): RedisOptions {
  // Fresh objects for each connection: ioredis hands them on to each socket it opens.
  return { sentinelTLS: { ...certificate }, tls: { ...certificate }, enableTLSForSentinelMode: true };
}

/**
 * Why `certificate` cannot be presented, checked as `tls.connect` would check it: found only at the
 * handshake, a key that is not the certificate's read as Redis not answering ("Fix: start Redis").
 */
function clientCertificateProblem(where: string, certificate: RedisClientCertificate | undefined): string | undefined {
  if (certificate === undefined) return undefined;
  const fix = "Fix: clientCertificate: { cert: readFileSync('client.crt'), key: readFileSync('client.key') }, PEM, the key unencrypted";
  const pem = (v: unknown) => (typeof v === 'string' || Buffer.isBuffer(v)) && v.length > 0;
  if (typeof certificate !== 'object' || certificate === null || !pem(certificate.cert) || !pem(certificate.key)) return `${where}: clientCertificate must be { cert, key }, each PEM text or a Buffer of it. ${fix}`;
  const fault = keyPairFault(certificate);
  if (fault === undefined) return undefined;
  return fault.kind === 'mismatch' ? `${where}: clientCertificate's key is not the key of its cert. Fix: the key the certificate was made with` : `${where}: clientCertificate was refused by Node's TLS (${fault.reason}). ${fix}`;
}

/**
 * The ioredis Cluster options of `rediss+cluster://`: TLS to every node (`redisOptions.tls`, as
 * `rediss://` gives one Redis, with the client certificate when one is given), each node's certificate checked against the address it
 * is dialled at: a seed as REDIS_URL names it, the others (and the target of a MOVED or ASK) at
 * the address the Cluster announces for them (an IP, or a host name under
 * `cluster-preferred-endpoint-type hostname`). No `servername`: one fixed name would check every
 * node's certificate against it. `dnsLookup` keeps a seed's host name as given: ioredis resolves
 * seeds to IPs by default, and a certificate naming the host (as managed services issue them)
 * then failed against its IP.
 */
function clusterTlsOptions(redisOptions: RedisOptions, certificate: RedisClientCertificate | undefined): Pick<ClusterOptions, 'dnsLookup' | 'redisOptions'> {
  // A fresh object for each connection: ioredis hands it on to each socket it opens.
  return { dnsLookup: (address, callback) => callback(null, address), redisOptions: { ...redisOptions, tls: { ...certificate } } };
}

// The connections made from a single-Redis URL (`redis://`, `rediss://`): the ones a Cluster node
// answering would be a wrong URL (redis-database.ts). Not a Cluster's own node connections, which
// are single-Redis clients too.
const fromSingleRedisUrl = new WeakSet<RedisConnection>();

/** True for a connection made here from a single-Redis URL (`redis://`, `rediss://`). */
export function madeFromSingleRedisUrl(redis: RedisConnection): boolean {
  return fromSingleRedisUrl.has(redis);
}

/** The ioredis client for a parsed target. */
export function connectTo(target: RedisTarget, opts: RedisConnectionOptions = {}): RedisConnection {
  const common = redisConnectionOptions(opts);
  switch (target.kind) {
    case 'standalone': {
      // A `rediss://` URL is TLS with ioredis's defaults (`tls: true`); a certificate goes in its options.
      const redis = new DroppableRedis(target.url, opts.clientCertificate && targetSpeaksTls(target) ? { ...common, tls: { ...opts.clientCertificate } } : common);
      fromSingleRedisUrl.add(redis);
      return redis;
    }
    case 'sentinel':
      return new DroppableRedis({
        ...common,
        sentinels: target.sentinels,
        name: target.masterName,
        role: 'master',
        db: target.db,
        username: target.username,
        password: target.password,
        sentinelUsername: target.sentinelUsername,
        sentinelPassword: target.sentinelPassword,
        ...(target.tls ? sentinelTlsOptions(opts.clientCertificate) : {}),
        // Not `failoverDetector`: in ioredis 5.11 its +switch-master disconnect, arriving while a
        // reconnect is asking the sentinels, ends the client for good ("Connection is closed.",
        // status `end`; seen in test/integration/redis-topology.test.ts). A dead primary closes the
        // socket, and a demoted one answers READONLY (below): both send the client to the sentinels.
        // A demoted primary that comes back answers writes with READONLY: find the new primary
        // and resend (the write was refused, so it did not happen).
        reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
      });
    case 'cluster': {
      const { lazyConnect, enableOfflineQueue, ...redisOptions } = common;
      const nodeOptions: RedisOptions = { ...redisOptions, username: target.username, password: target.password };
      const cluster: ClusterOptions = {
        enableReadyCheck: true,
        lazyConnect,
        enableOfflineQueue,
        ...(target.tls ? clusterTlsOptions(nodeOptions, opts.clientCertificate) : { redisOptions: nodeOptions }),
        clusterRetryStrategy: reconnectDelayMs,
        // While a failed master's slots move to its replica, retry rather than fail the command.
        retryDelayOnClusterDown: 200,
        retryDelayOnFailover: 200,
      };
      return new DroppableCluster(target.nodes, cluster);
    }
  }
}

/** The address a connection was made to, password redacted (for messages when only the client is at hand). */
export function describeRedis(redis: RedisConnection): string {
  if (redis instanceof Cluster) return `${redis.options.redisOptions?.tls ? 'rediss' : 'redis'}+cluster://${redis.nodes().map((n) => `${n.options.host ?? ''}:${n.options.port ?? ''}`).join(',')}`;
  const redisOptions = redis.options;
  const auth = redisOptions.password ? `${redisOptions.username ?? ''}:<redacted>@` : redisOptions.username ? `${redisOptions.username}@` : '';
  // Found through Sentinel: the sentinels and the master's name, as REDIS_URL names them (its host and port are ioredis's defaults).
  if (redisOptions.sentinels?.length) {
    const sentinels = redisOptions.sentinels.map((s) => `${s.host ?? '127.0.0.1'}:${s.port ?? 26379}`).join(',');
    return `${redisOptions.sentinelTLS ? 'rediss' : 'redis'}+sentinel://${auth}${sentinels}/${redisOptions.name ?? ''}${redisOptions.db ? `/${redisOptions.db}` : ''}`;
  }
  const scheme = redisOptions.tls ? 'rediss' : 'redis';
  return `${scheme}://${auth}${redisOptions.host ?? '127.0.0.1'}:${redisOptions.port ?? 6379}${redisOptions.db ? `/${redisOptions.db}` : ''}`;
}

/** True for a Cluster connection (which has no single keyspace to SCAN). */
export function isCluster(redis: RedisConnection): redis is Cluster {
  return redis instanceof Cluster;
}

/**
 * The one server that holds the keys of `key`'s slot, for commands that are about a server rather
 * than a key (WAIT, INFO, run_id): on one Redis the connection itself; on a Cluster the master
 * serving the slot, found again on each call since a failover moves the slot to another node.
 * `WAIT` sent there covers the writes the Cluster client sent to that node, on the same socket.
 *
 * ioredis learns that a slot moved only from a MOVED reply or a refresh of its slots: a client
 * that sent nothing to the slot since its master died kept naming the dead master (dropped from
 * its nodes) for ever, and every call failed. When no master it knows serves the slot, the slots
 * are read again from the Cluster, every {@link SLOT_REFRESH_GAP_MS} for up to the connect
 * timeout (a replica's promotion takes about the Cluster's node timeout); then the call fails
 * with {@link RedisUnavailableError}, in the Cluster's words.
 *
 * Until the promotion the Cluster still names the dead master for the slot, and each refresh gave
 * ioredis a new, unconnected link to it: a master whose link is not up is taken only once it
 * connects. Taken as it was, the dead master's "Connection is closed." was told as Redis not
 * answering, with the fix to start it (`smsq send` in the seconds before a promotion).
 */
export function createNodeResolver(redis: RedisConnection, key: string): () => Promise<Redis> {
  if (!isCluster(redis)) return async () => redis;
  let slot: number | undefined;
  const masterServing = async (s: number, deadline: number) => {
    const owner = redis.slots[s]?.[0];
    const node = redis.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === owner);
    // A node's link has no retry strategy: a PING waits for it to connect, or fails with it, but
    // not past the deadline: a dead master's host that drops packets made each PING wait the whole
    // connect timeout, and the search for the slot's master some 25 of them (review31b).
    if (node && node.status !== 'ready' && !(await answersBy(node, deadline))) return undefined;
    return node;
  };
  return async () => {
    slot ??= Number(await redis.call('CLUSTER', 'KEYSLOT', key));
    const deadline = Date.now() + connectTimeoutOf(redis);
    let node = await masterServing(slot, deadline);
    while (!node && Date.now() < deadline) {
      await refreshSlots(redis);
      node = await masterServing(slot, deadline);
      if (!node) await pause(Math.min(SLOT_REFRESH_GAP_MS, Math.max(0, deadline - Date.now())), undefined);
    }
    if (!node) throw new RedisUnavailableError(describeRedis(redis), `${NO_SLOT_MASTER}slot ${slot} (of ${key}): a master failed and no replica has taken its slots yet`);
    return node;
  };
}

/** Whether `node` answers a PING before `deadline` (epoch ms). */
function answersBy(node: Redis, deadline: number): Promise<boolean> {
  return finishedWithin(node.ping(), Math.max(0, deadline - Date.now())).catch(() => false);
}

/** How long a node resolver waits between two reads of a Cluster's slots while no master serves the slot (ms). */
const SLOT_REFRESH_GAP_MS = 200;

/** Reads the Cluster's slots again (CLUSTER SLOTS from a node that answers); a failure leaves them as they were. */
function refreshSlots(redis: Cluster): Promise<void> {
  return new Promise((resolve) => redis.refreshSlotsCache(() => resolve()));
}

/**
 * Deletes every key under a prefix (SCAN and UNLINK, a thousand keys a round). On a Cluster, each
 * master is scanned; keys are unlinked one command each, since keys of one node may hash to
 * different slots unless the prefix is a hash tag.
 */
export async function deleteKeys(redis: RedisConnection, prefix: string): Promise<void> {
  if (!isCluster(redis)) return deleteKeysOfNode(redis, prefix, (keys) => redis.unlink(...keys));
  for (const node of redis.nodes('master')) {
    await deleteKeysOfNode(node, prefix, async (keys) => {
      await node.pipeline(keys.map((key) => ['unlink', key])).exec();
    });
  }
}

async function deleteKeysOfNode(node: Redis, prefix: string, unlink: (keys: string[]) => Promise<unknown>): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await unlink(keys);
  } while (cursor !== '0');
}
