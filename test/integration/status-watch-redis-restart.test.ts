/**
 * `smsq status --watch` across a Redis restart. A trial's watch ended with exit 3 when Redis was
 * restarted in under a second (same port, same AOF), while the worker rode it out: a watch follows
 * a send for minutes or hours, so between polls it now waits for Redis up to
 * SMSQ_REDIS_CONNECT_TIMEOUT_MS, says once on stderr that it waits and once that Redis is back,
 * and goes on. A Redis down for longer still ends it with exit 3 and the usual line.
 *
 * The watch is a real `smsq` process; Redis a private redis-server with its AOF, killed and started
 * again on the same port; the worker a real one (in this process) sending through the emulator
 * with the real SDK, started after the restart so that the watch has something to see go on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { startCrashableRedis, type CrashableRedis } from '../support/crashable-redis.js';
import { spawnSmsq, type CliProcess } from '../support/cli-process.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, kind: 'notification' as const };
/** A spawned smsq starts in about a second on an idle machine, far more on a loaded one. */
const SPAWNED_MS = 60_000;

// After hooks run last-registered first: the servers stop after the harness has removed its keys from them.
const servers: CrashableRedis[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});
const harnesses = harnessPerTest();
const children: CliProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.child.kill('SIGKILL');
});

async function restartableRedis(): Promise<CrashableRedis> {
  const server = await startCrashableRedis({ appendfsync: 'always' });
  servers.push(server);
  return server;
}

function watch(h: Harness, redisUrl: string, sendId: string, connectTimeoutMs: number): CliProcess {
  const p = spawnSmsq(['status', sendId, '--watch', '--until', 'sent'], {
    REDIS_URL: redisUrl,
    SMSQ_PREFIX: h.prefix,
    SMS_MODE: 'sandbox',
    SMS_ENDPOINT: h.endpoint,
    LOG_LEVEL: 'warn',
    SMSQ_QUIET_HOURS: 'off',
    SMSQ_REDIS_CONNECT_TIMEOUT_MS: String(connectTimeoutMs),
  });
  children.push(p);
  return p;
}

/** stderr lines a person reads (not JSON log lines). */
const plainLines = (stderr: string) => stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
const WAITING = /^Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:\d+ does not answer \(.+\): the watch waits for it up to 10s \(SMSQ_REDIS_CONNECT_TIMEOUT_MS\) and goes on once it answers$/;

describe('smsq status --watch and a Redis restarted under it', () => {
  it('waits for Redis, says so once and once when it is back, and follows the send to its end (it exited 3 at the first poll)', async () => {
    const redis = await restartableRedis();
    const h = await harnesses.create({ label: 'watch-restart', redisUrl: redis.url });
    h.redis.on('error', () => {}); // the worker's connection rides the restart out, reconnecting
    // No worker yet: the send stays active, its recipients queued, while Redis goes away and comes back.
    const { sendId } = await h.producer.send({ ...NOTE, phones: ['13853000001', '13853000002'] });
    const watcher = watch(h, redis.url, sendId, 10_000);
    await waitFor(() => /\bactive\b/.test(watcher.stdout), 'the watch to print its first line', SPAWNED_MS);

    await redis.kill();
    // Down until the watch has met it (a poll between the kill and the restart): it must not give up.
    const met = await Promise.race([
      waitFor(() => plainLines(watcher.stderr).some((l) => WAITING.test(l)), 'the watch to say it waits for Redis', 30_000).then(() => 'waiting' as const),
      watcher.exited.then((code) => `exited ${code}` as const),
    ]);
    await redis.start();
    expect(met, watcher.stderr).toBe('waiting');

    await h.startWorker();
    expect(await watcher.exited, watcher.stderr).toBe(EXIT.ok);
    expect(watcher.stdout).toMatch(/^\S+ \S+ \+08:00 {2}sent {2}accepted 2/m);
    const about = plainLines(watcher.stderr);
    expect(about.filter((l) => /REDIS_URL/.test(l))).toEqual([
      expect.stringMatching(WAITING),
      expect.stringMatching(/^Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:\d+ answers again after \d+\.\ds: the watch goes on$/),
    ]);
    expect(about.filter((l) => /^error/.test(l))).toEqual([]);
  }, 150_000);

  it('a Redis down longer than SMSQ_REDIS_CONNECT_TIMEOUT_MS still ends the watch with exit 3 and the usual line, after saying it waited', async () => {
    const redis = await restartableRedis();
    const h = await harnesses.create({ label: 'watch-gone', redisUrl: redis.url });
    h.redis.on('error', () => {});
    const { sendId } = await h.producer.send({ ...NOTE, phones: ['13853000003'] });
    const watcher = watch(h, redis.url, sendId, 10_000);
    await waitFor(() => /\bactive\b/.test(watcher.stdout), 'the watch to print its first line', SPAWNED_MS);

    await redis.kill();
    const from = performance.now();
    const code = await watcher.exited;
    const tookMs = performance.now() - from;
    // Back for the harness to remove its keys.
    await redis.start();
    expect(code, watcher.stderr).toBe(EXIT.dependency);
    // The bound (10 s) from the first poll that failed, that poll at most a second after the kill; room for a loaded machine.
    expect(tookMs).toBeGreaterThanOrEqual(9_000);
    expect(tookMs).toBeLessThan(25_000);
    const about = plainLines(watcher.stderr);
    expect(about).toEqual([
      expect.stringMatching(WAITING),
      expect.stringMatching(/^error SMSQ_REDIS_UNAVAILABLE: Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:\d+ does not answer \(.+\); nothing was changed; run it again once Redis answers\. Fix: start Redis there or point REDIS_URL at a running one \(SMSQ_REDIS_CONNECT_TIMEOUT_MS sets how long to wait\)$/),
    ]);
  }, 150_000);

  it('smsq send --wait waits for a Redis restarted under it the same way, and ends when the send is through (it exited 4 at once)', async () => {
    const redis = await restartableRedis();
    const h = await harnesses.create({ label: 'wait-restart', redisUrl: redis.url });
    h.redis.on('error', () => {});
    // No worker yet: the wait polls a send that stays queued while Redis goes away and comes back.
    const waiter = spawnSmsq(['send', '--phones', '13853000004', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes', '--wait', '--timeout', '120s'], {
      REDIS_URL: redis.url,
      SMSQ_PREFIX: h.prefix,
      SMS_MODE: 'sandbox',
      SMS_ENDPOINT: h.endpoint,
      LOG_LEVEL: 'warn',
      SMSQ_QUIET_HOURS: 'off',
      SMSQ_REDIS_CONNECT_TIMEOUT_MS: '10000',
    });
    children.push(waiter);
    await waitFor(() => /: 0 accepted, 0 failed, 1 pending/.test(waiter.stderr), 'the wait to show its first progress', SPAWNED_MS);

    await redis.kill();
    const waitsFor = /^Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:\d+ does not answer \(.+\): the wait waits for it up to 10s \(SMSQ_REDIS_CONNECT_TIMEOUT_MS\) and goes on once it answers$/;
    const met = await Promise.race([
      waitFor(() => plainLines(waiter.stderr).some((l) => waitsFor.test(l)), 'the wait to say it waits for Redis', 30_000).then(() => 'waiting' as const),
      waiter.exited.then((code) => `exited ${code}` as const),
    ]);
    await redis.start();
    expect(met, waiter.stderr).toBe('waiting');

    await h.startWorker();
    expect(await waiter.exited, waiter.stderr).toBe(EXIT.ok);
    expect(plainLines(waiter.stderr).filter((l) => l.startsWith('Redis at REDIS_URL'))).toEqual([
      expect.stringMatching(waitsFor),
      expect.stringMatching(/^Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:\d+ answers again after \d+\.\ds: the wait goes on$/),
    ]);
  }, 150_000);
});
