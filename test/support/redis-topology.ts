/**
 * Real Redis deployments as users run them, started from Debian's redis-server and redis-sentinel
 * binaries on free loopback ports: a primary with one replica watched by three sentinels, and a
 * three-master Cluster.
 * Every process is SIGKILLed and every directory removed by `stop()` (and the processes also when
 * the test process exits), and every wait is bounded.
 */
import { freePort, startOnFreePort } from '../../src/runtime/free-port.js';
import { binaryOnPath } from '../../src/runtime/private-redis.js';
import { logTail, redisServerExited, spawnLogged } from '../../src/runtime/server-log.js';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startStallableProxy, type StallableProxy } from './stallable-proxy.js';
import { makeTlsCertificates, type TlsClientOptions, type TlsFiles } from './tls-certs.js';

const run = promisify(execFile);

/** One redis-server process (data node or sentinel). */
export interface RedisNode {
  /** The port the deployment knows the node by (its proxy's, when it has one). */
  port: number;
  /**
   * The proxy in front of the node (`SentinelOptions.proxied`): stalling it makes the node's
   * replicas lag while clients and sentinels still reach it.
   */
  link?: StallableProxy;
  /** SIGKILLs the process (a crashed host); resolves when it has exited. */
  kill(): Promise<void>;
  /**
   * SIGSTOP / SIGCONT: the process stops answering without closing its sockets. A frozen replica
   * does not lag for sure (its kernel still takes the stream in): `link.stall()` does.
   */
  freeze(): void;
  thaw(): void;
  /** A short-lived admin client for this node (closed by the caller), straight to the server, past any proxy. */
  admin(): Redis;
  /** How many keys the node holds (DBSIZE of database 0). */
  keyCount(): Promise<number>;
}

export interface SentinelDeployment {
  /**
   * REDIS_URL for smsq: `redis+sentinel://127.0.0.1:<s1>,.../<masterName>`, `rediss+sentinel://`
   * with `tls` (its process trusts the deployment's CA through NODE_EXTRA_CA_CERTS=`caFile`, and
   * presents no certificate: `tlsAuthClients` other than `yes`).
   */
  url: string;
  masterName: string;
  /** The primary and the replica as started; after a failover the roles are swapped. */
  primary: RedisNode;
  replica: RedisNode;
  sentinels: RedisNode[];
  /** The port of the primary the sentinels name now. */
  primaryPort(): Promise<number>;
  /**
   * With `SentinelOptions.tls`, what a client presents and trusts (ioredis `sentinelTLS`, and `tls`
   * with `enableTLSForSentinelMode` for the data nodes): every node and sentinel speaks only TLS.
   */
  tls?: TlsClientOptions;
  /** With `SentinelOptions.tls`, the file of the CA that signed every node's certificate. */
  caFile?: string;
  /**
   * Starts another replica of the current primary (`config`: lines added to its redis.conf, e.g.
   * `replica-priority 0`) and waits until it is in sync and every sentinel knows it (a replacement host).
   */
  addReplica(config?: string[]): Promise<RedisNode>;
  /**
   * Runs `wait` with every sentinel reading its nodes' INFO every 250 ms, then back to the period it
   * had (Sentinel's 10 s): for a wait on what a sentinel learns only from INFO (a new replica, a
   * replica's priority), which it then learns within a second rather than up to 10 s later. Not for
   * what a test asserts of Sentinel's own timing (a failover, converting the old primary).
   */
  withFrequentInfo<T>(wait: () => Promise<T>): Promise<T>;
  /** Waits until the sentinels name a primary other than `oldPort` and it answers as master. */
  waitForPromotion(oldPort: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export interface ClusterDeployment {
  /**
   * REDIS_URL for smsq: `redis+cluster://127.0.0.1:<p1>,...`, `rediss+cluster://` with `tls` (its
   * process trusts the Cluster's CA through NODE_EXTRA_CA_CERTS=`caFile`, and presents no certificate).
   */
  url: string;
  /** With `ClusterDeploymentOptions.tls`, what a client presents and trusts (ioredis `redisOptions.tls`). */
  tls?: TlsClientOptions;
  /** With `ClusterDeploymentOptions.tls`, the file of the CA that signed every node's certificate. */
  caFile?: string;
  masters: RedisNode[];
  /** The port of the master that serves `key`'s slot. */
  portServing(key: string): Promise<number>;
  /**
   * Moves `key`'s slot and the keys in it to the master `to`, as `redis-cli --cluster reshard`
   * does: SETSLOT IMPORTING on `to`, MIGRATING on the owner, MIGRATE of every key, then SETSLOT
   * NODE on every master. Resolves once every master names `to` for the slot.
   */
  moveSlot(key: string, to: RedisNode): Promise<void>;
  /**
   * The same move in steps, as a reshard is seen while it runs: SETSLOT IMPORTING on `to` and
   * MIGRATING on the owner now; the test then MIGRATEs the keys it chooses (a command on a key
   * already moved is answered ASK by the owner) and finishes the move.
   */
  beginSlotMove(key: string, to: RedisNode): Promise<SlotMove>;
  /**
   * Starts a replica of `master` that joins the Cluster (CLUSTER MEET, CLUSTER REPLICATE), as a
   * replacement host does: the Cluster would promote it if `master` failed. Resolves once it is in sync.
   */
  addReplica(master: RedisNode): Promise<RedisNode>;
  stop(): Promise<void>;
}

/** A slot in MIGRATING (on its owner) / IMPORTING (on `to`) state: ClusterDeployment.beginSlotMove. */
export interface SlotMove {
  /** The owner the slot is moving from. */
  from: RedisNode;
  /** MIGRATEs these keys (of the slot) from the owner to `to`; a key the owner lacks is skipped. */
  migrate(keys: string[]): Promise<void>;
  /** MIGRATEs every key left, then SETSLOT NODE on every master; resolves once every master names `to`. */
  finish(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});


/** Polls `check` every 50 ms until it returns a value, or throws naming `what` after `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The TLS of a deployment that speaks only TLS: the servers' files, the clients' options. */
interface DeploymentTls {
  files: TlsFiles;
  client: TlsClientOptions;
  /** `tls-auth-clients` of every node and sentinel. */
  authClients: TlsAuthClients;
}

/**
 * Redis's `tls-auth-clients`: `yes` (its default) refuses a client that presents no certificate,
 * `optional` checks one only when presented, `no` asks for none (as managed services do).
 */
export type TlsAuthClients = 'yes' | 'optional' | 'no';

function adminClient(port: number, tls?: DeploymentTls): Redis {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000, ...(tls ? { tls: tls.client } : {}) });
  client.on('error', () => {});
  return client;
}

async function withAdmin<T>(port: number, use: (client: Redis) => Promise<T>, tls?: DeploymentTls): Promise<T> {
  const client = adminClient(port, tls);
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/**
 * Debian's redis-sentinel package (.ci/run installs it) provides `redis-sentinel`, a link to
 * redis-server that starts in Sentinel mode; where only redis-server is installed, the same
 * binary with `--sentinel`.
 */
const SENTINEL_COMMAND: readonly string[] = binaryOnPath('redis-sentinel') ? ['redis-sentinel'] : ['redis-server', '--sentinel'];


/**
 * The lines that make a server (or a sentinel) listen on `port` in TLS only and use TLS towards
 * the others: to replicate, and a sentinel to watch the nodes and reach the other sentinels.
 */
function tlsOnly(port: number, tls: DeploymentTls): string[] {
  const { files } = tls;
  return ['port 0', `tls-port ${port}`, `tls-cert-file ${files.certFile}`, `tls-key-file ${files.keyFile}`, `tls-ca-cert-file ${files.caFile}`, 'tls-replication yes', `tls-auth-clients ${tls.authClients}`];
}

/**
 * Starts `redis-server` with a config file in `dir` and waits until it answers PING (in TLS only
 * with `tls`). Throws PortTakenError when the node could not bind `port` (or its Cluster bus
 * port): called through startOnFreePort, it is started again on fresh ports.
 */
async function startNode(baseDir: string, port: number, config: string[], command: readonly string[] = ['redis-server'], tls?: DeploymentTls): Promise<RedisNode> {
  const [binary = 'redis-server', ...extraArgs] = command;
  // A directory per node: AOF, RDB and nodes.conf files would otherwise collide.
  const dir = join(baseDir, String(port));
  mkdirSync(dir);
  const confFile = join(dir, 'redis.conf');
  // Why a node exits while starting (a port taken, a refused line) is in its output.
  const logFile = join(dir, 'redis.log');
  writeFileSync(confFile, [...(tls ? tlsOnly(port, tls) : [`port ${port}`]), 'bind 127.0.0.1', `dir ${dir}`, ...config, ''].join('\n'));
  let child: ChildProcess;

  async function spawnNode(): Promise<void> {
    const proc = spawnLogged(binary, [confFile, ...extraArgs], logFile);
    child = proc;
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    const spawnError = new Promise<Error>((resolve) => proc.once('error', resolve));
    // Not `until`: a node that exited will not answer later, and waiting out the deadline hid why.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const failed = await Promise.race([spawnError, Promise.resolve(undefined)]);
      if (failed) throw new Error(`could not start ${binary} (${failed.message}). Fix: apt-get install redis-server redis-tools redis-sentinel`);
      if (proc.exitCode !== null) {
        const exited = redisServerExited(`${binary} on port ${port}`, proc.exitCode, logFile);
        rmSync(dir, { recursive: true, force: true });
        throw exited;
      }
      if (await withAdmin(port, (c) => c.ping(), tls).then((reply) => reply === 'PONG', () => false)) return;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`${binary} on port ${port} did not answer PING within 10000 ms; the last lines of ${logFile}:\n${logTail(logFile)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  await spawnNode();
  return {
    port,
    async kill() {
      const proc = child;
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGCONT');
      proc.kill('SIGKILL');
      await exited;
    },
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    admin: () => adminClient(port, tls),
    keyCount: () => withAdmin(port, (c) => c.dbsize(), tls),
  };
}

/**
 * Data-node settings: AOF as smsq's default durability mode (SMSQ_DURABILITY=fsync) wants it
 * unless told otherwise, no RDB snapshots, and a replica's full sync starts at once.
 */
function dataNode(appendfsync: 'always' | 'everysec' = 'always'): string[] {
  return ['save ""', 'appendonly yes', `appendfsync ${appendfsync}`, 'maxmemory-policy noeviction', 'repl-diskless-sync yes', 'repl-diskless-sync-delay 0'];
}

export interface SentinelOptions {
  /** `sentinel down-after-milliseconds`. Default 1000. */
  downAfterMs?: number;
  /** `sentinel failover-timeout`. Default 3000. */
  failoverTimeoutMs?: number;
  /** The data nodes' appendfsync. Default `always`. */
  appendfsync?: 'always' | 'everysec';
  /**
   * Every data node behind its own stallable proxy (test/support/stallable-proxy.ts), announced
   * by the proxy's port (`replica-announce-port`), so replicas, sentinels and clients all reach it
   * through the proxy and `node.link.stall()` can make its replicas lag. The address must be the
   * same for everyone: a sentinel that sees a replica follow an address other than the one it
   * monitors points the replica back at the real one (`+fix-slave-config`), past the proxy.
   */
  proxied?: boolean;
  /**
   * Every data node and sentinel listens in TLS only (`port 0`, `tls-port`) and replicates and
   * watches in TLS, with certificates of a CA made for the deployment (`deployment.tls`). Not with
   * `proxied`.
   */
  tls?: boolean;
  /** With `tls`, the nodes' and sentinels' `tls-auth-clients`. Default `yes`, Redis's own. */
  tlsAuthClients?: TlsAuthClients;
}

/** A data node on a free port, behind a stallable proxy when `proxied`. */
async function startDataNode(baseDir: string, config: string[], proxied: boolean, proxies: StallableProxy[], tls?: DeploymentTls): Promise<RedisNode> {
  return startOnFreePort(async (serverPort) => {
    if (!proxied) return startNode(baseDir, serverPort, config, undefined, tls);
    const link = await startStallableProxy({ port: serverPort });
    try {
      const node = await startNode(baseDir, serverPort, [...config, `replica-announce-port ${link.port}`]);
      proxies.push(link);
      return { ...node, port: link.port, link };
    } catch (err) {
      await link.close();
      throw err;
    }
  });
}

/** A replica of the primary at `primaryPort`, resolved once it is in sync. */
async function startSyncedReplica(baseDir: string, primaryPort: number, config: string[], proxied: boolean, proxies: StallableProxy[], tls?: DeploymentTls): Promise<RedisNode> {
  const node = await startDataNode(baseDir, [...config, `replicaof 127.0.0.1 ${primaryPort}`], proxied, proxies, tls);
  try {
    await until('the replica to sync', 15_000, async () => {
      const admin = node.admin();
      try {
        await admin.connect();
        return (await admin.info('replication')).includes('master_link_status:up') ? true : undefined;
      } finally {
        admin.disconnect();
      }
    });
  } catch (err) {
    await node.kill();
    throw err;
  }
  return node;
}

/** A primary with one replica in sync, and no sentinel (one a test points sentinels at itself). */
export interface ReplicatedPrimary {
  primary: RedisNode;
  replica: RedisNode;
  stop(): Promise<void>;
}

/** Starts a {@link ReplicatedPrimary} on loopback (data nodes as in a Sentinel deployment). */
export async function startReplicatedPrimary(): Promise<ReplicatedPrimary> {
  const dir = mkdtempSync(join(tmpdir(), 'smsq-replicated-'));
  const nodes: RedisNode[] = [];
  try {
    const primary = await startDataNode(dir, dataNode(), false, []);
    nodes.push(primary);
    const replica = await startSyncedReplica(dir, primary.port, dataNode(), false, []);
    nodes.push(replica);
    return { primary, replica, stop: () => stopAll(nodes, dir) };
  } catch (err) {
    await stopAll(nodes, dir);
    throw err;
  }
}

/** One Redis that speaks only TLS (`rediss://`), with a CA of its own. */
export interface TlsRedis {
  /** `rediss://127.0.0.1:<port>`. */
  url: string;
  /** The CA its certificate is signed by: NODE_EXTRA_CA_CERTS for a process that reaches it. */
  caFile: string;
  /** A certificate signed by that CA, and its key: a client certificate it takes. */
  certFile: string;
  keyFile: string;
  stop(): Promise<void>;
}

/** Starts a {@link TlsRedis} (appendfsync always) whose `tls-auth-clients` is `authClients` (default `yes`, Redis's own). */
export async function startTlsRedis(authClients: TlsAuthClients = 'yes'): Promise<TlsRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'smsq-tls-redis-'));
  const nodes: RedisNode[] = [];
  try {
    const tls = { ...(await makeTlsCertificates(dir)), authClients };
    const node = await startDataNode(dir, dataNode(), false, [], tls);
    nodes.push(node);
    return { url: `rediss://127.0.0.1:${node.port}`, ...tls.files, stop: () => stopAll(nodes, dir) };
  } catch (err) {
    await stopAll(nodes, dir);
    throw err;
  }
}

/**
 * A primary, one replica and three sentinels (quorum 2) on loopback. Resolves once the replica is
 * in sync and every sentinel knows the replica and the two other sentinels, so a failover can
 * happen as soon as the primary dies.
 */
export async function startSentinelDeployment(opts: SentinelOptions = {}): Promise<SentinelDeployment> {
  const dir = mkdtempSync(join(tmpdir(), 'smsq-sentinel-'));
  const nodes: RedisNode[] = [];
  const proxies: StallableProxy[] = [];
  const masterName = 'smsq-primary';
  const stop = async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await stopAll(nodes, dir);
  };
  try {
    if (opts.tls && opts.proxied) throw new Error('startSentinelDeployment: tls and proxied together are not supported');
    const tls = opts.tls ? { ...(await makeTlsCertificates(dir)), authClients: opts.tlsAuthClients ?? 'yes' } : undefined;
    const primary = await startDataNode(dir, dataNode(opts.appendfsync), opts.proxied ?? false, proxies, tls);
    nodes.push(primary);
    const startReplica = async (primaryPort: number, config: string[] = []) => {
      const node = await startSyncedReplica(dir, primaryPort, [...dataNode(opts.appendfsync), ...config], opts.proxied ?? false, proxies, tls);
      nodes.push(node);
      return node;
    };
    const replica = await startReplica(primary.port);
    const sentinels: RedisNode[] = [];
    for (let i = 0; i < 3; i++) {
      const sentinel = await startOnFreePort((port) =>
        startNode(
          dir,
          port,
          [
          `sentinel monitor ${masterName} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${masterName} ${opts.downAfterMs ?? 1000}`,
          `sentinel failover-timeout ${masterName} ${opts.failoverTimeoutMs ?? 3000}`,
            `sentinel parallel-syncs ${masterName} 1`,
          ],
          SENTINEL_COMMAND,
          tls,
        ),
      );
      sentinels.push(sentinel);
      nodes.push(sentinel);
    }
    // Sentinels find the replica and each other through the primary (hello messages every 2 s).
    for (const sentinel of sentinels) {
      await until('sentinels to discover the replica and each other', 20_000, () =>
        withAdmin(sentinel.port, async (c) => {
          const fields = (await c.call('SENTINEL', 'MASTER', masterName)) as string[];
          const info = new Map<string, string>();
          for (let i = 0; i + 1 < fields.length; i += 2) info.set(fields[i] as string, fields[i + 1] as string);
          return info.get('num-slaves') === '1' && info.get('num-other-sentinels') === '2' ? true : undefined;
        }, tls),
      );
    }
    // SENTINEL DEBUG (Redis 7.0+) sets a sentinel's periods; on a Redis without it the wait is as long as before.
    const infoPeriods = (periods: number[] | number) =>
      Promise.all(
        sentinels.map((s, i) =>
          withAdmin(s.port, async (c) => {
            const before = (await c.call('SENTINEL', 'DEBUG')) as string[];
            await c.call('SENTINEL', 'DEBUG', 'info-period', typeof periods === 'number' ? periods : (periods[i] as number));
            return Number(before[before.indexOf('INFO-PERIOD') + 1]);
          }, tls).catch(() => undefined),
        ),
      );
    // Nested or overlapping waits: the first sets the period, the last puts back what it had.
    let frequentWaits = 0;
    let periodsBefore: (number | undefined)[] = [];
    const withFrequentInfo = async <T>(wait: () => Promise<T>): Promise<T> => {
      if (frequentWaits++ === 0) periodsBefore = await infoPeriods(250);
      try {
        return await wait();
      } finally {
        if (--frequentWaits === 0) await infoPeriods(periodsBefore.map((ms) => (ms !== undefined && Number.isFinite(ms) ? ms : 10_000)));
      }
    };
    const primaryPort = () =>
      withAdmin(sentinels[0]!.port, async (c) => {
        const [, port] = (await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string];
        return Number(port);
      }, tls);
    return {
      url: `${tls ? 'rediss' : 'redis'}+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${masterName}`,
      masterName,
      primary,
      replica,
      sentinels,
      primaryPort,
      ...(tls ? { tls: tls.client, caFile: tls.files.caFile } : {}),
      waitForPromotion: (oldPort, timeoutMs = 20_000) =>
        until('the sentinels to promote the replica', timeoutMs, async () => {
          const port = await primaryPort();
          if (port === oldPort) return undefined;
          const role = await withAdmin(port, async (c) => ((await c.call('ROLE')) as [string])[0], tls);
          return role === 'master' ? port : undefined;
        }),
      withFrequentInfo,
      addReplica: async (config) => {
        const node = await startReplica(await primaryPort(), config);
        // Sentinels learn of a new replica from the primary's INFO (every 10 s): a failover before
        // then would have no candidate to promote.
        await withFrequentInfo(async () => {
          for (const sentinel of sentinels) {
            await until('sentinels to know the new replica', 30_000, () =>
              withAdmin(sentinel.port, async (c) => {
                const replicas = (await c.call('SENTINEL', 'REPLICAS', masterName)) as string[][];
                const known = replicas.some((fields) => {
                  const info = new Map<string, string>();
                  for (let i = 0; i + 1 < fields.length; i += 2) info.set(fields[i] as string, fields[i + 1] as string);
                  return info.get('port') === String(node.port) && !/s_down|disconnected/.test(info.get('flags') ?? '');
                });
                return known ? true : undefined;
              }, tls),
            );
          }
        });
        return node;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface ClusterDeploymentOptions {
  /**
   * Every node listens in TLS only (`port 0`, `tls-port`), and talks to the others in TLS over the
   * Cluster bus (`tls-cluster yes`) and to replicate, with certificates of a CA made for the
   * Cluster that name 127.0.0.1, the address each node announces (`deployment.tls`).
   */
  tls?: boolean;
  /** With `tls`, every node's `tls-auth-clients`. Default `optional`: a managed Cluster asks clients for no certificate. */
  tlsAuthClients?: TlsAuthClients;
  /** Every node's `cluster-node-timeout` (ms): how long a master is unreachable before its replica takes over. Default 2000. */
  nodeTimeoutMs?: number;
}

/** Three masters (no replicas) sharing the 16384 slots, created with `redis-cli --cluster create`; `addReplica` adds one. */
export async function startClusterDeployment(opts: ClusterDeploymentOptions = {}): Promise<ClusterDeployment> {
  const dir = mkdtempSync(join(tmpdir(), 'smsq-cluster-'));
  const masters: RedisNode[] = [];
  const replicas: RedisNode[] = [];
  const tls = opts.tls ? { ...(await makeTlsCertificates(dir)), authClients: opts.tlsAuthClients ?? 'optional' } : undefined;
  const clusterAdmin = <T>(port: number, use: (client: Redis) => Promise<T>) => withAdmin(port, use, tls);
  // Two ports released before the node binds them, either of which may be taken meanwhile: both
  // fresh on each try (startOnFreePort).
  const startClusterNode = (): Promise<RedisNode> =>
    startOnFreePort(async (port) => {
      // cluster-port names the bus port, which would otherwise be port + 10000 (maybe taken or > 65535).
      const busPort = await freePort();
      // Replicas stay with the master given (addReplica): Redis would move a second one to a master without replicas.
      const clusterConfig = ['cluster-enabled yes', 'cluster-config-file nodes.conf', `cluster-port ${busPort}`, `cluster-node-timeout ${opts.nodeTimeoutMs ?? 2000}`, 'cluster-allow-replica-migration no'];
      return startNode(dir, port, [...dataNode(), ...clusterConfig, ...(tls ? ['tls-cluster yes'] : [])], undefined, tls);
    });
  try {
    for (let i = 0; i < 3; i++) masters.push(await startClusterNode());
    const cliTls = tls ? ['--tls', '--cacert', tls.files.caFile, '--cert', tls.files.certFile, '--key', tls.files.keyFile] : [];
    await run('redis-cli', [...cliTls, '--cluster', 'create', ...masters.map((m) => `127.0.0.1:${m.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 20_000,
    }).catch((err: Error & { code?: string }) => {
      throw new Error(err.code === 'ENOENT' ? 'redis-cli is missing. Fix: apt-get install redis-tools' : `redis-cli --cluster create failed: ${err.message}`);
    });
    for (const master of masters) {
      await until(`cluster_state:ok on port ${master.port}`, 20_000, () =>
        clusterAdmin(master.port, async (c) => ((await c.call('CLUSTER', 'INFO')) as string).includes('cluster_state:ok') ? true : undefined),
      );
    }
    const slotOf = (key: string) => clusterAdmin(masters[0]!.port, async (c) => Number(await c.call('CLUSTER', 'KEYSLOT', key)));
    /** The port of the master that `asked` names for `slot`. */
    const ownerSeenBy = async (asked: RedisNode, slot: number) => {
      const ranges = await clusterAdmin(asked.port, async (c) => (await c.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][]);
      const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!owner) throw new Error(`no master serves slot ${slot}`);
      return owner[2][1];
    };
    const idOf = (node: RedisNode) => clusterAdmin(node.port, async (c) => String(await c.call('CLUSTER', 'MYID')));
    const beginSlotMove = async (key: string, to: RedisNode): Promise<SlotMove> => {
      const slot = await slotOf(key);
      const fromPort = await ownerSeenBy(masters[0]!, slot);
      const from = masters.find((m) => m.port === fromPort);
      if (!from || from === to) throw new Error(`slot ${slot} is served by port ${fromPort}: nothing to move to port ${to.port}`);
      const [fromId, toId] = [await idOf(from), await idOf(to)];
      await clusterAdmin(to.port, (c) => c.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId));
      // From here a client's command on a key not on `from` (moved, or not yet written) is sent to `to` (ASK).
      await clusterAdmin(from.port, (c) => c.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId));
      const migrate = (keys: string[]) =>
        clusterAdmin(from.port, async (c) => {
          // NOKEY when none of them is on `from` any more.
          if (keys.length > 0) await c.call('MIGRATE', '127.0.0.1', to.port, '', 0, 5000, 'KEYS', ...keys);
        });
      return {
        from,
        migrate,
        async finish() {
          for (;;) {
            const keys = await clusterAdmin(from.port, async (c) => (await c.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[]);
            if (keys.length === 0) break;
            await migrate(keys);
          }
          // The new owner first: the old one then answers MOVED to a node that takes the slot.
          for (const node of [to, from, ...masters.filter((m) => m !== to && m !== from)]) {
            await clusterAdmin(node.port, (c) => c.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId));
          }
          for (const node of masters) {
            await until(`port ${node.port} to name port ${to.port} for slot ${slot}`, 10_000, async () => ((await ownerSeenBy(node, slot)) === to.port ? true : undefined));
          }
        },
      };
    };
    return {
      url: `${tls ? 'rediss' : 'redis'}+cluster://${masters.map((m) => `127.0.0.1:${m.port}`).join(',')}`,
      ...(tls ? { tls: tls.client, caFile: tls.files.caFile } : {}),
      masters,
      async portServing(key) {
        return ownerSeenBy(masters[0]!, await slotOf(key));
      },
      async moveSlot(key, to) {
        await (await beginSlotMove(key, to)).finish();
      },
      beginSlotMove,
      async addReplica(master) {
        const replica = await startClusterNode();
        replicas.push(replica);
        const masterId = await idOf(master);
        // Its bus port is not port + 10000 (cluster-port above): CLUSTER MEET must be told it.
        const nodes = await clusterAdmin(master.port, async (c) => String(await c.call('CLUSTER', 'NODES')));
        const busPort = /:\d+@(\d+)\S* myself/.exec(nodes)?.[1];
        if (!busPort) throw new Error(`no bus port in CLUSTER NODES of port ${master.port}: ${nodes}`);
        await clusterAdmin(replica.port, (c) => c.call('CLUSTER', 'MEET', '127.0.0.1', master.port, busPort));
        // CLUSTER REPLICATE is refused until the new node knows the master (gossip, within a second or two).
        await until(`port ${replica.port} to know port ${master.port}`, 20_000, () => clusterAdmin(replica.port, async (c) => ((await c.call('CLUSTER', 'REPLICATE', masterId)) === 'OK' ? true : undefined)));
        await until(`port ${replica.port} to sync with port ${master.port}`, 20_000, () =>
          clusterAdmin(replica.port, async (c) => ((await c.info('replication')).includes('master_link_status:up') ? true : undefined)),
        );
        return replica;
      },
      stop: () => stopAll([...masters, ...replicas], dir),
    };
  } catch (err) {
    await stopAll([...masters, ...replicas], dir);
    throw err;
  }
}

async function stopAll(nodes: RedisNode[], dir: string): Promise<void> {
  await Promise.all(nodes.map((n) => n.kill()));
  rmSync(dir, { recursive: true, force: true });
}
