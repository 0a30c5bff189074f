import { describe, expect, it } from 'vitest';
import { createSlotClock, slotReservation } from '../../src/queue/slot-clock.js';

// Redis's clock runs 1,700,000,000,000 ms ahead of this process's performance.now() in these tests.
const OFFSET_MS = 1_700_000_000_000;
const redisMicros = (localMs: number) => (localMs + OFFSET_MS) * 1000;
const options = { maxLateMs: 20, maxLeadMs: 1000 };

describe('slot clock: where a slot reserved on Redis falls on this clock', () => {
  it('places the slot at when the script ran plus its wait, not at when it was sent: the fsync after it is not lateness', () => {
    const clock = createSlotClock(options);
    // A quick reply: sent at 100, ran at 100.2, back at 100.5. The offset is learnt from it.
    clock.place(100, slotReservation(0, redisMicros(100.2), 100.5));
    // Sent at 200, ran at 200.2, the reply back 30 ms later (the fsync): the slot was 5 ms after it ran.
    const placed = clock.place(200, slotReservation(5000, redisMicros(200.2), 230.5));
    expect(placed.ranAt).toBeCloseTo(200, 1); // the offset's error is the shortest trip there, 0.2 ms
    expect(placed.slot).toBeCloseTo(205, 1);
  });

  it('never places the run before the script was sent nor after its reply came back, whatever Redis\'s clock says', () => {
    const clock = createSlotClock(options);
    clock.place(100, slotReservation(0, redisMicros(100.2), 100.5));
    // Redis's clock stepped back 50 ms: it says the script ran before it was sent.
    const back = clock.place(200, slotReservation(1000, redisMicros(150), 201));
    expect(back.ranAt).toBeGreaterThanOrEqual(200);
    // It stepped forward 50 ms: it says the script ran after its reply came back.
    const clockAhead = createSlotClock(options);
    clockAhead.place(100, slotReservation(0, redisMicros(100.2), 100.5));
    const ahead = clockAhead.place(200, slotReservation(1000, redisMicros(250), 201));
    expect(ahead.ranAt).toBeLessThanOrEqual(201);
    expect(ahead.slot).toBeLessThanOrEqual(202);
  });

  it('follows the least trip of the recent replies: a reply that waited behind an fsync does not move the offset', () => {
    const clock = createSlotClock(options);
    clock.place(100, slotReservation(0, redisMicros(100.1), 100.3));
    // This one ran 30 ms after it was sent (behind another client's fsync).
    clock.place(200, slotReservation(0, redisMicros(230), 260));
    // The next one is placed with the offset of the quick reply.
    expect(clock.place(300, slotReservation(0, redisMicros(300.1), 330)).ranAt).toBeCloseTo(300, 1);
  });

  it('forgets an offset after its windows: a Redis clock that stepped forward is followed within 20 s', () => {
    const clock = createSlotClock(options);
    clock.place(100, slotReservation(0, redisMicros(100.1), 100.3));
    const stepped = (local: number) => redisMicros(local + 40); // Redis's clock now 40 ms ahead of what it was
    // Within the windows the old offset stays: the run is clamped to the reply.
    expect(clock.place(1000, slotReservation(0, stepped(1000.1), 1001)).ranAt).toBe(1001);
    // Two windows later only the new offset is left.
    clock.place(11_000, slotReservation(0, stepped(11_000.1), 11_000.3));
    clock.place(21_500, slotReservation(0, stepped(21_500.1), 21_500.3));
    expect(clock.place(22_000, slotReservation(0, stepped(22_000.1), 22_001)).ranAt).toBeCloseTo(22_000, 1);
  });
});

describe('slot clock: the lead', () => {
  it('is 0 while callers are ready within half the allowed lateness of their reservation', () => {
    const clock = createSlotClock(options);
    clock.noteLag(9, 0);
    expect(clock.leadMicros(0)).toBe(0);
  });

  it('follows a longer lag, less half the allowed lateness, and forgets it at 50 ms a second', () => {
    const clock = createSlotClock(options);
    clock.noteLag(35, 1000);
    expect(clock.leadMicros(1000)).toBe(25_000);
    expect(clock.leadMicros(1200)).toBe(15_000); // 10 ms forgotten in 200 ms
    expect(clock.leadMicros(2000)).toBe(0);
    // A shorter lag does not lower what is left of a longer one.
    clock.noteLag(40, 3000);
    clock.noteLag(20, 3001);
    expect(clock.leadMicros(3001)).toBeGreaterThan(29_000);
  });

  it('is never longer than the farthest a slot may be reserved ahead, halved', () => {
    const clock = createSlotClock({ maxLateMs: 20, maxLeadMs: 100 });
    clock.noteLag(5000, 0);
    expect(clock.leadMicros(0)).toBe(100_000);
  });
});
