/**
 * A worker built as a library user builds it (only the package's entry points), in its own process,
 * so that a test can see whether the process ends by itself once the worker is closed and its
 * connection dropped (a timer left running keeps it alive). It never calls process.exit.
 * Usage: node <the run's build>/test/support/library-worker-child.js '<json LibraryChildConfig>' (test/support/test-build.ts)
 * Says on stdout, one JSON object a line: {event:'started'} / {event:'start-settled', outcome},
 * {event:'closed', inTime}, {event:'disconnected'}. Logs (JSON) on stderr.
 * Modes: `close-during-start`: close() in the same tick as start(), or `closeAfterMs` later. `close-on-stdin`: starts, then
 * closes within `graceMs` when a line arrives on stdin.
 */
import { createInterface } from 'node:readline';
import { createLogger, createRedisConnection, createSmsClient, createSmsWorker } from '../../exports/worker.js';

export interface LibraryChildConfig {
  mode: 'close-during-start' | 'close-on-stdin';
  redisUrl: string;
  prefix: string;
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  graceMs: number;
  /** `close-during-start`: close() this long after start() (0: in the same tick). */
  closeAfterMs?: number;
  /** The SDK package resolves this long after it is first asked for (test/support/slow-sdk-hook.mjs). */
  sdkDelayMs?: number;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as LibraryChildConfig;
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const connection = createRedisConnection(cfg.redisUrl, { role: 'worker' });
const worker = createSmsWorker({
  connection,
  client: createSmsClient({ endpoint: cfg.endpoint, protocol: 'http', credential: { kind: 'access-key', accessKeyId: cfg.accessKeyId, accessKeySecret: cfg.accessKeySecret } }),
  logger: createLogger({ level: 'info' }, process.stderr),
  prefix: cfg.prefix,
  qps: 50,
  readTimeoutMs: 1000,
  durability: { mode: 'none' },
});

const started = worker.start().then(
  () => say({ event: 'start-settled', outcome: 'resolved' }),
  (err: unknown) => say({ event: 'start-settled', outcome: 'rejected', error: String(err) }),
);
if (cfg.mode === 'close-during-start') {
  if (cfg.closeAfterMs) await new Promise((resolve) => setTimeout(resolve, cfg.closeAfterMs));
  const inTime = await worker.closeWithin(cfg.graceMs);
  say({ event: 'closed', inTime });
  await started;
} else {
  await started;
  say({ event: 'started' });
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  lines.close();
  say({ event: 'closed', inTime: await worker.closeWithin(cfg.graceMs) });
}
connection.disconnect();
say({ event: 'disconnected' });
