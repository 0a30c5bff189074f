import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, loadCommands } from '../../cli/commands/index.js';
import { CliContext } from '../../cli/context.js';

const names = (modules: Awaited<ReturnType<typeof loadCommands>>) => {
  const program = new Command('smsq');
  const ctx = new CliContext({ stdout: { write: () => true }, stderr: { write: () => true }, env: {} });
  for (const m of modules) m.register(program, ctx);
  return program.commands.map((c) => c.name()).sort();
};

describe('command loading', () => {
  it('each entry registers exactly the names it lists', async () => {
    for (const entry of COMMANDS) expect(names([await entry.load()])).toEqual([...entry.names].sort());
  });

  it('a run of one command loads that module only; help and unknown names load them all', async () => {
    expect(names(await loadCommands(['template', 'SMS_1']))).toEqual(['template', 'templates']);
    expect(names(await loadCommands(['status', 'x', '--watch']))).toEqual(['status']);
    const all = COMMANDS.flatMap((c) => c.names).sort();
    expect(names(await loadCommands([]))).toEqual(all);
    expect(names(await loadCommands(['--help']))).toEqual(all);
    expect(names(await loadCommands(['stauts']))).toEqual(all);
  });
});
