/**
 * Issue 14's "retained after it is final ≤ 400 B", candidate by candidate, before any product change:
 * how many bytes each change would leave per single-number send. `npx tsx bench/retained-candidates.ts
 * [--json] [--sends N] [--index N]`.
 *
 * - **The compacted send key.** N verification codes go through the real pipeline (producer,
 *   worker, emulator; the receipt schedule of bench/send-memory.ts: looks at 15 s and 20 s, the
 *   emulator delivering in 1 s) and are compacted by the worker's script. Each compacted hash is
 *   then written again, re-encoded as each candidate packing would write it, under a key of the
 *   same length with the same TTL, and MEMORY USAGE is averaged per candidate.
 * - **The index of sends.** `--index` ids shaped as the producer makes them (`s<base-36 ms><12 hex>`,
 *   a send every 1–9 ms) are written into a sorted set (today) and into streams of several entry
 *   shapes; used_memory delta and MEMORY USAGE (`SAMPLES 0`: every element, no extrapolation) per id,
 *   at 2,020 ids (what send-memory.ts measures) and at `--index` ids.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createKeys } from '../src/queue/keys.js';
import { compactValue, createSendStore, parseCompactChunks, unpackCompactSend } from '../src/queue/send-store.js';
import { BENCH_PREFIX, runIfMain, waitFor } from './support/pipeline.js';
import { startCodePipeline } from './support/code-pipeline.js';
import { startPrivateRedis } from './support/redis.js';

export interface RetainedCandidatesOptions {
  sends: number;
  index: number;
}

const DEFAULTS: RetainedCandidatesOptions = { sends: 300, index: 100_000 };

export interface Candidate {
  name: string;
  /** MEMORY USAGE per key or per id, averaged. */
  bytes: number;
  /** used_memory delta per id (index candidates). */
  usedMemory?: number;
  /** Bytes of the listpack's content (field names and values), averaged (record candidates). */
  valueBytes?: number;
}

export interface RetainedCandidatesResult {
  benchmark: 'retained-candidates';
  sends: number;
  records: Candidate[];
  index: { ids: number; candidates: Candidate[] }[];
  example: Record<string, Record<string, string>>;
}

const SEP = '\x1f';
const b36 = (n: number) => Math.round(n).toString(36);
type Hash = Record<string, string>;

// ---- candidate packings of a compacted send (re-encodings of what compact-send-6.lua wrote) ----

/** `z` as version 2 would write it: bare numbers ('' for 0 or absent), createdAt in base 36, times after it in base 36, stateChangedAt '' when it is the last history entry's. */
function packZ2(sendId: string, hash: Hash): string {
  const { h, c } = unpackCompactSend(sendId, hash.state, compactValue(hash, 'z') as string);
  const created = Number(h.createdAt);
  const letter: Record<string, string> = { enqueuing: 'e', active: 'a', paused: 'p', sent: 's', completed: 'c', cancelled: 'x', expired: 't', failed: 'f' };
  const history = (h.history ?? '').split(' ').filter(Boolean).map((e) => {
    const [state = '', at = ''] = e.split(':');
    return `${letter[state] ?? `${state}:`}${b36(Number(at) - created)}`;
  });
  const lastAt = (h.history ?? '').split(' ').filter(Boolean).at(-1)?.split(':')[1];
  const num = (v: string | undefined) => (v === undefined || v === '0' ? '' : v);
  const opt = (v: string | undefined) => (v === undefined ? '' : `=${v}`);
  const rel = (v: string | undefined) => (v === undefined ? '' : b36(Number(v) - created));
  const countLetter: Record<string, string> = { queued: 'q', sending: 's', unknown: 'u', accepted: 'a', delivered: 'd', failed: 'f', expired: 'e', cancelled: 'c', suppressed: 'p' };
  const counts = Object.entries(c).filter(([, n]) => n !== '0').map(([k, n]) => `${countLetter[k]}${n}`).join(' ');
  return [
    '2', { verification: 'v', notification: 'n', marketing: 'm' }[h.kind as string], { SendSms: 's', SendBatchSms: 'b' }[h.api as string], h.templateCode, h.signName,
    opt(h.name), opt(h.idempotencyKey), opt(h.callbackUrl), num(h.deadline), num(h.recipients), num(h.rejected), num(h.duplicates), num(h.chunks),
    b36(created), h.stateChangedAt === lastAt ? '' : rel(h.stateChangedAt), history.join(' '), rel(h.enqueuedAt), opt(h.code), opt(h.reason), opt(h.controlReason), counts,
  ].join(SEP);
}

/** Chunk lines with a one-letter state, '' for OK on an accepted chunk, sentAt in base 36 after createdAt; `lean` also leaves out an index equal to the field's and an attempt of 1, and writes receivedAt in base-36 s after sentAt. */
function packR2(text: string, createdAt: number, field: number, lean: boolean): string {
  const stateLetter: Record<string, string> = { accepted: 'a', failed: 'f', expired: 'e', cancelled: 'c' };
  return parseCompactChunks(text, createdAt)
    .flatMap((ch) => {
      const sentAt = ch.sentAt === '' || ch.sentAt.startsWith('=') ? ch.sentAt : b36(parseInt(ch.sentAt, 36) - createdAt);
      const index = lean && ch.index === String(field) ? '' : ch.index;
      const attempt = lean && ch.attempt === '1' ? '' : ch.attempt;
      const head = `#${index}|${stateLetter[ch.state] ?? ch.state}|${ch.state === 'accepted' && ch.code === 'OK' ? '' : ch.code}|${ch.bizId}|${attempt}|${sentAt}|${ch.outId}`;
      const sentSeconds = Math.floor((ch.sentAt === '' ? createdAt : parseInt(ch.sentAt, 36)) / 1000);
      return [
        head,
        ...ch.recipients.map((r) => {
          if (!lean || r.receipt === '') return r.receipt === '' ? r.phone : `${r.phone}|${r.receipt}`;
          const [s, code, at, src] = r.receipt.split('|');
          return `${r.phone}|${s}|${code}|${at ? b36(parseInt(at, 36) - sentSeconds) : ''}|${src}`;
        }),
      ];
    })
    .join('\n');
}

/** Values over `piece` bytes cut into `name`, `name.1`, ... as compact-send-6.lua does (ASCII here). */
function cut(fields: [string, string][], piece: number): Hash {
  const out: Hash = {};
  for (const [name, value] of fields) {
    let v = value;
    let k = 0;
    while (Buffer.byteLength(v) > piece) {
      let at = piece;
      const bytes = Buffer.from(v);
      while (at > 1 && (bytes[at] as number) >= 128 && (bytes[at] as number) < 192) at--;
      out[k === 0 ? name : `${name}.${k}`] = bytes.subarray(0, at).toString();
      v = bytes.subarray(at).toString();
      k++;
    }
    out[k === 0 ? name : `${name}.${k}`] = v;
  }
  return out;
}

const RECORD_CANDIDATES: { name: string; pack: (sendId: string, h: Hash) => Hash }[] = [
  { name: 'as the worker\'s compact-send-6.lua writes it', pack: (_, h) => h },
  {
    name: 'z version 2 (numbers bare, times base 36 after createdAt)',
    pack: (id, h) => cut([['r0', compactValue(h, 'r0') as string], ['state', h.state as string], ['z', packZ2(id, h)]], 64),
  },
  {
    name: '+ chunk line: state letter, no OK, sentAt after createdAt',
    pack: (id, h) => cut([['r0', packR2(compactValue(h, 'r0') as string, createdOf(id, h), 0, false)], ['state', h.state as string], ['z', packZ2(id, h)]], 64),
  },
  {
    name: '+ index and attempt 1 implied, receivedAt after sentAt',
    pack: (id, h) => cut([['r0', packR2(compactValue(h, 'r0') as string, createdOf(id, h), 0, true)], ['state', h.state as string], ['z', packZ2(id, h)]], 64),
  },
  {
    name: '+ pieces of 63 bytes (a 1-byte listpack header)',
    pack: (id, h) => cut([['r0', packR2(compactValue(h, 'r0') as string, createdOf(id, h), 0, true)], ['state', h.state as string], ['z', packZ2(id, h)]], 63),
  },
  {
    name: '+ chunk and record in one field (z, then \\x1e, then r0)',
    pack: (id, h) => cut([['state', h.state as string], ['z', `${packZ2(id, h)}\x1e${packR2(compactValue(h, 'r0') as string, createdOf(id, h), 0, true)}`]], 63),
  },
];

function createdOf(sendId: string, h: Hash): number {
  return Number(unpackCompactSend(sendId, h.state, compactValue(h, 'z') as string).h.createdAt);
}

/** Real compacted sends: N codes through the pipeline, compacted by the worker's script; returns their hashes and TTLs. */
async function compactedSends(conn: Redis, redis: Awaited<ReturnType<typeof startPrivateRedis>>, sends: number): Promise<{ id: string; hash: Hash; pttl: number }[]> {
  const { producer, worker, sendCode, close } = await startCodePipeline(redis.connectProducer(), redis.connect(), [15_000, 20_000]);
  try {
    await worker.start();
    const ids: string[] = [];
    for (let i = 0; i < sends; i++) {
      ids.push((await sendCode(i)).sendId);
    }
    await waitFor(
      async () => ((await Promise.all(ids.map((id) => producer.getStatus(id)))).every((s) => s.send.state === 'completed') ? true : undefined),
      'every send completed',
      120_000,
      200,
    );
    const store = createSendStore({ redis: conn, keys: createKeys(BENCH_PREFIX) });
    const out: { id: string; hash: Hash; pttl: number }[] = [];
    for (const id of ids) {
      // The announcement (endNotifiedAt) may lag the state by a moment.
      const r = await waitFor(async () => {
        const c = await store.compact(id);
        return c.compacted || c.reason !== 'not-announced' ? c : undefined;
      }, 'the send announced', 10_000);
      if (!r.compacted) throw new Error(`send ${id} not compacted: ${r.reason}`);
      out.push({ id, hash: await conn.hgetall(`${BENCH_PREFIX}:send:${id}`), pttl: await conn.pttl(`${BENCH_PREFIX}:send:${id}`) });
    }
    return out;
  } finally {
    await close();
  }
}

async function measureRecords(conn: Redis, sends: { id: string; hash: Hash; pttl: number }[]): Promise<{ candidates: Candidate[]; example: Record<string, Hash> }> {
  const candidates: Candidate[] = [];
  const example: Record<string, Hash> = {};
  for (const [n, candidate] of RECORD_CANDIDATES.entries()) {
    let bytes = 0;
    let valueBytes = 0;
    for (const s of sends) {
      const packed = candidate.pack(s.id, s.hash);
      // A key of the same length as `{smsq}:send:<id>`.
      const key = `${BENCH_PREFIX}:v${String(n).padStart(3, '0')}:${s.id}`;
      await conn.del(key);
      await conn.hset(key, packed);
      await conn.pexpire(key, s.pttl);
      if ((await conn.object('ENCODING', key)) !== 'listpack') throw new Error(`${candidate.name}: not a listpack`);
      bytes += Number(await conn.memory('USAGE', key));
      valueBytes += Object.entries(packed).reduce((t, [k, v]) => t + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
      if (s === sends[0]) example[candidate.name] = packed;
    }
    candidates.push({ name: candidate.name, bytes: round1(bytes / sends.length), valueBytes: round1(valueBytes / sends.length) });
  }
  return { candidates, example };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

// ---- candidate shapes of the index of sends ----

interface IndexId {
  id: string;
  createdAt: number;
}

function indexIds(count: number): IndexId[] {
  const out: IndexId[] = [];
  let ms = Date.UTC(2026, 11, 5, 3, 0, 0);
  for (let i = 0; i < count; i++) {
    ms += 1 + Math.floor(Math.random() * 9);
    // createdAt is read a moment after the id is made (producer.ts).
    out.push({ id: `s${ms.toString(36)}${randomBytes(6).toString('hex')}`, createdAt: ms + Math.floor(Math.random() * 3) });
  }
  return out;
}

const INDEX_CANDIDATES: { name: string; write: (conn: Redis, key: string, ids: IndexId[]) => Promise<void> }[] = [
  {
    name: 'sorted set: id scored by createdAt (today)',
    write: async (conn, key, ids) => {
      for (let i = 0; i < ids.length; i += 500) await conn.zadd(key, ...ids.slice(i, i + 500).flatMap((e) => [e.createdAt, e.id]));
    },
  },
  {
    name: 'stream <createdAt>-*: field i, the whole id',
    write: (conn, key, ids) => xadd(conn, key, ids, (e) => ['i', e.id]),
  },
  {
    name: 'stream <createdAt>-*: field i, the id after its time (12 hex)',
    write: (conn, key, ids) => xadd(conn, key, ids, (e) => ['i', e.id.slice(-12)]),
  },
  {
    name: 'stream <createdAt>-*: field i, the id after its time as a decimal integer',
    write: (conn, key, ids) => xadd(conn, key, ids, (e) => ['i', String(parseInt(e.id.slice(-12), 16))]),
  },
];

async function xadd(conn: Redis, key: string, ids: IndexId[], value: (e: IndexId) => string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const p = conn.pipeline();
    for (const e of ids.slice(i, i + 500)) p.xadd(key, `${e.createdAt}-*`, ...value(e));
    await p.exec();
  }
}

async function measureIndex(conn: Redis, count: number): Promise<Candidate[]> {
  const ids = indexIds(count);
  const out: Candidate[] = [];
  for (const c of INDEX_CANDIDATES) {
    const key = `${BENCH_PREFIX}:index-candidate`;
    await conn.del(key);
    const before = Number(/used_memory:(\d+)/.exec(await conn.info('memory'))?.[1]);
    await c.write(conn, key, ids);
    const after = Number(/used_memory:(\d+)/.exec(await conn.info('memory'))?.[1]);
    const usage = Number(await conn.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    out.push({ name: c.name, bytes: round1(usage / count), usedMemory: round1((after - before) / count) });
    await conn.del(key);
  }
  return out;
}

export async function runRetainedCandidates(opts: Partial<RetainedCandidatesOptions> = {}): Promise<RetainedCandidatesResult> {
  const o = { ...DEFAULTS, ...opts };
  const redis = await startPrivateRedis();
  const conn = redis.connect();
  try {
    const sends = await compactedSends(conn, redis, o.sends);
    const { candidates, example } = await measureRecords(conn, sends);
    const index = [];
    for (const ids of [2020, o.index]) index.push({ ids, candidates: await measureIndex(conn, ids) });
    return { benchmark: 'retained-candidates', sends: o.sends, records: candidates, index, example };
  } finally {
    await redis.stop();
  }
}

export function formatRetainedCandidates(r: RetainedCandidatesResult): string {
  const lines = [`The compacted send key, ${r.sends} real verification codes re-encoded (MEMORY USAGE per key; bytes of field names and values):`];
  for (const c of r.records) lines.push(`  ${c.name.padEnd(64)}${String(c.bytes).padStart(8)} B  (${c.valueBytes} B of names and values)`);
  for (const ix of r.index) {
    lines.push(`The index of sends, ${ix.ids} ids (MEMORY USAGE SAMPLES 0 / used_memory delta, per id):`);
    for (const c of ix.candidates) lines.push(`  ${c.name.padEnd(72)}${String(c.bytes).padStart(8)} / ${c.usedMemory} B`);
  }
  lines.push('Example (the first send):');
  for (const [name, h] of Object.entries(r.example)) lines.push(`  ${name}: ${JSON.stringify(h)}`);
  return lines.join('\n');
}

runIfMain(import.meta, {
  flags: ['sends', 'index'],
  limitMs: 600_000,
  what: 'the retained-candidates bench',
  run: (values) => runRetainedCandidates(values as Partial<RetainedCandidatesOptions>),
  format: formatRetainedCandidates,
});
