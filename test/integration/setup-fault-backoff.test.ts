/**
 * One worker whose own setup cannot build a request (its credential provider hands it, at call time,
 * an AccessKey ID holding a line break: Node refuses the header, RequestNotBuilt.Setup) must not stop
 * the other workers, whose credentials are fine. It blocked the account: every worker of the
 * deployment stopped (the calls queue paused) until `smsq resume` or SMSQ_ACCOUNT_RECHECK_MS, though
 * nothing of the call was written. Now that worker backs off by itself as it does from an endpoint it
 * cannot reach (workers/endpoint-backoff.ts): it puts back what it took, counting no start, takes no
 * job for a while (doubling), logs the fix, and says so in Redis, so that status names the wait when
 * every worker backs off; the others send. Look-ups (QuerySendDetails) meeting it go the same way.
 *
 * Real Redis, the emulator, the real SDK; the broken worker reads its key through the SDK's default
 * credential chain from the environment (createSmsClient refuses such a key given to it, and smsq's
 * config such a variable), the healthy one is given the sandbox key.
 */
import { rmSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../../cli/program.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { chunkIdOf } from '../../src/queue/chunk-store.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { CALLS_QUEUE, createKeys } from '../../src/queue/keys.js';
import { createSmsClient } from '../../src/sms/client.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import type { SmsClient } from '../../src/sms/types.js';
import { FAST_TIMING, harnessPerTest, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { collector } from '../support/text-collector.js';
import { emptyCredentialChain } from '../support/empty-credential-chain.js';
import { waitFor } from '../support/wait.js';

const harnesses = harnessPerTest();
const SETUP = 'RequestNotBuilt.Setup';

/** The broken worker's client: the default chain, reading an AccessKey ID that ends in a line break (a secret file written with echo). */
function brokenKeyClient(h: Harness): SmsClient {
  const saved = { id: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID, secret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET };
  process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = `${SANDBOX_ACCESS_KEY.accessKeyId}\n`;
  process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = SANDBOX_ACCESS_KEY.accessKeySecret;
  onTestFinished(() => {
    for (const [name, value] of [['ALIBABA_CLOUD_ACCESS_KEY_ID', saved.id], ['ALIBABA_CLOUD_ACCESS_KEY_SECRET', saved.secret]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  return createSmsClient({ endpoint: h.endpoint, protocol: 'http', readTimeoutMs: 1000, credential: { kind: 'default-chain' } });
}

/** The lines a worker logs, parsed. */
function capturedLog() {
  const lines: { level: number; msg: string; code?: string; component?: string; [k: string]: unknown }[] = [];
  const logger = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const code = (phone: string) => ({ signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '4821' }, kind: 'verification' as const, phones: [phone] });
const accountKey = (h: Harness) => createKeys(h.prefix).account();
const sendJob = (h: Harness, sendId: string) => `${h.prefix}:${CALLS_QUEUE}:${jobIds.send(chunkIdOf(sendId, '0'), 1)}`;

/** What the queue and the account hold now, for a failure message. */
async function situation(h: Harness, sendIds: string[]): Promise<string> {
  let accepted = 0;
  let queued = 0;
  for (const id of sendIds) {
    const c = (await h.producer.getStatus(id)).counts;
    accepted += c.accepted;
    queued += c.queued;
  }
  const block = await h.redis.hgetall(accountKey(h));
  return `accepted ${accepted}, queued ${queued}; account ${block.code ? `blocked (${block.code})` : 'not blocked'}`;
}

/**
 * Worker A (its client `brokenClient`) meets `fault` first, then a healthy worker B starts beside
 * it: B sends every code once, no block, nothing failed or looked up, A's starts given back.
 * Returns A's warn lines of `fault`, one per back-off step, for the caller to read.
 */
async function healthyWorkerSendsBeside(h: Harness, label: { name: string; fault: string; firstPhone: number; count: number }, brokenClient: SmsClient) {
  const broken = capturedLog();
  const a = await h.startWorker({ name: label.name, client: brokenClient, logger: broken.logger, accountRecheckMs: 300_000, endpointBackoff: { firstMs: 300, maxMs: 1200 } });
  const phones = Array.from({ length: label.count }, (_, i) => `1380013${String(label.firstPhone + i)}`);
  const sendIds = (await Promise.all(phones.map((p) => h.producer.send(code(p))))).map((s) => s.sendId);
  // Worker A alone meets it first (its chunks claimed and put back with the code, or the account blocked).
  await waitFor(async () => (await h.redis.exists(accountKey(h))) === 1 || broken.lines.some((l) => l.code === label.fault), `worker A to meet ${label.fault}`, 10_000);

  await h.startWorker({ name: 'healthy' });
  // Before: A's first call blocked the account (every worker's queue paused for 5 minutes): B sent nothing.
  try {
    await waitFor(async () => {
      for (const id of sendIds) if ((await h.producer.getStatus(id)).counts.accepted !== 1) return false;
      return true;
    }, 'worker B to send every code', 15_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${await situation(h, sendIds)}`);
  }
  for (const phone of phones) expect(h.emulator.accepted().filter((x) => x.phoneNumbers.includes(phone)), phone).toHaveLength(1);
  expect(await h.redis.hgetall(accountKey(h))).toEqual({});
  expect(await a.guard.current()).toBeUndefined();
  // Nothing left A (nothing is owed a look-up), nothing failed, and the starts A spent were given back.
  expect(h.emulator.calls().filter((c) => c.action === 'QuerySendDetails')).toEqual([]);
  for (const id of sendIds) {
    expect((await h.producer.getStatus(id)).counts).toMatchObject({ failed: 0, unknown: 0, expired: 0 });
    expect(Number(await h.redis.hget(sendJob(h, id), 'ats'))).toBeLessThanOrEqual(1);
  }
  expect(broken.lines.some((l) => /ACCOUNT BLOCKED/.test(l.msg))).toBe(false);
  const steps = broken.lines.filter((l) => l.level === 40 && l.code === label.fault);
  expect(steps.length).toBeGreaterThan(0);
  return { steps, lines: broken.lines };
}

describe('a worker whose own setup cannot build a request (its AccessKey ID holds a line break)', () => {
  it('backs off by itself, putting back what it took uncounted: a healthy worker beside it sends every recipient once; no block, nothing failed or looked up; its log names the fix', async () => {
    const h = await harnesses.create({ label: 'setup-backoff-two' });
    const { steps, lines } = await healthyWorkerSendsBeside(h, { name: 'broken-key', fault: SETUP, firstPhone: 8100, count: 20 }, brokenKeyClient(h));

    // A's log: one warn line per back-off step (not one per job it put back: it took up to 8 at once), naming the AccessKey ID and the fix; no block.
    expect(steps.map((l) => l.step)).toEqual(steps.map((_, i) => i + 1));
    expect(steps[0]?.msg).toMatch(/AccessKey ID .*a character an HTTP header cannot carry.*nothing was sent.*Fix: set the AccessKey ID exactly as the RAM console shows it/);
    expect(steps[0]?.msg).toMatch(/This worker takes no job for .* and puts back what it took, counting no attempt; other workers go on/);
    expect(steps[0]?.msg).not.toMatch(/SMS_ENDPOINT=|blip/);
    expect(JSON.stringify(lines)).not.toContain(SANDBOX_ACCESS_KEY.accessKeySecret);
  }, 60_000);

  it('when it is the only worker: status names the wait and the fix (text, --json, getStatus), not an account block; a worker with a good key sends the code without a resume', async () => {
    const h = await harnesses.create({ label: 'setup-backoff-status' });
    const broken = capturedLog();
    const a = await h.startWorker({ name: 'broken-key', client: brokenKeyClient(h), logger: broken.logger, accountRecheckMs: 300_000, endpointBackoff: { firstMs: 300, maxMs: 1200 } });
    const { sendId } = await h.producer.send(code('13800138120'));
    await waitFor(async () => (await h.redis.hget(`${h.prefix}:chunk:${sendId}.0`, 'code')) === SETUP, 'worker A to meet its setup fault', 10_000);

    const held = await waitFor(async () => {
      const s = await h.producer.getStatus(sendId);
      return s.wait?.reason === 'account-blocked' || s.wait?.reason === 'worker-setup-fault' ? s : undefined;
    }, 'status to name a wait', 5000);
    // Before: { reason: 'account-blocked', code: 'RequestNotBuilt.Setup' }: every worker stopped.
    expect(held.wait).toMatchObject({ reason: 'worker-setup-fault', workers: 1, fault: SETUP });
    expect(held.counts.queued + held.counts.sending).toBe(1);

    const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'warn' };
    const stdout = collector();
    const stderr = collector();
    expect(await runCli(['status', sendId], { stdout, stderr, env }), stderr.text).toBe(0);
    const waiting = stdout.text.split('\n').find((l) => /^\s*waiting\b/.test(l));
    expect(waiting).toMatch(/1 worker cannot build a request from its own setup \(RequestNotBuilt\.Setup\)/);
    expect(waiting).toMatch(/puts back what it took without counting an attempt: jobs wait, nothing is lost\. Fix: correct the setting its log names at each back-off step \(code RequestNotBuilt\.Setup\): the AccessKey ID or STS token/);
    expect(waiting).not.toMatch(/SMS_ENDPOINT=/);
    const json = collector();
    expect(await runCli(['status', sendId, '--json'], { stdout: json, stderr, env }), stderr.text).toBe(0);
    expect((JSON.parse(json.text) as { wait?: unknown }).wait).toMatchObject({ reason: 'worker-setup-fault', workers: 1, fault: SETUP });

    // The broken worker goes; one with a good key sends the code, with nothing to resume.
    await a.close();
    expect(await h.redis.exists(`${h.prefix}:workers:endpoint-backoff`)).toBe(0);
    await h.startWorker({ name: 'healthy' });
    await waitFor(async () => (await h.producer.getStatus(sendId)).counts.accepted === 1, 'the code sent by the healthy worker', 10_000);
    expect(h.emulator.accepted().filter((x) => x.phoneNumbers.includes('13800138120'))).toHaveLength(1);
    expect(h.emulator.calls().filter((c) => c.action === 'QuerySendDetails')).toEqual([]);
  }, 60_000);

  it('meeting it in a look-up (reconcile) puts the look-up back uncounted, no block: the attempt in doubt is found by a healthy worker, never resent', async () => {
    const h = await harnesses.create({ label: 'setup-backoff-lookup' });
    // The first look waits past the read timeout (1 s), so that the healthy worker is gone before it runs.
    const reconcile = { ...FAST_TIMING.reconcile, firstLookAfterMs: 1500 };
    const first = await h.startWorker({ name: 'healthy-1', reconcile });
    const phone = '13800138121';
    h.emulator.addFault({ kind: 'lost-answer', delayMs: 5000, times: 1 });
    const { sendId } = await h.producer.send({ signName: N.sign, templateCode: N.plainTemplate, kind: 'notification', phones: [phone] });
    const chunkId = chunkIdOf(sendId, '0');
    await waitFor(async () => (await h.redis.hget(`${h.prefix}:chunk:${chunkId}`, 'state')) === 'unknown', 'the call to time out (unknown)', 10_000, 5);
    await first.close();

    const broken = capturedLog();
    await h.startWorker({ name: 'broken-key', client: brokenKeyClient(h), logger: broken.logger, accountRecheckMs: 300_000, endpointBackoff: { firstMs: 300, maxMs: 1200 }, reconcile });
    await waitFor(
      async () => (await h.redis.exists(accountKey(h))) === 1 || broken.lines.some((l) => l.component === 'reconcile' && l.code === SETUP),
      'worker A to meet its setup fault in the look-up',
      10_000,
    );
    // Before: the account blocked by the look-up.
    expect(await h.redis.hgetall(accountKey(h))).toEqual({});
    const lookupId = jobIds.reconcilePage({ chunkId, attempt: 1, look: 1, dateIndex: 0, page: 1 });
    const lookup = await h.redis.hgetall(`${h.prefix}:${CALLS_QUEUE}:${lookupId}`);
    expect(Number(lookup.ats ?? 0)).toBeLessThanOrEqual(1);
    expect(Number(lookup.atm ?? 0)).toBe(0);
    expect(broken.lines.some((l) => l.level === 40 && l.code === SETUP && /This worker takes no job/.test(l.msg))).toBe(true);

    await h.startWorker({ name: 'healthy-2', reconcile });
    await waitFor(async () => (await h.producer.getStatus(sendId)).counts.accepted === 1, 'the look-up to find the attempt accepted', 15_000);
    expect(await h.redis.hgetall(`${h.prefix}:chunk:${chunkId}`)).toMatchObject({ attempt: '1', resolvedBy: 'reconcile' });
    expect(h.emulator.accepted().filter((x) => x.phoneNumbers.includes(phone))).toHaveLength(1);
    expect(h.emulator.calls().filter((c) => c.action === 'SendSms')).toHaveLength(1);
  }, 60_000);
});

/**
 * The same for a worker whose default credential chain resolves nothing at call time (an ECS RAM
 * role whose metadata service is down on its host, a profile file gone): InvalidCredentials, met
 * before any request is made. It is that worker's own, as a key that cannot go into a header is;
 * it blocked the account, so every worker of the deployment stopped.
 */
describe('a worker whose default credential chain resolves nothing (InvalidCredentials)', () => {
  const NONE = 'InvalidCredentials';

  /** The default chain with nothing to find: no variables, no profile, no CLI config, no instance metadata. */
  function noCredentialClient(h: Harness): SmsClient {
    const saved = { ...process.env };
    const home = emptyCredentialChain();
    onTestFinished(() => {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
      rmSync(home, { recursive: true, force: true });
    });
    return createSmsClient({ endpoint: h.endpoint, protocol: 'http', readTimeoutMs: 1000, credential: { kind: 'default-chain' } });
  }

  it('backs off by itself: a healthy worker beside it sends every code once; no block, nothing failed or looked up; its log names the fix', async () => {
    const h = await harnesses.create({ label: 'no-credentials-two' });
    const { steps } = await healthyWorkerSendsBeside(h, { name: 'no-credentials', fault: NONE, firstPhone: 8200, count: 10 }, noCredentialClient(h));
    expect(steps[0]?.msg).toMatch(/no credentials: .*Fix: .*ALIBABA_CLOUD_ACCESS_KEY_ID/);
    expect(steps[0]?.msg).toMatch(/This worker takes no job for .* and puts back what it took, counting no attempt; other workers go on/);
    expect(steps[0]?.msg).not.toMatch(/SMS_ENDPOINT=|blip/);
  }, 60_000);
});
