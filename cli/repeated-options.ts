/**
 * An option given twice is refused. commander keeps the last value of a repeated option, so
 * `--phones A --phones B` sent to B alone and `--sign A --sign B` went as B, without a word.
 */
import { InvalidArgumentError, type Command } from 'commander';

/** Makes every option of `program` and its commands that takes a value refuse a second one. */
export function refuseRepeatedOptions(program: Command): void {
  for (const command of [program, ...program.commands]) {
    for (const option of command.options) {
      // A switch given twice is still on; an option with a parser of its own keeps it.
      if ((!option.required && !option.optional) || option.parseArg) continue;
      const name = option.long ?? option.short ?? option.flags;
      option.argParser((value: string, previous: unknown) => {
        if (previous !== undefined && previous !== option.defaultValue) {
          const hint = name === '--phones' ? ' (numbers go comma-separated in one: --phones A,B)' : '';
          throw new InvalidArgumentError(`${name} is given twice ("${String(previous)}", then "${value}"); nothing was done. Fix: give ${name} once${hint}`);
        }
        return value;
      });
    }
  }
}
