/**
 * The fix of each refusal commander makes itself (a missing argument, an option without its value,
 * too many arguments, an unknown option or command). commander's line names the fault only
 * (`error: missing required argument 'name'`); every other refusal of smsq ends with what to type
 * instead, and docs/cli.md promises it of every bad flag. Built from what the command declares
 * (its arguments' and options' descriptions), so a new command gets its fixes with its help.
 */
import type { Command, CommanderError, Option } from 'commander';
import { aliyunAnswer, aliyunCommandAnswer } from './aliyun-flags.js';
import { SEND_ID_SHAPE } from '../src/send-id-shape.js';

/** What to do about commander's refusal `err` of `argv` (the arguments after `smsq`), without "Fix: "; undefined for what is no refusal. */
export function fixOfCommanderError(program: Command, argv: readonly string[], err: CommanderError): string | undefined {
  const first = argv[0] ?? '';
  const command = program.commands.find((c) => c.name() === first || c.aliases().includes(first));
  const help = `see smsq ${command === undefined ? '' : `${command.name()} `}--help`;
  const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? '';
  const suggested = /\(Did you mean (.+?)\?/.exec(err.message)?.[1];
  switch (err.code) {
    case 'commander.missingArgument': {
      if (quoted === 'send-id') return "give the send's id, as send, send-batch or campaign printed it (`smsq sends` lists them)";
      const argument = command?.registeredArguments.find((a) => a.name() === quoted);
      if (command === undefined || argument === undefined) return help;
      return `smsq ${command.name()} <${quoted}>, ${argument.description}; ${help}`;
    }
    case 'commander.optionMissingArgument': {
      const option = [...(command?.options ?? []), ...program.options].find((o: Option) => o.flags === quoted);
      return option === undefined ? help : `${quoted}: ${option.description.replace(/^\(required[^)]*\) /, '')} (${help})`;
    }
    case 'commander.excessArguments': {
      // An id typed with a space unquoted is two arguments: say what one id is (commander says only how many it got).
      if (command?.name() === 'status' || command?.name() === 'campaign') return `give one send id: ${SEND_ID_SHAPE}, with no spaces (\`smsq sends\` lists them)`;
      if (command === undefined) return help;
      const args = command.registeredArguments;
      if (args.length === 0) return `smsq ${command.name()} takes no argument: a value goes after its flag (--flag value), and one with spaces in quotes (${help})`;
      const shape = args.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)).join(' ');
      return `smsq ${command.name()} ${shape} takes ${args.length === 1 ? 'one argument' : `${args.length} arguments`}: a value with spaces goes in quotes ("Your Sign") (${help})`;
    }
    case 'commander.unknownOption': {
      const answer = aliyunAnswer(command?.name() ?? '', quoted);
      if (answer !== undefined) return `${answer.fix} (${help})`;
      if (suggested !== undefined) return `${suggested} instead of ${quoted} (${help})`;
      // The program's own flag, given after a command (commander reads it before one only).
      if (command !== undefined && program.options.some((o) => o.long === quoted || o.short === quoted)) {
        return `drop ${quoted}: smsq ${command.name()} has no such flag; smsq ${quoted} alone prints the version (${help})`;
      }
      // A command's flag before the command (`smsq --json signs`): smsq itself has none of them.
      const later = command === undefined ? program.commands.find((c) => argv.includes(c.name())) : undefined;
      const own = later?.options.find((o) => o.long === quoted || o.short === quoted);
      if (later !== undefined && own !== undefined) {
        return `smsq ${later.name()} ${own.flags.replace(/^-\w, /, '')}: a command's flags go after its name (see smsq ${later.name()} --help)`;
      }
      return `drop ${quoted}: smsq ${command === undefined ? '' : `${command.name()} `}has no such flag (${help})`;
    }
    case 'commander.unknownCommand': {
      const answer = aliyunCommandAnswer(program.args, program.commands.map((c) => c.name()));
      if (answer !== undefined) return answer.fix;
      if (suggested === undefined) return 'a command smsq has (smsq --help lists the commands)';
      // commander's "one of send, sends" is names only: each is a command line of its own.
      const names = suggested.replace(/^one of /, '').split(', ');
      return `${names.length > 1 ? 'one of ' : ''}${names.map((n) => `smsq ${n}`).join(', ')} (smsq --help lists the commands)`;
    }
    default:
      return undefined;
  }
}
