/**
 * Every `smsq` command. Adding one: write `cli/commands/<name>.ts` exporting
 * `register(program, ctx)` (see signs.ts) and add it to the list with the command names it
 * registers.
 *
 * Modules are loaded when needed: a run of one command loads that command's module only; help,
 * and a name that is no command, load them all; the version none. A command's module is its
 * definition (name, description, flags, the zod schema of its flags) and imports nothing heavy:
 * what running it needs (the SDK, BullMQ, ioredis, fastify, Bull Board, the file readers) its
 * action loads with `import()` once the flags are parsed, from `<name>-run.ts` where that is most
 * of the command. So help, the version and a refused flag answer without them (docs/benchmarks.md,
 * "Session 22: CLI start-up"); test/integration/cli-module-loading.test.ts checks it. Such a
 * command's flag schema is in `<name>-flags.ts`, which both import: the run's flags are the
 * schema's output, written once, and the run does not import the definition that loads it (a
 * cycle).
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

/** The modules a run with `argv` needs: the named command's, none for the version, or all of them. */
export async function loadCommands(argv: readonly string[]): Promise<CommandModule[]> {
  const first = argv[0];
  // The version is printed as soon as it is read, before any command is looked for.
  if (first === '-V' || first === '--version') return [];
  const named = COMMANDS.find((c) => first !== undefined && c.names.includes(first));
  return Promise.all((named ? [named] : COMMANDS).map((c) => c.load()));
}
