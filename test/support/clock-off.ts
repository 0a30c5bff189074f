import type { Clock } from '../../src/clock.js';

/**
 * This host's clock moved by `offsetMs`: a process whose clock is off the workers' and Redis's
 * (the suite's Redis runs on this host, and the workers in these tests on its clock).
 */
export function clockOff(offsetMs: number): Clock {
  return { now: () => Date.now() + offsetMs };
}
