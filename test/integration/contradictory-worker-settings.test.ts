/**
 * Worker settings under which every claim passes its call deadline (src/queue/call-deadline.ts):
 * a claim waits, by design, for its durability confirmation (up to SMSQ_DURABILITY_TIMEOUT_MS in
 * the WAIT modes) and then for its pacer slot (up to the pacer's 2 s reach). A deadline shorter
 * than that undid claims nothing held up (SMSQ_CLAIM_EXPIRED), each undo spending a start of the
 * job, until the message failed SMSQ_GAVE_UP with nothing sent: at SMS_QPS=1 (slots 2 s apart) and
 * a deadline of 500 ms (SMSQ_RECONCILE_SETTLE_MS=1000), two codes sent together both looped, and
 * with maxStartedAttempts 3 one failed SMSQ_GAVE_UP after 6 s, neither sent. Such settings are now
 * refused at start, before anything is written to Redis.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createSmsWorker, type SmsWorkerOptions } from '../../workers/sms-worker.js';
import { createHarness, FAST_TIMING, type Harness } from '../support/pipeline.js';
import { runSmsqInProcess } from '../support/cli-run.js';
import { testRedisUrl } from '../support/redis.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** What createSmsWorker throws with `opts` on the harness's Redis and emulator (undefined: it made a worker). */
function refusalOf(harness: Harness, opts: Partial<SmsWorkerOptions>): unknown {
  try {
    createSmsWorker({ connection: harness.redis, client: harness.client, logger: harness.logger, prefix: harness.prefix, qps: 500, readTimeoutMs: 1000, ...FAST_TIMING, ...opts });
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('worker settings under which every claim would pass its call deadline', () => {
  it('createSmsWorker refuses them with a ConfigError naming both settings, their values and the fix; nothing written to Redis', async () => {
    h = await createHarness({ label: 'hold-settings' });
    // The loop reproduced: slots 2 s apart, a deadline of 500 ms.
    const slots = refusalOf(h, { qps: 1, maxStartedAttempts: 3, reconcile: { ...FAST_TIMING.reconcile, callDeadlineMs: 500 } });
    expect(slots).toBeInstanceOf(ConfigError);
    expect(slots).toMatchObject({ code: 'SMSQ_CONFIG_INVALID' });
    expect((slots as ConfigError).lines).toEqual([
      expect.stringMatching(/^`createSmsWorker` options: reconcile\.callDeadlineMs \(500 ms\) is shorter than .*the call pacer's reach \(2000 ms.* = 2100 ms\..*SMSQ_GAVE_UP.*Fix: raise reconcile\.callDeadlineMs to 2100 ms or more$/),
    ]);

    // A WAIT that may take longer than the deadline leaves, with the pacer's reach after it.
    const waits = refusalOf(h, { durability: { mode: 'replicas', replicas: 1, timeoutMs: 3000 } });
    expect((waits as ConfigError).lines).toEqual([
      expect.stringMatching(
        /^`createSmsWorker` options: reconcile\.callDeadlineMs \(2500 ms\) is shorter than .*durability\.timeoutMs \(3000 ms, mode replicas\) for its durability confirmation, then the call pacer's reach .* = 5100 ms\..*Fix: raise reconcile\.callDeadlineMs to 5100 ms or more, or lower durability\.timeoutMs to 400 ms or less$/,
      ),
    ]);
    // Without the pacer (BullMQ's window), the confirmation alone; the deadline from the settling window.
    const windowed = refusalOf(h, { rateLimiting: 'window', durability: { mode: 'waitaof', replicas: 1, timeoutMs: 2000 }, reconcile: { settleMs: 4000 } });
    expect((windowed as ConfigError).lines).toEqual([
      expect.stringMatching(/^`createSmsWorker` options: the call deadline of 2000 ms \(half of reconcile\.settleMs, 4000 ms\) is shorter than .*durability\.timeoutMs \(2000 ms, mode waitaof\) for its durability confirmation, \+ 100 ms = 2100 ms\..*Fix: raise reconcile\.settleMs to 4200 ms or more, or lower durability\.timeoutMs to 1900 ms or less$/),
    ]);
    expect(refusalOf(h, { rateLimiting: 'window', durability: { mode: 'waitaof', replicas: 1, timeoutMs: 1900 }, reconcile: { settleMs: 4000 } })).toBeUndefined();
    expect(await h.redis.keys(`${h.prefix}*`)).toEqual([]);
  });

  it('smsq worker refuses them at start, exit 2, naming both variables and the fix; nothing written to Redis', async () => {
    h = await createHarness({ label: 'hold-settings-cli' });
    const harness = h;
    const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: harness.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: harness.endpoint, LOG_LEVEL: 'error' };
    // A worker that did start runs until this says stop.
    const run = (more: Record<string, string>) => runSmsqInProcess(['worker'], { env: { ...env, ...more }, waitForShutdown: () => new Promise((resolve) => setTimeout(() => resolve('SIGTERM'), 1500)) });

    const waits = await run({ SMSQ_DURABILITY: 'replicas', SMSQ_DURABILITY_TIMEOUT_MS: '30000' });
    expect(waits.code, waits.stderr).toBe(2);
    expect(waits.stderr).toMatch(/SMSQ_RECONCILE_SETTLE_MS=60000\) is shorter than .*SMSQ_DURABILITY_TIMEOUT_MS=30000 \(SMSQ_DURABILITY=replicas\).*Fix: raise SMSQ_RECONCILE_SETTLE_MS to 64200 or more, or lower SMSQ_DURABILITY_TIMEOUT_MS to 27900 or less/);

    const slots = await run({ SMS_QPS: '1', SMSQ_RECONCILE_SETTLE_MS: '1000', SMS_READ_TIMEOUT_MS: '250' });
    expect(slots.code, slots.stderr).toBe(2);
    expect(slots.stderr).toMatch(/the call deadline of 500 ms \(half of SMSQ_RECONCILE_SETTLE_MS=1000\) is shorter than .*the call pacer's reach \(2000 ms.*Fix: raise SMSQ_RECONCILE_SETTLE_MS to 4200 or more/);
    expect(await harness.redis.keys(`${harness.prefix}*`)).toEqual([]);
  }, 30_000);
});
