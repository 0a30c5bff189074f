/**
 * A line said once per key per quiet period, the rest counted: what keeps a failure met again and
 * again (an emitter's error, every request Redis refuses) to one log line a minute that says how
 * many it stands for, instead of a line each.
 */
import { systemClock, type Clock } from './clock.js';

export interface QuietLinesOptions {
  clock?: Clock;
  /** A key's line is said at most once this often (ms). Default 60000. */
  quietMs?: number;
}

export interface QuietLines {
  /**
   * Whether the line keyed `key` is said now: undefined when it is held back (and counted), else
   * how many were held back under `key` since its last line (0 for its first).
   */
  say(key: string): number | undefined;
}

/** Keys remembered at most: keys with ids in them (a message naming a job) must not grow it for ever. */
const MAX_KEYS = 1000;

export function createQuietLines(options: QuietLinesOptions = {}): QuietLines {
  const clock = options.clock ?? systemClock;
  const quietMs = options.quietMs ?? 60_000;
  /** Per key: when its line was last said, and how many were held back since. */
  const seen = new Map<string, { saidAt: number; heldBack: number }>();
  return {
    say(key) {
      const now = clock.now();
      const entry = seen.get(key);
      if (entry && now - entry.saidAt < quietMs) {
        entry.heldBack++;
        return undefined;
      }
      if (seen.size > MAX_KEYS) seen.clear();
      seen.set(key, { saidAt: now, heldBack: 0 });
      return entry?.heldBack ?? 0;
    },
  };
}
