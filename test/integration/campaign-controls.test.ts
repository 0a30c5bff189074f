import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createKeys } from '../../src/queue/keys.js';
import { DEFAULT_QUIET_HOURS, parseQuietHours } from '../../src/queue/quiet-hours.js';
import { createProducer } from '../../producers/producer.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { controllableClock } from '../support/china-clock.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const MKT = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'marketing' as const };
const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1' }, kind: 'verification' as const };
const phones = (n: number, base: number) => Array.from({ length: n }, (_, i) => String(base + i));

function marketingCalls(harness: Harness, base: number): number {
  return harness.emulator.accepted().filter((a) => a.phoneNumbers.some((p) => Number(p) >= base && Number(p) < base + 1_000_000)).length;
}

/** Quiet hours that hold now, China time: from the minute before this one for an hour, and when they end. */
function quietHoursNow(): { text: string; until: number } {
  const start = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
  const until = start + 3_600_000;
  const hhmm = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(11, 16);
  return { text: `${hhmm(start)}-${hhmm(until)}`, until };
}

describe('campaign controls', () => {
  it('pause stops new chunks within a second while other traffic flows; resume finishes with nobody sent twice', async () => {
    h = await createHarness({ label: 'ctl-pause' });
    const base = 13850000000;
    const res = await h.producer.send({ ...MKT, phones: phones(15_000, base) });
    await h.startWorker({ qps: 8, concurrency: 2, recheckMs: 60_000 });
    const harness = h;
    await waitFor(() => marketingCalls(harness, base) >= 2, 'a few chunks sent');
    const paused0 = await h.producer.pause(res.sendId);
    expect(paused0.send.state).toBe('paused');
    expect(paused0.wait).toEqual({ reason: 'paused', by: 'operator', detail: 'paused by an operator' });
    const pausedAt = Date.now();
    // In-flight calls may finish; nothing new starts after that.
    await new Promise((r) => setTimeout(r, 1000));
    const afterPause = marketingCalls(h, base);
    const code = await h.producer.send({ ...CODE, phones: ['13759000001'] });
    await waitFor(async () => (await harness.producer.getStatus(code.sendId)).counts.accepted === 1, 'a verification code during the pause');
    await new Promise((r) => setTimeout(r, 800));
    expect(marketingCalls(h, base)).toBe(afterPause);
    expect(Date.now() - pausedAt).toBeGreaterThan(1000);
    const paused = await h.producer.getStatus(res.sendId);
    expect(paused.send.control).toBe('paused');
    expect(paused.counts.queued).toBeGreaterThan(0);
    await h.producer.resume(res.sendId);
    await waitFor(async () => (await harness.producer.getStatus(res.sendId)).counts.accepted === 15_000, 'the rest after resume', 20_000);
    const per = new Map<string, number>();
    for (const a of h.emulator.accepted()) for (const p of a.phoneNumbers) per.set(p, (per.get(p) ?? 0) + 1);
    expect([...per.values()].every((n) => n === 1)).toBe(true);
  });

  it('cancel marks the rest cancelled and sends nothing more', async () => {
    h = await createHarness({ label: 'ctl-cancel' });
    const base = 13860000000;
    const res = await h.producer.send({ ...MKT, phones: phones(10_000, base) });
    await h.startWorker({ qps: 6, concurrency: 1 });
    const harness = h;
    await waitFor(() => marketingCalls(harness, base) >= 1, 'one chunk sent');
    const status = await h.producer.cancel(res.sendId);
    expect(status.send.control).toBe('cancelled');
    const settled = await waitFor(async () => {
      const s = await harness.producer.getStatus(res.sendId);
      return s.counts.queued + s.counts.sending === 0 ? s : undefined;
    }, 'nothing queued or in flight');
    expect(settled.counts.cancelled + settled.counts.accepted).toBe(10_000);
    expect(settled.counts.cancelled).toBeGreaterThanOrEqual(7000);
    const calls = marketingCalls(h, base);
    await new Promise((r) => setTimeout(r, 500));
    expect(marketingCalls(h, base)).toBe(calls);
    await expect(h.producer.resume(res.sendId)).rejects.toMatchObject({ code: 'SMSQ_SEND_ENDED' });
  });

  it('quiet hours hold marketing (not codes) until the window opens', async () => {
    const clock = controllableClock('2026-11-24T22:30:00');
    h = await createHarness({ label: 'ctl-quiet', emulator: { clock }, clock });
    const mkt = await h.producer.send({ ...MKT, phones: ['13870000001'] });
    // Status says why it waits, and until when (China time): first that no worker runs, which holds
    // it past the quiet hours, then, once one does, the quiet hours.
    const until = Date.parse('2026-11-25T08:00:00+08:00');
    expect((await h.producer.getStatus(mkt.sendId)).wait).toEqual({ reason: 'no-worker', quietUntil: until });
    const code = await h.producer.send({ ...CODE, phones: ['13870000002'] });
    await h.startWorker({ clock, quietHours: DEFAULT_QUIET_HOURS, recheckMs: 200 });
    const harness = h;
    await waitFor(async () => (await harness.producer.getStatus(code.sendId)).counts.accepted === 1, 'the code at night');
    await new Promise((r) => setTimeout(r, 600));
    expect((await h.producer.getStatus(mkt.sendId)).counts.queued).toBe(1);
    // The producer reuses its count of workers for up to 5 s (worker-presence.ts).
    await expect.poll(async () => (await harness.producer.getStatus(mkt.sendId)).wait, { timeout: 10_000 }).toEqual({ reason: 'quiet-hours', until });
    clock.jumpTo('2026-11-25T08:00:01');
    await waitFor(async () => (await harness.producer.getStatus(mkt.sendId)).counts.accepted === 1, 'marketing once the window opens');
  });

  // On the real clock, with quiet hours that hold now: status judges whether a worker is live on
  // Redis's time, so workers on a calendar of their own would say nothing it counts.
  it("status names the live workers' quiet hours, not the asking process's, and says when workers disagree", async () => {
    const quiet = quietHoursNow();
    h = await createHarness({ label: 'ctl-quiet-workers' });
    // The asking producer has none; the worker's hold now.
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, logger: h.logger, waits: { quietHours: undefined, receiptWindowMs: 3_600_000 } });
    try {
      await h.startWorker({ quietHours: parseQuietHours(quiet.text) });
      const mkt = await producer.send({ ...MKT, phones: ['13870000011'] });
      await expect.poll(async () => (await producer.getStatus(mkt.sendId)).wait).toEqual({ reason: 'quiet-hours', until: quiet.until });
      expect((await producer.getStatus(mkt.sendId)).counts.queued).toBe(1);
      // A second worker with none: which one takes a chunk decides, and status says so.
      await h.startWorker({ quietHours: null });
      expect((await producer.getStatus(mkt.sendId)).wait).toEqual({ reason: 'quiet-hours-disagree', settings: [quiet.text, 'off'] });
    } finally {
      await producer.close();
    }
  });

  it("a producer's own quiet hours name no wait when the live workers have none, and the worker sends at once", async () => {
    h = await createHarness({ label: 'ctl-quiet-producer' });
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, logger: h.logger, waits: { quietHours: parseQuietHours(quietHoursNow().text), receiptWindowMs: 3_600_000 } });
    try {
      const worker = await h.startWorker({ quietHours: null });
      await worker.worker.pause();
      const mkt = await producer.send({ ...MKT, phones: ['13870000012'] });
      const held = await producer.getStatus(mkt.sendId);
      expect(held.counts.queued).toBe(1);
      expect(held.wait).toBeUndefined();
      worker.worker.resume();
      await waitFor(async () => (await producer.getStatus(mkt.sendId)).counts.accepted === 1, 'the marketing send inside the producer\'s quiet hours');
    } finally {
      await producer.close();
    }
  });

  it('a deadline expires chunks that were not sent in time instead of sending them late', async () => {
    const clock = controllableClock('2026-11-24T10:00:00');
    h = await createHarness({ label: 'ctl-deadline', emulator: { clock }, clock });
    const res = await h.producer.send({ ...MKT, phones: phones(2500, 13880000000), deadline: '2026-11-24T10:05:00+08:00' });
    clock.jumpTo('2026-11-24T10:06:00');
    await h.startWorker({ clock });
    const harness = h;
    const s = await waitFor(async () => {
      const st = await harness.producer.getStatus(res.sendId);
      return st.counts.expired === 2500 ? st : undefined;
    }, 'every chunk expired');
    expect(s.counts.accepted).toBe(0);
    expect(h.emulator.accepted()).toHaveLength(0);
    // Nothing is left to send and its deadline left recipients unsent: the send itself expired.
    const ended = await waitFor(async () => {
      const st = await harness.producer.getStatus(res.sendId);
      return st.send.state === 'expired' ? st : undefined;
    }, 'the send to expire');
    expect(ended.send).toMatchObject({ code: 'SMSQ_DEADLINE' });
    expect(ended.wait).toBeUndefined();
  });

  it('a deadline that passes mid-send ends the send expired even when an answer to a call made before it comes last', async () => {
    const clock = controllableClock('2026-11-24T10:00:00');
    // Read timeout above the held answer: the late answer is an answer (accepted), not a timeout.
    const readTimeoutMs = 8000;
    // No receipt comes back during the test: the send's end is announced at its end, not at its last receipt.
    h = await createHarness({ label: 'ctl-deadline-mid', emulator: { clock, delivery: { delayMs: 3_600_000, failureRatio: 0 } }, clock, readTimeoutMs });
    // The first call's answer is held: its chunk stays in flight while the deadline passes.
    h.emulator.addFault({ kind: 'lost-answer', actions: ['SendSms'], delayMs: 5000 });
    const res = await h.producer.send({ ...CODE, phones: ['13880100001', '13880100002'], deadline: '2026-11-24T10:05:00+08:00' });
    const timing = { reconcile: { firstLookAfterMs: 50, settleMs: 2 * readTimeoutMs + 5000, lookIntervalMs: 150, callDeadlineMs: 2500 } };
    // One chunk at a time: this worker takes one chunk and waits for its answer.
    await h.startWorker({ clock, concurrency: 1, ...timing });
    const harness = h;
    await waitFor(() => harness.emulator.accepted().length === 1, 'the first chunk accepted at the emulator, its answer held');
    clock.jumpTo('2026-11-24T10:06:00');
    // Another worker claims the other chunk past the deadline: expired, while the first still waits for its answer.
    await h.startWorker({ clock, concurrency: 1, ...timing });
    await waitFor(async () => (await harness.producer.getStatus(res.sendId)).counts.expired === 1, 'the second chunk expired by its claim');
    expect((await h.producer.getStatus(res.sendId)).counts.sending).toBe(1);
    const ended = await waitFor(async () => {
      const st = await harness.producer.getStatus(res.sendId);
      return st.counts.accepted === 1 && st.send.state !== 'active' ? st : undefined;
    }, 'the held answer, and the send moved');
    // As when the claim comes last: expired with the deadline's code, not sent then completed.
    expect(ended.send).toMatchObject({ state: 'expired', code: 'SMSQ_DEADLINE' });
    expect(ended.send.history.map((c) => c.state)).toEqual(['enqueuing', 'active', 'expired']);
    expect(h.emulator.accepted()).toHaveLength(1);
    // Its end is announced (callback, if it had one) by the worker that took the answer, its accepted recipient still awaiting a receipt.
    await waitFor(async () => (await harness.redis.hexists(createKeys(harness.prefix).send(res.sendId), 'endNotifiedAt')) === 1, 'the end announced');
  });

  it("a deadline that passes while a call made before it is in flight ends the send sent, though another recipient's receipt window ended first", async () => {
    const clock = controllableClock('2026-11-24T10:00:00');
    // Read timeout above the held answer: the late answer is an answer (accepted), not a timeout.
    const readTimeoutMs = 8000;
    // No receipt comes back: the first recipient's window ends without one (expired, SMSQ_RECEIPT_WINDOW).
    h = await createHarness({ label: 'ctl-deadline-window', emulator: { clock, delivery: { delayMs: 3_600_000, failureRatio: 0 } }, clock, readTimeoutMs });
    h.emulator.addFault({ kind: 'lost-answer', actions: ['SendSms'], phones: ['13880100012'], delayMs: 5000 });
    const res = await h.producer.send({ ...CODE, phones: ['13880100011', '13880100012'], deadline: '2026-11-24T10:05:00+08:00' });
    const timing = { reconcile: { firstLookAfterMs: 50, settleMs: 2 * readTimeoutMs + 5000, lookIntervalMs: 150, callDeadlineMs: 2500 } };
    // A 20 s window (of the clock), swept every second: it ends while the other answer is held.
    await h.startWorker({ clock, concurrency: 2, ...timing, receiptSchedule: { lookDelaysMs: [3_600_000], windowMs: 20_000 } });
    const harness = h;
    await waitFor(() => harness.emulator.accepted().length === 2, 'both chunks accepted at the emulator, one answer held');
    await waitFor(async () => (await harness.producer.getStatus(res.sendId)).counts.accepted === 1, 'the first answer');
    clock.jumpTo('2026-11-24T10:06:00');
    await waitFor(async () => (await harness.producer.getStatus(res.sendId)).counts.expired === 1, "the first recipient's receipt window ended");
    expect((await h.producer.getStatus(res.sendId)).counts.sending).toBe(1);
    const ended = await waitFor(async () => {
      const st = await harness.producer.getStatus(res.sendId);
      return st.counts.accepted === 1 && st.counts.sending === 0 ? st : undefined;
    }, 'the held answer');
    // Both calls were made before the deadline: it cut nothing short, whatever expired after.
    expect(ended.send.state).toBe('sent');
    expect(ended.send.code).toBeUndefined();
    expect(ended.send.history.map((c) => c.state)).toEqual(['enqueuing', 'active', 'sent']);
    expect(ended.counts).toMatchObject({ accepted: 1, expired: 1, queued: 0, unknown: 0 });
  });

  it('auto-pauses a send whose recent chunks keep failing, with the reason', async () => {
    h = await createHarness({ label: 'ctl-auto' });
    // The notification template needs ${name} and ${order}: every chunk fails permanently.
    const res = await h.producer.send({ signName: N.sign, templateCode: N.notificationTemplate, phones: phones(10_000, 13890000000), kind: 'marketing' });
    await h.startWorker({ concurrency: 1, autoPause: { window: 3, failureRatio: 0.5 } });
    const harness = h;
    const s = await waitFor(async () => {
      const st = await harness.producer.getStatus(res.sendId);
      return st.send.control === 'paused' ? st : undefined;
    }, 'auto-pause');
    expect(s.send.state).toBe('paused');
    expect(s.wait).toMatchObject({ reason: 'paused', by: 'auto-pause' });
    expect(s.send.controlReason).toMatch(/auto-pause: 3 of the last 3 chunks failed/);
    await new Promise((r) => setTimeout(r, 400));
    const later = await h.producer.getStatus(res.sendId);
    expect(later.counts.failed).toBeLessThanOrEqual(4000);
    expect(later.counts.queued).toBeGreaterThanOrEqual(6000);
  });
});
