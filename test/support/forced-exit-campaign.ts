/**
 * A campaign's producer killed mid-enqueue, for real: `smsq campaign --file ... --yes` in a child
 * process, stopped with SIGTERM twice while its chunks are written (the first starts the stop, the
 * second forces the exit). Redis's writes are paused in between (CLIENT PAUSE WRITE), so the stop
 * cannot end the enqueue before the forced exit, as on a loaded machine. The send is left
 * `enqueuing`, its chunks written so far in Redis, its totals never recorded.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { runCli } from '../../cli/program.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { spawnSmsq } from './cli-process.js';
import { startCommandTrap } from './command-trap.js';
import { createHarness, type Harness } from './pipeline.js';
import { collector } from './text-collector.js';
import { waitFor } from './wait.js';

/** A spawned smsq starts in about a second on an idle machine, more on a loaded one. */
export const SPAWNED_MS = 60_000;

/** A deployment the forced-exit tests kill a producer in: a Redis of its own (they pause it), a harness on it, the CLI's environment for it. */
export interface ForcedExitDeployment {
  redis: PrivateRedis;
  h: Harness;
  env: NodeJS.ProcessEnv;
  /** `smsq <args>` in-process against this deployment. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export async function openForcedExitDeployment(label: string): Promise<ForcedExitDeployment> {
  const redis = await startPrivateRedis();
  const h = await createHarness({ label, redisUrl: redis.url });
  const env = { REDIS_URL: redis.url, SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off' };
  return {
    redis,
    h,
    env,
    async cli(args) {
      const stdout = collector();
      const stderr = collector();
      const code = await runCli(args, { stdout, stderr, env });
      return { code, stdout: stdout.text, stderr: stderr.text };
    },
    async close() {
      await h.close();
      await redis.stop();
    },
  };
}

/**
 * Writes `name` in `dir`: a CSV of `rows` numbers from `base`, each with its own `name`, so every
 * row goes by SendBatchSms (100 a chunk); long enough (200,000 rows) for a kill to land mid-enqueue.
 */
export function personalList(dir: string, name: string, base: number, rows: number): string {
  const path = join(dir, name);
  const lines = ['phone,name'];
  for (let i = 0; i < rows; i++) lines.push(`${base + i},N${i}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Runs the campaign of `path` (marketing template, `extraArgs` added) and kills it once 50 chunks are written; returns its send id. */
export async function forcedExitMidEnqueue(h: Harness, env: NodeJS.ProcessEnv, path: string, extraArgs: readonly string[] = []): Promise<string> {
  const run = spawnSmsq(['campaign', '--file', path, '--sign', N.sign, '--template', N.marketingTemplate, ...extraArgs, '--yes'], env);
  try {
    await waitFor(() => /chunks ([5-9]\d|\d{3,})/.test(run.stderr), 'the campaign to have written 50 chunks', SPAWNED_MS);
    await h.redis.call('CLIENT', 'PAUSE', '30000', 'WRITE');
    try {
      run.child.kill('SIGTERM');
      await waitFor(() => run.stderr.includes('stopping the campaign'), 'the first SIGTERM to be taken');
      run.child.kill('SIGTERM');
      await run.exited;
    } finally {
      await h.redis.call('CLIENT', 'UNPAUSE');
    }
  } finally {
    // A wait above that timed out left the campaign running, enqueuing into the next test's Redis.
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  }
  expect(run.stderr).toContain('forced exit (SIGTERM) while the campaign was stopping');
  const sendId = /send id (\S+): enqueuing/.exec(run.stderr)?.[1];
  expect(sendId, run.stderr).toBeDefined();
  return sendId as string;
}

/**
 * Runs the campaign of `path` (marketing template, `extraArgs` added) through a command trap
 * (test/support/command-trap.ts) in front of `redisPort`, and SIGKILLs it when it adds the job of
 * chunk `atChunk`: that command never reaches Redis, so the chunks of its write are in Redis and
 * their jobs are not (those of chunks before it in the same `addBulk` may be), as when a producer
 * dies between writing its chunks and adding their jobs. Returns its send id.
 */
export async function killedBetweenChunksAndJobs(h: Harness, env: NodeJS.ProcessEnv, redisPort: number, path: string, atChunk: number, extraArgs: readonly string[] = []): Promise<string> {
  return killedAtJobOf(h, env, redisPort, ['campaign', '--file', path, '--sign', N.sign, '--template', N.marketingTemplate, ...extraArgs, '--yes'], atChunk);
}

/** `smsq <args>` (an enqueuing command) killed as {@link killedBetweenChunksAndJobs} kills a campaign; returns its send id. */
export async function killedAtJobOf(h: Harness, env: NodeJS.ProcessEnv, redisPort: number, args: readonly string[], atChunk: number): Promise<string> {
  const trap = await startCommandTrap({ port: redisPort });
  try {
    const known = new Set(await sendIdsOf(h));
    const run = spawnSmsq([...args], { ...env, REDIS_URL: `redis://127.0.0.1:${trap.port}` });
    // Armed in the same turn as the spawn: nothing of the child reaches the trap before.
    // A job id is `s.<sendId>.<index>.a1`; a chunk key ends `.<index>`, never followed by `.a1`.
    trap.arm([`.${atChunk}.a1`], async () => {
      run.child.kill('SIGKILL');
      await run.exited;
    });
    await Promise.race([trap.sprung(), run.exited.then((code) => Promise.reject(new Error(`smsq ${args[0] ?? ''} exited (${code}) before adding the job of chunk ${atChunk}: ${run.stderr}`)))]);
    const fresh = (await sendIdsOf(h)).filter((id) => !known.has(id));
    expect(fresh, run.stderr).toHaveLength(1);
    return fresh[0] as string;
  } finally {
    await trap.close();
  }
}

async function sendIdsOf(h: Harness): Promise<string[]> {
  const head = `${h.prefix}:send:`;
  const keys = await h.redis.keys(`${head}*`);
  return keys.map((k) => k.slice(head.length)).filter((id) => id.length > 0 && !id.includes(':'));
}
