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
 * clocks, as NTP does: the least (Redis TIME − when the script was sent) over the last 10–20 s is the
 * offset plus the shortest one-way trip, and the slot sits at Redis's time less that offset, never
 * before the sent time nor after the reply's arrival. An estimate past the reply's arrival proves the
 * offset stale (Redis's clock stepped forward, or a failover to a server whose clock is ahead): the
 * filter starts again from that reply, so lateness is never counted short for long.
 *
 * A reply that arrives after its slot makes the call late however well the slot is placed, so the
 * caller asks for a lead (reserve-slot.lua): an idle pacer's slot starts that long after Redis's
 * now, and a claim whose next slot comes sooner reserves none (its caller reserves once ready,
 * rather than waste a slot it would miss). The lead follows the lag between a reservation and its
 * caller being ready to call (the reply's trip back, the send path's durability confirmation, the
 * event loop): the 90th percentile of the last 32, less half the allowed lateness, kept apart for
 * claims and for the pacer's own reservations, whose callers are ready at different times. A Redis
 * that answers quickly keeps leads of 0 and its slots as they were; a Redis slow to fsync raises
 * them; one stalled caller (a long GC, a paused VM) is a sample the percentile leaves out.
 */

/** A pacer script's reply: the slot relative to Redis's TIME when it ran. */
export interface SlotReservation {
  /** µs from `reservedAtMicros` to the slot; -1: refused (the slots reach too far ahead). */
  waitMicros: number;
  /** Redis's TIME when the script ran (µs since the epoch). */
  reservedAtMicros: number;
  /** performance.now() when the reply arrived. */
  repliedAt: number;
  /** performance.now() when the script was sent, when its caller knows it better than the pacer (a claim sent after more work). */
  sentAt?: number;
}

/** A reservation from a script's reply fields (`wait`, `now` as reserve-slot.lua returns them). */
export function slotReservation(wait: unknown, reservedAt: unknown, repliedAt: number, sentAt?: number): SlotReservation {
  return { waitMicros: Number(wait), reservedAtMicros: Number(reservedAt), repliedAt, ...(sentAt !== undefined ? { sentAt } : {}) };
}

export interface SlotLeadOptions {
  /** The lateness a caller is allowed before it takes a new slot (ms): the lead keeps replies within half of it. */
  maxLateMs: number;
  /** The longest lead (ms): a slot further ahead is refused by the script. */
  maxLeadMs: number;
}

export interface SlotClock {
  /**
   * The slot on this process's clock (performance.now() ms), and when the script ran on it, for a
   * reservation sent at `askedAt` (a slot only when one was reserved). Each reply also refines the
   * offset between the clocks.
   */
  place(askedAt: number, reservation: SlotReservation): PlacedSlot;
}

/** A slot on this process's clock (performance.now() ms). */
export interface PlacedSlot {
  /** The estimate: never later than the truth, by up to the shortest trip to Redis of recent replies. */
  slot: number;
  /** The latest the slot can be: the reply's arrival plus the wait. */
  latest: number;
  /** When the script ran, estimated the same way. */
  ranAt: number;
}

/** The lead of one kind of reservation, from the lags of its callers. */
export interface SlotLead {
  /** A caller is ready to call `lagMs` after its reservation ran. */
  noteLag(lagMs: number): void;
  /** The lead (µs) the next reservation should ask for. */
  micros(): number;
}

/** `waitMicros` of a reservation the script refused: the slots reach too far ahead (try again later). */
export const SLOT_REFUSED = -1;
/** `waitMicros` of a claim's reservation left undone: the next slot comes sooner than its lead (reserve when ready). */
export const SLOT_TOO_SOON = -2;

/**
 * The offset is the least of the replies of the last one to two windows: a clock that drifts, or
 * steps forward by less than a round trip (not provably stale), is followed within 20 s. Shorter
 * windows follow sooner but hold fewer quick replies: on a busy machine the least of a 2 s window
 * moved by milliseconds from one window to the next, and calls went that much before their slots.
 */
const OFFSET_WINDOW_MS = 10_000;
/**
 * The lags the lead is taken from: the most recent ones, no older than 10 s (a process that stalled
 * once, with every caller in flight, is forgotten that long after), and the share of them it covers.
 */
const LAG_SAMPLES = 32;
const LAG_MAX_AGE_MS = 10_000;
const LAG_PERCENTILE = 0.9;

export function createSlotClock(): SlotClock {
  // The least (Redis ms − sent ms) of the current window and of the one before it.
  let current = Infinity;
  let previous = Infinity;
  let windowStart = -Infinity;
  const offsetAt = (now: number, sample: number): number => {
    if (now - windowStart > OFFSET_WINDOW_MS) {
      previous = current;
      current = Infinity;
      windowStart = now;
    }
    current = Math.min(current, sample);
    return Math.min(current, previous);
  };
  const restartOffset = (now: number, sample: number): number => {
    previous = Infinity;
    current = sample;
    windowStart = now;
    return sample;
  };

  return {
    place(admittedAt, reservation) {
      // Sent no sooner than the caller was admitted; later when it did more first (a claim's durability mark).
      const askedAt = Math.max(admittedAt, reservation.sentAt ?? admittedAt);
      const redisMs = reservation.reservedAtMicros / 1000;
      const latest = reservation.repliedAt + reservation.waitMicros / 1000;
      if (!Number.isFinite(redisMs)) return { slot: askedAt + reservation.waitMicros / 1000, latest, ranAt: askedAt };
      const sample = redisMs - askedAt;
      let offset = offsetAt(reservation.repliedAt, sample);
      if (redisMs - offset > reservation.repliedAt) offset = restartOffset(reservation.repliedAt, sample);
      // Where the script ran on this clock: never before it was sent nor after its reply came back.
      const ranAt = Math.min(Math.max(redisMs - offset, askedAt), reservation.repliedAt);
      return { slot: ranAt + reservation.waitMicros / 1000, latest, ranAt };
    },
  };
}

export function createSlotLead(options: SlotLeadOptions, now: () => number = () => performance.now()): SlotLead {
  // A ring of the last lags with when each was seen; the lead is taken from those of the last
  // LAG_MAX_AGE_MS, and kept until one is added or the oldest of them ages out (read far more often).
  const lags: { lagMs: number; at: number }[] = [];
  let nextLag = 0;
  let leadMs = 0;
  let validUntil = Infinity;
  const compute = (at: number) => {
    const recent = lags.filter((l) => at - l.at <= LAG_MAX_AGE_MS);
    const sorted = recent.map((l) => l.lagMs).sort((x, y) => x - y);
    const high = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * LAG_PERCENTILE))] ?? 0;
    leadMs = Math.min(Math.max(0, high - options.maxLateMs / 2), options.maxLeadMs);
    validUntil = recent.length ? Math.min(...recent.map((l) => l.at)) + LAG_MAX_AGE_MS : Infinity;
  };
  return {
    noteLag(lagMs) {
      const at = now();
      lags[nextLag] = { lagMs, at };
      nextLag = (nextLag + 1) % LAG_SAMPLES;
      compute(at);
    },
    micros() {
      const at = now();
      if (at > validUntil) compute(at);
      return Math.round(leadMs * 1000);
    },
  };
}
