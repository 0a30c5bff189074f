/**
 * One rule for every flag that takes a value, in every command: given without its value (the next
 * argument is a flag of the command), it is refused by name; a value that is itself a flag goes after "=".
 */
import { describe, expect, it } from 'vitest';
import { flagWithoutValue, looksLikeFlag } from '../../cli/flag-values.js';
import { CliContext, createProgram } from '../../cli/program.js';
import { collector } from '../support/text-collector.js';

async function program() {
  const deps = { stdout: collector(), stderr: collector() };
  // No argv: every command's module is loaded.
  return createProgram(deps, new CliContext(deps), []);
}

describe('flagWithoutValue', () => {
  it('refuses every value-taking option of every command followed by a flag, naming both', async () => {
    const p = await program();
    let checked = 0;
    for (const command of p.commands) {
      for (const option of command.options.filter((o) => o.required)) {
        const name = option.long as string;
        const refusal = flagWithoutValue(p, [command.name(), name, '--help']);
        expect(refusal?.message, `${command.name()} ${name}`).toMatch(new RegExp(`^${name} needs a value \\(got the flag --help\\)\\. Fix: ${name} <[^>]+> \\(a value that is itself a flag goes as ${name}=<[^>]+>\\)$`));
        expect(refusal?.code).toBe('SMSQ_BAD_FLAG');
        checked++;
      }
    }
    // send, campaign, stats, details, ...: the rule is not a list of flags.
    expect(checked).toBeGreaterThan(40);
  });

  it('takes a value after "=", a negative number, "-" and any value after a flag that takes one', async () => {
    const p = await program();
    expect(flagWithoutValue(p, ['send', '--phones', '13800138000', '--sign', 'S'])).toBeUndefined();
    expect(flagWithoutValue(p, ['send', '--idempotency-key=-retry-1', '--sign', 'S'])).toBeUndefined();
    expect(flagWithoutValue(p, ['signs', '--page', '-5', '--json'])).toBeUndefined();
    expect(flagWithoutValue(p, ['send-batch', '--file', '-', '--json'])).toBeUndefined();
    // A value that merely starts with "-" is not a flag of the command: a base64url idempotency key starts with one in 64 times.
    expect(flagWithoutValue(p, ['send', '--idempotency-key', '-Xk3_9a', '--sign', 'S'])).toBeUndefined();
    expect(flagWithoutValue(p, ['campaign', '--name', '-sale-', '--sign', 'S'])).toBeUndefined();
    expect(flagWithoutValue(p, ['send', '--idempotency-key', '--sign=S'])?.message).toMatch(/^--idempotency-key needs a value \(got the flag --sign=S\)/);
    expect(flagWithoutValue(p, ['send', '--idempotency-key', '--help'])?.message).toMatch(/^--idempotency-key needs a value \(got the flag --help\)/);
    // A value is not read as a flag that takes one: `--name --sign` is refused for --name only.
    expect(flagWithoutValue(p, ['campaign', '--name', '--sign', 'S'])?.message).toMatch(/^--name needs a value \(got the flag --sign\)/);
    expect(flagWithoutValue(p, ['campaign', '--sign', '--file', 'x.csv'])?.message).toMatch(/^--sign needs a value \(got the flag --file\)/);
    expect(flagWithoutValue(p, ['campaign', '--name', 'A', '--sign', '--file'])?.message).toMatch(/^--sign needs a value \(got the flag --file\)/);
    // After `--` nothing is a flag; the last flag with no value at all is commander's to say.
    expect(flagWithoutValue(p, ['campaign', '--', '--file', '--sign'])).toBeUndefined();
    expect(flagWithoutValue(p, ['send', '--phones'])).toBeUndefined();
    // A switch takes no value; an unknown command checks nothing of its own.
    expect(flagWithoutValue(p, ['send', '--yes', '--dry-run'])).toBeUndefined();
    expect(flagWithoutValue(p, ['nope', '--file', '--sign'])).toBeUndefined();
  });

  it('reads flags as commander does: a negative number and "-" are values', () => {
    expect(['--sign', '-h', '--', '--x=1'].map(looksLikeFlag)).toEqual([true, true, true, true]);
    expect(['-5', '-0.5', '-1e3', '-', 'x', ''].map(looksLikeFlag)).toEqual([false, false, false, false, false, false]);
  });
});
