import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALIYUN_COMMANDS, ALIYUN_FLAGS, aliyunAnswer, aliyunSuggestion } from '../../cli/aliyun-flags.js';
import { createProgram } from '../../cli/program.js';
import { CliContext } from '../../cli/context.js';

async function program() {
  const deps = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} };
  return createProgram(deps, new CliContext(deps), []);
}

/** The aliyun CLI's flags docs/aliyun-cli.md names: its table's first column and its "Not offered" list. */
function documentedAliyunFlags(): Set<string> {
  const doc = readFileSync(new URL('../../docs/aliyun-cli.md', import.meta.url), 'utf8');
  const aliyunColumn = doc
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| aliyun') && !line.startsWith('|---'))
    .map((line) => line.split(' | ')[0]!);
  const notOffered = doc.slice(doc.indexOf('## Not offered')).match(/^- \*\*`[^`]+`\*\*/gm) ?? [];
  const flags = [...aliyunColumn, ...notOffered].flatMap((text) => [...text.matchAll(/`[^`]*`/g)].flatMap((code) => code[0].match(/--[a-z][a-z-]*/g) ?? []));
  return new Set(flags);
}

describe('aliyun CLI flag names', () => {
  it('each names a command smsq has, a flag it does not have, and a flag (or the argument) it takes instead, or a setting, or why none', async () => {
    const cli = await program();
    for (const [name, flags] of Object.entries(ALIYUN_FLAGS)) {
      const command = cli.commands.find((c) => c.name() === name);
      expect(command, name).toBeDefined();
      const own = new Set(command!.options.flatMap((o) => [o.long, o.short]));
      for (const [aliyun, equivalent] of Object.entries(flags)) {
        expect(own.has(aliyun), `${name} ${aliyun}`).toBe(false);
        if ('setting' in equivalent) expect(equivalent.setting, `${name} ${aliyun}`).toMatch(/^(SMS|ALIBABA_CLOUD)_[A-Z_]+$/);
        else if ('drop' in equivalent) expect(equivalent.drop, `${name} ${aliyun}`).toMatch(/^not (needed|offered): /);
        else if (equivalent.use.startsWith('smsq ')) expect(equivalent.use, `${name} ${aliyun}`).toMatch(new RegExp(`^smsq ${name} <${command!.registeredArguments[0]?.name()}>$`));
        else expect(own.has(equivalent.use), `${name} ${aliyun} → ${equivalent.use}`).toBe(true);
      }
    }
  });

  it('every aliyun flag docs/aliyun-cli.md maps is a flag smsq has, or gets an answer (--read-timeout, --region, --verify, --out-id ... got a bare "unknown option")', async () => {
    const cli = await program();
    const smsqFlags = new Set(cli.commands.flatMap((c) => c.options.map((o) => o.long)));
    const answered = new Set(Object.values(ALIYUN_FLAGS).flatMap((flags) => Object.keys(flags)));
    const documented = documentedAliyunFlags();
    expect(documented).toContain('--read-timeout');
    expect(documented).toContain('--out-id');
    for (const flag of documented) expect(smsqFlags.has(flag) || answered.has(flag), flag).toBe(true);
  });

  it("each aliyun action and wrapper command names a command smsq has, and docs/aliyun-cli.md's table names it", async () => {
    const cli = await program();
    const doc = readFileSync(new URL('../../docs/aliyun-cli.md', import.meta.url), 'utf8');
    const firstColumn = doc
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => line.split(' | ')[0]!)
      .join(' ');
    for (const [name, { smsq }] of Object.entries(ALIYUN_COMMANDS)) {
      expect(cli.commands.some((c) => c.name() === smsq), `${name} → ${smsq}`).toBe(true);
      expect(cli.commands.some((c) => c.name() === name), name).toBe(false);
      expect(firstColumn, name).toMatch(new RegExp(`\`(send_sms\\.sh )?${name}[\` ]`));
    }
  });

  it('the flags of every aliyun call are answered on every command that stands for an aliyun action', () => {
    for (const [name, flags] of Object.entries(ALIYUN_FLAGS)) {
      if (name === 'sends') continue; // not an aliyun action
      for (const flag of ['--read-timeout', '--connect-timeout', '--profile', '--region', '--endpoint', '--api-version', '--user-agent']) expect(flags[flag], `${name} ${flag}`).toBeDefined();
    }
  });

  it('says which flag smsq takes, and nothing for a name it does not know', () => {
    expect(aliyunSuggestion('send', '--sign-name')).toBe("(Did you mean --sign? It is smsq's name for the aliyun CLI's --sign-name.)");
    expect(aliyunSuggestion('sign', '--sign-name')).toBe("(Did you mean smsq sign <name>? smsq takes what the aliyun CLI's --sign-name gives as an argument.)");
    expect(aliyunSuggestion('send', '--sign-nme')).toBeUndefined();
    expect(aliyunSuggestion('stats', '--sign-name')).toBeUndefined();
  });

  it('a setting is named with what to do, and a flag smsq needs nothing for is dropped', () => {
    expect(aliyunAnswer('signs', '--read-timeout')).toEqual({ line: expect.stringMatching(/^\(--read-timeout: smsq takes SMS_READ_TIMEOUT_MS from the environment instead, in milliseconds/), fix: 'drop --read-timeout and set SMS_READ_TIMEOUT_MS in the environment' });
    expect(aliyunAnswer('details', '--region')).toEqual({ line: '(--region: not needed: Dysmsapi has one endpoint, dysmsapi.aliyuncs.com, and SMS_ENDPOINT overrides it.)', fix: 'drop --region' });
    expect(aliyunAnswer('sends', '--region')).toBeUndefined();
  });
});
