/**
 * The flags of `smsq sandbox`, apart from sandbox.ts, which parses them, so that sandbox-run.ts takes
 * them as the schema gives them (see cli/commands/index.ts).
 */
import { z } from 'zod';
import { intFlag, switchFlag } from '../flags.js';

export const sandboxFlags = z.object({
  recipients: intFlag(1, 1_000_000, '--recipients 2000').optional().default(2000),
  json: switchFlag,
});

export type SandboxFlags = z.output<typeof sandboxFlags>;
