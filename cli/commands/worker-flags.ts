/**
 * The flags of `smsq worker`, apart from worker.ts, which parses them, so that worker-run.ts takes
 * them as the schema gives them (see cli/commands/index.ts).
 */
import { z } from 'zod';
import { intFlag } from '../flags.js';

export const workerFlags = z.object({ concurrency: intFlag(1, 1000, '--concurrency 64').optional() });

export type WorkerFlags = z.output<typeof workerFlags>;
