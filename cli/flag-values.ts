/**
 * A flag that takes a value, given without one, is refused by name. commander takes the next
 * argument as the value whatever it is, so `smsq send --phones --sign X` sent `--sign` as the
 * numbers and X as an argument ("too many arguments for 'send'"), and `campaign --file --sign X`
 * read X as its ACTION: the error named another flag than the one missing its value.
 *
 * Only a flag of the command (or the program), exactly as written or as `--flag=value`, `--help`
 * or `--` counts as a missing value: any other word that starts with "-" is the value it looks like
 * (an idempotency key in base64url starts with "-" one time in 64, a name may be "-sale-"), as
 * commander has always taken it. A value that is one of those flags goes after "="
 * (`--name=--json`).
 */
import type { Command, Option } from 'commander';
import { UsageError } from './errors.js';

/** commander's own test for a negative number, which it never reads as a flag. */
const NEGATIVE_NUMBER = /^-(\d+|\d*\.\d+)(e[+-]?\d+)?$/;

/** Whether commander would read `arg` as a flag (or the `--` that ends them) were it not taken as a value. */
export function looksLikeFlag(arg: string): boolean {
  return arg.length > 1 && arg.startsWith('-') && !NEGATIVE_NUMBER.test(arg);
}

/** Every flag name `command` and the program know, value or not, with commander's help flags. */
function knownFlags(program: Command, command: Command | undefined): Set<string> {
  const names = new Set(['--help', '-h', '--']);
  for (const c of command === undefined ? [program] : [program, command]) {
    for (const option of c.options) {
      if (option.long !== undefined) names.add(option.long);
      if (option.short !== undefined) names.add(option.short);
    }
  }
  return names;
}

/** Whether `arg` is one of `flags`, as written or as `--flag=value`. */
function isKnownFlag(arg: string, flags: ReadonlySet<string>): boolean {
  return flags.has(arg) || (arg.startsWith('--') && arg.includes('=') && flags.has(arg.slice(0, arg.indexOf('='))));
}

/** The options of `command` (and the program's) that take a value, by each of their names. */
function valueOptions(program: Command, command: Command | undefined): Map<string, Option> {
  const byName = new Map<string, Option>();
  for (const c of command === undefined ? [program] : [program, command]) {
    for (const option of c.options) {
      // An optional value ([value]) is not taken from a flag: commander leaves it alone.
      if (!option.required) continue;
      if (option.long !== undefined) byName.set(option.long, option);
      if (option.short !== undefined) byName.set(option.short, option);
    }
  }
  return byName;
}

/**
 * The refusal of the first flag in `argv` (the arguments after the program's name) that takes a
 * value and is followed by a flag instead of one; undefined when there is none. The command is
 * `argv`'s first argument, as `smsq` reads it; options after `--` are not options.
 */
export function flagWithoutValue(program: Command, argv: readonly string[]): UsageError | undefined {
  const first = argv[0];
  const command = program.commands.find((c) => c.name() === first || c.aliases().includes(first ?? ''));
  const options = valueOptions(program, command);
  const flags = knownFlags(program, command);
  for (let i = command === undefined ? 0 : 1; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return undefined;
    const option = options.get(arg);
    if (option === undefined) continue;
    const next = argv[i + 1];
    // The last flag without its value is commander's to refuse ("argument missing").
    if (next !== undefined && looksLikeFlag(next) && isKnownFlag(next, flags)) {
      const value = option.flags.slice(option.flags.lastIndexOf(' ') + 1);
      return new UsageError(`${arg} needs a value (got the flag ${next}). Fix: ${arg} ${value} (a value that is itself a flag goes as ${arg}=${value})`);
    }
    i++; // the value, whatever it says
  }
  return undefined;
}
