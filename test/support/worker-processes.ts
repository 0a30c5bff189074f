import { spawn, type ChildProcess } from 'node:child_process';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { FAST_TIMING } from './pipeline.js';
import { builtFile } from './test-build.js';
import { waitFor } from './wait.js';
import type { WorkerProcessConfig } from './worker-process.js';

/**
 * Worker processes for tests that kill workers or run several at once (test/support/worker-process.ts).
 * `killAll()` in afterEach SIGKILLs what a test left running; `requestTimes()` gathers the
 * `request <epoch ms>` stamps of every process started with `stampRequests`.
 */
export function workerProcesses(): {
  start(base: { redisUrl: string; prefix: string; endpoint: string }, over?: Partial<WorkerProcessConfig>): Promise<ChildProcess>;
  killAll(): void;
  requestTimes(): number[];
} {
  const children = new Set<ChildProcess>();
  const outputs: { text: string }[] = [];
  return {
    async start(base, over = {}) {
      const cfg: WorkerProcessConfig = {
        ...base,
        accessKeyId: SANDBOX_ACCESS_KEY.accessKeyId,
        accessKeySecret: SANDBOX_ACCESS_KEY.accessKeySecret,
        qps: 500,
        concurrency: 4,
        readTimeoutMs: 1000,
        ...FAST_TIMING,
        ...over,
      };
      const child = spawn(process.execPath, [builtFile('test/support/worker-process.ts'), JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.add(child);
      const output = { text: '' };
      outputs.push(output);
      child.stdout!.on('data', (d: Buffer) => (output.text += d.toString()));
      await waitFor(() => output.text.includes('ready') || child.exitCode !== null, 'the worker process to start', 20_000);
      if (child.exitCode !== null) throw new Error(`worker process exited with ${child.exitCode}`);
      return child;
    },
    killAll() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      children.clear();
      outputs.length = 0;
    },
    requestTimes() {
      return outputs.flatMap(({ text }) => [...text.matchAll(/^request (\d+(?:\.\d+)?)$/gm)].map((m) => Number(m[1])));
    },
  };
}
