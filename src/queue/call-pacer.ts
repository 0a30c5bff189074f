import { pause } from '../pause.js';
import type { RedisConnection } from './connection.js';
import { SMS_CLIENT_METHODS } from '../sms/actions.js';
import type { SmsClient } from '../sms/types.js';
import { PRIORITY } from './kinds.js';
import { luaScript } from './lua.js';
import { createSlotClock, createSlotLead, SLOT_REFUSED, slotReservation, type PlacedSlot, type SlotLead, type SlotReservation } from './slot-clock.js';

/**
 * Paces Dysmsapi calls across every process: before each call, a Lua script reserves the next free
 * slot on one Redis clock (`TIME`), slots `1 / pacedRate(qps, margin)` seconds apart; the caller sleeps
 * until its slot and calls. Spacing the calls themselves (not job starts, as BullMQ's window does)
 * is what keeps every sliding second under the cap whatever happens between a job's start and its
 * request. Its busiest second and average (bench/pipeline-limiter.ts) are in docs/benchmarks.md.
 *
 * The slot is reserved by the Lua function `reserveSlot` (lua/includes/reserve-slot.lua): the
 * pacer's own script (lua/reserve-slot-1.lua) calls it, and so does the send path's claim
 * (lua/claim-6.lua), which reserves the slot of its call in the same round trip. Where the slot
 * falls on this process's clock, and how far ahead to reserve it when Redis answers slowly, is the
 * slot clock's (slot-clock.ts).
 */

/** What a script needs to reserve a slot itself with `reserveSlot` (lua/includes/reserve-slot.lua). */
export interface PacerSlotArgs {
  key: string;
  intervalMicros: number;
  maxAheadMicros: number;
  /** The least wait to ask for (µs): the slot clock's lead, read right before the script is sent. */
  leadMicros: number;
}

export interface CallPacerOptions {
  redis: RedisConnection;
  /** The shared slot key (hash-tagged like every smsq key). */
  key: string;
  /** The account cap in calls per second (SMS_QPS). */
  qps: number;
  /** Share of the cap used, leaving room for the few ms between a slot and its request. Default 0.975. */
  margin?: number;
  /** Reservations further ahead than this are refused and retried. Default {@link PACER_REACH_MS}. */
  maxAheadMs?: number;
  /**
   * A caller that wakes more than this after its slot (a busy event loop) takes a new slot instead
   * of calling late: late calls would bunch up with punctual ones and crowd a sliding second.
   * Default 20 ms: {@link pacedRate} leaves room for 25 ms of lateness at every cap, and on a
   * CPU-bound machine a tighter bound throws away slots whose callers woke a little late, which
   * lowers the average without making any second safer (docs/benchmarks.md, "Figures behind the code").
   */
  maxLateMs?: number;
  /** Told, for every call, how long its caller waited in all (lane and slot), in seconds. */
  onWait?: (lane: PacerLane, seconds: number) => void;
  /** The `bulk` lane's depth (ms). Default {@link LANE_DEPTH_MS}`.bulk`. */
  bulkDepthMs?: number;
}

/**
 * How far ahead a caller may hold a slot. Slots are handed out first come first served, and every
 * caller waiting for its slot holds one, so without a bound a verification code would wait behind
 * the slots of every in-flight marketing job, (processes × concurrency) ÷ Q (docs/benchmarks.md,
 * "Figures behind the code"). A process lets a `bulk` or `normal` caller reserve only while its
 * own reservations end within the lane's depth; `urgent` callers reserve at once, behind at most
 * that much (times the number of processes).
 */
export type PacerLane = 'urgent' | 'normal' | 'bulk';

/**
 * How far ahead of now the pacer reserves a slot by default (ms): a claim may wait this long for
 * its call's slot, which the call deadline must outlast (src/queue/call-deadline.ts).
 */
export const PACER_REACH_MS = 2000;

/** Default depth per lane (ms): how far ahead of now this process's reservations may reach. */
export const LANE_DEPTH_MS: Readonly<Record<PacerLane, number>> = Object.freeze({ urgent: Infinity, normal: 100, bulk: 10 });

/** The order in which waiting callers are admitted when several lanes have room. */
const LANE_ORDER: readonly PacerLane[] = ['urgent', 'normal', 'bulk'];

/** The lane of a calls-queue job from its BullMQ priority (verification, notification, the rest). */
export function laneOfPriority(priority: number | undefined): PacerLane {
  if (priority === PRIORITY.verification) return 'urgent';
  if (priority === PRIORITY.notification) return 'normal';
  return 'bulk';
}

/** A caller admitted to reserve a slot with a script of its own (see {@link CallPacer.enter}). */
export interface SlotTicket {
  readonly lane: PacerLane;
  /** `performance.now()` when the caller asked to enter its lane. */
  readonly enteredAt: number;
  /** `performance.now()` when it was admitted, just before its script is sent. */
  readonly askedAt: number;
}

export interface CallPacer {
  /**
   * Resolves when this caller may make one call (true). Default lane `bulk` (look-ups). False when
   * `stop` was aborted first, in its lane or before its slot: it stops waiting at once (a slot it
   * reserved goes unused) and must not call.
   */
  acquire(lane?: PacerLane, stop?: AbortSignal): Promise<boolean>;
  /** Slot spacing in microseconds. */
  readonly intervalMicros: number;
  /** For a script that reserves the slot along with other work (the send path's claim); read it when the script is sent (its lead changes). */
  readonly slotArgs: PacerSlotArgs;
  /**
   * Waits until this caller may reserve in `lane`, for a script that reserves the slot itself.
   * Every ticket must end with {@link awaitReserved} or {@link release}. With `stop`: undefined (no
   * ticket, nothing to end) when it is aborted before the caller is let in.
   */
  enter(lane: PacerLane): Promise<SlotTicket>;
  enter(lane: PacerLane, stop: AbortSignal | undefined): Promise<SlotTicket | undefined>;
  /**
   * Tells the pacer what such a script reserved (what `reserveSlot` returned, see
   * {@link slotReservation}; undefined when it reserved none) as soon as its reply is in, so that
   * the lanes count it where it is while the caller does more before its call (the send path's
   * durability confirmation). Optional: `awaitReserved` hears it otherwise.
   */
  heard(ticket: SlotTicket, reservation: SlotReservation | undefined): void;
  /**
   * Waits for a slot such a script reserved (as for {@link heard}; not needed again once heard).
   * Takes a new slot (like `acquire`) when there is none, the reservation was refused, or this
   * caller woke too late for it. True when the caller may call now; false when `stop` was aborted
   * first: it stops waiting at once (its slot goes unused) and must not call.
   */
  awaitReserved(ticket: SlotTicket, reservation?: SlotReservation, stop?: AbortSignal): Promise<boolean>;
  /** Ends a ticket whose script reserved no slot (the chunk was not sent). */
  release(ticket: SlotTicket): void;
}


/**
 * The longest lead (ms): a Redis whose replies take longer than this plus the allowed lateness
 * makes a caller miss its slots and reserve again, as every caller did before the lead.
 */
export const MAX_LEAD_MS = 250;

/** How long after its placed slot a call goes (ms): the placement's error on a busy machine, within the pacing's margin. */
const FIRE_GUARD_MS = 2;

/**
 * Calls a second the pacer hands out for a cap of `qps`: the relative margin, and one whole call
 * less, because evenly spaced calls can put one more call than their rate into a sliding second
 * (at 40/s a 2.5% margin alone leaves no room at all). Never below half the cap.
 */
export function pacedRate(qps: number, margin = 0.975): number {
  return Math.max(qps * margin - 1, qps / 2);
}

export function createCallPacer(options: CallPacerOptions): CallPacer {
  // A cap that is not a positive number would make every slot NaN and let no caller in, codes included.
  if (!(Number.isFinite(options.qps) && options.qps > 0)) throw new RangeError(`qps must be a number of calls a second > 0, got ${String(options.qps)}`);
  // A negative depth would hold every bulk caller (marketing, every look-up) in `enter` forever; NaN would bound nothing.
  if (options.bulkDepthMs !== undefined && !(Number.isFinite(options.bulkDepthMs) && options.bulkDepthMs >= 0)) {
    throw new RangeError(`bulkDepthMs must be a finite number of ms >= 0, got ${String(options.bulkDepthMs)}`);
  }
  const intervalMicros = Math.ceil(1e6 / pacedRate(options.qps, options.margin));
  const spacingMs = intervalMicros / 1000;
  const maxAhead = (options.maxAheadMs ?? PACER_REACH_MS) * 1000;
  const maxLate = options.maxLateMs ?? 20;
  const reserve = luaScript(options.redis, 'reserve-slot-1');
  const slotClock = createSlotClock();
  // Claims and this pacer's own reservations have leads of their own: a claim's caller is ready only
  // after its durability confirmation, an own reservation's as soon as its reply is in.
  const leadOptions = { maxLateMs: maxLate, maxLeadMs: Math.min(MAX_LEAD_MS, maxAhead / 2000) };
  const claimLead = createSlotLead(leadOptions);
  const ownLead = createSlotLead(leadOptions);

  // This process's view of the slot queue: the latest slot it was given (performance.now() ms) and
  // the reservations it has sent and not heard back from (each will end at least one spacing later).
  // A lane's depth counts from the lead of the reservation a waiter will make (overDepth).
  let horizon = 0;
  let pending = 0;
  const bulkDepth = options.bulkDepthMs ?? LANE_DEPTH_MS.bulk;
  // Notifications never get less room than marketing, whatever depth marketing is given.
  const depths: Readonly<Record<PacerLane, number>> = { ...LANE_DEPTH_MS, normal: Math.max(LANE_DEPTH_MS.normal, bulkDepth), bulk: bulkDepth };

  // Callers waiting to be let reserve, per lane, first come first served. One timer (and every
  // settled reservation) admits them: a backlog of jobs waiting for their lane costs a wake-up per
  // admission, not one per waiter every millisecond (which burned a third of a core per worker).
  // Each waiter comes with the lead of the reservation it will make: a lane's depth counts from
  // there, so that a process whose callers need their slots further ahead keeps them that far ahead.
  const waiting: Record<PacerLane, { letIn: () => void; lead: SlotLead }[]> = { urgent: [], normal: [], bulk: [] };
  let admitTimer: NodeJS.Timeout | undefined;
  let admitAt = Infinity;
  /** How far this process's reservations reach past `lane`'s depth, counted from `lead`, at `now` (ms; > 0: not yet). */
  const overDepth = (lane: PacerLane, lead: SlotLead, now: number) => Math.max(horizon, now) + pending * spacingMs - now - lead.micros() / 1000 - depths[lane];
  const onTimer = () => {
    admitTimer = undefined;
    admitAt = Infinity;
    admit();
  };
  const admit = () => {
    const now = performance.now();
    let nextIn = Infinity;
    try {
      for (const lane of LANE_ORDER) {
        const queue = waiting[lane];
        // Each admitted caller counts in `pending` at once, so a crowd does not overshoot the depth.
        for (let next = queue[0]; next && overDepth(lane, next.lead, now) <= 0; next = queue[0]) {
          queue.shift();
          pending++;
          next.letIn();
        }
        const first = queue[0];
        if (first) nextIn = Math.min(nextIn, overDepth(lane, first.lead, now));
      }
    } finally {
      // Waiters left always have a timer due no later than their lane has room (one per process).
      if (nextIn < Infinity) {
        const at = now + Math.max(1, Math.ceil(nextIn));
        if (at < admitAt) {
          if (admitTimer) clearTimeout(admitTimer);
          admitAt = at;
          admitTimer = setTimeout(onTimer, at - now);
        }
      }
    }
  };
  /** Waits to be let reserve in `lane`; undefined (no ticket) when `stop` is aborted first. */
  const enter = (lane: PacerLane, lead: SlotLead, enteredAt = performance.now(), stop?: AbortSignal): Promise<SlotTicket | undefined> =>
    new Promise<SlotTicket | undefined>((resolve) => {
      if (stop?.aborted) return resolve(undefined);
      const leave = () => {
        const at = waiting[lane].indexOf(waiter);
        if (at >= 0) waiting[lane].splice(at, 1);
        resolve(undefined);
      };
      const waiter = {
        letIn: () => {
          stop?.removeEventListener('abort', leave);
          resolve({ lane, enteredAt, askedAt: performance.now() });
        },
        lead,
      };
      stop?.addEventListener('abort', leave, { once: true });
      waiting[lane].push(waiter);
      // Admits it at once when its lane has room; otherwise (re)sets the timer for the earliest lane.
      admit();
    });
  const waited = (ticket: SlotTicket) => options.onWait?.(ticket.lane, (performance.now() - ticket.enteredAt) / 1000);
  /**
   * What a ticket's reservation came to, once heard: its reply (none when its script reserved
   * none), when the script ran on this clock, and the slot on it when one was reserved.
   */
  interface Heard {
    reservation: SlotReservation | undefined;
    ranAt: number | undefined;
    placed: PlacedSlot | undefined;
  }
  const heard = new WeakMap<SlotTicket, Heard>();
  /** Ends the ticket's reservation in flight, once (heard at its reply, or when its caller waits). */
  const settle = (ticket: SlotTicket, reservation: SlotReservation | undefined): Heard => {
    const known = heard.get(ticket);
    if (known) return known;
    pending--;
    const run = reservation ? slotClock.place(ticket.askedAt, reservation) : undefined;
    const placed = run && reservation && reservation.waitMicros >= 0 ? run : undefined;
    if (placed) horizon = Math.max(horizon, placed.slot);
    const outcome = { reservation, ranAt: run?.ranAt, placed };
    heard.set(ticket, outcome);
    if (waiting.normal.length > 0 || waiting.bulk.length > 0) admit();
    return outcome;
  };
  /**
   * Sleeps until the reserved slot; false when there is none or it was missed, or `stop` was
   * aborted meanwhile. A reservation the script refused (the slots reach too far ahead) waits half
   * that far first; one left undone for a claim (its next slot came sooner than its lead) does not wait.
   */
  const untilSlot = async ({ reservation, placed }: Heard, stop?: AbortSignal): Promise<boolean> => {
    if (!placed) {
      if (reservation?.waitMicros === SLOT_REFUSED) await pause(maxAhead / 2000, stop);
      return false;
    }
    const ready = performance.now();
    // A call goes at its slot as placed, a little after (the estimate can be early by the shortest
    // trip to Redis, more on a busy machine), but never later than the slot can be.
    const fireAt = Math.min(placed.slot + FIRE_GUARD_MS, placed.latest);
    // Shorter waits are not slept: a timer fires a millisecond late at best.
    if (fireAt - ready >= 1) await pause(Math.ceil(fireAt - ready), stop);
    return !stop?.aborted && performance.now() - placed.slot <= maxLate;
  };
  /** Tells a lead how long after its script ran this caller is ready to call. */
  const readyNow = (lead: SlotLead, outcome: Heard) => {
    if (outcome.ranAt !== undefined) lead.noteLag(performance.now() - outcome.ranAt);
  };
  /** Waits for a slot of its own; false (no call may be made) when `stop` is aborted first. */
  const acquire = async (lane: PacerLane = 'bulk', enteredAt = performance.now(), stop?: AbortSignal): Promise<boolean> => {
    for (;;) {
      const ticket = await enter(lane, ownLead, enteredAt, stop);
      if (!ticket) return false;
      let reservation: SlotReservation;
      try {
        const [wait, reservedAt] = (await reserve(options.key, intervalMicros, maxAhead, ownLead.micros())) as unknown[];
        reservation = slotReservation(wait, reservedAt, performance.now());
      } catch (err) {
        settle(ticket, undefined);
        throw err;
      }
      const outcome = settle(ticket, reservation);
      readyNow(ownLead, outcome);
      if (await untilSlot(outcome, stop)) {
        waited(ticket);
        return true;
      }
      if (stop?.aborted) return false;
      // Missed: a caller that hears of its slots later than the busy pacer hands them out would
      // burn one a try. It waits its lead between tries and gets a slot a lead ahead when the
      // pacer has room; a caller that woke late once (lead 0) tries again at once.
      const backoff = ownLead.micros() / 1000;
      if (outcome.placed && backoff >= 1) await pause(backoff, stop);
      if (stop?.aborted) return false;
    }
  };
  return {
    intervalMicros,
    get slotArgs() {
      return { key: options.key, intervalMicros, maxAheadMicros: maxAhead, leadMicros: claimLead.micros() };
    },
    acquire: (lane, stop) => acquire(lane, undefined, stop),
    // Without a signal to stop it, the wait always ends with a ticket (the first overload).
    enter: ((lane: PacerLane, stop?: AbortSignal) => enter(lane, claimLead, undefined, stop)) as CallPacer['enter'],
    heard(ticket, reservation) {
      settle(ticket, reservation);
    },
    async awaitReserved(ticket, reservation, stop) {
      const outcome = settle(ticket, reservation);
      readyNow(claimLead, outcome);
      // None reserved, or too soon for this caller: take one now. Refused: untilSlot waits first.
      if (outcome.reservation && (await untilSlot(outcome, stop))) {
        waited(ticket);
        return true;
      }
      return !stop?.aborted && (await acquire(ticket.lane, ticket.enteredAt, stop));
    },
    release(ticket) {
      settle(ticket, undefined);
    },
  };
}

/** An SmsClient whose every call first waits for its slot. */
export function pacedSmsClient(client: SmsClient, pacer: CallPacer): SmsClient {
  const paced = {} as Record<keyof SmsClient, unknown>;
  for (const name of SMS_CLIENT_METHODS) {
    const method = client[name] as (...args: unknown[]) => Promise<unknown>;
    paced[name] = async (...args: unknown[]) => {
      // Account calls (catalog-lookup.ts): the bulk lane, never ahead of a verification code's slot.
      // Receipt and reconcile look-ups take theirs themselves (workers/lookup-slot.ts).
      await pacer.acquire('bulk');
      return method.apply(client, args);
    };
  }
  return paced as SmsClient;
}
