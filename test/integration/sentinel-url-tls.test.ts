/**
 * `REDIS_URL=rediss+sentinel://…` for real processes (`smsq send`, `smsq worker`, `smsq server`)
 * against a Sentinel deployment that speaks only TLS: a primary, two replicas (one of
 * `replica-priority 0`) and three sentinels. It was refused at start-up ("TLS to a Sentinel
 * deployment is not supported yet"), so no command of smsq could run against such a deployment.
 * The processes trust the deployment's private CA through Node's NODE_EXTRA_CA_CERTS, as a
 * `rediss://` process does, and present no client certificate (as for `rediss://`): the
 * deployment sets `tls-auth-clients optional`, as a managed service asks for none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { SPAWNED_MS, spawnSmsq, untilExited, type CliProcess } from '../support/cli-process.js';
import { startSentinelDeployment, type RedisNode, type SentinelDeployment } from '../support/redis-topology.js';
import { waitFor } from '../support/wait.js';

const PREFIX = '{sentinel-url-tls}';
/** What smsq says when it could not ask the sentinels which replicas they would promote. */
const UNASKED = 'no sentinel answered';

let deployment: SentinelDeployment;
/** The replica Sentinel never promotes. */
let backup: RedisNode;
let emulator: Emulator;
let endpoint: string;
const children: CliProcess[] = [];

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  ({ endpoint } = await emulator.listen());
  deployment = await startSentinelDeployment({ tls: true, tlsAuthClients: 'optional', appendfsync: 'everysec' });
  backup = await deployment.addReplica(['replica-priority 0']);
}, 90_000);

afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  await deployment?.stop();
  await emulator?.close();
});

/** `smsq args` on the deployment through its rediss+sentinel URL, waiting for `replicas` in `SMSQ_DURABILITY=replicas`. */
function smsq(args: string[], replicas: number, extra: NodeJS.ProcessEnv = {}): CliProcess {
  const p = spawnSmsq(args, {
    REDIS_URL: deployment.url,
    NODE_EXTRA_CA_CERTS: deployment.caFile,
    SMSQ_PREFIX: PREFIX,
    SMS_MODE: 'sandbox',
    SMS_ENDPOINT: endpoint,
    LOG_LEVEL: 'warn',
    SMSQ_QUIET_HOURS: 'off',
    SMSQ_DURABILITY: 'replicas',
    SMSQ_DURABILITY_REPLICAS: String(replicas),
    ...extra,
  });
  children.push(p);
  return p;
}

/** `smsq worker` in WAIT 2 (or as `extra` says), once it says it runs. */
async function runningWorker(extra: NodeJS.ProcessEnv = {}): Promise<CliProcess> {
  const worker = smsq(['worker', '--concurrency', '2'], 2, { LOG_LEVEL: 'info', ...extra });
  await untilExited(worker, waitFor(() => /smsq worker running/.test(worker.stderr), 'the worker to run', SPAWNED_MS));
  return worker;
}

const send = (phone: string) => ['send', '--phones', phone, '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes'];

describe('REDIS_URL=rediss+sentinel:// to a Sentinel deployment that speaks only TLS', () => {
  it('is the URL the deployment is reached by', () => {
    expect(deployment.url).toMatch(/^rediss\+sentinel:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/smsq-primary$/);
  });

  it('without the deployment\'s CA (no NODE_EXTRA_CA_CERTS): exit 3, saying what TLS needs (ioredis loses the TLS error of a sentinel; it said only "no answer")', async () => {
    const p = smsq(['sends'], 2, { NODE_EXTRA_CA_CERTS: undefined, SMSQ_REDIS_CONNECT_TIMEOUT_MS: '1000' });
    expect(await p.exited, p.stderr).toBe(EXIT.dependency);
    expect(p.stderr).toMatch(/SMSQ_REDIS_UNAVAILABLE: Redis at REDIS_URL=rediss\+sentinel:\/\/.* does not answer \(no answer within 1000 ms; rediss\+sentinel:\/\/ speaks TLS/);
    expect(p.stderr).toContain('NODE_EXTRA_CA_CERTS=');
    expect(p.stderr).toContain('tls-auth-clients optional');
  }, SPAWNED_MS);

  it('without the deployment\'s CA: smsq worker, which keeps retrying, says the same in its warning (it said only "check that Redis is running and reachable")', async () => {
    const worker = smsq(['worker'], 2, { NODE_EXTRA_CA_CERTS: undefined, SMSQ_REDIS_CONNECT_TIMEOUT_MS: '1000' });
    try {
      const warning = await untilExited(worker, waitFor(() => worker.stderr.split('\n').find((l) => l.includes('does not answer; retrying')), 'the worker to say Redis does not answer', SPAWNED_MS));
      expect(warning).toContain('rediss+sentinel:// speaks TLS');
      expect(warning).toContain('NODE_EXTRA_CA_CERTS=');
      expect(warning).toContain('tls-auth-clients optional');
    } finally {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
  }, SPAWNED_MS);

  it('smsq send asks the sentinels over TLS which replicas they would promote, and refuses WAIT 1 that the replica-priority 0 replica could meet alone; nothing written', async () => {
    const p = smsq(send('13800138000'), 1);
    expect(await p.exited, p.stderr).toBe(EXIT.dependency);
    expect(p.stderr).toContain('SMSQ_REDIS_NOT_DURABLE');
    expect(p.stderr).toContain(`127.0.0.1:${backup.port} (replica-priority 0)`);
    expect(p.stderr).not.toContain(UNASKED);
    expect(await deployment.primary.keyCount(), 'keys written to the primary').toBe(0);
  }, SPAWNED_MS);

  it('a worker and smsq send --wait in WAIT 2: the send enqueued over TLS, sent through the emulator by the worker, accepted once; no warning that the sentinels could not be asked', async () => {
    const worker = await runningWorker();
    const phone = '13800138001';
    const sent = smsq([...send(phone), '--wait', '--timeout', '60s'], 2);
    expect(await sent.exited, sent.stderr).toBe(EXIT.ok);
    expect(sent.stdout).toMatch(/^send id\s+smx/m);
    expect(emulator.accepted().filter((s) => s.phoneNumbers.includes(phone)), 'sends the emulator accepted for the number').toHaveLength(1);
    worker.child.kill('SIGTERM');
    expect(await worker.exited, worker.stderr).toBe(EXIT.ok);
    expect(worker.stderr + sent.stderr).not.toContain(UNASKED);
  }, 2 * SPAWNED_MS);

  it('smsq server answers /readyz (Redis, durability, a worker serving) over the TLS sentinels', async () => {
    const worker = await runningWorker();
    const server = smsq(['server', '--port', '0', '--json', '--insecure'], 2);
    const { url } = await untilExited(server, waitFor(() => (server.stdout.includes('\n') ? (JSON.parse(server.stdout.split('\n')[0]!) as { url: string }) : undefined), 'the server address', SPAWNED_MS));
    const ready = await fetch(new URL('/readyz', url));
    expect(ready.status, await ready.text()).toBe(200);
    server.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    expect(await server.exited, server.stderr).toBe(EXIT.ok);
    expect(await worker.exited, worker.stderr).toBe(EXIT.ok);
    expect(server.stderr + worker.stderr).not.toContain(UNASKED);
  }, 2 * SPAWNED_MS);

  // Last: the deployment is left with a primary and its one replica of priority 0, which no WAIT
  // mode of smsq accepts. SMSQ_DURABILITY=none keeps what this asks to the TLS itself.
  it('the primary SIGKILLed: the running worker and a new smsq send follow the promoted replica over TLS, the send accepted once', async () => {
    const none = { SMSQ_DURABILITY: 'none' };
    const worker = await runningWorker(none);
    const before = smsq([...send('13800138002'), '--wait', '--timeout', '60s'], 0, none);
    expect(await before.exited, before.stderr).toBe(EXIT.ok);
    const oldPort = await deployment.primaryPort();
    await deployment.primary.kill();
    const newPort = await deployment.waitForPromotion(oldPort);
    expect(newPort).toBe(deployment.replica.port);
    const phone = '13800138003';
    const after = smsq([...send(phone), '--wait', '--timeout', '60s'], 0, none);
    expect(await after.exited, after.stderr).toBe(EXIT.ok);
    expect(emulator.accepted().filter((s) => s.phoneNumbers.includes(phone)), 'sends the emulator accepted for the number').toHaveLength(1);
    expect(await deployment.replica.keyCount(), 'keys on the promoted replica').toBeGreaterThan(0);
    worker.child.kill('SIGTERM');
    expect(await worker.exited, worker.stderr).toBe(EXIT.ok);
  }, 3 * SPAWNED_MS);
});
