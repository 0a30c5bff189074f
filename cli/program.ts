/**
 * Builds the `smsq` command line. Everything outside (writers, environment, signals) comes in as
 * {@link CliDeps}, so tests run it in-process; `main.ts` is the only part that touches `process`.
 */
import { Command, CommanderError } from 'commander';
import { loadCommands } from './commands/index.js';
import { refuseRepeatedOptions } from './repeated-options.js';
import { flagWithoutValue } from './flag-values.js';
import { suggestForAliyunFlags } from './aliyun-flags.js';
import { fixOfCommanderError } from './usage-fixes.js';
import { CliContext, type CliDeps } from './context.js';
import { jsonLayoutOf } from './json-layout.js';
import { readVersion } from './version.js';
import { EXIT } from '../src/errors.js';
import { EXIT_OK, EXIT_USAGE } from './errors.js';

export type { CliDeps, CommandModule, Writer } from './context.js';
export { CliContext } from './context.js';

/** The exit codes, the same for every command (the one list is src/errors.ts). */
export const EXIT_CODES_HELP = `
Exit codes (every command):
  ${EXIT.ok}    done
  ${EXIT.refused}    refused: bad input, flags or environment; nothing was sent or enqueued (fix and run again)
  ${EXIT.dependency}    a dependency failed: Dysmsapi, Redis or the network (running again later may succeed)
  ${EXIT.waitStopped}    --wait stopped before the send was through (its --timeout, or Redis gone longer than SMSQ_REDIS_CONNECT_TIMEOUT_MS meanwhile): the send is enqueued and goes on; do not send it again (smsq status SEND_ID)
  ${EXIT.interrupted}  interrupted by Ctrl-C (${EXIT.terminated}: SIGTERM); a send already enqueued goes on, and its id is printed
       (worker, server and emulator stop gracefully instead: 0; a second signal ends them at once: 130/143)
  ${EXIT.internal}    unexpected internal error (a bug; please report it)
`;

/**
 * The `smsq` program with the commands `argv` needs registered (see {@link loadCommands}).
 * Commander never exits the process: its errors surface as {@link CommanderError} from
 * `parseAsync` (see {@link runCli}).
 */
export async function createProgram(deps: CliDeps, context: CliContext, argv: readonly string[]): Promise<Command> {
  const program = new Command('smsq')
    .description('SMS through Alibaba Cloud Dysmsapi from a BullMQ queue.')
    .addHelpText('after', EXIT_CODES_HELP)
    .version(readVersion(), '-V, --version')
    // The program's options (--version) before its command only: after one, commander took
    // `smsq status ID --version` as smsq's and printed the version, the command not run.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => deps.stdout.write(s),
      writeErr: (s) => deps.stderr.write(s),
    })
    .showSuggestionAfterError(true)
    .helpCommand(true);
  for (const command of await loadCommands(argv)) command.register(program, context);
  refuseRepeatedOptions(program);
  suggestForAliyunFlags(program);
  return program;
}

/**
 * `smsq help NAME` where NAME is no command, as `smsq NAME`: commander's own "unknown command"
 * with its nearest command (commander printed the whole help instead, and the exit said refused
 * without saying what). Undefined for any other `argv`.
 */
function helpOfNoCommand(program: Command, argv: readonly string[]): string[] | undefined {
  const [first, name] = argv;
  if (first !== 'help' || name === undefined || name.startsWith('-')) return undefined;
  return program.commands.some((c) => c.name() === name || c.aliases().includes(name)) ? undefined : argv.slice(1);
}

/**
 * Runs `smsq` with `argv` (the arguments after the program name) and resolves with the exit code:
 * see {@link EXIT_CODES_HELP}.
 */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const context = new CliContext(deps);
  const program = await createProgram(deps, context, argv);
  // Refusals before a command's action runs are laid out as its output would be.
  context.jsonLayout = jsonLayoutOf({ watch: argv.includes('--watch') });
  // Before commander, which takes the next argument as a missing value and then errs about another.
  const missingValue = flagWithoutValue(program, argv);
  if (missingValue !== undefined) return context.report(missingValue, argv.includes('--json'));
  try {
    await program.parseAsync(helpOfNoCommand(program, argv) ?? [...argv], { from: 'user' });
    return context.exitCode;
  } catch (err) {
    if (!(err instanceof CommanderError)) return context.report(err, argv.includes('--json'));
    // --help, `help [command]` and --version end "successfully" (`smsq` alone is help with exit 1:
    // refused); commander's own usage errors are bad flags.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || (err.code === 'commander.help' && err.exitCode === 0)) return EXIT_OK;
    // commander has printed its line (and its suggestion); the fix goes under it.
    const fix = fixOfCommanderError(program, argv, err);
    if (fix !== undefined) deps.stderr.write(`Fix: ${fix}\n`);
    if (argv.includes('--json')) {
      // commander's message is its line, then "(Did you mean --phones?)" on the next: the line is
      // the meaning, the suggestion part of what to do, with the fix.
      const [meaning = '', ...rest] = err.message.replace(/^error: /, '').split('\n');
      const suggestion = rest.join(' ').trim().replace(/^\((.*)\)$/, '$1');
      const action = [suggestion, fix === undefined ? '' : `Fix: ${fix}`].filter((part) => part !== '').join(' ');
      context.printJson({ error: { code: 'SMSQ_BAD_FLAG', errorClass: 'usage', meaning, action } });
    }
    return EXIT_USAGE;
  }
}
