/**
 * Every `smsq` command. Adding one: write `cli/commands/<name>.ts` exporting
 * `register(program, ctx)` (see signs.ts) and add it to the list with the command names it
 * registers.
 *
 * Modules are loaded when needed: a run of one command loads that command's module only (its
 * dependencies: the SDK, fastify, Bull Board, the worker are heavy; docs/benchmarks.md, "Figures
 * behind the code"); help, and a name that is no command, load them all.
 */
import type { CommandModule } from '../context.js';

export interface CommandEntry {
  /** The command names the module registers. */
  names: readonly string[];
  load(): Promise<CommandModule>;
  /**
   * Runs until SIGTERM/SIGINT (`deps.waitForShutdown`): the executable listens for those signals
   * before the module loads, so one that comes while it starts is the command's to answer.
   */
  untilStopped?: true;
}

export const COMMANDS: readonly CommandEntry[] = [
  // Sending and following sends.
  { names: ['send'], load: () => import('./send.js') },
  { names: ['send-batch'], load: () => import('./send-batch.js') },
  { names: ['campaign'], load: () => import('./campaign.js') },
  { names: ['status'], load: () => import('./status.js') },
  { names: ['sends'], load: () => import('./sends.js') },
  // Running smsq.
  { names: ['sandbox'], untilStopped: true, load: () => import('./sandbox.js') },
  { names: ['worker'], load: () => import('./worker.js'), untilStopped: true },
  { names: ['resume'], load: () => import('./resume.js') },
  { names: ['repair'], load: () => import('./repair.js') },
  { names: ['server'], load: () => import('./server.js'), untilStopped: true },
  { names: ['emulator'], load: () => import('./emulator.js'), untilStopped: true },
  // The account: signatures, templates, details, statistics, qualifications.
  { names: ['signs', 'sign'], load: () => import('./signs.js') },
  { names: ['templates', 'template'], load: () => import('./templates.js') },
  { names: ['details'], load: () => import('./details.js') },
  { names: ['stats'], load: () => import('./stats.js') },
  { names: ['qualifications', 'qualification'], load: () => import('./qualifications.js') },
];

/** True when `argv` runs a command that runs until it is told to stop (`smsq worker`, `server`, `emulator`). */
export function runsUntilStopped(argv: readonly string[]): boolean {
  const first = argv[0];
  return COMMANDS.some((c) => c.untilStopped === true && first !== undefined && c.names.includes(first));
}

/** The modules a run with `argv` needs: the named command's, or all of them. */
export async function loadCommands(argv: readonly string[]): Promise<CommandModule[]> {
  const first = argv[0];
  const named = COMMANDS.find((c) => first !== undefined && c.names.includes(first));
  return Promise.all((named ? [named] : COMMANDS).map((c) => c.load()));
}
