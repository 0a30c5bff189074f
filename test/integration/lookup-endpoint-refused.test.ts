/**
 * A reconcile look-up (QuerySendDetails) that meets an endpoint refusing the connection is put back
 * as a send is (workers/lookups.ts `failLookup`, put-back.ts): not counted against the
 * job's starts (maxStartedAttempts, 200) nor its attempts (41), so an outage neither expires the
 * attempt as unknown (`lookup-gave-up`) nor resends it; once the endpoint answers, the look-up finds
 * the attempt and the number has had one SMS. The send's call timed out for real: the emulator
 * accepted it and held its answer past the client's read timeout. Real Redis, the emulator behind
 * a TCP front that stops listening, the real SDK.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { CALLS_QUEUE } from '../../src/queue/keys.js';
import { chunkIdOf } from '../../src/queue/chunk-store.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { refusableFront } from '../support/late-endpoint.js';
import { createHarness, FAST_TIMING } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('a reconcile look-up whose endpoint refuses the connection', () => {
  it('is put back without spending its starts or attempts (no expiry as unknown, no resend), and resolves once the endpoint answers', async () => {
    const h = await createHarness({ label: 'lookup-refused' });
    closers.push(() => h.close());
    const front = await refusableFront(Number(h.endpoint.split(':').pop()));
    closers.push(() => front.close());
    const lines: { level: number; msg: string; code?: string; component?: string }[] = [];
    // Debug: a chunk's repeated look-up failures after its first are said at debug (lookup-failure-warnings.ts).
    const logger = createLogger({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    // The first look waits past the read timeout (1 s), so that the front is shut before it runs.
    await h.startWorker({ client: front.client, logger, endpointBackoff: { firstMs: 5, maxMs: 10 }, reconcile: { ...FAST_TIMING.reconcile, firstLookAfterMs: 1500 } });

    const phone = '13800138031';
    h.emulator.addFault({ kind: 'lost-answer', delayMs: 5000, times: 1 });
    const { sendId } = await h.producer.send({ signName: N.sign, templateCode: N.plainTemplate, kind: 'notification', phones: [phone] });
    const chunkId = chunkIdOf(sendId, '0');
    // The emulator has taken the send (accepted, its answer held): nothing reaches it from now on.
    await waitFor(() => h.emulator.calls().some((c) => c.action === 'SendSms'), 'the send to reach the emulator', 10_000, 5);
    front.refuse();
    await waitFor(async () => (await h.redis.hget(`${h.prefix}:chunk:${chunkId}`, 'state')) === 'unknown', 'the call to time out (unknown)', 10_000, 5);
    front.dropOpen();

    // Each look-up that meets the refusal is one back-off step: well past the 200 starts BullMQ allows, and the 41 attempts.
    const refusedLooks = () => lines.filter((l) => l.component === 'reconcile' && l.msg.startsWith('look-up failed') && l.code === 'ConnectionRefused').length;
    // (Or until the look-up job failed or the chunk left `unknown`: the asserts below say which.)
    const lookupId = jobIds.reconcilePage({ chunkId, attempt: 1, look: 1, dateIndex: 0, page: 1 });
    const lookup = `${h.prefix}:${CALLS_QUEUE}:${lookupId}`;
    const ended = async () => (await h.redis.zscore(`${h.prefix}:${CALLS_QUEUE}:failed`, lookupId)) !== null || (await h.redis.hget(`${h.prefix}:chunk:${chunkId}`, 'state')) !== 'unknown';
    await waitFor(async () => refusedLooks() >= 250 || (await ended()), '250 refused look-ups', 60_000, 50);
    expect(await h.redis.zscore(`${h.prefix}:${CALLS_QUEUE}:failed`, lookupId)).toBeNull();
    const job = await h.redis.hgetall(lookup);
    expect(Number(job.ats ?? 0)).toBeLessThanOrEqual(2);
    expect(Number(job.atm ?? 0)).toBe(0);
    const chunk = await h.redis.hgetall(`${h.prefix}:chunk:${chunkId}`);
    expect(chunk).toMatchObject({ state: 'unknown', attempt: '1' });
    const status = await h.producer.getStatus(sendId);
    expect(status.counts).toMatchObject({ unknown: 1, expired: 0, queued: 0, accepted: 0 });
    // The attempt in doubt waits for its look-up, which waits for the endpoint: status says so.
    expect(status.wait).toMatchObject({ reason: 'endpoint-unreachable', workers: 1, fault: 'ConnectionRefused', endpoint: `127.0.0.1:${front.port}` });
    expect(lines.some((l) => /given up|could not be looked up|resending/.test(l.msg))).toBe(false);

    await front.answer();
    await waitFor(async () => (await h.producer.getStatus(sendId)).counts.accepted === 1, 'the look-up to find the attempt accepted', 20_000);
    expect(await h.redis.hgetall(`${h.prefix}:chunk:${chunkId}`)).toMatchObject({ attempt: '1', resolvedBy: 'reconcile' });
    // One SMS to the number: the one attempt, found, never resent.
    expect(h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone))).toHaveLength(1);
    expect(h.emulator.calls().filter((c) => c.action === 'SendSms')).toHaveLength(1);
  }, 120_000);
});
