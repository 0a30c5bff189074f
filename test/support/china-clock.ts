import type { Clock } from '../../src/clock.js';

/** A clock that real time moves, set to a chosen China-time instant and movable by tests. */
export function controllableClock(cstIso: string): Clock & { jumpTo(cstIso: string): void } {
  let offset = Date.parse(`${cstIso}+08:00`) - Date.now();
  return {
    now: () => Date.now() + offset,
    jumpTo: (iso) => {
      offset = Date.parse(`${iso}+08:00`) - Date.now();
    },
  };
}

/**
 * A clock running with the system's, set so that now is `afterMs` past the next midnight in China
 * (UTC+8): a send then falls on a new CST day, within the look-ups' midnight margin.
 */
export function justAfterMidnightInChina(afterMs: number): Clock {
  const CST = 8 * 3600_000;
  const DAY = 24 * 3600_000;
  const start = Date.now();
  const offset = Math.ceil((start + CST) / DAY) * DAY - CST + afterMs - start;
  return { now: () => Date.now() + offset };
}
