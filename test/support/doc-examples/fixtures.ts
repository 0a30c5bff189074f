/** Services a block asks for with `<!-- run-with: ... -->`, started before it and stopped after. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { ExampleEnvironment } from './example-environment.js';

export interface RunningFixture {
  /** Variables the block sees while the fixture runs. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** `stop-after-10s` is a way of running commands, not a service: see {@link stopAfterSeconds}. */
export function stopAfterSeconds(fixtures: readonly string[]): number | undefined {
  for (const f of fixtures) {
    const m = /^stop-after-(\d+)s$/.exec(f);
    if (m) return Number(m[1]);
  }
  return undefined;
}

const SERVICES = ['emulator', 'server', 'worker'] as const;

export function checkFixtureNames(fixtures: readonly string[], where: string): void {
  for (const f of fixtures) {
    if (!(SERVICES as readonly string[]).includes(f) && stopAfterSeconds([f]) === undefined) {
      throw new Error(`${where}: unknown run-with "${f}" (known: ${SERVICES.join(', ')}, stop-after-Ns)`);
    }
  }
}

function startSmsq(args: string[], env: NodeJS.ProcessEnv, cwd: string): { child: ChildProcess; output: () => string } {
  const child = spawn('smsq', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return { child, output: () => output };
}

async function waitFor(ready: () => Promise<boolean> | boolean, what: string, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

async function startService(name: string, environment: ExampleEnvironment, cwd: string): Promise<RunningFixture> {
  if (name === 'emulator') {
    const port = environment.ports.get(8081);
    const emulator = startSmsq(['emulator', '--port', String(port)], environment.env, cwd);
    await waitFor(() => emulator.output().includes('listening on'), 'the emulator fixture', emulator.output);
    return { env: {}, stop: () => stopChild(emulator.child) };
  }
  if (name === 'worker') {
    // Quiet hours off: a marketing chunk goes out at once whatever the hour, so a block that
    // controls a send meets one a worker has already sent (the case its callers must handle).
    const worker = startSmsq(['worker'], { ...environment.env, SMSQ_QUIET_HOURS: 'off' }, cwd);
    await waitFor(() => worker.output().includes('smsq worker running'), 'the worker fixture', worker.output);
    return { env: {}, stop: () => stopChild(worker.child) };
  }
  const tokens = { SMSQ_API_TOKEN: randomBytes(16).toString('hex'), SMSQ_DASHBOARD_TOKEN: randomBytes(16).toString('hex') };
  const server = startSmsq(['server'], { ...environment.env, ...tokens }, cwd);
  const url = `http://127.0.0.1:${environment.ports.get(8080)}/healthz`;
  const healthy = () => fetch(url).then((r) => r.ok, () => false);
  await waitFor(healthy, 'the server fixture', server.output);
  return { env: tokens, stop: () => stopChild(server.child) };
}

/** Starts the services `fixtures` names (in order); stop them with the returned list, last first. */
export async function startFixtures(fixtures: readonly string[], environment: ExampleEnvironment, cwd: string): Promise<RunningFixture[]> {
  const running: RunningFixture[] = [];
  try {
    for (const f of fixtures) if ((SERVICES as readonly string[]).includes(f)) running.push(await startService(f, environment, cwd));
  } catch (err) {
    await stopFixtures(running);
    throw err;
  }
  return running;
}

export async function stopFixtures(running: readonly RunningFixture[]): Promise<void> {
  for (const f of [...running].reverse()) await f.stop();
}
