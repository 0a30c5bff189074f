/**
 * Runs one docs example (docs/development.md, "Every example runs"): a `console` transcript checked
 * against its output, an `sh` script that must succeed, a `ts` program that must exit 0.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTranscript, type DocBlock } from './extract.js';
import { runnableCommand, type ExampleEnvironment } from './example-environment.js';
import { startFixtures, stopAfterSeconds, stopFixtures } from './fixtures.js';
import { outputMatches, printedLines, sendIdPairs } from './output-match.js';
import { rewritePackageImports } from './package-entries.js';

/** What a page's examples share as they run in order: the working directory and the send ids seen. */
export interface PageRun {
  workdir: string;
  /** A send id the page shows → the one printed when its example ran. */
  sendIds: Map<string, string>;
}

export interface Finished {
  code: number | null;
  output: string;
}

/** Runs `command` with `args` in its own process group (so every process it starts is stopped with it). */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      output += `\n[examples check: stopped after ${timeoutMs} ms]`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const END = '@@SMSQ-DOCS-EXAMPLE-END';
/** Background jobs of the block are stopped, and waited for, when it ends. */
const STOP_JOBS = `trap 'jobs -p | xargs -r kill 2>/dev/null; wait' EXIT`;

async function withFixtures<T>(block: DocBlock, environment: ExampleEnvironment, page: PageRun, body: (env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const fixtures = block.marker.kind === 'run' ? block.marker.fixtures : [];
  const running = await startFixtures(fixtures, environment, page.workdir);
  try {
    return await body(Object.assign({}, environment.env, ...running.map((f) => f.env)) as NodeJS.ProcessEnv);
  } finally {
    await stopFixtures(running);
  }
}

/** A bash session fed one command at a time, so each can use what the previous ones printed. */
class Session {
  private output = '';
  private readonly closed: Promise<void>;
  private readonly child;

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    this.child = spawn('bash', ['-s'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child.stdout!.on('data', (c: Buffer) => (this.output += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => (this.output += c.toString()));
    this.closed = new Promise((resolve) => this.child.once('close', () => resolve()));
    this.child.stdin!.write(`exec 2>&1\n${STOP_JOBS}\n`);
  }

  /** Runs one command (stdin from /dev/null) and resolves with what it printed. */
  async run(command: string, timeoutMs: number): Promise<string> {
    const from = this.output.length;
    this.child.stdin!.write(`{\n${command}\n} < /dev/null\n__status=$?; printf '\\n${END}\\n'; (exit $__status)\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.output.indexOf(`${END}\n`, from);
      if (end >= 0) return this.output.slice(from, end).replace(/\n$/, '');
      if (this.child.exitCode !== null) return `${this.output.slice(from)}\n[examples check: the shell exited]`;
      if (Date.now() > deadline) {
        this.kill();
        return `${this.output.slice(from)}\n[examples check: stopped after ${timeoutMs} ms]`;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Ends the session; its background jobs are stopped and waited for. */
  async close(timeoutMs = 60_000): Promise<void> {
    this.child.stdin!.end('exit\n');
    const timer = setTimeout(() => this.kill(), timeoutMs);
    await this.closed;
    clearTimeout(timer);
  }

  private kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Runs a transcript; resolves with what differs from the page (the command and both outputs), or '' when nothing does. */
export async function runConsoleBlock(block: DocBlock, environment: ExampleEnvironment, page: PageRun): Promise<string> {
  const where = `${block.file}:${block.line}`;
  const steps = parseTranscript(block.body, where);
  const stopAfter = block.marker.kind === 'run' ? stopAfterSeconds(block.marker.fixtures) : undefined;
  return withFixtures(block, environment, page, async (env) => {
    const session = new Session(page.workdir, env);
    try {
      for (const step of steps) {
        const command = runnableCommand(step.command, environment, page.sendIds);
        const printed = printedLines(await session.run(stopAfter ? `timeout -s TERM ${stopAfter} bash -c ${quote(command)}` : command, 180_000));
        if (!outputMatches(step.expected, printed)) {
          return `${where}: \`${step.command.split('\n')[0]}\` printed something else than the page shows.\n--- the page shows:\n${step.expected.join('\n')}\n--- it printed:\n${printed.join('\n')}`;
        }
        for (const [shown, real] of sendIdPairs(step.expected, printed)) if (!page.sendIds.has(shown)) page.sendIds.set(shown, real);
      }
      return '';
    } finally {
      await session.close();
    }
  });
}

/** Runs a script with `-e -o pipefail`; resolves with its exit code and output. */
export async function runShellBlock(block: DocBlock, environment: ExampleEnvironment, page: PageRun): Promise<Finished> {
  const script = runnableCommand(block.body, environment, page.sendIds);
  return withFixtures(block, environment, page, (env) => run('bash', ['-e', '-o', 'pipefail', '-c', `${STOP_JOBS}\n${script}`], page.workdir, env, 180_000));
}

/** Runs a TypeScript program with tsx, its `smsq...` imports pointed at the package's entry sources; resolves with its exit code and output. */
export async function runTypeScriptBlock(block: DocBlock, environment: ExampleEnvironment, page: PageRun, index: number): Promise<Finished> {
  const file = join(environment.scratch, `${block.file.replace(/[^\w]+/g, '-')}-${block.line}-${index}.mts`);
  writeFileSync(file, rewritePackageImports(block.body, environment.entries));
  return withFixtures(block, environment, page, (env) => run(process.execPath, ['--import', environment.tsxLoader, file], page.workdir, env, 90_000));
}
