/**
 * How far ahead of now the call pacer lets `bulk` callers (marketing, look-ups) hold slots. Deep
 * enough that the slot queue does not run dry while a reservation travels to Redis and back (a
 * dry queue is a slot nobody calls in: the account's rate lost), and no deeper, because a
 * verification code reserves behind all of it. The right depth is a few reservation round trips:
 * ~1 ms on a quiet Redis, tens of ms while an `appendfsync always` Redis waits on a busy disk.
 *
 * The gauge holds the slowest recent round trip, halving its hold every `halfLifeMs` without a
 * slower one (a spike raises the depth at once, and it eases back in seconds), and answers
 * `factor` × that, within [floorMs, ceilingMs]. It starts at the ceiling, the fixed depth of
 * earlier versions, and comes down as round trips are observed. Times are the caller's clock (ms).
 */
export interface LaneDepthGauge {
  /** A reservation came back `roundTripMs` after its caller was let reserve. */
  observe(roundTripMs: number, nowMs: number): void;
  /** The depth to keep now (ms). */
  depthMs(nowMs: number): number;
}

export interface LaneDepthOptions {
  floorMs: number;
  ceilingMs: number;
  /** Depth per held round trip. */
  factor: number;
  halfLifeMs: number;
}

export const DEFAULT_BULK_DEPTH: Readonly<LaneDepthOptions> = Object.freeze({ floorMs: 4, ceilingMs: 20, factor: 2, halfLifeMs: 1000 });

export function createLaneDepthGauge(options: LaneDepthOptions = DEFAULT_BULK_DEPTH): LaneDepthGauge {
  let held = options.ceilingMs / options.factor;
  let heldAt: number | undefined;
  const decayed = (nowMs: number) => (heldAt === undefined ? held : held * 2 ** (-Math.max(0, nowMs - heldAt) / options.halfLifeMs));
  return {
    observe(roundTripMs, nowMs) {
      if (heldAt === undefined || roundTripMs >= decayed(nowMs)) {
        held = heldAt === undefined ? Math.max(roundTripMs, held) : roundTripMs;
        heldAt = nowMs;
      }
    },
    depthMs(nowMs) {
      return Math.min(options.ceilingMs, Math.max(options.floorMs, options.factor * decayed(nowMs)));
    },
  };
}
