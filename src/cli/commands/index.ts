/**
 * Every `smsq` command. Adding one: write `src/cli/commands/<name>.ts` exporting
 * `register(program, ctx)` (see signs.ts), import it here and add it to the list.
 */
import type { CommandModule } from '../context.js';
import * as campaign from './campaign.js';
import * as details from './details.js';
import * as emulator from './emulator.js';
import * as qualifications from './qualifications.js';
import * as resume from './resume.js';
import * as sandbox from './sandbox.js';
import * as send from './send.js';
import * as sendBatch from './send-batch.js';
import * as server from './server.js';
import * as signs from './signs.js';
import * as stats from './stats.js';
import * as status from './status.js';
import * as templates from './templates.js';
import * as worker from './worker.js';

export const COMMANDS: readonly CommandModule[] = [
  // Sending and following sends.
  send,
  sendBatch,
  campaign,
  status,
  // Running smsq.
  sandbox,
  worker,
  resume,
  server,
  emulator,
  // The account: signatures, templates, details, statistics, qualifications.
  signs,
  templates,
  details,
  stats,
  qualifications,
];
