/**
 * Every `smsq` command. Adding one: write `src/cli/commands/<name>.ts` exporting
 * `register(program, ctx)` (see signs.ts), import it here and add it to the list.
 */
import type { CommandModule } from '../context.js';
import * as details from './details.js';
import * as emulator from './emulator.js';
import * as qualifications from './qualifications.js';
import * as signs from './signs.js';
import * as stats from './stats.js';
import * as templates from './templates.js';

export const COMMANDS: readonly CommandModule[] = [signs, templates, details, stats, qualifications, emulator];
