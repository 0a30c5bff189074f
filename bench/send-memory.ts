/**
 * Redis memory per single-number send (verification codes, order notifications): what an
 * OTP-heavy deployment must size Redis for, since every send keeps its records for
 * SMSQ_RETENTION_DAYS. `npx tsx bench/send-memory.ts [--json] [--sends N] [--first-look-ms MS] [--retained 0]`.
 *
 * - Twice, each on a fresh private Redis: with Redis's defaults, and with
 *   `hash-max-listpack-value 256` (docs/operations.md "Redis settings"). A hash with one value longer than
 *   64 bytes (a chunk's payload, a BullMQ job's data) leaves the compact listpack encoding and
 *   costs about three times as much.
 * - N verification codes are enqueued one by one and sent by a worker in this process (every
 *   recipient looked up, as the product does for codes), then memory is read once every send is
 *   accepted and waiting for its receipt: **in flight** (used_memory delta, and per key group).
 * - Then, its receipt schedule short (looks after 15 s and 20 s, the emulator delivering in 1 s;
 *   `--first-look-ms` moves the first look, and the second 5 s after it, for a machine so busy
 *   that sending the N codes takes longer than the first look, which stops the bench),
 *   once every send is `completed` and BullMQ has removed its completed jobs (as JOB_RETENTION
 *   does after 24 h or 50,000 jobs; here at once, with `clean`): **retained after it is final**,
 *   per key group, before compaction (the worker runs with `compactFinished: false`) and after
 *   (each send compacted with the script the worker runs, send-store.ts `compact`). Retained
 *   figures are MEMORY USAGE of every key, summed per group and divided by the sends; the
 *   streams (`...:events`) are capped whatever the traffic and shown apart. `--retained 0` stops
 *   after the in-flight figures (on a machine so busy that the receipts of N codes take minutes).
 */
import type { Redis } from 'ioredis';
import { createCallsQueue, createHousekeepingQueue } from '../src/queue/calls-queue.js';
import { createKeys } from '../src/queue/keys.js';
import { createSendStore } from '../src/queue/send-store.js';
import { BENCH_PREFIX, runIfMain, waitFor } from './support/pipeline.js';
import { startCodePipeline } from './support/code-pipeline.js';
import { startPrivateRedis } from './support/redis.js';

export interface SendMemoryOptions {
  sends: number;
  /** When a code's first receipt look-up runs (ms after it is accepted); the in-flight figure is read before it. */
  firstLookMs: number;
  /** Whether to wait for every send to be final and measure what is retained (the in-flight figures are read first either way). */
  retained: boolean;
}

export const SEND_MEMORY_DEFAULTS: SendMemoryOptions = { sends: 2000, firstLookMs: 15_000, retained: true };

/** What issue 14 asks of a single-number send retained after it is final (bytes). */
export const RETAINED_TARGET = 400;

export interface KeyGroup {
  /** The key with ids replaced by `<id>`. */
  group: string;
  keys: number;
  bytesPerSend: number;
}

/** One key group in flight and once final, before and after compaction (bytes per send). */
export interface RetainedGroup {
  group: string;
  inFlight: number;
  final: number;
  compacted: number;
  /** A stream trimmed to a fixed length whatever the traffic: not part of the retained figures. */
  capped: boolean;
}

export interface SendMemoryRun {
  redisSettings: string;
  /** In flight: used_memory delta per send (the capped streams' growth included). */
  bytesPerSend: number;
  /** In flight: MEMORY USAGE of every key summed per send, the capped streams left out (as in the retained figures). */
  inFlightKeyBytesPerSend: number;
  /** In flight: the largest key groups. */
  groups: KeyGroup[];
  /** Retained after it is final, per send (MEMORY USAGE summed, capped streams left out): before and after compaction. */
  retainedBytesPerSend: { beforeCompaction: number; afterCompaction: number };
  retainedGroups: RetainedGroup[];
}

export interface SendMemoryResult {
  benchmark: 'send-memory';
  sends: number;
  runs: SendMemoryRun[];
}

/** `{smsq}:chunk:smx…7.0` → `{smsq}:chunk:<id>`: ids are long runs of base-36 digits. */
export function keyGroup(key: string): string {
  return key.replace(/[0-9a-z]{16,}(\.[0-9-]+)?/g, '<id>').replace(/:sent-numbers:[0-9]+:[0-9]+$/, ':sent-numbers:<day>:<bucket>');
}

/** Streams trimmed to a fixed length (the events stream, BullMQ's event streams). */
const isCapped = (group: string) => group.endsWith(':events');

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

async function measure(sends: number, firstLookMs: number, retained: boolean, settings: Record<string, string>): Promise<SendMemoryRun> {
  const redis = await startPrivateRedis();
  const conn = redis.connect();
  for (const [k, v] of Object.entries(settings)) await conn.config('SET', k, v);
  const { producer, worker, sendCode: code, close } = await startCodePipeline(redis.connectProducer(), redis.connect(), [firstLookMs, firstLookMs + 5000]);
  try {
    await worker.start();
    const everyOne = (ids: readonly string[], what: string, done: (s: Awaited<ReturnType<typeof producer.getStatus>>) => boolean, timeoutMs: number) =>
      waitFor(
        async () => {
          const all = await Promise.all(ids.map((id) => producer.getStatus(id)));
          return all.every(done) ? true : undefined;
        },
        what,
        timeoutMs,
        50,
      );
    const accepted = (s: Awaited<ReturnType<typeof producer.getStatus>>) => s.counts.accepted === 1;
    // Warm-up: queue metadata, scripts, the first entries of the capped streams.
    const warm: string[] = [];
    for (let i = 0; i < 20; i++) warm.push((await code(i)).sendId);
    await everyOne(warm, 'the warm-up', accepted, 30_000);
    const before = await redis.usedMemory();
    const ids: string[] = [];
    for (let i = 0; i < sends; i++) ids.push((await code(1000 + i)).sendId);
    // Sent in order by one worker: the last 50 accepted means all were.
    await everyOne(ids.slice(-50), 'every send accepted', accepted, ids.length * 20 + 30_000);
    const bytesPerSend = Math.round(((await redis.usedMemory()) - before) / sends);
    const inFlight = await memoryByGroup(conn, sends + 20);
    // The first look of the first send is 15 s after it was accepted: taken before it, the figure is in flight.
    if ((await producer.getStatus(ids[0] as string)).counts.accepted !== 1) throw new Error('receipts came in before the in-flight figure was read: raise the first look delay (--first-look-ms)');
    const redisSettings = Object.entries(settings).map(([k, v]) => `${k} ${v}`).join(', ') || 'Redis defaults';
    if (!retained) {
      const groups = inFlight.map((g) => ({ group: g.group, inFlight: g.bytesPerSend, final: 0, compacted: 0, capped: isCapped(g.group) }));
      return {
        redisSettings,
        bytesPerSend,
        inFlightKeyBytesPerSend: groups.filter((g) => !g.capped).reduce((n, g) => n + g.inFlight, 0),
        groups: inFlight.slice(0, 8),
        retainedBytesPerSend: { beforeCompaction: 0, afterCompaction: 0 },
        retainedGroups: groups.filter((g) => g.inFlight >= 20),
      };
    }

    // Retained after it is final: every receipt in, completed jobs removed as BullMQ's retention would.
    const all = [...warm, ...ids];
    await everyOne(all, 'every send completed', (s) => s.send.state === 'completed', firstLookMs + 105_000);
    for (const queue of [createCallsQueue({ connection: conn, prefix: BENCH_PREFIX }), createHousekeepingQueue({ connection: conn, prefix: BENCH_PREFIX })]) {
      // A look-up job whose receipt completed its send is itself completed a moment later.
      await waitFor(
        async () => {
          const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
          return Object.values(counts).every((n) => n === 0) ? true : undefined;
        },
        `the ${queue.name} queue drained`,
        60_000,
        100,
      );
      while ((await queue.clean(0, 10_000, 'completed')).length > 0);
      await queue.close();
    }
    const final = await memoryByGroup(conn, all.length);
    const store = createSendStore({ redis: conn, keys: createKeys(BENCH_PREFIX) });
    for (const id of all) {
      const r = await store.compact(id);
      if (!r.compacted) throw new Error(`send ${id} not compacted: ${r.reason}`);
    }
    const compacted = await memoryByGroup(conn, all.length);

    const names = [...new Set([...inFlight, ...final, ...compacted].map((g) => g.group))];
    const of = (list: KeyGroup[], group: string) => list.find((g) => g.group === group)?.bytesPerSend ?? 0;
    const retainedGroups = names
      .map((group) => ({ group, inFlight: of(inFlight, group), final: of(final, group), compacted: of(compacted, group), capped: isCapped(group) }))
      .sort((a, b) => b.final - a.final || b.inFlight - a.inFlight);
    const sum = (pick: (g: RetainedGroup) => number) => retainedGroups.filter((g) => !g.capped).reduce((n, g) => n + pick(g), 0);
    return {
      redisSettings,
      bytesPerSend,
      inFlightKeyBytesPerSend: sum((g) => g.inFlight),
      groups: inFlight.slice(0, 8),
      retainedBytesPerSend: { beforeCompaction: sum((g) => g.final), afterCompaction: sum((g) => g.compacted) },
      retainedGroups: retainedGroups.filter((g) => g.inFlight >= 20 || g.final > 0 || g.compacted > 0),
    };
  } finally {
    await close();
    await redis.stop();
  }
}

export async function runSendMemory(opts: Partial<SendMemoryOptions> = {}): Promise<SendMemoryResult> {
  const o = { ...SEND_MEMORY_DEFAULTS, ...opts };
  const runs = [await measure(o.sends, o.firstLookMs, o.retained, {}), await measure(o.sends, o.firstLookMs, o.retained, { 'hash-max-listpack-value': '256' })];
  return { benchmark: 'send-memory', sends: o.sends, runs };
}

export function formatSendMemory(r: SendMemoryResult): string {
  const lines = [
    `Redis memory per single-number send: ${r.sends} verification codes, in flight (each accepted and waiting for its receipt) / retained after it is final (completed, completed jobs removed), before / after compaction`,
  ];
  const col = (n: number) => String(n).padStart(9);
  for (const run of r.runs) {
    const k = run.retainedBytesPerSend;
    lines.push(
      `  ${run.redisSettings}: ${run.bytesPerSend} B per send in flight (used_memory delta, target <= 2,048; ${run.inFlightKeyBytesPerSend} B by its keys, the capped streams apart); ${
        k.beforeCompaction === 0
          ? 'retained not measured (--retained 0)'
          : `retained after final ${k.beforeCompaction} B before compaction, ${k.afterCompaction} B after (target <= ${RETAINED_TARGET}: ${k.afterCompaction <= RETAINED_TARGET ? 'met' : 'not met'})`
      }`,
    );
    lines.push(`    ${'key group (B per send)'.padEnd(44)}${'in flight'.padStart(9)}${'final'.padStart(9)}${'compact'.padStart(9)}`);
    for (const g of run.retainedGroups) lines.push(`    ${(g.group + (g.capped ? ' (capped)' : '')).padEnd(44)}${col(g.inFlight)}${col(g.final)}${col(g.compacted)}`);
  }
  return lines.join('\n');
}

runIfMain(import.meta, {
  flags: ['sends', 'first-look-ms', 'retained'],
  limitMs: 600_000,
  what: 'the send-memory bench',
  run: (values) =>
    runSendMemory({
      ...(values.sends === undefined ? {} : { sends: values.sends }),
      ...(values['first-look-ms'] === undefined ? {} : { firstLookMs: values['first-look-ms'] }),
      ...(values.retained === undefined ? {} : { retained: values.retained !== 0 }),
    }),
  format: formatSendMemory,
});
