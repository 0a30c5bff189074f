/**
 * Where a pacer slot (call-pacer.ts), reserved on Redis's clock, falls on this process's clock, and
 * how far ahead the next one should be reserved.
 *
 * A reservation's reply says how long after Redis's TIME its slot is, and that TIME. The script ran
 * somewhere between when the caller sent it and when the reply came back; on a Redis that fsyncs
 * every write (`appendfsync always`) most of that round trip is the fsync, after the script ran.
 * Placing the slot at "sent + wait" (the earliest it can be) counted the whole round trip as
 * lateness: with an fsync over the pacer's 20 ms of allowed lateness every slot looked missed, every
 * caller reserved again, and no call was ever made. So the process keeps the offset between the two
 * clocks, as NTP does: the least (Redis TIME − when the script was sent) over recent replies is the
 * offset plus the shortest one-way trip, and the slot sits at Redis's time less that offset, never
 * before the sent time nor after the reply's arrival (a Redis clock that steps can misplace it by no
 * more than the round trip it came in, as before).
 *
 * A reply that arrives after its slot makes the call late however well the slot is placed, so the
 * caller asks for a lead: its slot starts no sooner than this after Redis's now. The lead follows
 * the lag between a reservation and its caller being ready to call (the reply's trip back, the
 * send path's durability confirmation, the event loop), less half the allowed lateness, so a
 * Redis that answers quickly keeps a lead of 0 and its slots as they were.
 */

/** A pacer script's reply: the slot relative to Redis's TIME when it ran. */
export interface SlotReservation {
  /** µs from `reservedAtMicros` to the slot; -1: refused (the slots reach too far ahead). */
  waitMicros: number;
  /** Redis's TIME when the script ran (µs since the epoch). */
  reservedAtMicros: number;
  /** performance.now() when the reply arrived. */
  repliedAt: number;
}

/** A reservation from a script's reply fields (`wait`, `now` as reserve-slot.lua returns them). */
export function slotReservation(wait: unknown, reservedAt: unknown, repliedAt: number): SlotReservation {
  return { waitMicros: Number(wait), reservedAtMicros: Number(reservedAt), repliedAt };
}

export interface SlotClockOptions {
  /** The lateness a caller is allowed before it takes a new slot (ms): the lead keeps replies within half of it. */
  maxLateMs: number;
  /** The longest lead (ms): a slot further ahead is refused by the script. */
  maxLeadMs: number;
}

export interface SlotClock {
  /**
   * The slot on this process's clock (performance.now() ms), and when the script ran on it, for a
   * reservation sent at `askedAt`. Each reply also refines the offset between the clocks.
   */
  place(askedAt: number, reservation: SlotReservation): { slot: number; ranAt: number };
  /** A caller is ready to call `lagMs` after its reservation ran, at `now`: the lead follows it. */
  noteLag(lagMs: number, now: number): void;
  /** The least wait (µs) the next reservation should ask for, at `now`. */
  leadMicros(now: number): number;
}

/** The offset is the least of the replies of the last one to two windows: a clock that drifts or steps is followed within 20 s. */
const OFFSET_WINDOW_MS = 10_000;
/** How fast a lag once seen is forgotten (ms per ms): a 100 ms fsync stall raises the lead for about two seconds. */
const LAG_DECAY = 0.05;

export function createSlotClock(options: SlotClockOptions): SlotClock {
  // The least (Redis ms − sent ms) of the current window and of the one before it.
  let current = Infinity;
  let previous = Infinity;
  let windowStart = -Infinity;
  let lag = 0;
  let lagAt = 0;

  const offsetAt = (now: number, sample: number): number => {
    if (now - windowStart > OFFSET_WINDOW_MS) {
      previous = current;
      current = Infinity;
      windowStart = now;
    }
    current = Math.min(current, sample);
    return Math.min(current, previous);
  };
  const lagAtTime = (now: number) => Math.max(0, lag - (now - lagAt) * LAG_DECAY);

  return {
    place(askedAt, reservation) {
      const redisMs = reservation.reservedAtMicros / 1000;
      const offset = Number.isFinite(redisMs) ? offsetAt(reservation.repliedAt, redisMs - askedAt) : NaN;
      // Where the script ran on this clock: never before it was sent nor after its reply came back.
      const estimate = redisMs - offset;
      const ranAt = Number.isFinite(estimate) ? Math.min(Math.max(estimate, askedAt), reservation.repliedAt) : askedAt;
      return { slot: ranAt + reservation.waitMicros / 1000, ranAt };
    },
    noteLag(lagMs, now) {
      const decayed = lagAtTime(now);
      lag = Math.max(decayed, lagMs);
      lagAt = now;
    },
    leadMicros(now) {
      const leadMs = Math.min(Math.max(0, lagAtTime(now) - options.maxLateMs / 2), options.maxLeadMs);
      return Math.round(leadMs * 1000);
    },
  };
}
