/**
 * Redis memory per single-number send (verification codes, order notifications): what an
 * OTP-heavy deployment must size Redis for, since every send keeps its records for
 * SMSQ_RETENTION_DAYS. `npx tsx bench/send-memory.ts [--json] [--sends N]`.
 *
 * - Twice, each on a fresh private Redis: with Redis's defaults, and with
 *   `hash-max-listpack-value 256` (docs/operations.md "Redis settings"). A hash with one value longer than
 *   64 bytes (a chunk's payload, a BullMQ job's data) leaves the compact listpack encoding and
 *   costs about three times as much.
 * - N verification codes are enqueued one by one and sent by a worker in this process (product
 *   receipt policies, so each accepted send also holds its receipt look-up), then used_memory is
 *   read once every send is accepted. Figures: bytes per send, and per key group (MEMORY USAGE of
 *   every key, summed; the BullMQ completed-jobs and events streams are capped, the rest lives
 *   for the retention period).
 */
import type { Redis } from 'ioredis';
import { createProducer } from '../producers/producer.js';
import { SANDBOX_ACCESS_KEY } from '../src/sms/defaults.js';
import { createLogger } from '../src/logger.js';
import { createSmsClient } from '../src/sms/client.js';
import { createSmsWorker } from '../workers/sms-worker.js';
import { BENCH_PREFIX, N, runIfMain, startBenchEmulator, waitFor } from './support/pipeline.js';
import { benchDurability, startPrivateRedis } from './support/redis.js';

export interface SendMemoryOptions {
  sends: number;
}

export const SEND_MEMORY_DEFAULTS: SendMemoryOptions = { sends: 2000 };

export interface KeyGroup {
  /** The key with ids replaced by `<id>`. */
  group: string;
  keys: number;
  bytesPerSend: number;
}

export interface SendMemoryRun {
  redisSettings: string;
  bytesPerSend: number;
  groups: KeyGroup[];
}

export interface SendMemoryResult {
  benchmark: 'send-memory';
  sends: number;
  runs: SendMemoryRun[];
}

/** `{smsq}:chunk:smx…7.0` → `{smsq}:chunk:<id>`: ids are long runs of base-36 digits. */
export function keyGroup(key: string): string {
  return key.replace(/[0-9a-z]{16,}(\.[0-9-]+)?/g, '<id>');
}

async function memoryByGroup(conn: Redis, sends: number): Promise<KeyGroup[]> {
  const groups = new Map<string, { keys: number; bytes: number }>();
  let cursor = '0';
  do {
    const [next, keys] = await conn.scan(cursor, 'COUNT', 1000);
    cursor = next;
    const usage = await Promise.all(keys.map((k) => conn.memory('USAGE', k)));
    keys.forEach((k, i) => {
      const g = groups.get(keyGroup(k)) ?? { keys: 0, bytes: 0 };
      g.keys++;
      g.bytes += Number(usage[i] ?? 0);
      groups.set(keyGroup(k), g);
    });
  } while (cursor !== '0');
  return [...groups]
    .map(([group, g]) => ({ group, keys: g.keys, bytesPerSend: Math.round(g.bytes / sends) }))
    .filter((g) => g.bytesPerSend > 0)
    .sort((a, b) => b.bytesPerSend - a.bytesPerSend);
}

async function measure(sends: number, settings: Record<string, string>): Promise<SendMemoryRun> {
  const redis = await startPrivateRedis();
  const { emulator, endpoint } = await startBenchEmulator({ qps: 0 });
  const conn = redis.connect();
  for (const [k, v] of Object.entries(settings)) await conn.config('SET', k, v);
  const producer = createProducer({ redis: conn, prefix: BENCH_PREFIX, durability: benchDurability() });
  const client = createSmsClient({ endpoint, protocol: 'http', credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
  const worker = createSmsWorker({ connection: redis.connect(), client, logger: createLogger({ level: 'silent' }), prefix: BENCH_PREFIX, qps: 5000, readTimeoutMs: 3000, durability: benchDurability() });
  try {
    await worker.start();
    const code = (i: number) =>
      producer.send({ phones: [String(13300000000 + i)], kind: 'verification', signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' } });
    const acceptedAll = (ids: readonly string[], what: string) =>
      waitFor(
        async () => {
          const all = await Promise.all(ids.map((id) => producer.getStatus(id)));
          return all.every((s) => s.counts.accepted === 1) ? true : undefined;
        },
        what,
        ids.length * 20 + 30_000,
        50,
      );
    // Warm-up: queue metadata, scripts, the first entries of the capped streams.
    const warm: string[] = [];
    for (let i = 0; i < 20; i++) warm.push((await code(i)).sendId);
    await acceptedAll(warm, 'the warm-up');
    const before = await redis.usedMemory();
    const ids: string[] = [];
    for (let i = 0; i < sends; i++) ids.push((await code(1000 + i)).sendId);
    // Sent in order by one worker: the last 50 accepted means all were.
    await acceptedAll(ids.slice(-50), 'every send accepted');
    const bytesPerSend = Math.round(((await redis.usedMemory()) - before) / sends);
    const groups = (await memoryByGroup(conn, sends + 20)).slice(0, 8);
    const redisSettings = Object.entries(settings).map(([k, v]) => `${k} ${v}`).join(', ') || 'Redis defaults';
    return { redisSettings, bytesPerSend, groups };
  } finally {
    await worker.close();
    await producer.close();
    await emulator.close();
    await redis.stop();
  }
}

export async function runSendMemory(opts: Partial<SendMemoryOptions> = {}): Promise<SendMemoryResult> {
  const o = { ...SEND_MEMORY_DEFAULTS, ...opts };
  const runs = [await measure(o.sends, {}), await measure(o.sends, { 'hash-max-listpack-value': '256' })];
  return { benchmark: 'send-memory', sends: o.sends, runs };
}

export function formatSendMemory(r: SendMemoryResult): string {
  const lines = [`Redis memory per single-number send: ${r.sends} verification codes, each accepted and waiting for its receipt`];
  for (const run of r.runs) {
    lines.push(`  ${run.redisSettings.padEnd(34)} ${String(run.bytesPerSend).padStart(5)} bytes per send (used_memory delta)`);
    for (const g of run.groups) lines.push(`    ${g.group.padEnd(40)} ${String(g.bytesPerSend).padStart(5)} B/send  (${g.keys} keys)`);
  }
  return lines.join('\n');
}

runIfMain(import.meta, {
  flags: ['sends'],
  limitMs: 300_000,
  what: 'the send-memory bench',
  run: (values) => runSendMemory(values as Partial<SendMemoryOptions>),
  format: formatSendMemory,
});
