/**
 * How a Lua script should take many options: Redis CPU to read the chunk transition's options
 * (src/queue/lua/transition-7.lua, run once per Dysmsapi call) positionally from ARGV, as one JSON
 * argument (cjson.decode) or as one msgpack argument (cmsgpack.unpack). `npx tsx bench/lua-options.ts
 * [--json] [--loops N] [--runs R]`.
 *
 * Each variant runs inside one EVAL that reads the same options N times (the send path's answer:
 * trigger, OutId, time, receipt window, auto-pause outcome and four recorded fields) and times itself
 * with Redis TIME; the figure is the fastest of R runs (the least disturbed by other processes), in
 * µs per read, side by side with its ratio to the positional read.
 */
import { cpus, loadavg } from 'node:os';
import { runIfMain, round } from './support/pipeline.js';
import { startPrivateRedis } from './support/redis.js';

export interface LuaOptionsOptions {
  /** Reads per EVAL. */
  loops: number;
  /** EVALs per variant; the fastest counts. */
  runs: number;
}

export interface LuaOptionsResult {
  benchmark: 'lua-options';
  loops: number;
  runs: number;
  /** µs per read of the options, and the ratio to the positional read. */
  variants: { name: string; micros: number; ratio: number; argumentBytes: number }[];
}

const FIELDS = { bizId: '1234567890^0', code: 'OK', resolvedBy: 'answer', acceptedAt: '1796375586512' };
const POSITIONAL = ['answer-accepted', 's1abc.0.1-0a1b2c3d4e', '1796375586512', '100000', '', '1796634786512', '1', '20', '0.5', '604800', ...Object.entries(FIELDS).flat()];
const PACKED = {
  trigger: 'answer-accepted',
  outId: 's1abc.0.1-0a1b2c3d4e',
  now: '1796375586512',
  maxlen: '100000',
  windowEndsAt: '1796634786512',
  outcome: { ok: true, window: '20', maxFailureRatio: '0.5', ttl: '604800' },
  fields: FIELDS,
};

const TIMED = (loops: number, body: string, prelude = '') => `
local function now() local t = redis.call('TIME'); return tonumber(t[1]) * 1000000 + tonumber(t[2]) end
${prelude}
local sink = 0
local t0 = now()
for _ = 1, ${loops} do
${body}
end
return tostring((now() - t0) / ${loops})`;

// What transition-7.lua does with its ARGV, and the same through a decoded table.
const READ_POSITIONAL = `
  local set = {'state', 'accepted', 'updatedAt', ARGV[3]}
  for i = 11, #ARGV, 2 do set[#set + 1] = ARGV[i]; set[#set + 1] = ARGV[i + 1] end
  if ARGV[7] ~= '' then sink = sink + tonumber(ARGV[8]) + tonumber(ARGV[9]) end
  if ARGV[5] ~= '' or ARGV[6] == '' then sink = sink + 1 end`;
const READ_DECODED = (decode: string) => `
  local o = ${decode}(ARGV[1])
  local set = {'state', 'accepted', 'updatedAt', o.now}
  for name, value in pairs(o.fields) do set[#set + 1] = name; set[#set + 1] = value end
  if o.outcome then sink = sink + tonumber(o.outcome.window) + tonumber(o.outcome.maxFailureRatio) end
  if o.expectState or not o.windowEndsAt then sink = sink + 1 end`;

export async function runLuaOptions(opts: Partial<LuaOptionsOptions> = {}): Promise<LuaOptionsResult> {
  const loops = opts.loops ?? 100_000;
  const runs = opts.runs ?? 7;
  const redis = await startPrivateRedis();
  const conn = redis.connect();
  try {
    const json = JSON.stringify(PACKED);
    // Packed by Redis's own cmsgpack, so this bench needs no msgpack library of its own.
    const msgpack = (await conn.callBuffer('EVAL', 'return cmsgpack.pack(cjson.decode(ARGV[1]))', '0', json)) as Buffer;
    const fastest = async (script: string, args: (string | Buffer)[]) => {
      let best = Infinity;
      for (let r = 0; r < runs; r++) best = Math.min(best, Number(await conn.eval(script, 0, ...args)));
      return best;
    };
    const measured = [
      { name: 'positional ARGV', micros: await fastest(TIMED(loops, READ_POSITIONAL), POSITIONAL), argumentBytes: POSITIONAL.reduce((n, a) => n + a.length, 0) },
      { name: 'one JSON argument (cjson)', micros: await fastest(TIMED(loops, READ_DECODED('cjson.decode')), [json]), argumentBytes: json.length },
      { name: 'one msgpack argument (cmsgpack)', micros: await fastest(TIMED(loops, READ_DECODED('cmsgpack.unpack')), [msgpack]), argumentBytes: msgpack.length },
    ];
    const base = measured[0]?.micros ?? NaN;
    return { benchmark: 'lua-options', loops, runs, variants: measured.map((v) => ({ ...v, micros: round(v.micros, 2), ratio: round(v.micros / base, 2) })) };
  } finally {
    await redis.stop();
  }
}

export function formatLuaOptions(r: LuaOptionsResult): string {
  return [
    `Lua options: Redis µs to read the chunk transition's options, fastest of ${r.runs} runs of ${r.loops.toLocaleString('en')} reads (${cpus().length} cores, load ${loadavg()[0]?.toFixed(1)})`,
    '  variant                           µs/read   ratio   argument bytes',
    ...r.variants.map((v) => `  ${v.name.padEnd(32)}  ${v.micros.toFixed(2).padStart(7)}  ${v.ratio.toFixed(2).padStart(6)}   ${String(v.argumentBytes).padStart(14)}`),
  ].join('\n');
}

runIfMain(import.meta, {
  flags: ['loops', 'runs'],
  limitMs: 300_000,
  what: 'the Lua options bench',
  run: (values) => runLuaOptions(values as Partial<LuaOptionsOptions>),
  format: formatLuaOptions,
});
