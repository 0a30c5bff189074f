/**
 * `REDIS_URL=rediss+cluster://…` for real processes (`smsq send`, `smsq worker`, `smsq status`,
 * `smsq sends`) against a three-master Cluster that speaks only TLS: clients, the Cluster bus and
 * replication (`port 0`, `tls-port`, `tls-cluster yes`, `tls-replication yes`), as managed
 * Clusters with encryption in transit run (AWS ElastiCache, Alibaba Cloud's direct connection). It
 * was refused at start-up ("TLS to a Cluster is not supported yet"), so no command of smsq could
 * run against such a Cluster. The processes trust the Cluster's private CA through Node's
 * NODE_EXTRA_CA_CERTS, as a `rediss://` process does, and present no client certificate (the
 * Cluster sets `tls-auth-clients optional`). The nodes announce 127.0.0.1, the address their
 * certificates name: every node smsq reaches past the seeds, and every MOVED, names it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { SPAWNED_MS, spawnSmsq, untilExited, type CliProcess } from '../support/cli-process.js';
import { startClusterDeployment, type ClusterDeployment } from '../support/redis-topology.js';
import { waitFor } from '../support/wait.js';

const PREFIX = '{cluster-url-tls}';
// Each test's `finally` checks the worker's exit with expect.soft: a failure inside the `try` is
// reported with it rather than masked by it (a worker held past its grace hid the first failure).

let cluster: ClusterDeployment;
let emulator: Emulator;
let endpoint: string;
const children: CliProcess[] = [];

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  ({ endpoint } = await emulator.listen());
  cluster = await startClusterDeployment({ tls: true });
}, 90_000);

afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  await cluster?.stop();
  await emulator?.close();
});

/** `smsq args` on the Cluster through its rediss+cluster URL (or `extra.REDIS_URL`), trusting its CA. */
function smsq(args: string[], extra: NodeJS.ProcessEnv = {}): CliProcess {
  const p = spawnSmsq(args, {
    REDIS_URL: cluster.url,
    NODE_EXTRA_CA_CERTS: cluster.caFile,
    SMSQ_PREFIX: PREFIX,
    SMS_MODE: 'sandbox',
    SMS_ENDPOINT: endpoint,
    LOG_LEVEL: 'warn',
    SMSQ_QUIET_HOURS: 'off',
    // A Cluster of masters without replicas: the default (fsync) fits it; said here so that the test does not hang on a default changed.
    SMSQ_DURABILITY: 'fsync',
    ...extra,
  });
  children.push(p);
  return p;
}

/** `smsq worker` (with `extra`), once it says it runs. */
async function runningWorker(extra: NodeJS.ProcessEnv = {}): Promise<CliProcess> {
  const worker = smsq(['worker', '--concurrency', '2'], { LOG_LEVEL: 'info', ...extra });
  await untilExited(worker, waitFor(() => /smsq worker running/.test(worker.stderr), 'the worker to run', SPAWNED_MS));
  return worker;
}

const send = (phone: string) => ['send', '--phones', phone, '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes'];
const acceptedFor = (phone: string) => emulator.accepted().filter((s) => s.phoneNumbers.includes(phone));
/** The send id `smsq send` printed. */
const sendIdOf = (p: CliProcess) => /^send id\s+(\S+)/m.exec(p.stdout)?.[1];

describe('REDIS_URL=rediss+cluster:// to a Cluster that speaks only TLS', () => {
  it('is the URL the Cluster is reached by', () => {
    expect(cluster.url).toMatch(/^rediss\+cluster:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
  });

  it('a worker and smsq send --wait: the send enqueued over TLS, sent through the emulator by the worker, accepted once; smsq status and smsq sends read it back', async () => {
    const worker = await runningWorker();
    try {
      const phone = '13800138010';
      const sent = smsq([...send(phone), '--wait', '--timeout', '60s']);
      expect(await sent.exited, sent.stderr).toBe(EXIT.ok);
      const sendId = sendIdOf(sent);
      expect(sendId, sent.stdout).toMatch(/^smx/);
      expect(acceptedFor(phone), 'sends the emulator accepted for the number').toHaveLength(1);
      const status = smsq(['status', sendId!, '--json']);
      expect(await status.exited, status.stderr).toBe(EXIT.ok);
      expect((JSON.parse(status.stdout) as { send: unknown }).send).toMatchObject({ sendId, recipients: 1 });
      const list = smsq(['sends', '--json']);
      expect(await list.exited, list.stderr).toBe(EXIT.ok);
      expect((JSON.parse(list.stdout) as { sends: { send: { sendId: string } }[] }).sends.map((s) => s.send.sendId)).toContain(sendId);
    } finally {
      worker.child.kill('SIGTERM');
      expect.soft(await worker.exited, worker.stderr).toBe(EXIT.ok);
    }
  }, 3 * SPAWNED_MS);

  it('seeded with one node that serves none of smsq\'s keys, and the slot then moved under the running worker (MOVED to 127.0.0.1): every node reached at its announced address is verified, and the sends go through', async () => {
    const servingPort = await cluster.portServing(PREFIX);
    const seed = cluster.masters.find((m) => m.port !== servingPort)!;
    const url = `rediss+cluster://127.0.0.1:${seed.port}`;
    const worker = smsq(['worker', '--concurrency', '2'], { REDIS_URL: url, LOG_LEVEL: 'info' });
    try {
      await untilExited(worker, waitFor(() => /smsq worker running/.test(worker.stderr), 'the worker to run', SPAWNED_MS));
      const before = smsq([...send('13800138011'), '--wait', '--timeout', '60s'], { REDIS_URL: url });
      expect(await before.exited, before.stderr).toBe(EXIT.ok);
      const to = cluster.masters.find((m) => m.port !== servingPort && m !== seed) ?? seed;
      await cluster.moveSlot(PREFIX, to);
      expect(await cluster.portServing(PREFIX)).toBe(to.port);
      const phone = '13800138012';
      const after = smsq([...send(phone), '--wait', '--timeout', '60s'], { REDIS_URL: url });
      expect(await after.exited, after.stderr).toBe(EXIT.ok);
      expect(acceptedFor(phone), 'sends the emulator accepted for the number').toHaveLength(1);
      expect(worker.stderr).not.toMatch(/SMSQ_REDIS_UNAVAILABLE|certificate/i);
    } finally {
      worker.child.kill('SIGTERM');
      expect.soft(await worker.exited, worker.stderr).toBe(EXIT.ok);
    }
  }, 4 * SPAWNED_MS);

  it('without the Cluster\'s CA (no NODE_EXTRA_CA_CERTS), every node presenting a certificate of a CA not trusted: exit 3, SMSQ_REDIS_UNAVAILABLE saying the certificate was refused and naming NODE_EXTRA_CA_CERTS', async () => {
    const p = smsq(['sends'], { NODE_EXTRA_CA_CERTS: undefined, SMSQ_REDIS_CONNECT_TIMEOUT_MS: '1000' });
    expect(await p.exited, p.stderr).toBe(EXIT.dependency);
    expect(p.stderr).toMatch(/SMSQ_REDIS_UNAVAILABLE: Redis at REDIS_URL=rediss\+cluster:\/\/127\.0\.0\.1:\d+,.* does not answer \(the TLS certificate of 127\.0\.0\.1:\d+ was refused: self-signed certificate in certificate chain; rediss\+cluster:\/\/ trusts the CAs of Node's CA store and of NODE_EXTRA_CA_CERTS=/);
    // Not "start Redis there": it runs, and waiting longer cannot help.
    expect(p.stderr).toContain('; nothing was changed. Fix: have this process trust the CA that signed the certificate');
  }, SPAWNED_MS);

  it('without the Cluster\'s CA: smsq worker, which keeps retrying, says the same in its warning', async () => {
    const worker = smsq(['worker'], { NODE_EXTRA_CA_CERTS: undefined, SMSQ_REDIS_CONNECT_TIMEOUT_MS: '1000' });
    try {
      const warning = await untilExited(worker, waitFor(() => worker.stderr.split('\n').find((l) => l.includes('retrying with back-off')), 'the worker to say Redis does not answer', SPAWNED_MS));
      expect(warning).toMatch(/does not answer \(the TLS certificate of 127\.0\.0\.1:\d+ was refused: self-signed certificate in certificate chain; rediss\+cluster:\/\/ trusts the CAs of Node's CA store and of NODE_EXTRA_CA_CERTS=/);
      expect(warning).toContain('Fix: have this process trust the CA that signed the certificate');
    } finally {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
  }, SPAWNED_MS);

  it('rediss:// to one of its nodes without its CA: the certificate refusal said as such too (it was "does not answer (self-signed certificate in certificate chain)", with the fix to start Redis)', async () => {
    const p = smsq(['sends'], { REDIS_URL: `rediss://127.0.0.1:${cluster.masters[0]!.port}`, NODE_EXTRA_CA_CERTS: undefined, SMSQ_REDIS_CONNECT_TIMEOUT_MS: '1000' });
    expect(await p.exited, p.stderr).toBe(EXIT.dependency);
    expect(p.stderr).toMatch(/SMSQ_REDIS_UNAVAILABLE: Redis at REDIS_URL=rediss:\/\/127\.0\.0\.1:\d+ does not answer \(the TLS certificate was refused: self-signed certificate in certificate chain; rediss:\/\/ trusts the CAs of Node's CA store and of NODE_EXTRA_CA_CERTS=\/path\/to\/ca\.crt \(a private CA's\), and checks certificates, each against the host dialled\)/);
    expect(p.stderr).toContain('Fix: have this process trust the CA that signed the certificate');
  }, SPAWNED_MS);

  it('rediss:// to one of its nodes, its CA trusted: refused as a Cluster node, with the fix in rediss+cluster:// (it said redis+cluster://, which would drop the TLS)', async () => {
    const port = cluster.masters[0]!.port;
    const p = smsq(['sends'], { REDIS_URL: `rediss://127.0.0.1:${port}` });
    expect(await p.exited, p.stderr).not.toBe(EXIT.ok);
    expect(p.stderr).toContain(`names a node of a Redis Cluster (INFO cluster_enabled:1) as a single Redis; nothing was read or written. Fix: REDIS_URL=rediss+cluster://127.0.0.1:${port} `);
  }, SPAWNED_MS);

  it('a seed named by a host name its certificate does not name (localhost; the certificates name 127.0.0.1): refused, the certificate checked against the name dialled rather than the address it resolves to', async () => {
    const p = smsq(['sends'], { REDIS_URL: `rediss+cluster://localhost:${cluster.masters[0]!.port}`, SMSQ_REDIS_CONNECT_TIMEOUT_MS: '1000' });
    expect(await p.exited, p.stderr).toBe(EXIT.dependency);
    expect(p.stderr).toMatch(/SMSQ_REDIS_UNAVAILABLE: Redis at REDIS_URL=rediss\+cluster:\/\/localhost:\d+ does not answer \(the TLS certificate of localhost:\d+ was refused: Hostname\/IP does not match certificate's altnames: Host: localhost\. .*; rediss\+cluster:\/\/ trusts the CAs .* checks certificates, each node's against the address it is reached at/);
    expect(p.stderr).toContain('Fix: have this process trust the CA that signed the certificate, or give the server a certificate that names the address it is reached at');
  }, SPAWNED_MS);

  it('smsq server answers /readyz (Redis, durability, a worker serving) over the TLS Cluster', async () => {
    const worker = await runningWorker();
    const server = smsq(['server', '--port', '0', '--json', '--insecure']);
    try {
      const { url } = await untilExited(server, waitFor(() => (server.stdout.includes('\n') ? (JSON.parse(server.stdout.split('\n')[0]!) as { url: string }) : undefined), 'the server address', SPAWNED_MS));
      const ready = await fetch(new URL('/readyz', url));
      expect(ready.status, await ready.text()).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
      expect.soft(await server.exited, server.stderr).toBe(EXIT.ok);
      expect.soft(await worker.exited, worker.stderr).toBe(EXIT.ok);
    }
  }, 2 * SPAWNED_MS);

  // Last: the master serving smsq's keys is killed for good. With a replica, the default fsync is
  // refused (a promoted replica may lack acknowledged writes), and after the kill the promoted one
  // has no replica for WAIT: SMSQ_DURABILITY=none keeps what this asks to the TLS itself.
  it('the master serving smsq\'s keys SIGKILLed, its replica (joined and synced in TLS) promoted: the running worker and a new smsq send follow it over TLS, the send accepted once', async () => {
    const servingPort = await cluster.portServing(PREFIX);
    const master = cluster.masters.find((m) => m.port === servingPort)!;
    const replica = await cluster.addReplica(master);
    const none = { SMSQ_DURABILITY: 'none' };
    const worker = await runningWorker(none);
    try {
      const before = smsq([...send('13800138013'), '--wait', '--timeout', '60s'], none);
      expect(await before.exited, before.stderr).toBe(EXIT.ok);
      await master.kill();
      await waitFor(async () => ((await cluster.portServing(PREFIX).catch(() => undefined)) === replica.port ? true : undefined), 'the Cluster to promote the replica', 30_000);
      const phone = '13800138014';
      const after = smsq([...send(phone), '--wait', '--timeout', '60s'], none);
      expect(await after.exited, after.stderr).toBe(EXIT.ok);
      expect(acceptedFor(phone), 'sends the emulator accepted for the number').toHaveLength(1);
      expect(await replica.keyCount(), 'keys on the promoted replica').toBeGreaterThan(0);
    } finally {
      worker.child.kill('SIGTERM');
      expect.soft(await worker.exited, worker.stderr).toBe(EXIT.ok);
    }
  }, 4 * SPAWNED_MS);
});
