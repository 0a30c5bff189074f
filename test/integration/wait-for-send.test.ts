/**
 * `smsq send --wait` while Alibaba's per-number flow control holds a verification code: the wait
 * used to print "0 accepted, 0 failed, 1 pending" once and then nothing until the next minute. Real
 * Redis, a real worker and the emulator (its per-number limit of 1 a minute) through the real SDK;
 * worker and emulator share a clock set seconds before a China-time minute boundary, so the hold
 * is seconds long, not a minute.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { CliContext } from '../../cli/context.js';
import { waitForSend } from '../../cli/wait-for-send.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const CODE = { signName: N.sign, templateCode: N.verificationTemplate, kind: 'verification' as const };
const PHONE = '13800000017';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('waitForSend (smsq send --wait)', () => {
  it('says a pending recipient is held by per-number flow control, then ends when it is accepted', async () => {
    // 8 s before a China-time minute boundary, for the worker and the emulator.
    const real = Date.now();
    const offset = 60_000 - ((real + 8 * 3600_000) % 60_000) - 8000;
    const clock: Clock = { now: () => Date.now() + offset };
    h = await createHarness({ label: 'wait-flow', emulator: { clock } });
    await h.startWorker({ clock, flowControlSpreadMs: 0 });
    const first = await h.producer.send({ ...CODE, templateParam: { code: '1111' }, phones: [PHONE] });
    const harness = h;
    await waitFor(async () => (await harness.producer.getStatus(first.sendId)).counts.accepted === 1, 'the first code accepted');

    const second = await h.producer.send({ ...CODE, templateParam: { code: '2222' }, phones: [PHONE] });
    const stderr = collector();
    const ctx = new CliContext({ stdout: collector(), stderr, env: {}, clock });
    const waiting = waitForSend(ctx, h.producer, second.sendId, false, { explainAfterMs: 1000 });
    // While held, the recipient is queued with the refusal's code, and no sending time (it was not sent).
    const held = async () => {
      const all = [];
      for await (const r of harness.producer.recipients(second.sendId)) all.push(r);
      return all[0];
    };
    await waitFor(async () => (await held())?.code === 'isv.BUSINESS_LIMIT_CONTROL', 'the second code held by flow control');
    expect(await held()).toMatchObject({ state: 'queued', code: 'isv.BUSINESS_LIMIT_CONTROL', sentAt: undefined });
    const { status: final, done } = await waiting;

    expect(done).toBe(true);
    expect(final.counts.accepted).toBe(1);
    expect(h.emulator.calls().filter((c) => c.code === 'isv.BUSINESS_LIMIT_CONTROL')).toHaveLength(1);
    const lines = stderr.text.trim().split('\n');
    // The status names the wait itself (with when it goes again), so the recipients are not read for it.
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${second.sendId}: 0 accepted, 0 failed, 1 pending \\(per-number flow control \\(isv\\.BUSINESS_LIMIT_CONTROL\\): retried at \\d\\d:\\d\\d China time`)),
    );
    expect(lines.at(-1)).toBe(`${second.sendId}: 1 accepted, 0 failed, 0 pending`);
    // Said once, not every poll. On a loaded machine the retry time can pass before a worker takes
    // the job up again: the status then gives no reason, and the recipients' code is said once more.
    expect(lines.filter((l) => l.includes('(per-number flow control'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('held by per-number flow control')).length).toBeLessThanOrEqual(1);
  });

  it('says when no worker serves the prefix (the status says so too), and ends once one starts', async () => {
    h = await createHarness({ label: 'wait-idle' });
    const sent = await h.producer.send({ ...CODE, templateParam: { code: '3333' }, phones: ['13800000018'] });
    // No worker: the status names it as why the send waits (it looked healthy, with a rate and a finish time).
    expect((await h.producer.getStatus(sent.sendId)).wait).toEqual({ reason: 'no-worker' });
    const stderr = collector();
    const ctx = new CliContext({ stdout: collector(), stderr, env: { SMSQ_PREFIX: h.prefix } });
    const waiting = waitForSend(ctx, h.producer, sent.sendId, false, { explainAfterMs: 300 });
    await waitFor(async () => stderr.text.includes('no worker serves'), 'the wait to say no worker serves the prefix');
    expect(stderr.text).toContain(`${sent.sendId}: 0 accepted, 0 failed, 1 pending (no worker serves its SMSQ_PREFIX: none is connected to its queue or beat in the last 3 s; nothing is sent until one starts: smsq worker)`);
    await h.startWorker();
    expect((await waiting).status.counts.accepted).toBe(1);
    expect((await h.producer.getStatus(sent.sendId)).wait?.reason).not.toBe('no-worker');
  });
});
