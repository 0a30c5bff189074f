/**
 * `smsq server` run as the CLI runs it (runCli, in this process, on a real port of 127.0.0.1), for
 * tests that talk to it over HTTP: resolves once it printed its address.
 */
import { runCli } from '../../cli/program.js';
import { collector } from './text-collector.js';
import { waitFor } from './wait.js';

export interface RunningServer {
  url: string;
  /** What it wrote to stderr so far (its log lines). */
  logs(): string;
  /** Sends it the shutdown signal; resolves with its exit code. */
  stop(): Promise<number>;
}

/** `env` is the whole environment the server reads (REDIS_URL, SMSQ_PREFIX, tokens, ...); `args` go after `server --port 0 --host 127.0.0.1 --json`. */
export async function startSmsqServer(env: NodeJS.ProcessEnv, args: readonly string[] = []): Promise<RunningServer> {
  const stdout = collector();
  const stderr = collector();
  let signal: (name: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (signal = resolve));
  const done = runCli(['server', '--port', '0', '--host', '127.0.0.1', '--json', ...args], { stdout, stderr, env, waitForShutdown: () => stopped });
  const { url } = await Promise.race([
    waitFor(() => (stdout.text.includes('\n') ? (JSON.parse(stdout.text.split('\n')[0]!) as { url: string }) : undefined), 'the server address'),
    done.then((code) => {
      throw new Error(`smsq server exited with ${code}: ${stderr.text}`);
    }),
  ]);
  return {
    url,
    logs: () => stderr.text,
    stop: () => {
      signal('SIGTERM');
      return done;
    },
  };
}
