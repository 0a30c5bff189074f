/**
 * A campaign whose producer was killed mid-enqueue and never cancelled: the repair sweep, once
 * nothing was written for SMSQ_REPAIR_ENQUEUE_GRACE_MS, fails it as abandoned
 * (SMSQ_ENQUEUE_ABANDONED). It went on reading as if it were enqueuing for ever: `smsq status`
 * said "N enqueued so far (still enqueuing; ...)", the record kept `chunks 0` and `api SendSms`
 * for a SendBatchSms campaign, and the campaigns page said "queued so far (still enqueuing)". A
 * failed send is final: the sweep now ends its enqueue at the chunks written, as a cancel ends a
 * cut-short one, and its idempotency key is refused as a cut-short send's is. Also: a send cut
 * short (abandoned, or cancelled mid-enqueue) never recorded the rows its producer refused or
 * dropped as duplicates: status, its JSON and the page say so instead of a false 0.
 * A private Redis (the test pauses its writes), real CLI processes, no worker: nothing is sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createManualClock } from '../../src/clock.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallsQueue, createHousekeepingQueue } from '../../src/queue/calls-queue.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { createFollowUps } from '../../src/queue/follow-ups.js';
import { createKeys } from '../../src/queue/keys.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { createSendStore, type SendStore } from '../../src/queue/send-store.js';
import { createCompletion } from '../../src/receipts/completion.js';
import { createOrphanSweep } from '../../src/repair/orphan-sweep.js';
import { forcedExitMidEnqueue, SPAWNED_MS, personalList, openForcedExitDeployment, type ForcedExitDeployment } from '../support/forced-exit-campaign.js';
import type { Harness } from '../support/pipeline.js';

const dir = mkdtempSync(join(tmpdir(), 'smsq-abandoned-'));
const LOGIN = { user: 'ops', password: 'abandoned-test-password' };
const basic = { authorization: `Basic ${Buffer.from(`${LOGIN.user}:${LOGIN.password}`).toString('base64')}` };
let h: Harness;
let env: NodeJS.ProcessEnv;
let deployment: ForcedExitDeployment | undefined;
let app: SmsqServer;
const queues: Queue[] = [];

beforeAll(async () => {
  deployment = await openForcedExitDeployment('aband');
  ({ h, env } = deployment);
  app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: 'api', dashboard: { basicAuth: LOGIN, readOnly: true }, checkResponses: true });
}, 30_000);

afterAll(async () => {
  await app?.close();
  await Promise.all(queues.map((q) => q.close()));
  await deployment?.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => (deployment as ForcedExitDeployment).cli(args);


/** The repair sweep as a worker runs it, its clock `aheadMs` in the future (past the enqueue grace, 10 min by default). */
function sweepAhead(aheadMs: number, wrapSends: (sends: SendStore) => SendStore = (sends) => sends) {
  const keys = createKeys(h.prefix);
  const clock = createManualClock(Date.now() + aheadMs);
  const calls = createCallsQueue({ connection: h.redis, prefix: h.prefix });
  const housekeeping = createHousekeepingQueue({ connection: h.redis, prefix: h.prefix });
  queues.push(calls, housekeeping);
  const sends = wrapSends(createSendStore({ redis: h.redis, keys, clock }));
  const chunks = createChunkStore({ redis: h.redis, keys, clock });
  const followUps = createFollowUps({ calls, housekeeping, clock, receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
  const completion = createCompletion({ sends, onEnded: (id) => followUps.callback(id) });
  return createOrphanSweep({ redis: h.redis, keys, calls, chunks, sends, followUps, completion, clock, logger: h.logger, firstLookAfterMs: 50, minAgeMs: 0 });
}

/** The campaigns page's summary of a send: its state cell and its recipients line. */
const pageOf = async (sendId: string) => {
  const page = await app.inject({ url: `/admin/campaigns/${sendId}`, headers: basic });
  expect(page.statusCode).toBe(200);
  return { state: /<dt>state<\/dt><dd class="state-cell">(.*?)<\/dd>/s.exec(page.body)?.[1], recipients: /<dt>recipients<\/dt><dd>([^<]*)<\/dd>/.exec(page.body)?.[1] };
};
const summaryOf = async (sendId: string) => (await pageOf(sendId)).recipients;

describe('a campaign whose producer was killed mid-enqueue, failed by the repair sweep as abandoned', () => {
  it('ends its enqueue at the chunks written: no "so far", SendBatchSms, its chunks, an end reason naming its producer; refused counts not recorded; its key refused as cut short', async () => {
    const key = 'abandoned-spring-1';
    const path = personalList(dir, 'abandoned.csv', 13950000000, 200_000);
    const sendId = await forcedExitMidEnqueue(h, env, path, ['--idempotency-key', key]);
    const before = await h.producer.getStatus(sendId);
    expect(before.send).toMatchObject({ state: 'enqueuing', recipientsSoFar: true, chunks: 0 });
    const written = before.counts.queued;
    expect(written % 100).toBe(0);

    // Within the grace: a slow producer, not a dead one. Past it: abandoned.
    expect((await sweepAhead(0).run()).found.enqueuingAbandoned).toBe(0);
    const report = await sweepAhead(11 * 60_000).run();
    expect(report.found.enqueuingAbandoned).toBe(1);

    const after = await h.producer.getStatus(sendId);
    expect(after.send).not.toHaveProperty('recipientsSoFar');
    expect(after.send).toMatchObject({ state: 'failed', code: 'SMSQ_ENQUEUE_ABANDONED', api: 'SendBatchSms', recipients: written, chunks: written / 100, rejected: null, duplicates: null });
    expect(after.send.enqueuedAt).toBeDefined();
    expect(after.send.reason).toMatch(new RegExp(`^abandoned by its producer .*: it holds the ${written} recipients in the ${written / 100} chunks written by then`));

    const text = await cli(['status', sendId]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).not.toContain('so far');
    expect(text.stdout).toMatch(/^state\s+failed since .* \(SMSQ_ENQUEUE_ABANDONED: abandoned by its producer/m);
    expect(text.stdout).toMatch(new RegExp(`^recipients\\s+${written} enqueued before its producer abandoned the enqueue \\(rows refused at the door or dropped as duplicates were not recorded\\)$`, 'm'));
    const json = await cli(['status', sendId, '--json']);
    expect((JSON.parse(json.stdout) as { send: unknown }).send).toMatchObject({ recipients: written, chunks: written / 100, rejected: null, duplicates: null, api: 'SendBatchSms' });
    const page = await pageOf(sendId);
    expect(page.recipients).toBe(`${written} queued, rejected at the door and duplicates dropped: not recorded (the enqueue was cut short), ${written / 100} chunks`);
    expect(page.state).toContain('SMSQ_ENQUEUE_ABANDONED: abandoned by its producer (it died before ending its enqueue; the repair sweep failed it)');

    // The same command under the same key: refused as for a cut-short send, nothing enqueued. The
    // killed producer's hold on the key lapses 15 s after it died; the sweep comes minutes later.
    await h.redis.del(`${createKeys(h.prefix).idempotency(key)}:lease`);
    const again = await cli(['campaign', '--file', path, '--sign', N.sign, '--template', N.marketingTemplate, '--idempotency-key', key, '--yes', '--json']);
    expect(again.code).not.toBe(0);
    expect(again.stdout + again.stderr).toContain('SMSQ_IDEMPOTENCY_KEY_CUT_SHORT');
    expect(again.stdout + again.stderr).toContain(`stands for send ${sendId}, a campaign cut short when its producer died before ending its enqueue`);
    expect((await h.producer.getStatus(sendId)).send).toMatchObject({ state: 'failed', recipients: written });
    expect(h.emulator.calls().filter((c) => c.action.startsWith('Send')).length).toBe(0);
  }, 3 * SPAWNED_MS);
});

describe('a campaign cut short by a forced exit, then cancelled', () => {
  it('status, its JSON and the campaigns page say the rows refused and dropped were not recorded, not 0', async () => {
    const sendId = await forcedExitMidEnqueue(h, env, personalList(dir, 'cancelled.csv', 13940000000, 200_000));
    await h.producer.cancel(sendId);
    const after = await h.producer.getStatus(sendId);
    expect(after.send).toMatchObject({ state: 'cancelled', code: 'SMSQ_ENQUEUE_CUT_SHORT', rejected: null, duplicates: null });
    const json = await cli(['status', sendId, '--json']);
    expect((JSON.parse(json.stdout) as { send: unknown }).send).toMatchObject({ rejected: null, duplicates: null });
    expect(await summaryOf(sendId)).toBe(`${after.send.recipients} queued, rejected at the door and duplicates dropped: not recorded (the enqueue was cut short), ${after.send.chunks} chunks`);
  }, 2 * SPAWNED_MS);
});

describe('the repair sweep and a send failed as abandoned whose enqueue was not ended', () => {
  it('ends it at the chunks written (a sweep cut off between the two, or an older smsq); a send failed otherwise is not ended as abandoned', async () => {
    const keys = createKeys(h.prefix);
    const sends = createSendStore({ redis: h.redis, keys });
    const chunks = createChunkStore({ redis: h.redis, keys, clock: { now: () => Date.now() } });
    const record = (sendId: string) => ({ sendId, kind: 'marketing' as const, api: 'SendSms' as const, templateCode: N.marketingTemplate, signName: N.sign, recipients: 0, rejected: 0, duplicates: 0, chunks: 0, createdAt: Date.now() });
    const twoChunks = (sendId: string) =>
      chunks.create(
        [0, 1].map((c) => ({ sendId, index: String(c), kind: 'marketing' as const, payload: { api: 'SendSms' as const, phones: [String(13930000000 + c)], signName: N.sign, templateCode: N.marketingTemplate } })),
        3600,
      );
    // What an older smsq's sweep left: failed as abandoned, its enqueue never ended.
    const old = `smxabold${Date.now().toString(36)}`;
    await sends.create(record(old), 3600);
    await twoChunks(old);
    expect(await sends.fail(old, 'abandon', 'enqueue abandoned: 2 chunk(s) written, nothing written for 11 min (its producer died before acknowledging it)')).toBe(true);
    // Failed as a whole for another reason (an unusable template) while enqueuing: not the sweep's abandon.
    const other = `smxabfail${Date.now().toString(36)}`;
    await sends.create(record(other), 3600);
    await twoChunks(other);
    expect(await sends.fail(other, 'fail', 'template unusable', 'isv.SMS_TEMPLATE_ILLEGAL')).toBe(true);
    expect(await sends.endCutShort(other, { recipients: 2, chunks: 2, api: 'SendSms' }, 'why', 'SMSQ_ENQUEUE_ABANDONED')).toBe('failed');
    expect(await h.redis.hmget(keys.send(other), 'enqueuedAt', 'code', 'chunks')).toEqual([null, 'isv.SMS_TEMPLATE_ILLEGAL', '0']);

    const report = await sweepAhead(0).run();
    expect(report.found.enqueuingAbandoned).toBe(1);
    expect(report.samples.enqueuingAbandoned).toEqual([old]);
    const status = await h.producer.getStatus(old);
    expect(status.send).not.toHaveProperty('recipientsSoFar');
    expect(status.send).toMatchObject({ state: 'failed', code: 'SMSQ_ENQUEUE_ABANDONED', recipients: 2, chunks: 2, rejected: null, duplicates: null });
    expect(status.send.enqueuedAt).toBeDefined();
    expect((await sweepAhead(0).run()).found.enqueuingAbandoned).toBe(0);
  });
});

describe('a producer that ends its enqueue while the sweep judges it abandoned', () => {
  it('between the sweep\'s read and its fail: the send goes on, none of its chunks is failed (they were all failed as abandoned)', async () => {
    const keys = createKeys(h.prefix);
    const past = Date.now() - 20 * 60_000;
    const sends = createSendStore({ redis: h.redis, keys });
    const chunks = createChunkStore({ redis: h.redis, keys, clock: { now: () => past } });
    const sendId = `smxablive${Date.now().toString(36)}`;
    await sends.create({ sendId, kind: 'marketing', api: 'SendSms', templateCode: N.marketingTemplate, signName: N.sign, recipients: 0, rejected: 0, duplicates: 0, chunks: 0, createdAt: past }, 3600);
    await chunks.create([0, 1].map((c) => ({ sendId, index: String(c), kind: 'marketing' as const, payload: { api: 'SendSms' as const, phones: [String(13931000000 + c)], signName: N.sign, templateCode: N.marketingTemplate } })), 3600);
    // The producer's end lands after the sweep read the send (enqueuing, silent past the grace) and before its fail.
    const report = await sweepAhead(0, (store) => ({
      ...store,
      async fail(id, trigger, reason, code) {
        if (id === sendId) await store.markEnqueued(id, { recipients: 2, chunks: 2, api: 'SendSms' });
        return store.fail(id, trigger, reason, code);
      },
    })).run();
    expect(report.found.enqueuingAbandoned).toBe(0);
    expect((await h.producer.getStatus(sendId)).send).toMatchObject({ state: 'active', recipients: 2, chunks: 2 });
    // Not failed (as they all were): these have no job (written here without one), so the sweep's
    // chunk rules look them up as chunks of a live send whose claim may have been lost.
    const states = await Promise.all([0, 1].map((c) => h.redis.hget(keys.chunk(`${sendId}.${c}`), 'state')));
    expect(states.filter((state) => state === 'failed')).toEqual([]);
  });
});
