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
