import { afterAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { createCallPacer, LANE_DEPTH_MS, MAX_LEAD_MS, type CallPacer, type PacerSlotArgs } from '../../src/queue/call-pacer.js';
import { slotReservation, type SlotReservation } from '../../src/queue/slot-clock.js';
import { chunkIdOf, createChunkStore } from '../../src/queue/chunk-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { luaScript } from '../../src/queue/lua.js';
import { maxInSlidingWindow } from '../../src/queue/rate-window.js';
import { createTestConnection, deleteKeys, uniquePrefix } from '../support/redis.js';

const a = createTestConnection();
const b = createTestConnection();
const prefix = uniquePrefix('pacer');
/** A call goes at most the pacer's maxLate (20 ms) after its slot; later, its caller takes a new one. */
const MAX_LATE_MS = 20;
/** A slot reserved by a script of the caller's own, as the send path's claim reserves one. */
async function reserveAs(reserve: (...args: (string | number)[]) => Promise<unknown>, slot: PacerSlotArgs): Promise<SlotReservation> {
  const [wait, reservedAt] = (await reserve(slot.key, slot.intervalMicros, slot.maxAheadMicros, slot.leadMicros)) as unknown[];
  return slotReservation(wait, reservedAt, performance.now());
}
/** The slot (µs on Redis's clock) of a reservation. */
const slotOf = (r: SlotReservation) => r.reservedAtMicros + r.waitMicros;
/** Reserves one slot on `pacer`'s clock through its own script: a marker of where its slots stand. */
async function markSlot(pacer: CallPacer): Promise<number> {
  return slotOf(await reserveAs(luaScript(a, 'reserve-slot-1'), pacer.slotArgs));
}
/** Lets every callback already due run (I/O, resolved promises): no timer set for later fires first. */
const turn = () => new Promise((r) => setImmediate(r));
/** Turns the event loop until `done()` (each turn lets the callers in flight go on). */
async function turnsUntil(done: () => boolean): Promise<void> {
  while (!done()) await turn();
}
afterAll(async () => {
  await deleteKeys(a, prefix);
  a.disconnect();
  b.disconnect();
});

describe('call pacer', () => {
  it('spaces calls from many callers on two connections under the cap in every sliding second', async () => {
    const qps = 200;
    const pacers = [a, b].map((redis) => createCallPacer({ redis, key: `${prefix}:pacer`, qps }));
    const firstMark = await markSlot(pacers[0]!);
    const times: number[] = [];
    // 64 concurrent callers, 300 calls: more than a second's worth, all wanting to go at once.
    let left = 300;
    await Promise.all(
      Array.from({ length: 64 }, async (_, i) => {
        const pacer = pacers[i % 2]!;
        while (left > 0) {
          left--;
          await pacer.acquire();
          times.push(performance.now());
        }
      }),
    );
    const lastMark = await markSlot(pacers[0]!);
    expect(times).toHaveLength(300);
    // The cap holds on this process's clock: a caller that woke past maxLate took a new slot.
    expect(maxInSlidingWindow(times, 1000)).toBeLessThanOrEqual(qps);
    // On Redis's clock: every call took a slot of its own from the one queue, between the markers.
    expect(lastMark - firstMark).toBeGreaterThanOrEqual(301 * pacers[0]!.intervalMicros);
    // And no call was held back past the slots handed out: each went within maxLate of its own
    // (the markers' two slots are room for the trip to Redis and the read of the time).
    const span = Math.max(...times) - Math.min(...times);
    expect(span).toBeLessThanOrEqual((lastMark - firstMark) / 1000 + MAX_LATE_MS);
  });

  it('keeps the exact spacing at high rates (no rounding of the Redis clock)', async () => {
    const qps = 4000;
    const pacer = createCallPacer({ redis: a, key: `${prefix}:pacer-fast`, qps });
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = 0; i < 25; i++) {
          await pacer.acquire();
          times.push(performance.now());
        }
      }),
    );
    expect(times).toHaveLength(800);
    // 800 slots reserved at once by the pacer's script, as Redis records them: each exactly one
    // spacing after the one before (the rounding bug this guards against lost 100 µs a slot), or,
    // when Redis ran a script after the slot before was past (it was held up), starting again at
    // its own time plus the lead.
    const reserve = luaScript(a, 'reserve-slot-1');
    const args = { ...pacer.slotArgs, key: `${prefix}:pacer-exact` };
    const slots = await Promise.all(Array.from({ length: 800 }, () => reserveAs(reserve, args)));
    let spaced = 0;
    for (let i = 1; i < slots.length; i++) {
      const [prev, cur] = [slots[i - 1]!, slots[i]!];
      if (slotOf(cur) === slotOf(prev) + pacer.intervalMicros) spaced++;
      else {
        expect(slotOf(prev) + pacer.intervalMicros).toBeLessThan(cur.reservedAtMicros);
        expect(slotOf(cur)).toBe(cur.reservedAtMicros + args.leadMicros);
      }
    }
    expect(spaced).toBeGreaterThan(0);
  });
});

describe('slots reserved by the claim script', () => {
  it('share one clock with acquire(): claims and look-ups together stay under the cap', async () => {
    const qps = 200;
    const keys = createKeys(prefix);
    const clock = createManualClock();
    const chunks = createChunkStore({ redis: a, keys, clock });
    const pacer = createCallPacer({ redis: b, key: keys.pacer(), qps });
    const firstMark = await markSlot(pacer);
    // The claim sends only a chunk whose send record exists (a producer writes it first).
    await a.hset(keys.send('sp'), 'sendId', 'sp', 'state', 'active');
    // 200 single-number chunks claimed with a slot (the send path) while 100 look-ups acquire
    // theirs the other way (reconcile and receipts), 64 + 16 callers at once.
    await chunks.create(
      Array.from({ length: 200 }, (_, i) => ({ sendId: 'sp', index: String(i), kind: 'verification' as const, payload: { api: 'SendSms' as const, phones: ['13800000000'], signName: 's', templateCode: 'T' } })),
      600,
    );
    const times: number[] = [];
    let next = 0;
    let looks = 100;
    await Promise.all([
      ...Array.from({ length: 64 }, async () => {
        while (next < 200) {
          const id = chunkIdOf('sp', String(next++));
          const ticket = await pacer.enter('urgent');
          const claim = await chunks.claim(id, 'sp', 0, pacer.slotArgs);
          if (claim.type !== 'send' || claim.slot === undefined) throw new Error(`claim ${id}: ${claim.type}`);
          await pacer.awaitReserved(ticket, claim.slot);
          times.push(performance.now());
        }
      }),
      ...Array.from({ length: 16 }, async () => {
        while (looks-- > 0) {
          await pacer.acquire();
          times.push(performance.now());
        }
      }),
    ]);
    const lastMark = await markSlot(pacer);
    expect(times).toHaveLength(300);
    expect(maxInSlidingWindow(times, 1000)).toBeLessThanOrEqual(qps);
    // One clock, as Redis records it: the 300 calls took their slots from the one queue, between
    // the markers (two clocks would leave this queue only the 200 claims' or the 100 look-ups').
    expect(lastMark - firstMark).toBeGreaterThanOrEqual(301 * pacer.intervalMicros);
    // A claim without slot arguments reserves nothing.
    await chunks.create([{ sendId: 'sp', index: 'x', kind: 'verification', payload: { api: 'SendSms', phones: ['13800000000'], signName: 's', templateCode: 'T' } }], 600);
    const before = await a.get(keys.pacer());
    const plain = await chunks.claim(chunkIdOf('sp', 'x'), 'sp');
    expect(plain).toMatchObject({ type: 'send', slot: undefined });
    expect(await a.get(keys.pacer())).toBe(before);
  });
});

describe('lanes', () => {
  it('refuses a cap that is not a positive number: every slot would be NaN and no caller let in', () => {
    for (const qps of [0, -5, Number.NaN, Infinity]) {
      expect(() => createCallPacer({ redis: a, key: `${prefix}:bad-qps`, qps })).toThrow(/qps must be a number of calls a second > 0/);
    }
  });

  it('a bulk depth of 0 still lets bulk callers in, one at a time', async () => {
    const pacer = createCallPacer({ redis: a, key: `${prefix}:depth-0`, qps: 500, bulkDepthMs: 0 });
    const calls = Array.from({ length: 5 }, () => pacer.acquire('bulk'));
    // Stuck, they would hold the test to its timeout.
    await expect(Promise.all(calls)).resolves.toEqual([true, true, true, true, true]);
  });

  it('a caller waiting for its lane is let in as soon as a reservation comes back, not at the next timer', async () => {
    // 18.5 calls a second (~54 ms apart) and a 5 ms bulk depth: the second caller has no room while the first holds its reservation.
    const pacer = createCallPacer({ redis: a, key: `${prefix}:settle`, qps: 20, bulkDepthMs: 5 });
    const first = await pacer.enter('bulk');
    let admitted = false;
    const second = pacer.enter('bulk').then((t) => {
      admitted = true;
      return t;
    });
    await turn();
    expect(admitted).toBe(false);
    pacer.release(first); // its script reserved no slot after all
    // Let in by the release itself, before any timer could run (the pacer's would have ~49 ms after it came).
    await Promise.resolve();
    expect(admitted).toBe(true);
    pacer.release(await second);
  });

  it('notifications waiting for their lane go before marketing that came earlier: the normal lane has more room', async () => {
    const pacer = createCallPacer({ redis: a, key: `${prefix}:priority`, qps: 200 });
    const reserve = luaScript(a, 'reserve-slot-1');
    const order: string[] = [];
    const caller = async (lane: 'normal' | 'bulk', name: string) => {
      const ticket = await pacer.enter(lane);
      order.push(name);
      await pacer.awaitReserved(ticket, await reserveAs(reserve, pacer.slotArgs));
    };
    const bulk = Array.from({ length: 30 }, (_, i) => caller('bulk', `b${i}`));
    // The notifications come once marketing is being let in, most of it still waiting.
    await turnsUntil(() => order.length > 0);
    const inBefore = order.length;
    const normal = Array.from({ length: 5 }, (_, i) => caller('normal', `n${i}`));
    await Promise.all([...bulk, ...normal]);
    // All five notifications were let in before the marketing callers who came first and were
    // still waiting, bar the few the bulk lane's depth let in meanwhile (in one lane, all of them).
    const lastNotification = Math.max(...['n0', 'n1', 'n2', 'n3', 'n4'].map((n) => order.indexOf(n)));
    expect(lastNotification).toBeLessThan(inBefore + 5 + 10);
    expect(30 - inBefore).toBeGreaterThan(10);
  });

  it('a caller waiting for its slot stops at once when its signal is aborted (a closing worker), and makes no call', async () => {
    // 20/s: 40 claims reserve ~2 s of slots; the last wait ~2 s.
    const pacer = createCallPacer({ redis: a, key: `${prefix}:stop`, qps: 20 });
    const reserve = luaScript(a, 'reserve-slot-1');
    const stop = new AbortController();
    const claims: { slot: number; called?: boolean }[] = [];
    const waiting = Array.from({ length: 40 }, async () => {
      const ticket = await pacer.enter('urgent');
      const reservation = await reserveAs(reserve, pacer.slotArgs);
      const claim: { slot: number; called?: boolean } = { slot: slotOf(reservation) };
      claims.push(claim);
      claim.called = await pacer.awaitReserved(ticket, reservation, stop.signal);
    });
    // The stop comes once every claim has its slot, the first of them at once, the rest ahead.
    await turnsUntil(() => claims.length === 40);
    stop.abort();
    const [stopSeconds, stopMicros] = await a.time();
    const stoppedAt = Number(stopSeconds) * 1e6 + Number(stopMicros);
    await Promise.all(waiting);
    const [endSeconds, endMicros] = await a.time();
    // At once, on Redis's clock: every caller was done before half the slots came, not each at its
    // own (a caller wakes within a few ms of its slot; refused ones reserved none and wait to try again).
    const slots = claims.map((c) => c.slot).sort((x, y) => x - y);
    expect(Number(endSeconds) * 1e6 + Number(endMicros)).toBeLessThan(slots[20]!);
    // Those whose slot came before the stop may have called; none whose slot came after it did.
    for (const claim of claims.filter((c) => c.slot > stoppedAt + MAX_LATE_MS * 1000)) expect(claim.called).toBe(false);
    expect(claims.filter((c) => c.called)).not.toHaveLength(40);
    // Nothing left counted in flight: a caller after them is let in and served.
    await expect(pacer.awaitReserved(await pacer.enter('bulk'))).resolves.toBe(true);
  });

  it('callers waiting to enter their lane, or in acquire, stop at once when their signal is aborted, with no ticket and no call', async () => {
    // 20/s: 40 codes reserve ~2 s of slots; notifications and look-ups wait to enter their lanes behind them.
    const pacer = createCallPacer({ redis: a, key: `${prefix}:stop-lanes`, qps: 20 });
    const reserve = luaScript(a, 'reserve-slot-1');
    const codes = Array.from({ length: 40 }, async () => {
      const ticket = await pacer.enter('urgent');
      pacer.heard(ticket, await reserveAs(reserve, pacer.slotArgs));
      return ticket;
    });
    const tickets = await Promise.all(codes);
    const stop = new AbortController();
    const entering = Array.from({ length: 10 }, () => pacer.enter('normal', stop.signal));
    const acquiring = Array.from({ length: 10 }, () => pacer.acquire('bulk', stop.signal));
    let settled = 0;
    for (const p of [...entering, ...acquiring]) void (p as Promise<unknown>).then(() => settled++);
    await turn();
    expect(settled).toBe(0);
    stop.abort();
    // At once: before any timer (the lanes' admission) could fire.
    await turn();
    expect(settled).toBe(20);
    expect(await Promise.all(entering)).toEqual(entering.map(() => undefined));
    expect(await Promise.all(acquiring)).toEqual(acquiring.map(() => false));
    // An aborted signal lets nobody in; nothing is left counted, and a caller without one is served.
    await expect(pacer.enter('urgent', stop.signal)).resolves.toBeUndefined();
    await expect(pacer.acquire('urgent', stop.signal)).resolves.toBe(false);
    for (const t of tickets) pacer.release(t);
    await expect(pacer.acquire('urgent')).resolves.toBe(true);
  });

  it('refuses a bulk depth that would hold bulk callers forever (negative) or bound nothing (NaN)', () => {
    for (const bulkDepthMs of [-1, Number.NaN, Infinity]) {
      expect(() => createCallPacer({ redis: a, key: `${prefix}:bad-depth`, qps: 100, bulkDepthMs })).toThrow(RangeError);
    }
    expect(() => createCallPacer({ redis: a, key: `${prefix}:depth`, qps: 100, bulkDepthMs: 5 })).not.toThrow();
  });

  it('a verification code waits behind at most the bulk lane depth, not behind every bulk caller', async () => {
    const waits: { lane: string; seconds: number }[] = [];
    const pacer = createCallPacer({ redis: a, key: `${prefix}:lanes`, qps: 100, onWait: (lane, seconds) => waits.push({ lane, seconds }) });
    const spacingMs = pacer.intervalMicros / 1000; // ~10.4 ms
    let bulkDone = 0;
    // 40 look-ups at once: first come first served, they would hold ~400 ms of slots.
    const bulk = Array.from({ length: 40 }, async () => {
      await pacer.acquire('bulk');
      bulkDone++;
    });
    // The code comes once the first look-up has called, the rest still waiting.
    await turnsUntil(() => bulkDone > 0);
    const doneBefore = bulkDone;
    const t0 = performance.now();
    await pacer.acquire('urgent');
    const waited = performance.now() - t0;
    // Behind the look-ups the bulk lane's depth let reserve before it came (its depth, and the
    // lead on a slow machine: at most the longest), not behind the ~38 still waiting.
    expect(bulkDone - doneBefore).toBeLessThanOrEqual(Math.ceil((LANE_DEPTH_MS.bulk + MAX_LEAD_MS) / spacingMs) + 1);
    expect(40 - doneBefore).toBeGreaterThan(Math.ceil((LANE_DEPTH_MS.bulk + MAX_LEAD_MS) / spacingMs) + 1);
    await Promise.all(bulk);
    expect(bulkDone).toBe(40);
    // Every call reports its whole wait (lane and slot), for /metrics.
    expect(waits.filter((w) => w.lane === 'bulk')).toHaveLength(40);
    const urgent = waits.filter((w) => w.lane === 'urgent');
    expect(urgent).toHaveLength(1);
    // Its whole wait, measured inside the test's.
    expect(urgent[0]!.seconds * 1000).toBeGreaterThan(0);
    expect(urgent[0]!.seconds * 1000).toBeLessThanOrEqual(waited);
    expect(Math.max(...waits.map((w) => w.seconds))).toBeGreaterThan(0.3); // the last look-up waited for ~40 slots
  });

  it('callers waiting for their lane are let in in the order they came, on one timer between them', async () => {
    const pacer = createCallPacer({ redis: a, key: `${prefix}:admission`, qps: 200 });
    const reserve = luaScript(a, 'reserve-slot-1');
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const order: number[] = [];
    let holding = 0;
    let mostHolding = 0;
    let mostLeadMs = 0;
    // 60 look-ups at once, 5 ms apart at 200/s: the bulk lane (10 ms) lets about two reserve at a time.
    const callers = Array.from({ length: 60 }, async (_, i) => {
      const ticket = await pacer.enter('bulk');
      order.push(i);
      mostHolding = Math.max(mostHolding, ++holding);
      // A lane's depth counts from the lead (0 unless this machine is slow to answer: docs/rate-limiting.md).
      mostLeadMs = Math.max(mostLeadMs, pacer.slotArgs.leadMicros / 1000);
      // The slot reserved by a script of the caller's own, as the send path's claim does.
      const reservation = await reserveAs(reserve, pacer.slotArgs);
      holding--;
      await pacer.awaitReserved(ticket, reservation);
    });
    await turnsUntil(() => order.length > 0);
    // Most are still waiting to be let in, yet they hold one timer, not one each (they polled every millisecond).
    expect(order.length).toBeLessThan(30);
    expect(timers() - before).toBeLessThanOrEqual(8); // the admission timer and the few admitted callers sleeping until their slots
    await Promise.all(callers);
    expect(order).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // Never more reservations in flight than the depth holds: 10 ms / 5.1 ms, and the one that reaches past it.
    expect(mostHolding).toBeLessThanOrEqual(Math.floor((LANE_DEPTH_MS.bulk + mostLeadMs) / (pacer.intervalMicros / 1000)) + 1);
  });
});

describe('pacedRate', () => {
  it('leaves a whole call of room at low caps and the relative margin at high ones', async () => {
    const { pacedRate } = await import('../../src/queue/call-pacer.js');
    expect(pacedRate(40)).toBe(38);
    expect(pacedRate(3000)).toBe(2924);
    expect(pacedRate(1)).toBe(0.5);
    expect(pacedRate(2)).toBe(1);
    // Evenly spaced calls: ceil(1000 ms / spacing) calls fit in a sliding second; that stays under
    // the cap with 25 ms of lateness to spare at every cap.
    for (const qps of [1, 2, 3, 10, 40, 100, 1000, 3000, 4500, 5000]) {
      const spacingMs = 1000 / pacedRate(qps);
      expect(Math.ceil((1000 + 25) / spacingMs)).toBeLessThanOrEqual(qps);
    }
  });
});
