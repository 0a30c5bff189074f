/**
 * The command reference of docs/cli.md, drawn from the commander program itself (every command's
 * name, description, arguments and options as `smsq --help` shows them).
 */
import type { Command, Option } from 'commander';
import { createProgram } from '../../cli/program.js';
import { CliContext, type CliDeps } from '../../cli/context.js';
import { code, markdownTable } from './markdown.js';

/** The whole program, every command registered; nothing is run. */
async function loadProgram(): Promise<Command> {
  const discard = { write: () => true };
  const deps: CliDeps = { stdout: discard, stderr: discard, env: {} };
  return createProgram(deps, new CliContext(deps), []);
}

const visible = (cmd: Command) => cmd.options.filter((o: Option) => !o.hidden);

/** `smsq campaign pause`, ... for a subcommand. */
function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function renderCommand(cmd: Command): string {
  const parts = [`### ${code(fullName(cmd))}`, '', cmd.description(), '', '```', `${fullName(cmd)} ${cmd.usage()}`, '```'];
  const args = cmd.registeredArguments;
  if (args.length > 0) {
    parts.push('', markdownTable(['Argument', 'Meaning'], args.map((a) => [code(a.required ? `<${a.name()}>` : `[${a.name()}]`), a.description])));
  }
  const options = visible(cmd);
  if (options.length > 0) {
    // Most flags say their default in words (it often comes from the environment); commander's own defaults get a column.
    const withDefaults = options.some((o) => o.defaultValue !== undefined);
    const rows = options.map((o) => [code(o.flags), o.description, ...(withDefaults ? [o.defaultValue === undefined ? '' : code(String(o.defaultValue))] : [])]);
    parts.push('', markdownTable(['Option', 'Meaning', ...(withDefaults ? ['Default'] : [])], rows));
  }
  for (const sub of cmd.commands) parts.push('', renderCommand(sub));
  return parts.join('\n');
}

/** A table of every command, then one section per command with its usage, arguments and options. */
export async function renderCliReference(): Promise<string> {
  const program = await loadProgram();
  const commands = program.commands.filter((c) => c.name() !== 'help');
  const index = markdownTable(
    ['Command', 'Does'],
    commands.map((c) => [`[${code(`smsq ${c.name()}`)}](#${anchorOf(`smsq ${c.name()}`)})`, c.description()]),
  );
  return [index, ...commands.map(renderCommand)].join('\n\n');
}

/** GitHub's anchor for a heading that is one code span. */
function anchorOf(heading: string): string {
  return heading.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
}
