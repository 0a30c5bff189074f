/**
 * Issue 14's "in flight ≤ 2,048 B", candidate by candidate, before any product change: what each
 * change to the keys of a verification code waiting for its receipt would save.
 * `npx tsx bench/inflight-candidates.ts [--json] [--sends N]`.
 *
 * N verification codes go through the real pipeline (producer, worker, emulator; the first receipt
 * look 10 minutes away, so each send stays accepted and waiting). Each code's chunk hash, its
 * completed send job and its delayed receipt look-up job are then written again, re-encoded as a
 * candidate would write them, under a key of the same length (or of the candidate's job id) with
 * the same TTL, and MEMORY USAGE (`SAMPLES 0`: every field, no extrapolation) is averaged per
 * candidate, once with Redis's defaults and once with `hash-max-listpack-value 256`. The first look
 * kept as a sorted-set entry instead of a delayed job is measured as 2,020 chunk ids in one sorted
 * set (used_memory delta and MEMORY USAGE per entry; a skiplist, as a busy deployment's is).
 */
import type { Redis } from 'ioredis';
import { BENCH_PREFIX, runIfMain, waitFor } from './support/pipeline.js';
import { startCodePipeline } from './support/code-pipeline.js';
import { startPrivateRedis } from './support/redis.js';

type Hash = Record<string, string>;
/** A candidate's hash: pieces cut inside a UTF-8 character are written as bytes. */
type Written = Record<string, string | Buffer>;

interface Sample {
  chunkId: string;
  sendId: string;
  chunk: Hash;
  sendJob: Hash;
  lookJob: Hash;
  send: Hash;
  pttl: number;
}

export interface Candidate {
  record: string;
  name: string;
  /** MEMORY USAGE per key, averaged, with Redis's defaults and with hash-max-listpack-value 256. */
  defaults: number;
  listpack256: number;
  /** The encoding with Redis's defaults. */
  encoding: string;
}

export interface InflightCandidatesResult {
  benchmark: 'inflight-candidates';
  sends: number;
  candidates: Candidate[];
  /** The first look as a sorted-set entry (bytes per entry): used_memory delta / MEMORY USAGE. */
  lookEntry: { usedMemory: number; usage: number };
  example: Record<string, Written>;
}

const PIECE = 64;

/** Values over 64 bytes cut into `name`, `name.1`, ... (bytes, as a script would cut them). */
function cutValue(out: Written, name: string, value: string): void {
  const bytes = Buffer.from(value);
  if (bytes.length <= PIECE) {
    out[name] = value;
    return;
  }
  for (let k = 0, at = 0; at < bytes.length; k++, at += PIECE) out[k === 0 ? name : `${name}.${k}`] = bytes.subarray(at, at + PIECE);
}

const omit = (h: Written, ...names: string[]): Written => Object.fromEntries(Object.entries(h).filter(([k]) => !names.includes(k)));

function withPayload(h: Hash, payload: string): Written {
  const out = omit(h, 'payload');
  cutValue(out, 'payload', payload);
  return out;
}

interface Candidacy {
  record: string;
  name: string;
  write: (s: Sample) => { key: string; hash: Written };
}

const sameLength = (n: number, tail: string) => `${BENCH_PREFIX}:k${String(n).padStart(4, '0')}:${tail}`;

const CANDIDATES: Candidacy[] = [
  // ---- the chunk ----
  { record: 'chunk', name: 'as written (payload JSON in one value)', write: (s) => ({ key: sameLength(0, s.chunkId), hash: s.chunk }) },
  {
    record: 'chunk',
    name: 'payload cut into pieces of <= 64 bytes',
    write: (s) => ({ key: sameLength(1, s.chunkId), hash: withPayload(s.chunk, s.chunk.payload as string) }),
  },
  {
    record: 'chunk',
    name: '+ signName and templateCode only in the send record',
    write: (s) => {
      const { signName: _s, templateCode: _t, ...rest } = JSON.parse(s.chunk.payload as string) as Record<string, unknown>;
      return { key: sameLength(2, s.chunkId), hash: withPayload(s.chunk, JSON.stringify(rest)) };
    },
  },
  {
    record: 'chunk',
    name: '+ sendId, index, kind left out (the key and send record hold them)',
    write: (s) => {
      const { signName: _s, templateCode: _t, ...rest } = JSON.parse(s.chunk.payload as string) as Record<string, unknown>;
      return { key: sameLength(3, s.chunkId), hash: omit(withPayload(s.chunk, JSON.stringify(rest)), 'sendId', 'index', 'kind') };
    },
  },
  // ---- the completed send job ----
  { record: 'send job (completed)', name: 'as written', write: (s) => ({ key: sameLength(10, `s.${s.chunkId}.a1`), hash: s.sendJob }) },
  {
    record: 'send job (completed)',
    name: 'data {chunkId} (sendId read from it)',
    write: (s) => ({ key: sameLength(11, `s.${s.chunkId}.a1`), hash: { ...s.sendJob, data: JSON.stringify({ chunkId: s.chunkId }) } }),
  },
  {
    record: 'send job (completed)',
    name: '+ returnvalue without attempt',
    write: (s) => {
      const { attempt: _a, ...rv } = JSON.parse(s.sendJob.returnvalue as string) as Record<string, unknown>;
      return { key: sameLength(12, `s.${s.chunkId}.a1`), hash: { ...s.sendJob, data: JSON.stringify({ chunkId: s.chunkId }), returnvalue: JSON.stringify(rv) } };
    },
  },
  {
    record: 'send job (completed)',
    name: '+ job id s<chunkId>.<attempt> (options <= 64 bytes)',
    write: (s) => {
      const { attempt: _a, ...rv } = JSON.parse(s.sendJob.returnvalue as string) as Record<string, unknown>;
      const jobId = `s${s.chunkId}.1`;
      const opts = { ...(JSON.parse(s.sendJob.opts as string) as Record<string, unknown>), jobId };
      return {
        key: `${BENCH_PREFIX}:k0013:${jobId}`,
        hash: { ...s.sendJob, data: JSON.stringify({ chunkId: s.chunkId }), returnvalue: JSON.stringify(rv), opts: JSON.stringify(opts) },
      };
    },
  },
  // ---- the delayed receipt look-up job ----
  { record: 'look-up job (delayed)', name: 'as written', write: (s) => ({ key: sameLength(20, `q.${s.chunkId}.l1.c0.d0.p1`), hash: s.lookJob }) },
  {
    record: 'look-up job (delayed)',
    name: 'data {chunkId, look} (zeros and sendId implied)',
    write: (s) => ({ key: sameLength(21, `q.${s.chunkId}.l1.c0.d0.p1`), hash: { ...s.lookJob, data: JSON.stringify({ chunkId: s.chunkId, look: 1 }) } }),
  },
  {
    record: 'look-up job (delayed)',
    name: '+ job id q.<chunkId>.l1, no backoff (still > 64 bytes)',
    write: (s) => {
      const jobId = `q.${s.chunkId}.l1`;
      const { backoff: _b, ...opts }: Record<string, unknown> = { ...(JSON.parse(s.lookJob.opts as string) as Record<string, unknown>), jobId };
      return { key: `${BENCH_PREFIX}:k0022:${jobId}`, hash: { ...s.lookJob, data: JSON.stringify({ chunkId: s.chunkId, look: 1 }), opts: JSON.stringify(opts) } };
    },
  },
  // ---- the counts ----
  { record: 'send record + counts', name: 'as written (send hash; counts hash apart)', write: (s) => ({ key: sameLength(30, s.sendId), hash: s.send }) },
  {
    record: 'send record + counts',
    name: 'send hash without sendId (the key holds it)',
    write: (s) => ({ key: sameLength(31, s.sendId), hash: omit(s.send, 'sendId') }),
  },
  {
    record: 'send record + counts',
    name: 'counts as fields c.<state> of the send hash',
    write: (s) => ({ key: sameLength(32, s.sendId), hash: { ...s.send, 'c.queued': '0', 'c.sending': '0', 'c.accepted': '1' } }),
  },
];

async function samples(conn: Redis, redis: Awaited<ReturnType<typeof startPrivateRedis>>, sends: number): Promise<Sample[]> {
  const { producer, worker, sendCode, close } = await startCodePipeline(redis.connectProducer(), redis.connect(), [600_000, 605_000]);
  try {
    await worker.start();
    const ids: string[] = [];
    for (let i = 0; i < sends; i++) ids.push((await sendCode(i)).sendId);
    await waitFor(async () => ((await Promise.all(ids.map((id) => producer.getStatus(id)))).every((s) => s.counts.accepted === 1) ? true : undefined), 'every send accepted', 120_000, 200);
    const calls = `${BENCH_PREFIX}:calls`;
    // The look-up job is added a moment after the accepting transition.
    await waitFor(async () => ((await conn.zcard(`${calls}:delayed`)) >= sends ? true : undefined), 'every look-up job added', 30_000);
    const out: Sample[] = [];
    for (const sendId of ids) {
      const chunkId = `${sendId}.0`;
      const chunkKey = `${BENCH_PREFIX}:chunk:${chunkId}`;
      out.push({
        sendId,
        chunkId,
        chunk: await conn.hgetall(chunkKey),
        sendJob: await conn.hgetall(`${calls}:s.${chunkId}.a1`),
        lookJob: await conn.hgetall(`${calls}:q.${chunkId}.l1.c0.d0.p1`),
        send: await conn.hgetall(`${BENCH_PREFIX}:send:${sendId}`),
        pttl: await conn.pttl(chunkKey),
      });
    }
    return out;
  } finally {
    await close();
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

async function measureCandidates(conn: Redis, list: Sample[]): Promise<{ bytes: number[]; encodings: string[]; example: Record<string, Written> }> {
  const bytes: number[] = [];
  const encodings: string[] = [];
  const example: Record<string, Written> = {};
  for (const c of CANDIDATES) {
    let total = 0;
    const seen = new Set<string>();
    for (const s of list) {
      const { key, hash } = c.write(s);
      await conn.del(key);
      await conn.hset(key, hash);
      if (s.pttl > 0) await conn.pexpire(key, s.pttl);
      total += Number(await conn.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
      seen.add(String(await conn.object('ENCODING', key)));
      await conn.del(key);
      if (s === list[0]) example[`${c.record}: ${c.name}`] = hash;
    }
    bytes.push(round1(total / list.length));
    encodings.push([...seen].join('/'));
  }
  return { bytes, encodings, example };
}

async function lookEntry(conn: Redis, list: Sample[]): Promise<{ usedMemory: number; usage: number }> {
  const key = `${BENCH_PREFIX}:look-candidate`;
  const ids = Array.from({ length: 2020 }, (_, i) => `${list[i % list.length]?.sendId as string}${String(i).padStart(4, '0')}.0`.slice(-23));
  const used = async () => Number(/used_memory:(\d+)/.exec(await conn.info('memory'))?.[1]);
  const before = await used();
  const now = Date.now();
  for (let i = 0; i < ids.length; i += 500) await conn.zadd(key, ...ids.slice(i, i + 500).flatMap((id, j) => [now + 30_000 + (i + j) * 7, id]));
  const after = await used();
  const usage = Number(await conn.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  await conn.del(key);
  return { usedMemory: round1((after - before) / ids.length), usage: round1(usage / ids.length) };
}

export async function runInflightCandidates(opts: { sends?: number } = {}): Promise<InflightCandidatesResult> {
  const sends = opts.sends ?? 300;
  const redis = await startPrivateRedis();
  const conn = redis.connect();
  try {
    const list = await samples(conn, redis, sends);
    const withDefaults = await measureCandidates(conn, list);
    await conn.config('SET', 'hash-max-listpack-value', '256');
    const with256 = await measureCandidates(conn, list);
    await conn.config('SET', 'hash-max-listpack-value', '64');
    const candidates = CANDIDATES.map((c, i) => ({
      record: c.record,
      name: c.name,
      defaults: withDefaults.bytes[i] as number,
      listpack256: with256.bytes[i] as number,
      encoding: withDefaults.encodings[i] as string,
    }));
    return { benchmark: 'inflight-candidates', sends, candidates, lookEntry: await lookEntry(conn, list), example: withDefaults.example };
  } finally {
    await redis.stop();
  }
}

export function formatInflightCandidates(r: InflightCandidatesResult): string {
  const lines = [`In-flight candidates, ${r.sends} real verification codes re-encoded (MEMORY USAGE SAMPLES 0 per key: Redis defaults (encoding) / hash-max-listpack-value 256):`];
  let record = '';
  for (const c of r.candidates) {
    if (c.record !== record) lines.push(`  ${(record = c.record)}`);
    lines.push(`    ${c.name.padEnd(68)}${String(c.defaults).padStart(8)} (${c.encoding})${String(c.listpack256).padStart(8)}`);
  }
  lines.push(`  the first look as a sorted-set entry (2,020 entries): ${r.lookEntry.usedMemory} B used_memory / ${r.lookEntry.usage} B MEMORY USAGE per entry`);
  lines.push('Example (the first code):');
  for (const [name, h] of Object.entries(r.example)) lines.push(`  ${name}: ${JSON.stringify(Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)])))}`);
  return lines.join('\n');
}

runIfMain(import.meta, {
  flags: ['sends'],
  limitMs: 600_000,
  what: 'the in-flight candidates bench',
  run: (values) => runInflightCandidates(values),
  format: formatInflightCandidates,
});
