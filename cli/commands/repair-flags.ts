/**
 * The flags of `smsq repair`, apart from repair.ts, which parses them, so that repair-run.ts takes
 * them as the schema gives them (see cli/commands/index.ts).
 */
import { z } from 'zod';
import { intFlag, switchFlag } from '../flags.js';

export const repairFlags = z.object({
  dryRun: switchFlag,
  json: switchFlag,
  minAgeMs: intFlag(0, 86_400_000, '--min-age-ms 60000').optional(),
});

export type RepairFlags = z.output<typeof repairFlags>;
