/**
 * The Lua scripts move records exactly as the lifecycle table says, in real Redis: every trigger
 * from every state, with the record's attempt, a newer one (adopted where the table says so) and
 * an older one; a trigger the table lacks is refused by TypeScript before the call and by Lua.
 */
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { UndeclaredTransitionError } from '../../src/errors.js';
import { chunkIdOf, createChunkStore, type ChunkStore, type ChunkTrigger } from '../../src/queue/chunk-store.js';
import { createKeys, type Keys } from '../../src/queue/keys.js';
import {
  CHUNK_LIFECYCLE,
  CHUNK_STATES,
  LIFECYCLES,
  NEW,
  SEND_CONTROL_LIFECYCLE,
  SEND_LIFECYCLE,
  targetOf,
  UNSENT_CHUNK_STATES,
  type ChunkState,
  type SendControlTrigger,
} from '../../src/queue/lifecycle.js';
import { ADOPT_FROM, edgesConstant, lifecycleLua } from '../../src/queue/lifecycle-lua.js';
import { luaScript } from '../../src/queue/lua.js';
import { createSendStore, type SendStore } from '../../src/queue/send-store.js';
import { createTestConnection, deleteKeys, uniquePrefix } from '../support/redis.js';

let redis: Redis;
let keys: Keys;
let chunks: ChunkStore;
let sends: SendStore;

beforeEach(() => {
  redis = createTestConnection();
  keys = createKeys(uniquePrefix('lifecycle'));
  const clock = createManualClock();
  chunks = createChunkStore({ redis, keys, clock });
  sends = createSendStore({ redis, keys });
});

afterEach(async () => {
  await deleteKeys(redis, keys.prefix);
  redis.disconnect();
});

const TRIGGERS = [...new Set(CHUNK_LIFECYCLE.transitions.map((t) => t.trigger))];
const ADOPTING = new Set(CHUNK_LIFECYCLE.transitions.filter((t) => t.adoptsNewerAttempt).map((t) => t.trigger));

/** A chunk of send `s1` in `state` at attempt 1 (written as a lost worker or Redis could leave it). */
async function chunkIn(index: string, state: ChunkState): Promise<{ chunkId: string; outId: string }> {
  await chunks.create([{ sendId: 's1', index, kind: 'notification', payload: { api: 'SendSms', phones: ['13500000000'], signName: 's', templateCode: 'T' } }], 3600);
  const chunkId = chunkIdOf('s1', index);
  const outId = `${chunkId}.1-aa`;
  await redis.hset(keys.chunk(chunkId), 'state', state, 'attempt', 1, 'outId', outId);
  return { chunkId, outId };
}

describe('the generated Lua table', () => {
  it('finds the same target as TypeScript for every trigger and from-state, adoption included', async () => {
    const queries: string[] = [];
    const expected: string[] = [];
    for (const lifecycle of LIFECYCLES) {
      for (const trigger of new Set(lifecycle.transitions.map((t) => t.trigger))) {
        for (const from of [NEW, ADOPT_FROM, ...lifecycle.states]) {
          queries.push(edgesConstant(lifecycle), trigger, from);
          const adopts = lifecycle.transitions.find((t) => t.trigger === trigger && t.adoptsNewerAttempt);
          expected.push((from === ADOPT_FROM ? adopts?.to : targetOf(lifecycle, trigger as never, from)) ?? '-');
        }
      }
    }
    const constants = LIFECYCLES.map((l) => `${edgesConstant(l)} = ${edgesConstant(l)}`).join(', ');
    const harness = `${lifecycleLua()}
local tables = { ${constants} }
local out = {}
for i = 1, #ARGV, 3 do out[#out + 1] = edgeTo(tables[ARGV[i]], ARGV[i + 1], ARGV[i + 2]) or '-' end
return out`;
    expect(await redis.eval(harness, 0, ...queries)).toEqual(expected);
  });
});

describe('transition-7.lua through the chunk store', () => {
  it('moves each chunk state by each trigger exactly where the table goes, for the record\'s own attempt', async () => {
    const mismatches: string[] = [];
    let i = 0;
    for (const trigger of TRIGGERS) {
      for (const state of CHUNK_STATES) {
        const { chunkId, outId } = await chunkIn(String(i++), state);
        const to = targetOf(CHUNK_LIFECYCLE, trigger, state);
        const t = await chunks.transition(chunkId, 's1', { trigger, outId });
        const now = (await chunks.get(chunkId))?.state;
        const got = t.applied ? `applied → ${now}` : `refused (${t.refused}), still ${now}`;
        const want = to ? `applied → ${to}` : `refused (not-from-state), still ${state}`;
        if (got !== want) mismatches.push(`${trigger} from ${state}: ${got}, table says ${want}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('adopts a newer attempt only for a trigger that adopts, from a state in doubt; never an older one', async () => {
    const mismatches: string[] = [];
    let i = 0;
    for (const trigger of TRIGGERS) {
      for (const state of CHUNK_STATES) {
        const { chunkId } = await chunkIn(`n${i}`, state);
        const newer = `${chunkId}.2-bb`;
        const adopts = ADOPTING.has(trigger) && UNSENT_CHUNK_STATES.includes(state);
        const t = await chunks.transition(chunkId, 's1', { trigger, outId: newer });
        const record = await chunks.get(chunkId);
        if (t.applied !== adopts || (adopts && (t.applied && t.adoptedAttempt) !== 2) || (adopts && record?.outId !== newer)) {
          mismatches.push(`${trigger} from ${state} with a newer attempt: ${JSON.stringify(t)}, record at ${record?.outId}`);
        }
        const { chunkId: other } = await chunkIn(`o${i++}`, state);
        const older = await chunks.transition(other, 's1', { trigger, outId: `${other}.0-cc` });
        if (older.applied || older.refused !== 'other-attempt') mismatches.push(`${trigger} from ${state} with an older attempt: ${JSON.stringify(older)}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('applies only while the chunk is in the state the caller read', async () => {
    const { chunkId } = await chunkIn('x', 'sending');
    expect(await chunks.transition(chunkId, 's1', { trigger: 'send-missing', expectState: 'queued' })).toMatchObject({ applied: false, refused: 'moved', state: 'sending' });
    expect(await chunks.transition(chunkId, 's1', { trigger: 'send-missing', expectState: 'sending' })).toMatchObject({ applied: true, from: 'sending', to: 'expired' });
    expect(await chunks.get(chunkId)).toMatchObject({ state: 'expired', code: 'SMSQ_SEND_MISSING' });
  });

  it('refuses an undeclared trigger or field in TypeScript, before the call: nothing changes', async () => {
    const { chunkId } = await chunkIn('t', 'sending');
    const before = await redis.hgetall(keys.chunk(chunkId));
    await expect(chunks.transition(chunkId, 's1', { trigger: 'teleport' as ChunkTrigger })).rejects.toThrow(/chunk transition "teleport": no such trigger\. Fix/);
    await expect(chunks.transition(chunkId, 's1', { trigger: 'answer-failed', fields: { bizId: 'b' } })).rejects.toMatchObject({ code: 'SMSQ_UNDECLARED_TRANSITION' });
    await expect(chunks.transition(chunkId, 's1', { trigger: 'cancel', fields: { code: 'SMSQ_DEADLINE' } })).rejects.toBeInstanceOf(UndeclaredTransitionError);
    expect(await redis.hgetall(keys.chunk(chunkId))).toEqual(before);
  });

  it('refuses an undeclared trigger in Lua too (a caller that skips TypeScript): nothing changes', async () => {
    const { chunkId } = await chunkIn('l', 'sending');
    const before = await redis.hgetall(keys.chunk(chunkId));
    const transition = luaScript(redis, 'transition-7');
    const call = transition(
      keys.chunk(chunkId),
      keys.sendCounts('s1'),
      keys.events(),
      keys.recipientTotals(),
      keys.receiptWindow(),
      keys.sendOutcomes('s1'),
      keys.send('s1'),
      'teleport',
      '',
      0,
      10,
      '',
      '',
      '',
      0,
      0,
      0,
    );
    await expect(call).rejects.toBeInstanceOf(UndeclaredTransitionError);
    await expect(call).rejects.toThrow(/chunk transition "teleport": no such trigger in the Lua table/);
    expect(await redis.hgetall(keys.chunk(chunkId))).toEqual(before);
  });
});

describe('the send scripts', () => {
  const controls = SEND_CONTROL_LIFECYCLE.states;
  const controlTriggers = [...new Set(SEND_CONTROL_LIFECYCLE.transitions.map((t) => t.trigger))] as SendControlTrigger[];

  it('move a send\'s control exactly where the table goes, and report the control before', async () => {
    const mismatches: string[] = [];
    for (const trigger of controlTriggers) {
      for (const control of controls) {
        const sendId = `c-${trigger}-${control}`;
        await redis.hset(keys.send(sendId), 'sendId', sendId, 'control', control);
        const prev = await sends.setControl(sendId, trigger, 'test');
        const now = await redis.hget(keys.send(sendId), 'control');
        const want = targetOf(SEND_CONTROL_LIFECYCLE, trigger, control) ?? control;
        if (prev !== control || now !== want) mismatches.push(`${trigger} from ${control}: ${prev} → ${now}, table says ${want}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(await sends.setControl('nobody', 'pause', 'test')).toBeUndefined();
    await expect(sends.setControl('nobody', 'stop' as SendControlTrigger, 'test')).rejects.toMatchObject({ code: 'SMSQ_UNDECLARED_TRANSITION' });
  });

  it('fail a send only from the states the trigger leaves, with its code', async () => {
    const mismatches: string[] = [];
    for (const trigger of ['fail', 'abandon'] as const) {
      for (const state of SEND_LIFECYCLE.states) {
        const sendId = `f-${trigger}-${state}`;
        await redis.hset(keys.send(sendId), 'sendId', sendId, 'state', state);
        const moved = await sends.fail(sendId, trigger, 'why', trigger === 'fail' ? 'isv.X' : undefined);
        const now = await redis.hget(keys.send(sendId), 'state');
        const want = targetOf(SEND_LIFECYCLE, trigger, state);
        if (moved !== (want !== undefined) || now !== (want ?? state)) mismatches.push(`${trigger} from ${state}: ${moved} → ${now}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(await redis.hmget(keys.send('f-abandon-enqueuing'), 'code', 'reason')).toEqual(['SMSQ_ENQUEUE_ABANDONED', 'why']);
    await expect(sends.fail('f-fail-active', 'fail', 'why')).rejects.toThrow(/records a code, and none was given/);
  });

  it('mark an enqueue complete from enqueuing only, recording its totals in any state', async () => {
    for (const state of SEND_LIFECYCLE.states) {
      await redis.hset(keys.send(`m-${state}`), 'sendId', `m-${state}`, 'state', state);
      await sends.markEnqueued(`m-${state}`, { chunks: 3 });
      expect(await redis.hmget(keys.send(`m-${state}`), 'state', 'chunks')).toEqual([targetOf(SEND_LIFECYCLE, 'enqueued', state) ?? state, '3']);
    }
    await sends.markEnqueued('nobody', { chunks: 3 });
    expect(await redis.exists(keys.send('nobody'))).toBe(0);
  });
});
