import { describe, expect, it } from 'vitest';
import { ALIYUN_FLAGS, aliyunSuggestion } from '../../cli/aliyun-flags.js';
import { createProgram } from '../../cli/program.js';
import { CliContext } from '../../cli/context.js';

describe('aliyun CLI flag names', () => {
  it('each names a command smsq has, a flag it does not have, and a flag (or the argument) it takes instead', async () => {
    const deps = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} };
    const program = await createProgram(deps, new CliContext(deps), []);
    for (const [name, flags] of Object.entries(ALIYUN_FLAGS)) {
      const command = program.commands.find((c) => c.name() === name);
      expect(command, name).toBeDefined();
      const own = new Set(command!.options.map((o) => o.long));
      for (const [aliyun, { use }] of Object.entries(flags)) {
        expect(own.has(aliyun), `${name} ${aliyun}`).toBe(false);
        if (use.startsWith('smsq ')) expect(use, `${name} ${aliyun}`).toMatch(new RegExp(`^smsq ${name} <${command!.registeredArguments[0]?.name()}>$`));
        else expect(own.has(use), `${name} ${aliyun} → ${use}`).toBe(true);
      }
    }
  });

  it('says which flag smsq takes, and nothing for a name it does not know', () => {
    expect(aliyunSuggestion('send', '--sign-name')).toBe("(Did you mean --sign? It is smsq's name for the aliyun CLI's --sign-name.)");
    expect(aliyunSuggestion('sign', '--sign-name')).toBe("(Did you mean smsq sign <name>? smsq takes what the aliyun CLI's --sign-name gives as an argument.)");
    expect(aliyunSuggestion('send', '--sign-nme')).toBeUndefined();
    expect(aliyunSuggestion('stats', '--sign-name')).toBeUndefined();
  });
});
