/**
 * A worker whose SMS endpoint refuses the connection backs off by itself: it stops taking jobs for a
 * while (doubling), puts back what it took without counting it against the job, and leaves the
 * queue-wide rate limit alone. It was handled as throttling: every job it took paused every worker
 * of the deployment for 1 s (60 verification codes went from 0.25 s with one healthy worker to
 * 27–30 s once a refusing worker joined), and each of those starts counted towards BullMQ's
 * maxStartedAttempts (200), so an outage of ~3.5 minutes failed a queued code with SMSQ_GAVE_UP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { CALLS_QUEUE, createKeys } from '../../src/queue/keys.js';
import { chunkIdOf } from '../../src/queue/chunk-store.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { lateEndpoint } from '../support/late-endpoint.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** The warn lines a worker logs, parsed. */
function capturedLog() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = createLogger({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** Sends `n` verification codes (one number each, numbers from `first`) and waits until every one is accepted: the ms it took. */
async function sendCodes(h: Harness, n: number, first: number): Promise<number> {
  const started = Date.now();
  const ids = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      h.producer.send({ signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification', phones: [`138${String(first + i).padStart(8, '0')}`] }),
    ),
  );
  await waitFor(
    async () => {
      for (const { sendId } of ids) if ((await h.producer.getStatus(sendId)).counts.accepted !== 1) return false;
      return true;
    },
    `${n} codes accepted`,
    60_000,
    10,
  );
  return Date.now() - started;
}

describe('a worker whose SMS endpoint refuses the connection', () => {
  it('slows no other worker: codes go out about as fast as with the healthy worker alone, and no account block', async () => {
    const h = await createHarness({ label: 'endpoint-backoff-mixed' });
    closers.push(() => h.close());
    await h.startWorker({ name: 'healthy' });
    const alone = await sendCodes(h, 60, 10_000);

    const { port, client } = await lateEndpoint();
    const bad = capturedLog();
    await h.startWorker({ name: 'refused', client, logger: bad.logger });
    const withBad = await sendCodes(h, 60, 20_000);

    // Before: 27–30 s against 0.25 s alone (every job it took paused the whole queue for 1 s).
    expect(withBad).toBeLessThan(Math.max(5 * alone, alone + 3000));
    // The refusing worker did take jobs (it logged its back-off) ...
    const backoff = bad.lines.filter((l) => typeof l.msg === 'string' && l.msg.includes(`SMS_ENDPOINT=127.0.0.1:${port}`));
    expect(backoff.length).toBeGreaterThan(0);
    // ... and said what it is: this worker only, not the account's throttling.
    expect(bad.lines.some((l) => /throttled by Dysmsapi/.test(l.msg))).toBe(false);
    expect(backoff[0]?.msg).toMatch(/other workers go on/);
    expect(backoff[0]?.msg).toMatch(/Fix: /);
    // One line per back-off step, not one per job it put back.
    expect(backoff.length).toBeLessThanOrEqual(3);
    expect(await h.redis.hgetall(createKeys(h.prefix).account())).toEqual({});
  }, 120_000);

  it('keeps a code through more refusals than maxStartedAttempts (200) allows starts, and sends it once the endpoint answers', async () => {
    const h = await createHarness({ label: 'endpoint-backoff-long' });
    closers.push(() => h.close());
    const endpoint = await lateEndpoint();
    const { port } = endpoint;
    const log = capturedLog();
    await h.startWorker({ client: endpoint.client, logger: log.logger, endpointBackoff: { firstMs: 5, maxMs: 10 } });
    const { sendId } = await h.producer.send({ signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification', phones: ['13800138000'] });
    // Each back-off step is a start of the code's job: well past the 200 BullMQ allows.
    const steps = () => log.lines.filter((l) => typeof l.msg === 'string' && l.msg.includes(`SMS_ENDPOINT=127.0.0.1:${port}`)).length;
    await waitFor(() => steps() >= 250, '250 back-off steps', 60_000, 50);
    const status = await h.producer.getStatus(sendId);
    expect(status.counts.failed ?? 0).toBe(0);
    expect(log.lines.some((l) => /SMSQ_GAVE_UP|given up/.test(l.msg))).toBe(false);
    // The starts BullMQ holds against maxStartedAttempts: the refused ones were given back.
    const job = `${h.prefix}:${CALLS_QUEUE}:${jobIds.send(chunkIdOf(sendId, '0'), 1)}`;
    expect(Number(await h.redis.hget(job, 'ats'))).toBeLessThanOrEqual(2);
    expect(await h.redis.hgetall(createKeys(h.prefix).account())).toEqual({});

    const late = await endpoint.comeUp();
    closers.push(() => late.close());
    await waitFor(async () => (await h.producer.getStatus(sendId)).counts.accepted === 1, 'the code accepted once the endpoint answers', 15_000);
    expect(late.accepted().map((a) => a.phoneNumbers)).toEqual([['13800138000']]);
  }, 120_000);
});
