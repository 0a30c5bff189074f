/**
 * The flags of `smsq server`, apart from server.ts, which parses them, so that server-run.ts takes
 * them as the schema gives them (see cli/commands/index.ts).
 */
import { z } from 'zod';
import { hostFlag, intFlag, switchFlag } from '../flags.js';

export const serverFlags = z.object({
  port: intFlag(0, 65_535, '--port 8080 (0 picks a free port)').optional(),
  host: hostFlag('--host 127.0.0.1 (or 0.0.0.0 inside a container)').optional(),
  insecure: switchFlag,
  json: switchFlag,
});

export type ServerFlags = z.output<typeof serverFlags>;
