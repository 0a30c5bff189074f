/**
 * An option given twice is refused. commander keeps the last value of a repeated option, so
 * `--phones A --phones B` sent to B alone and `--sign A --sign B` went as B, without a word.
 */
import type { Command } from 'commander';
import { quoteForError } from '../src/sms/phone-list.js';
import { UsageError } from './errors.js';
import { PHONE_FLAGS } from './flags.js';

/** Makes every option of `program` and its commands that takes a value refuse a second one. */
export function refuseRepeatedOptions(program: Command): void {
  for (const command of [program, ...program.commands]) {
    for (const option of command.options) {
      // A switch given twice is still on; an option with a parser of its own keeps it.
      if ((!option.required && !option.optional) || option.parseArg) continue;
      const name = option.long ?? option.short ?? option.flags;
      option.argParser((value: string, previous: unknown) => {
        if (previous !== undefined && previous !== option.defaultValue) {
          // A UsageError, not commander's own: commander quotes the value unmasked in its prefix.
          // Only numbers are masked: `--start "202****1201"` hid the very dates to choose between.
          const phones = PHONE_FLAGS.has(option.attributeName());
          const quote = (v: unknown) => quoteForError(String(v), { phones });
          const hint = name === '--phones' ? ' (numbers go comma-separated in one: --phones A,B)' : '';
          throw new UsageError(`${name} is given twice (${quote(previous)}, then ${quote(value)}); nothing was done. Fix: give ${name} once${hint}`);
        }
        return value;
      });
    }
  }
}
