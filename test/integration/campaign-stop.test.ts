/**
 * `smsq campaign` stopped by Ctrl-C / SIGTERM while it reads its list. The process died: the chunks
 * already written went on being sent by the workers, the enqueue was left unfinished, and the
 * repair sweep failed the rest of the send about 10 minutes later, while people kept receiving the
 * campaign. Now the first signal stops reading, pauses the send, enqueues what was read in it and
 * ends the enqueue; the send id goes where the output goes, and the message says how to resume or
 * cancel it. The producer API takes an AbortSignal for the same. Real Redis, real CLI processes
 * reading a named pipe (so they are mid-list), a real worker against the emulator.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { createProducer } from '../../producers/producer.js';
import type { CampaignRecipient } from '../../producers/schemas.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { CampaignStoppedError, EXIT, IdempotencyKeyCutShortError, RedisUnavailableError } from '../../src/errors.js';
import { createCallsQueue, createHousekeepingQueue } from '../../src/queue/calls-queue.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { createFollowUps } from '../../src/queue/follow-ups.js';
import { createKeys } from '../../src/queue/keys.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { createOrphanSweep } from '../../src/repair/orphan-sweep.js';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import { createCompletion } from '../../src/receipts/completion.js';
import { spawnSmsq, type CliProcess } from '../support/cli-process.js';
import { printedByCli } from '../support/cli-run.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { createProducerConnection, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'smsq-campaign-stop-'));
let h: Harness;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  h = await createHarness({ label: 'cstop' });
  env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off' };
});

const pipes: WriteStream[] = [];
afterEach(() => {
  for (const pipe of pipes.splice(0)) pipe.destroy();
});

afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A spawned smsq starts in about a second on an idle machine, far more on a loaded one. */
const SPAWNED_MS = 90_000;
const SETTINGS = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, kind: 'notification' as const };
const CAMPAIGN = ['campaign', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--kind', 'notification', '--yes'];
/** The stop's message with a send: where it stopped, how many it holds, and the send. */
const STOPPED = /the campaign was stopped \((SIG\w+)\) after line (\d+): the (\d+) recipients read before it were enqueued as send (\S+), now paused/;

/**
 * A named pipe as the list, opened for writing once the command opens it for reading: the header
 * and `rows` numbers from `base` are written, and the pipe is kept open, so the command waits for
 * more, mid-list, until it is stopped.
 */
async function pipeList(name: string, rows: number, base: number): Promise<{ path: string; opened: Promise<WriteStream> }> {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  const opened = new Promise<WriteStream>((resolve, reject) => {
    const pipe = createWriteStream(path);
    pipes.push(pipe);
    pipe.on('error', () => {}); // EPIPE once the reader is gone
    pipe.once('open', () => {
      pipe.write(`phone\n${Array.from({ length: rows }, (_, i) => String(base + i)).join('\n')}\n`);
      resolve(pipe);
    });
    pipe.once('error', reject);
  });
  return { path, opened };
}

/** Calls the emulator took for numbers from `base` (a million up). */
function callsFor(base: number): number {
  return h.emulator.calls().filter((c) => c.phones.some((p) => Number(p) >= base && Number(p) < base + 1_000_000)).length;
}

/** Runs `smsq campaign --file <pipe>` until it says it is enqueuing with a chunk written, then sends `signal`. */
async function stopMidList(name: string, base: number, signal: NodeJS.Signals, extra: string[] = []): Promise<CliProcess> {
  const { path, opened } = await pipeList(name, 2500, base);
  const cli = spawnSmsq([...CAMPAIGN, '--file', path, ...extra], env);
  await opened;
  // The first chunk (1,000 numbers) is written before the progress line; the rest are read meanwhile.
  await waitFor(() => /enqueuing/.test(cli.stderr) && /chunks [1-9]/.test(cli.stderr), 'the campaign to be enqueuing, a chunk written', SPAWNED_MS);
  cli.child.kill(signal);
  return cli;
}

/** The send the stop names: paused, its enqueue ended, holding the recipients said (one number a row after the header). */
async function expectHeld(message: string): Promise<{ sendId: string; recipients: number; line: number }> {
  const [, , line, count, sendId] = STOPPED.exec(message) ?? [];
  expect(sendId, message).toBeDefined();
  const recipients = Number(count);
  expect(Number(line)).toBe(recipients + 1);
  expect(recipients).toBeGreaterThanOrEqual(1000);
  expect(message).toContain(`Fix: resume it to send them (producer.resume, smsq campaign resume ${sendId}, or POST /v1/sends/${sendId}/resume), then send the rest of the list (the rows after line ${line}) as a new campaign; or cancel it (producer.cancel, smsq campaign cancel ${sendId}`);
  expect(message).toContain('The same command again is a new send to everyone on the list, these included');
  const status = await h.producer.getStatus(sendId as string);
  expect(status.send.state).toBe('paused');
  expect(status.send.controlReason).toBe(`its enqueue was stopped (${STOPPED.exec(message)?.[1]}) after line ${line}`);
  expect(status.send.enqueuedAt).toBeDefined();
  expect(status.send.recipients).toBe(recipients);
  expect(status.counts.queued).toBe(recipients);
  return { sendId: sendId as string, recipients, line: Number(line) };
}

/** The repair sweep, an hour from now: far past the grace it gives an unfinished enqueue. */
async function sweepAnHourLater() {
  const keys = createKeys(h.prefix);
  const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
  const housekeeping = createHousekeepingQueue({ connection: h.redis, prefix: h.prefix });
  try {
    const clock = { now: () => Date.now() + 3_600_000 };
    const chunks = createChunkStore({ redis: h.redis, keys, clock });
    const sends = createSendStore({ redis: h.redis, keys, clock });
    const followUps = createFollowUps({ calls, housekeeping, clock, receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
    const completion = createCompletion({ sends, onEnded: (id) => followUps.callback(id) });
    const sweep = createOrphanSweep({ redis: h.redis, keys, calls, chunks, sends, followUps, completion, clock, logger: h.logger, firstLookAfterMs: 50, minAgeMs: 0 });
    return await sweep.run({ dryRun: true });
  } finally {
    await Promise.all([calls.close(), housekeeping.close()]);
  }
}

describe('smsq campaign stopped by a signal while it reads its list', () => {
  it('Ctrl-C: the send id on stdout, the send paused with what was read, its chunks not sent by a worker, not failed by the sweep; resume sends those and no others', async () => {
    const base = 13810000000;
    const cli = await stopMidList('ctrl-c.csv', base, 'SIGINT');
    // Ended by the signal once it has said what it leaves, as shells count it: 130.
    expect(await cli.exited, cli.stderr).toBe('SIGINT');
    const message = cli.stderr.replace(/\n/g, ' ');
    expect(cli.stderr).toContain('SIGINT: stopping the campaign: reading stopped; pausing send');
    expect(cli.stderr).toContain('SMSQ_CAMPAIGN_STOPPED: the campaign was stopped (SIGINT) after line');
    const { sendId, recipients } = await expectHeld(message);
    expect(cli.stdout).toMatch(new RegExp(`^send id\\s+${sendId}$`, 'm'));
    expect(cli.stdout).toMatch(new RegExp(`^queued recipients\\s+${recipients}$`, 'm'));
    // Its status says why it is paused and the ways on; it said "paused by an operator (its enqueue was stopped (SIGINT) ...)".
    const status = collector();
    expect(await runCli(['status', sendId], { stdout: status, stderr: collector(), env })).toBe(0);
    expect(status.text).toMatch(new RegExp(`^waiting +paused because its smsq campaign was interrupted \\(Ctrl-C, SIGINT\\) after line \\d+, holding the rows read before the stop: resume it to send those \\(smsq campaign resume ${sendId}; the rest of the list is not in it\\), or cancel it \\(smsq campaign cancel ${sendId}\\)$`, 'm'));
    expect(status.text).not.toContain('operator');

    // Its enqueue is over: the sweep does not take it for a producer that died.
    const report = await sweepAnHourLater();
    expect(report.found.enqueuingAbandoned).toBe(0);
    expect(report.found.enqueuingFinished).toBe(0);

    // A worker takes its jobs and parks them: nothing of it is called.
    const worker = await h.startWorker();
    const marker = await h.producer.send({ ...SETTINGS, phones: ['13919000001'] });
    await waitFor(async () => (await h.producer.getStatus(marker.sendId)).counts.accepted === 1, 'a send behind it to go out');
    const { chunks } = (await h.producer.getStatus(sendId)).send;
    await waitFor(async () => (await h.redis.scard(createKeys(h.prefix).sendParked(sendId))) === chunks, 'its jobs to be parked');
    expect(callsFor(base)).toBe(0);
    expect((await h.producer.getStatus(sendId)).counts.queued).toBe(recipients);

    // Resumed, it sends what it holds, once each, and not the rest of the list.
    const resumed = await runCli(['campaign', 'resume', sendId], { stdout: collector(), stderr: collector(), env });
    expect(resumed).toBe(0);
    await waitFor(async () => (await h.producer.getStatus(sendId)).counts.accepted === recipients, 'what it holds to go out');
    const sent = h.emulator.accepted().flatMap((a) => a.phoneNumbers).filter((p) => Number(p) >= base && Number(p) < base + 1_000_000);
    expect(sent.length).toBe(recipients);
    expect(new Set(sent).size).toBe(recipients);
    expect(Math.max(...sent.map(Number))).toBe(base + recipients - 1);
    await worker.close(); // the tests after this one count what stays queued
  }, 3 * SPAWNED_MS);

  it('SIGTERM with --json: one JSON document with the send id and a `stopped` object; the send is paused', async () => {
    const cli = await stopMidList('sigterm.csv', 13820000000, 'SIGTERM', ['--json']);
    expect(await cli.exited, cli.stderr).toBe('SIGTERM');
    const out = JSON.parse(cli.stdout) as { sendId: string; recipients: number; stopped: Record<string, unknown> };
    const { sendId, recipients, line } = await expectHeld(cli.stderr.replace(/\n/g, ' '));
    expect(out).toEqual({
      sendId,
      recipients,
      stopped: {
        reason: 'interrupted',
        signal: 'SIGTERM',
        code: 'SMSQ_CAMPAIGN_STOPPED',
        sendPaused: true,
        rowsRead: recipients,
        afterLine: line,
        wholeList: false,
        resumeCommand: `smsq campaign resume ${sendId}`,
        cancelCommand: `smsq campaign cancel ${sendId}`,
        statusCommand: `smsq status ${sendId}`,
      },
    });
  }, 2 * SPAWNED_MS);

  it('a signal before the send exists (the list has no valid row yet): nothing is enqueued, and it says so', async () => {
    const sendsBefore = (await h.redis.keys(`${h.prefix}:send:*`)).sort(); // KEYS answers in no set order
    const { path, opened } = await pipeList('no-row-yet.csv', 0, 0);
    const cli = spawnSmsq([...CAMPAIGN, '--file', path], env);
    await opened;
    cli.child.kill('SIGINT');
    expect(await cli.exited, cli.stderr).toBe('SIGINT');
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toContain('SMSQ_CAMPAIGN_STOPPED: the campaign was stopped (SIGINT) before its send was created');
    expect(cli.stderr).toContain('nothing was enqueued');
    expect((await h.redis.keys(`${h.prefix}:send:*`)).sort()).toEqual(sendsBefore);
  }, SPAWNED_MS);

  it('a second signal while it stops ends it at once: the send id first, then what may be left unfinished', async () => {
    const base = 13830000000;
    const { path, opened } = await pipeList('forced.csv', 2500, base);
    let forcedExit: ((signal: string) => void) | undefined;
    let interrupt!: (signal: string) => void;
    const stdout = collector();
    const stderr = collector();
    const running = runCli([...CAMPAIGN, '--file', path], { stdout, stderr, env, waitForShutdown: () => new Promise((resolve) => (interrupt = resolve)), onForcedExit: (say) => (forcedExit = say) });
    await opened;
    const sendId = (await waitFor(() => /send id (\S+): enqueuing/.exec(stderr.text), 'the send to be created'))[1];
    // What the executable calls on the second signal, just before process.exit(130).
    forcedExit!('SIGINT');
    expect(stdout.text).toMatch(new RegExp(`^send id\\s+${sendId}$`, 'm'));
    expect(stderr.text).toContain(`forced exit (SIGINT) while the campaign was stopping: send ${sendId} may not be paused yet`);
    expect(stderr.text).toContain(`to stop it for sure: smsq campaign cancel ${sendId}`);
    interrupt('SIGINT');
    expect(await running).toBe(EXIT.interrupted);
  });

  it('refuses a pipe without --yes: the counting pass would use it up', async () => {
    const { path } = await pipeList('no-yes.csv', 1, 13840000000);
    const stderr = collector();
    const code = await runCli(CAMPAIGN.filter((a) => a !== '--yes').concat('--file', path), { stdout: collector(), stderr, env });
    expect(code).toBe(EXIT.refused);
    expect(stderr.text).toContain(`--file ${path} is a pipe, which can be read only once`);
  });
});

describe('producer.campaign with an AbortSignal', () => {
  /** 2,500 numbers, then a source that waits (a pipe with nothing more yet) until the test ends. */
  function rowsThenWait(base: number, state: { waiting: boolean }, ended: Promise<void>): AsyncIterable<CampaignRecipient> {
    return (async function* () {
      for (let i = 0; i < 2500; i++) yield { phone: String(base + i) };
      state.waiting = true;
      await ended;
    })();
  }

  it('stops mid-list: rejects with SMSQ_CAMPAIGN_STOPPED naming the send, paused with every row read; the same idempotency key answers with it and enqueues nothing', async () => {
    const base = 13850000000;
    const state = { waiting: false };
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const controller = new AbortController();
    const settings = { ...SETTINGS, idempotencyKey: `stop-${base}` };
    let written = 0;
    try {
      const stopping = h.producer.campaign(rowsThenWait(base, state, ended), settings, { signal: controller.signal, onProgress: (p) => (written = p.written) });
      stopping.catch(() => undefined);
      await waitFor(() => state.waiting && written >= 1000, 'the rows read and a chunk written');
      controller.abort('test stop');
      const err = await stopping.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(CampaignStoppedError);
      const stopped = err as CampaignStoppedError;
      expect(stopped.code).toBe('SMSQ_CAMPAIGN_STOPPED');
      expect(stopped.stopped).toEqual({ sendId: expect.stringMatching(/^smx/), recipients: 2500, rowsRead: 2500, afterLine: undefined, by: 'test stop', idempotencyKey: settings.idempotencyKey });
      const sendId = stopped.sendId as string;
      expect(stopped.message).toBe(
        `the campaign was stopped (test stop) after 2500 rows: the 2500 recipients read before it were enqueued as send ${sendId}, now paused (nothing more of it goes out; chunks a worker had already taken may have). Fix: resume it to send them (producer.resume, smsq campaign resume ${sendId}, or POST /v1/sends/${sendId}/resume), then send the rest of the list (the rows after the first 2500) as a new campaign; or cancel it (producer.cancel, smsq campaign cancel ${sendId}, or POST /v1/sends/${sendId}/cancel). The same command with the same idempotency key (${settings.idempotencyKey}) is refused (SMSQ_IDEMPOTENCY_KEY_CUT_SHORT) and enqueues nothing, for as long as the key lives (24 h by default): the key stands for this send; under a new key it is a new send to everyone on the list, these included`,
      );
      const status = await h.producer.getStatus(sendId);
      expect(status.send).toMatchObject({ state: 'paused', recipients: 2500, controlReason: 'its enqueue was stopped (test stop) after 2500 rows' });
      expect(status.send.enqueuedAt).toBeDefined();
      expect(status.counts.queued).toBe(2500);

      // What the message says of the same key: refused, naming this send; nothing new.
      const again = await h.producer.campaign((async function* () {
        for (let i = 0; i < 3000; i++) yield { phone: String(base + i) };
      })(), settings).then(() => undefined, (e: unknown) => e);
      expect(again).toBeInstanceOf(IdempotencyKeyCutShortError);
      expect(again).toMatchObject({ sendId, state: 'paused', recipients: 2500 });
      expect((await h.producer.getStatus(sendId)).send).toMatchObject({ state: 'paused', recipients: 2500 });
    } finally {
      end();
    }
  });

  it('stopped once the whole list was read: says the send holds the whole list, not to send "the rest" (a new user was told to send the rows after the last line as a new campaign)', async () => {
    const base = 13851000000;
    const controller = new AbortController();
    // 1,500 numbers; the stop comes as the source says it has no more (while the last chunk is written).
    const source: AsyncIterable<CampaignRecipient> = {
      [Symbol.asyncIterator]() {
        let i = 0;
        return {
          next: async () => {
            if (i < 1500) return { done: false, value: { phone: String(base + i++) } };
            setImmediate(() => controller.abort('test stop'));
            return { done: true, value: undefined };
          },
        };
      },
    };
    const err = await h.producer.campaign(source, SETTINGS, { signal: controller.signal }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CampaignStoppedError);
    const stopped = err as CampaignStoppedError;
    const sendId = stopped.sendId as string;
    expect(stopped.stopped).toMatchObject({ recipients: 1500, rowsRead: 1500, wholeList: true });
    expect(stopped.message).toMatch(new RegExp(`^the campaign was stopped \\(test stop\\) once its whole list was read \\(after 1500 rows\\): its 1500 recipients were enqueued as send ${sendId}, now paused .*Fix: resume it to send them .*: no rest of the list is left to send; or cancel it`));
    expect(stopped.message).not.toMatch(/the rest of the list \(/);
    expect((await h.producer.getStatus(sendId)).send).toMatchObject({ state: 'paused', recipients: 1500, controlReason: 'its enqueue was stopped (test stop) once its whole list was read (after 1500 rows)' });
  });

  it('aborted before its send exists: rejects saying nothing was enqueued, and writes no send', async () => {
    const sendsBefore = (await h.redis.keys(`${h.prefix}:send:*`)).sort(); // KEYS answers in no set order
    const err = await h.producer.campaign((async function* () {
      yield { phone: '13860000000' };
    })(), SETTINGS, { signal: AbortSignal.abort('SIGTERM') }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CampaignStoppedError);
    expect((err as CampaignStoppedError).message).toBe('the campaign was stopped (SIGTERM) before its send was created: nothing was enqueued');
    expect((err as CampaignStoppedError).sendId).toBeUndefined();
    expect((await h.redis.keys(`${h.prefix}:send:*`)).sort()).toEqual(sendsBefore);
  });

  it('Redis gone as it stops: SMSQ_REDIS_UNAVAILABLE names the send, says it may not be paused and goes out, and to cancel it', async () => {
    const redis = await startPrivateRedis();
    const connection = createProducerConnection(redis.url, undefined, { lazyConnect: true });
    connection.on('error', () => {});
    const producer = createProducer({ redis: connection, prefix: uniquePrefix('cstop-down'), connectTimeoutMs: 300 });
    const state = { waiting: false };
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const controller = new AbortController();
    try {
      let written = 0;
      const stopping = producer.campaign(rowsThenWait(13870000000, state, ended), SETTINGS, { signal: controller.signal, onProgress: (p) => (written = p.written) });
      stopping.catch(() => undefined);
      await waitFor(() => state.waiting && written >= 1000, 'the rows read and a chunk written');
      await redis.stop();
      controller.abort('SIGINT');
      const err = await stopping.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(RedisUnavailableError);
      const down = err as RedisUnavailableError;
      expect(down.campaign).toMatchObject({ sendId: expect.stringMatching(/^smx/), written, stopping: 'SIGINT' });
      const sendId = down.campaign?.sendId as string;
      expect(down.message).toContain(`part-way through a campaign: send ${sendId} was created, and ${written} recipients were confirmed enqueued in it`);
      expect(down.message).toContain('It was being stopped (SIGINT), and Redis did not answer before the stop was through: the send may not be paused');
      // A Node caller is told the producer's cancel, the CLI its command, an API client the route.
      expect(down.message).toContain(`Fix: once Redis answers, cancel it (\`producer.cancel("${sendId}")\`), which stops what is left of it`);
      expect(down.message).toContain('about 10 minutes after (`repair.enqueueGraceMs`; the rest of it is then not sent)');
      expect(down.message).not.toMatch(/REDIS_URL|SMSQ_|smsq /);
      expect(down.message).not.toContain('make the same request');
      const cli = printedByCli(down).stderr;
      expect(cli).toContain(`Fix: once Redis answers, cancel it (smsq campaign cancel ${sendId}), which stops what is left of it; smsq status ${sendId} --recipients shows which numbers went out`);
      expect(cli).toContain('about 10 minutes after (SMSQ_REPAIR_ENQUEUE_GRACE_MS; the rest of it is then not sent)');
      expect(down.apiMessage).toContain(`Fix: once Redis answers, cancel it (POST /v1/sends/${sendId}/cancel), which stops what is left of it; GET /v1/sends/${sendId}/recipients shows which numbers went out`);
    } finally {
      end();
      await producer.close().catch(() => {});
      connection.disconnect();
      await redis.stop();
    }
  });
});
