import { afterEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/clock.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createChunkStore, type ChunkRecord } from '../../src/queue/chunk-store.js';
import type { CallMetricsRecorder } from '../../src/metrics/call-metrics.js';
import { createKeys } from '../../src/queue/keys.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { collector } from '../support/text-collector.js';
import { testRedisUrl } from '../support/redis.js';
import { createLogger } from '../../src/logger.js';
import { waitText } from '../../src/queue/send-wait.js';
import { hostname } from 'node:os';
import { runSmsqInProcess } from '../support/cli-run.js';

let h: Harness | undefined;

/** `smsq resume` in this process, against the harness's Redis and prefix. */
async function resumeCli(harness: Harness, flags: string[] = []) {
  return runSmsqInProcess(['resume', ...flags], { env: { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: harness.prefix, LOG_LEVEL: 'warn' } });
}
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '424242' }, kind: 'verification' as const };

async function chunk(harness: Harness, sendId: string, index = '0'): Promise<ChunkRecord | undefined> {
  return createChunkStore({ redis: harness.redis, keys: createKeys(harness.prefix), clock: systemClock }).get(`${sendId}.${index}`);
}

function acceptedFor(harness: Harness, phone: string): number {
  return harness.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone)).length;
}

async function settled(harness: Harness, sendId: string, total: number) {
  return waitFor(async () => {
    const s = await harness.producer.getStatus(sendId);
    const c = s.counts;
    return c.accepted + c.failed + c.expired === total ? s : undefined;
  }, `send ${sendId} to settle`);
}

describe('outcome unknown: looked up before anything is resent', () => {
  it('lost answer: accepted, answered after the read timeout → delivered once, decided by reconcile', async () => {
    h = await createHarness({ label: 'lost', readTimeoutMs: 300 });
    h.emulator.setFaults([{ kind: 'lost-answer', delayMs: 2000 }]);
    const res = await h.producer.send({ ...CODE, phones: ['13800000001'] });
    await h.startWorker();
    await settled(h, res.sendId, 1);
    const c = await chunk(h, res.sendId);
    expect(c).toMatchObject({ state: 'accepted', attempt: 1, resolvedBy: 'reconcile' });
    expect(acceptedFor(h, '13800000001')).toBe(1);
    // The reconcile step made a QuerySendDetails call for it.
    expect(h.emulator.calls().some((x) => x.action === 'QuerySendDetails')).toBe(true);
  });

  it('a throttled look-up during reconcile pauses every worker and is counted like any throttle', async () => {
    h = await createHarness({ label: 'lost-throttled', readTimeoutMs: 300 });
    h.emulator.setFaults([
      { kind: 'lost-answer', delayMs: 2000 },
      { kind: 'throttle', actions: ['QuerySendDetails'] },
    ]);
    const waits: string[] = [];
    const unknown: string[] = [];
    const metrics: CallMetricsRecorder = {
      recordCall() {},
      recordLimiterWait: (reason) => void waits.push(reason),
      recordReceipt() {},
      recordUnknownOutcome: (chunkId, attempt) => void unknown.push(`${chunkId}|${attempt}`),
      recordAutoPause() {},
      recordHousekeepingFailure: async () => {},
      recordReconcileResult: async () => {},
      flush: async () => {},
      close: async () => {},
    };
    const res = await h.producer.send({ ...CODE, phones: ['13800000011'] });
    await h.startWorker({ metrics });
    await settled(h, res.sendId, 1);
    expect(await chunk(h, res.sendId)).toMatchObject({ state: 'accepted', attempt: 1, resolvedBy: 'reconcile' });
    expect(h.emulator.calls().filter((x) => x.action === 'QuerySendDetails' && x.code === 'Throttling.User')).toHaveLength(1);
    expect(waits).toContain('throttled');
    // The lost answer made the attempt unknown: it was indexed for the unknown-outcome age gauge.
    expect(new Set(unknown)).toEqual(new Set([`${res.sendId}.0|1`]));
  });

  it.each(['server-error', 'reset'] as const)('%s before accepting → not found after settling → resent once with a new OutId', async (kind) => {
    h = await createHarness({ label: kind, readTimeoutMs: 300 });
    h.emulator.setFaults([{ kind }]);
    const res = await h.producer.send({ ...CODE, phones: ['13800000002'] });
    await h.startWorker();
    await settled(h, res.sendId, 1);
    const c = await chunk(h, res.sendId);
    expect(c).toMatchObject({ state: 'accepted', attempt: 2 });
    expect(c?.outId).toMatch(new RegExp(`^${res.sendId}\\.0\\.2-[0-9a-f]+$`));
    expect(acceptedFor(h, '13800000002')).toBe(1);
  });
});

describe('error classes drive what happens', () => {
  it('throttled: every worker slows down, then the chunk is sent once', async () => {
    h = await createHarness({ label: 'throttle' });
    h.emulator.setFaults([{ kind: 'throttle', times: 2 }]);
    const res = await h.producer.send({ ...CODE, phones: ['13800000003'] });
    await h.startWorker();
    // While every worker waits out the throttle, status says so (or the chunk already went).
    const harness = h;
    const seen = await waitFor(async () => {
      const st = await harness.producer.getStatus(res.sendId);
      return st.wait?.reason === 'throttled' || st.counts.accepted === 1 ? st : undefined;
    }, 'throttled or sent');
    if (seen.wait) expect(seen.wait.reason === 'throttled' && seen.wait.until).toBeGreaterThan(Date.now() - 1000);
    await settled(h, res.sendId, 1);
    expect(await chunk(h, res.sendId)).toMatchObject({ state: 'accepted' });
    expect(acceptedFor(h, '13800000003')).toBe(1);
    expect(h.emulator.calls().filter((x) => x.code === 'Throttling.User')).toHaveLength(2);
  });

  it('sustained throttling (an account cap below SMS_QPS) is named between the pauses too, for a minute after the last', async () => {
    h = await createHarness({ label: 'throttle-cap', emulator: { qps: 5 } });
    const res = await h.producer.send({ ...CODE, phones: Array.from({ length: 40 }, (_, i) => String(13800100000 + i)) });
    const worker = await h.startWorker({ qps: 50 });
    const harness = h;
    await waitFor(() => harness.emulator.calls().some((x) => x.code === 'Throttling.User'), 'a throttle answer');
    // The worker logs the throttle right after it pauses every worker.
    await expect.poll(async () => (await harness.producer.getStatus(res.sendId)).wait).toMatchObject({ times: expect.any(Number) });
    for (let i = 0; i < 4; i++) {
      expect((await h.producer.getStatus(res.sendId)).wait).toMatchObject({ reason: 'throttled', times: expect.any(Number) });
      await new Promise((r) => setTimeout(r, 250));
    }
    // No pause holds the workers now (it lasts a second); the throttling of the last minute still explains the wait.
    await worker.worker.pause();
    await new Promise((r) => setTimeout(r, 1500));
    const s = await h.producer.getStatus(res.sendId);
    expect(s.counts.queued).toBeGreaterThan(0);
    expect(s.wait).toMatchObject({ reason: 'throttled' });
    const wait = s.wait as { until: number; times: number };
    expect(wait.times).toBeGreaterThanOrEqual(1);
    expect(wait.until).toBeLessThanOrEqual(Date.now());
  });

  it('permanent: the recipients fail with the code and are not retried', async () => {
    h = await createHarness({ label: 'permanent' });
    // No params for a template with ${name} and ${order}: isv.TEMPLATE_MISSING_PARAMETERS.
    const res = await h.producer.send({ phones: ['13800000004'], signName: N.sign, templateCode: N.notificationTemplate });
    await h.startWorker();
    const s = await settled(h, res.sendId, 1);
    expect(s.counts).toMatchObject({ failed: 1, queued: 0, sending: 0, unknown: 0 });
    // What a user reads, not the chunk: a send that ends is compacted (its chunk deleted) once final.
    const recipients = [];
    for await (const r of h.producer.recipients(res.sendId)) recipients.push(r);
    expect(recipients).toEqual([expect.objectContaining({ phone: '13800000004', state: 'failed', code: 'isv.TEMPLATE_MISSING_PARAMETERS', attempts: 1 })]);
    expect(h.emulator.calls().filter((x) => x.action === 'SendSms')).toHaveLength(1);
  });

  it('sign unusable: the whole send fails early; later chunks fail without a call', async () => {
    h = await createHarness({ label: 'sign' });
    const phones = Array.from({ length: 1500 }, (_, i) => String(13800100000 + i));
    const res = await h.producer.send({ phones, signName: N.rejectedSign, templateCode: N.plainTemplate });
    await h.startWorker({ concurrency: 1 });
    const s = await settled(h, res.sendId, 1500);
    expect(s.send.state).toBe('failed');
    expect(s.send.code).toMatch(/SIGN|SIGNATURE/);
    expect(s.counts.failed).toBe(1500);
    expect(h.emulator.calls().filter((x) => x.action === 'SendSms')).toHaveLength(1);
  });

  it('account/configuration: sending stops, every job is kept, and resumes after the fix', async () => {
    h = await createHarness({ label: 'account' });
    const res = await h.producer.send({ ...CODE, phones: ['13800000005', '13800000006'] });
    const log = collector();
    const broken = await h.startWorker({
      client: h.clientWith({ accessKeySecret: 'wrong-secret' }),
      accountRecheckMs: 0,
      name: 'eu-7',
      logger: createLogger({ level: 'error' }, log),
    });
    const harness = h;
    const block = await waitFor(() => broken.guard.current(), 'the account to be blocked');
    expect(block.code).toBe('SignatureDoesNotMatch');
    // One worker with its own wrong secret blocks them all: the block names it, so it can be found.
    const me = { host: hostname(), pid: process.pid, name: 'eu-7' };
    expect(block.worker).toEqual(me);
    const line = await waitFor(() => log.text.split('\n').find((l) => l.includes('ACCOUNT BLOCKED')), 'the block logged');
    const logged = JSON.parse(line) as { worker: unknown; msg: string };
    expect(logged.msg).toContain(`ACCOUNT BLOCKED (SignatureDoesNotMatch) by the worker on host ${me.host}, pid ${me.pid} (named "eu-7")`);
    expect(logged.worker).toEqual(me);
    // A code is a chunk a number: the other chunk's call may still be answering as the guard blocks,
    // and its chunk is handed back once it has (a CI run under load read it still sending).
    const status = await waitFor(async () => {
      const s = await harness.producer.getStatus(res.sendId);
      return s.counts.queued === 2 ? s : undefined;
    }, 'both recipients queued again');
    expect(status.wait).toMatchObject({ reason: 'account-blocked', code: 'SignatureDoesNotMatch', worker: me });
    expect(waitText(status.wait!)).toContain(`by the worker on host ${me.host}, pid ${me.pid} (named "eu-7")`);
    expect(h.emulator.accepted()).toHaveLength(0);
    // Resuming while that worker still runs: the block is back at once, and resume says who.
    const resumed = await resumeCli(h);
    // Not "Resumed." (it printed that before the block came back): sending is stopped again.
    expect(resumed.stdout).toBe('');
    expect(resumed.stderr).toContain(`blocked again within 2 s by the worker on host ${me.host}, pid ${me.pid} (named "eu-7") (SignatureDoesNotMatch`);
    expect(resumed.stderr).toMatch(/lifted the block in place since .* by SignatureDoesNotMatch/);
    expect(resumed.code).toBe(2);
    // A script reading --json is told the same: not resumed (it read resumed: true).
    const resumedJson = await resumeCli(h, ['--json']);
    expect(resumedJson.code).toBe(2);
    expect(JSON.parse(resumedJson.stdout)).toMatchObject({ resumed: false, wasBlocked: { code: 'SignatureDoesNotMatch' }, blockedAgain: { code: 'SignatureDoesNotMatch', worker: me } });
    await broken.close();
    // The operator fixes the key and resumes.
    await h.startWorker();
    const quiet = await resumeCli(h, ['--json']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(JSON.parse(quiet.stdout)).toMatchObject({ resumed: true, wasBlocked: { code: 'SignatureDoesNotMatch', worker: me }, blockedAgain: null });
    await waitFor(async () => (await harness.producer.getStatus(res.sendId)).counts.accepted === 2, 'both accepted after resume');
    expect(acceptedFor(h, '13800000005')).toBe(1);
    expect(acceptedFor(h, '13800000006')).toBe(1);
  });

  it('per-number flow control: a code is retried at the next minute window, not hammered', async () => {
    // A clock 2.5 s before a China-time minute boundary, shared by worker and emulator.
    const real = Date.now();
    const toBoundary = 60_000 - ((real + 8 * 3600_000) % 60_000);
    const offset = toBoundary - 2500;
    const clock: Clock = { now: () => Date.now() + offset };
    h = await createHarness({ label: 'flow', emulator: { clock } });
    const first = await h.producer.send({ ...CODE, phones: ['13800000007'] });
    const worker = await h.startWorker({ clock, flowControlSpreadMs: 0 });
    await settled(h, first.sendId, 1);
    const second = await h.producer.send({ ...CODE, templateParam: { code: '2' }, phones: ['13800000007'] });
    await settled(h, second.sendId, 1);
    const c = await chunk(h, second.sendId);
    expect(c).toMatchObject({ state: 'accepted', flowRetries: 1 });
    expect(acceptedFor(h, '13800000007')).toBe(2);
    expect(h.emulator.calls().filter((x) => x.code === 'isv.BUSINESS_LIMIT_CONTROL')).toHaveLength(1);
    expect(worker.window.max).toBeGreaterThan(0);
  });

  it('per-number flow control: status names when a code held by it goes again', async () => {
    // A clock 10 s past a China-time minute boundary: the retry waits for the next one.
    const real = Date.now();
    const offset = 10_000 - ((real + 8 * 3600_000) % 60_000);
    const clock: Clock = { now: () => Date.now() + offset };
    const nextMinute = clock.now() - ((clock.now() + 8 * 3600_000) % 60_000) + 60_000;
    h = await createHarness({ label: 'flow-wait', emulator: { clock }, clock });
    const first = await h.producer.send({ ...CODE, phones: ['13800000017'] });
    await h.startWorker({ clock, flowControlSpreadMs: 0 });
    await settled(h, first.sendId, 1);
    const second = await h.producer.send({ ...CODE, templateParam: { code: '2' }, phones: ['13800000017'] });
    const harness = h;
    await waitFor(() => harness.emulator.calls().some((x) => x.code === 'isv.BUSINESS_LIMIT_CONTROL'), 'the flow-control refusal');
    const s = await waitFor(async () => {
      const st = await harness.producer.getStatus(second.sendId);
      return st.counts.queued === 1 && st.wait ? st : undefined;
    }, 'the code queued again with a reason');
    expect(s.send.state).toBe('active');
    expect(s.wait).toEqual({ reason: 'flow-control', retryAt: nextMinute });
  });

  it('per-number flow control inside a 3-number chunk: split, the limited number fails, the others go', async () => {
    h = await createHarness({ label: 'split' });
    const limited = '13800000008';
    // Marketing with one sign + template: 50 a day per number. Use them up directly.
    for (let i = 0; i < 50; i++) {
      const r = await h.client.sendSms({ phoneNumbers: [limited], signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'x' } });
      expect(r.ok).toBe(true);
    }
    const res = await h.producer.send({
      phones: [limited, '13800000009', '13800000010'],
      signName: N.sign,
      templateCode: N.marketingTemplate,
      templateParam: { name: 'y' },
      kind: 'marketing',
    });
    const lines: string[] = [];
    await h.startWorker({ logger: createLogger({ level: 'warn' }, { write: (line: string) => void lines.push(line) }) });
    const s = await settled(h, res.sendId, 3);
    expect(s.counts).toMatchObject({ accepted: 2, failed: 1, queued: 0, sending: 0, unknown: 0 });
    // The failure is said, with its chunk, as every permanent failure is (it left no line at all).
    const said = lines.map((l) => JSON.parse(l) as { msg: string; chunkId?: string; code?: string }).filter((l) => l.msg.startsWith('per-number flow control: no retry left'));
    expect(said).toMatchObject([{ chunkId: `${res.sendId}.0-0`, code: 'isv.BUSINESS_LIMIT_CONTROL' }]);
    expect(await chunk(h, res.sendId)).toMatchObject({ state: 'split' });
    expect(await chunk(h, res.sendId, '0-0')).toMatchObject({ state: 'failed', code: 'isv.BUSINESS_LIMIT_CONTROL' });
    expect(acceptedFor(h, '13800000009')).toBe(1);
    expect(acceptedFor(h, limited)).toBe(50);
  });
});
