/** One thing that keeps a durability mode from holding on a Redis, with its fix (mode.ts, promotion.ts). */
export interface DurabilityProblem {
  /** `refuse`: the mode cannot be kept, smsq does not start. `warn`: it starts and says so loudly. */
  severity: 'refuse' | 'warn';
  what: string;
  fix: string;
}
