import { describe, expect, it } from 'vitest';
import { createSlotClock, createSlotLead, slotReservation } from '../../src/queue/slot-clock.js';

// Redis's clock runs 1,700,000,000,000 ms ahead of this process's performance.now() in these tests.
const OFFSET_MS = 1_700_000_000_000;
const redisMicros = (localMs: number) => (localMs + OFFSET_MS) * 1000;
const options = { maxLateMs: 20, maxLeadMs: 1000 };

describe('slot clock: where a slot reserved on Redis falls on this clock', () => {
  it('places the slot at when the script ran plus its wait, not at when it was sent: the fsync after it is not lateness', () => {
    const clock = createSlotClock();
    // A quick reply: sent at 100, ran at 100.2, back at 100.5. The offset is learnt from it.
    clock.place(100, slotReservation(0, redisMicros(100.2), 100.5));
    // Sent at 200, ran at 200.2, the reply back 30 ms later (the fsync): the slot was 5 ms after it ran.
    const placed = clock.place(200, slotReservation(5000, redisMicros(200.2), 230.5));
    expect(placed.ranAt).toBeCloseTo(200, 1); // the offset's error is the shortest trip there, 0.2 ms
    expect(placed.slot).toBeCloseTo(205, 1);
  });

  it('never places the run before the script was sent nor after its reply came back, whatever Redis\'s clock says', () => {
    const clock = createSlotClock();
    clock.place(100, slotReservation(0, redisMicros(100.2), 100.5));
    // Redis's clock stepped back 50 ms: it says the script ran before it was sent.
    const back = clock.place(200, slotReservation(1000, redisMicros(150), 201));
    expect(back.ranAt).toBeGreaterThanOrEqual(200);
    // It stepped forward 50 ms: it says the script ran after its reply came back.
    const clockAhead = createSlotClock();
    clockAhead.place(100, slotReservation(0, redisMicros(100.2), 100.5));
    const ahead = clockAhead.place(200, slotReservation(1000, redisMicros(250), 201));
    expect(ahead.ranAt).toBeLessThanOrEqual(201);
    expect(ahead.slot).toBeLessThanOrEqual(202);
  });

  it('counts from when a claim was sent, not from when its caller was admitted (it did more work first)', () => {
    const clock = createSlotClock();
    // Admitted at 100, its claim sent at 130 (after the durability mark), ran at 130.2, back at 160.
    // The first reply of a window is the offset itself: the run is placed at the send, not 30 ms before.
    const placed = clock.place(100, slotReservation(2000, redisMicros(130.2), 160, 130));
    expect(placed.ranAt).toBe(130);
    expect(placed.slot).toBe(132);
  });

  it('follows the least trip of the recent replies: a reply that waited behind an fsync does not move the offset', () => {
    const clock = createSlotClock();
    clock.place(100, slotReservation(0, redisMicros(100.1), 100.3));
    // This one ran 30 ms after it was sent (behind another client's fsync).
    clock.place(200, slotReservation(0, redisMicros(230), 260));
    // The next one is placed with the offset of the quick reply.
    expect(clock.place(300, slotReservation(0, redisMicros(300.1), 330)).ranAt).toBeCloseTo(300, 1);
  });

  it('starts the offset again from a reply that proves it stale: a Redis clock that stepped forward is not counted as punctuality', () => {
    const clock = createSlotClock();
    clock.place(100, slotReservation(0, redisMicros(100.1), 100.3));
    const stepped = (local: number) => redisMicros(local + 150); // Redis's clock now 150 ms ahead
    // The old offset would place the run 149 ms after the reply came back: it is dropped, and the
    // run placed at the only bound left (the send), so lateness is counted from the earliest.
    expect(clock.place(1000, slotReservation(0, stepped(1000.1), 1001)).ranAt).toBe(1000);
    // The next replies are placed with the new offset.
    expect(clock.place(1500, slotReservation(0, stepped(1500.1), 1530)).ranAt).toBeCloseTo(1500, 1);
  });

  it('follows a step forward smaller than the round trip within two windows (20 s)', () => {
    const clock = createSlotClock();
    clock.place(100, slotReservation(0, redisMicros(100.1), 100.3));
    const stepped = (local: number) => redisMicros(local + 20);
    // Within the round trip: not provably stale, so placed 20 ms late for now.
    expect(clock.place(1000, slotReservation(0, stepped(1000.1), 1030)).ranAt).toBeCloseTo(1020, 1);
    clock.place(11_000, slotReservation(0, stepped(11_000.1), 11_000.3));
    clock.place(21_500, slotReservation(0, stepped(21_500.1), 21_500.3));
    expect(clock.place(22_000, slotReservation(0, stepped(22_000.1), 22_030)).ranAt).toBeCloseTo(22_000, 1);
  });

  it('forgets an offset after its windows: a Redis clock that stepped back is followed at once, and drift within 20 s', () => {
    const clock = createSlotClock();
    clock.place(100, slotReservation(0, redisMicros(100.1), 100.3));
    const back = (local: number) => redisMicros(local - 40);
    // A smaller sample is the new least at once: the run is placed by it (not clamped to the send).
    expect(clock.place(1000, slotReservation(0, back(1000.1), 1001)).ranAt).toBeCloseTo(1000, 1);
    // Drift upward (Redis's clock 2 ms faster): the old least stays for one to two windows, then goes.
    const drifted = (local: number) => redisMicros(local - 38);
    clock.place(11_000, slotReservation(0, drifted(11_000.1), 11_000.3));
    clock.place(21_500, slotReservation(0, drifted(21_500.1), 21_500.3));
    expect(clock.place(22_000, slotReservation(0, drifted(22_000.1), 22_001)).ranAt).toBeCloseTo(22_000, 1);
  });
});

describe('slot clock: the lead', () => {
  it('is 0 while callers are ready within half the allowed lateness of their reservation', () => {
    const lead = createSlotLead(options);
    for (let i = 0; i < 40; i++) lead.noteLag(2 + (i % 8));
    expect(lead.micros()).toBe(0);
  });

  it('follows the lags of a Redis slow to fsync, less half the allowed lateness', () => {
    const lead = createSlotLead(options);
    for (let i = 0; i < 32; i++) lead.noteLag(30 + (i % 5)); // 30..34 ms
    expect(lead.micros()).toBe(24_000); // the 90th percentile, 34, less 10
    // And comes down with them: 32 quick replies later it is 0 again.
    for (let i = 0; i < 32; i++) lead.noteLag(3);
    expect(lead.micros()).toBe(0);
  });

  it('leaves out a stalled caller: a 10 s pause among quick replies does not hold every slot back', () => {
    const lead = createSlotLead(options);
    for (let i = 0; i < 32; i++) lead.noteLag(3);
    lead.noteLag(10_000);
    lead.noteLag(10_000);
    expect(lead.micros()).toBe(0);
  });

  it('forgets lags older than 10 s: a process that stalled with every caller in flight does not keep its slots ahead', () => {
    let now = 0;
    const lead = createSlotLead(options, () => now);
    for (let i = 0; i < 8; i++) lead.noteLag(5000); // eight callers stalled together: no percentile leaves them out
    expect(lead.micros()).toBe(1_000_000);
    now = 10_001;
    expect(lead.micros()).toBe(0);
    lead.noteLag(3);
    expect(lead.micros()).toBe(0);
  });

  it('is never longer than the longest allowed, however slow the replies', () => {
    const lead = createSlotLead({ maxLateMs: 20, maxLeadMs: 100 });
    for (let i = 0; i < 32; i++) lead.noteLag(5000);
    expect(lead.micros()).toBe(100_000);
  });
});
