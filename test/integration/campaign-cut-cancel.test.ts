/**
 * A campaign cut short, then cancelled. A new user's SendBatchSms campaign (a CSV with a `name`
 * column) was stopped with SIGTERM twice, the second forcing the exit mid-enqueue; then `smsq
 * campaign cancel` printed "nothing was left to cancel: every recipient was already past the API;
 * queued 55000": the cancel marked chunks `0..send.chunks-1` cancelled, and a campaign records its
 * chunk count only when its enqueue ends, so it marked none. The send never settled either: still
 * "enqueuing so far", `api: SendSms`, `chunks: 0`, and `smsq repair --dry-run` kept reporting it as
 * not compacted while `smsq repair` found nothing (the script refuses a send whose enqueue did not
 * end). Now a cancel ends such an enqueue at what Redis holds (no producer may write to a cancelled
 * send: one still writing is refused), and so does the repair sweep for a send cancelled before.
 * A private Redis (the test pauses its writes), real CLI processes, no worker: nothing is sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnqueuer } from '../../producers/enqueuer.js';
import type { ChunkPayload } from '../../src/queue/chunk-payload.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallsQueue } from '../../src/queue/calls-queue.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { retentionFromDays } from '../../src/queue/retention.js';
import { cancelQueuedChunks } from '../../src/queue/send-cancel.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { forcedExitMidEnqueue, SPAWNED_MS, personalList, openForcedExitDeployment, type ForcedExitDeployment } from '../support/forced-exit-campaign.js';
import type { Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { printedByCli } from '../support/cli-run.js';
import { toHttpError } from '../../server/errors.js';

/** What the server answers with `err` (its general error path; the limits do not matter here). */
const restMessage = (err: unknown) => toHttpError(err, { bodyLimit: 1, csvBodyLimit: 1 }, 'r').message;

const dir = mkdtempSync(join(tmpdir(), 'smsq-cut-cancel-'));
let h: Harness;
let env: NodeJS.ProcessEnv;
let deployment: ForcedExitDeployment | undefined;

beforeAll(async () => {
  deployment = await openForcedExitDeployment('cutc');
  ({ h, env } = deployment);
}, 30_000);

afterAll(async () => {
  await deployment?.close();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => (deployment as ForcedExitDeployment).cli(args);


describe('a campaign cut short by a forced exit, then cancelled', () => {
  it('smsq campaign cancel cancels every recipient written, says so with the counts after the cancel, and ends the enqueue: SendBatchSms, its chunks, no longer "so far"', async () => {
    const sendId = await forcedExitMidEnqueue(h, env, personalList(dir, 'forced.csv', 13960000000, 200_000));
    const before = await h.producer.getStatus(sendId);
    // The user's state: its enqueue never ended, every recipient written still queued.
    expect(before.send.enqueuedAt).toBeUndefined();
    expect(before.send.recipientsSoFar).toBe(true);
    const written = before.counts.queued;
    expect(written).toBeGreaterThanOrEqual(5000);
    expect(written % 100).toBe(0);

    const cancelled = await cli(['campaign', 'cancel', sendId]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).not.toContain('nothing was left to cancel');
    expect(cancelled.stdout).toContain(`${sendId}: cancelled (cancelled by an operator)`);
    expect(cancelled.stdout).toMatch(new RegExp(`; cancelled ${written}\\n?$`));

    const after = await h.producer.getStatus(sendId);
    expect(after.counts).toMatchObject({ queued: 0, sending: 0, unknown: 0, cancelled: written });
    expect(after.send).not.toHaveProperty('recipientsSoFar');
    expect(after.send).toMatchObject({ state: 'cancelled', api: 'SendBatchSms', recipients: written, chunks: written / 100, code: 'SMSQ_ENQUEUE_CUT_SHORT' });
    expect(after.send.enqueuedAt).toBeDefined();
    const text = await cli(['status', sendId]);
    expect(text.stdout).not.toContain('still enqueuing');
    expect(text.stdout).toMatch(/^state\s+cancelled since .* \(SMSQ_ENQUEUE_CUT_SHORT: cancelled before its enqueue ended: it holds the \d+ recipients in the \d+ chunks written by then/m);
    expect(text.stdout).toMatch(new RegExp(`^recipients\\s+${written} enqueued before its enqueue was cut short`, 'm'));
    expect(text.stdout).toMatch(new RegExp(`^cancelled\\s+${written}$`, 'm'));
    expect(h.emulator.calls().filter((c) => c.action.startsWith('Send')).length).toBe(0);
  }, 2 * SPAWNED_MS);
});

describe('a campaign cancelled while its producer still writes it', () => {
  it('the cancel ends its enqueue at what was written; the producer is refused at its next write (SMSQ_SEND_CANCELLED) and writes nothing more', async () => {
    const base = 13980000000;
    let waiting = false;
    let goOn!: () => void;
    const more = new Promise<void>((resolve) => (goOn = resolve));
    // 1,500 numbers (the first 1,000 are written as the first batch), a wait, then 3,000 more.
    const source = (async function* () {
      for (let i = 0; i < 1500; i++) yield { phone: String(base + i) };
      waiting = true;
      await more;
      for (let i = 1500; i < 4500; i++) yield { phone: String(base + i) };
    })();
    let sendId = '';
    let written = 0;
    const settings = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'Ada' }, idempotencyKey: `cut-${base}` };
    const running = h.producer.campaign(source, settings, {
      onProgress: (p) => {
        sendId = p.sendId;
        written = p.written;
      },
    });
    running.catch(() => undefined);
    await waitFor(() => waiting && written === 1000, 'the first chunk written and the source waiting');
    // The operator's reason is quoted back in every caller's words as given: what looks like a
    // mention in it (`redis`, a call) is the operator's text, which the CLI and REST do not rewrite.
    const reason = 'stop: see `redis` and `producer.cancel("smx2")`';
    const cancelled = await h.producer.cancel(sendId, reason);
    expect(cancelled.counts).toMatchObject({ queued: 0, cancelled: 1000 });
    expect(cancelled.send).toMatchObject({ state: 'cancelled', recipients: 1000, chunks: 1, code: 'SMSQ_ENQUEUE_CUT_SHORT' });
    goOn();
    const err = await running.then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'SMSQ_SEND_CANCELLED', sendId, recipients: 1000 });
    const quotedReason = '"stop: see \\u0060redis\\u0060 and \\u0060producer.cancel(\\"smx2\\")\\u0060"';
    expect(JSON.parse(quotedReason)).toBe(reason);
    expect((err as Error).message).toContain(`send ${sendId} was cancelled (${quotedReason}) while it was being enqueued: the cancel ended its enqueue there, and it holds the 1000 recipients written before the cancel`);
    // A Node caller is told the producer's call that lists the recipients; the CLI and the server the command, as they did.
    const cancelledWords = `send ${sendId} was cancelled (${quotedReason}) while it was being enqueued: the cancel ended its enqueue there, and it holds the 1000 recipients written before the cancel, cancelled (none of them goes out but any a worker had already sent); the rest was not enqueued. Fix: nothing, if the cancel was meant; to send the list after all, enqueue it again as a new send (under a new idempotency key if this request had one); `;
    expect((err as Error).message).toBe(`${cancelledWords}\`producer.recipientPage("${sendId}")\` shows any that went out`);
    expect(printedByCli(err).stderr).toBe(`error SMSQ_SEND_CANCELLED: ${cancelledWords}smsq status ${sendId} --recipients shows any that went out\n`);
    expect(restMessage(err)).toBe(`${cancelledWords}smsq status ${sendId} --recipients shows any that went out`);
    const after = await h.producer.getStatus(sendId);
    expect(after.counts).toMatchObject({ queued: 0, cancelled: 1000 });
    expect(after.send).toMatchObject({ recipients: 1000, chunks: 1 });
    expect(await h.redis.exists(createKeys(h.prefix).chunk(`${sendId}.1`))).toBe(0);
    // Its key stands for a send that holds part of the list: the same request again is refused, nothing written.
    const again = await h.producer.campaign((async function* () {
      yield { phone: String(base) };
    })(), settings).then(() => undefined, (e: unknown) => e);
    expect(again).toMatchObject({ code: 'SMSQ_IDEMPOTENCY_KEY_CUT_SHORT', sendId, state: 'cancelled', recipients: 1000 });
    expect((again as Error).message).toContain('a campaign cut short when it was cancelled before its enqueue ended');
    const cutShortWords = `the idempotency key "cut-${base}" stands for send ${sendId}, a campaign cut short when it was cancelled before its enqueue ended: it holds only the 1000 recipients read before, and it was cancelled; nothing was enqueued by this request. Fix: send the list again under a new idempotency key (this one stands for this send); `;
    expect((again as Error).message).toBe(`${cutShortWords}\`producer.recipientPage("${sendId}")\` shows any that went out before it was cancelled`);
    expect(printedByCli(again).stderr).toBe(`error SMSQ_IDEMPOTENCY_KEY_CUT_SHORT: ${cutShortWords}smsq status ${sendId} --recipients shows any that went out before it was cancelled\n`);
    expect(restMessage(again)).toBe(`${cutShortWords}smsq status ${sendId} --recipients shows any that went out before it was cancelled`);
  });
});

describe('the repair sweep and a send cancelled before its enqueue ended', () => {
  it('ends its enqueue at the chunks written, as the dry run said it would; the next dry run finds nothing', async () => {
    // What an earlier cancel left: a campaign's record (its totals written only at its end), three
    // SendBatchSms chunks written, cancelled by an operator, its chunks cancelled by a worker's claims, its end announced.
    const keys = createKeys(h.prefix);
    const clock = { now: () => Date.now() };
    const sends = createSendStore({ redis: h.redis, keys, clock });
    const chunks = createChunkStore({ redis: h.redis, keys, clock });
    const queue = createCallsQueue({ connection: h.redis, prefix: h.prefix });
    try {
      const enqueuer = createEnqueuer({ keys, redis: h.redis, queue, chunks, sends, retention: retentionFromDays(), clock });
      const sendId = `smxcut${Date.now().toString(36)}`;
      await enqueuer.createSend({ sendId, kind: 'marketing', api: 'SendSms', templateCode: N.marketingTemplate, signName: N.sign, recipients: 0, rejected: 0, duplicates: 0, chunks: 0, createdAt: clock.now() });
      const payloads: ChunkPayload[] = [0, 1, 2].map((c) => {
        const phones = Array.from({ length: 100 }, (_, i) => String(13970000000 + 100 * c + i));
        return { api: 'SendBatchSms', phones, signNames: phones.map(() => N.sign), templateCode: N.marketingTemplate, templateParams: phones.map((_, i) => ({ name: `N${i}` })) };
      });
      await enqueuer.addChunks(sendId, 'marketing', 0, payloads);
      await sends.setControl(sendId, 'cancel', 'cancelled by an operator');
      await cancelQueuedChunks(chunks, sendId, 3);
      const settled = await sends.settle(sendId);
      expect(settled?.announce).toBe(true);
      await sends.markAnnounced(sendId);
      expect((await h.producer.getStatus(sendId)).send).toMatchObject({ recipientsSoFar: true, chunks: 0, api: 'SendSms' });

      const report = async (dryRun: boolean) => {
        const run = await cli(['repair', '--json', '--min-age-ms', '0', ...(dryRun ? ['--dry-run'] : [])]);
        expect(run.code, run.stderr).toBe(0);
        const { found, samples } = JSON.parse(run.stdout) as { found: Record<string, number>; samples: Record<string, string[]> };
        return Object.fromEntries(Object.entries(found).filter(([, n]) => n > 0).map(([category, n]) => [category, { n, samples: samples[category] }]));
      };
      // The send of the test before, cancelled with no worker to compact it, is the other one found.
      const dry = await report(true);
      expect(dry.cancelledMidEnqueue).toEqual({ n: 1, samples: [sendId] });
      expect(await report(false)).toEqual(dry);
      expect(await report(true)).toEqual({});

      const status = await h.producer.getStatus(sendId);
      expect(status.send).not.toHaveProperty('recipientsSoFar');
      expect(status.send).toMatchObject({ state: 'cancelled', api: 'SendBatchSms', recipients: 300, chunks: 3, code: 'SMSQ_ENQUEUE_CUT_SHORT' });
      expect(status.send.enqueuedAt).toBeDefined();
      expect(status.counts).toMatchObject({ queued: 0, cancelled: 300 });
    } finally {
      await queue.close();
    }
  });
});
