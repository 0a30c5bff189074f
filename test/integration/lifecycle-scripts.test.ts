/**
 * The Lua scripts move records exactly as the lifecycle table says, in real Redis: every trigger
 * from every state, with the record's attempt, a newer one (adopted where the table says so) and
 * an older one; a trigger the table lacks is refused by TypeScript before the call and by Lua.
 */
import { Redis as IORedis, type Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../src/clock.js';
import { UndeclaredTransitionError } from '../../src/errors.js';
import { chunkIdOf, createChunkStore, type ChunkStore, type ChunkTrigger } from '../../src/queue/chunk-store.js';
import { createKeys, type Keys } from '../../src/queue/keys.js';
import {
  canAdopt,
  CHUNK_LIFECYCLE,
  CHUNK_STATES,
  LIFECYCLES,
  NEW,
  SEND_LIFECYCLE,
  controlOf,
  targetOf,
  type ChunkState,
  type SendControlMove,
  type SendControlTrigger,
} from '../../src/queue/lifecycle.js';
import { ADOPT_FROM, edgesConstant, PROOF_FROM } from '../../src/queue/lifecycle-lua.js';
import { luaScript } from '../../src/queue/lua.js';
import { luaPart, resolveIncludes } from '../../src/queue/lua-source.js';
import { createSendStore, type SendStore } from '../../src/queue/send-store.js';
import { createRecipientStore } from '../../src/receipts/recipient-store.js';
import { lapsedReason, WITHDRAWN_INDEX_KEEP, WITHDRAWN_REASON } from '../../src/queue/withdrawal.js';
import { createTestConnection, deleteKeys, uniquePrefix } from '../support/redis.js';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';

let redis: Redis;
let keys: Keys;
let chunks: ChunkStore;
let sends: SendStore;
let clock: ManualClock;

beforeEach(() => {
  redis = createTestConnection();
  keys = createKeys(uniquePrefix('lifecycle'));
  clock = createManualClock();
  chunks = createChunkStore({ redis, keys, clock });
  sends = createSendStore({ redis, keys, clock });
});

afterEach(async () => {
  await deleteKeys(redis, keys.prefix);
  redis.disconnect();
});

const TRIGGERS = [...new Set(CHUNK_LIFECYCLE.transitions.map((t) => t.trigger))];

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
        for (const from of [NEW, ...lifecycle.states]) {
          queries.push(edgesConstant(lifecycle), trigger, from);
          expected.push(targetOf(lifecycle, trigger as never, from) ?? '-');
          const rows = lifecycle.transitions.filter((t) => t.trigger === trigger);
          queries.push(edgesConstant(lifecycle), trigger, `${ADOPT_FROM}${from}`);
          expected.push(rows.find((t) => (t.adoptsNewerAttempt as readonly string[] | undefined)?.includes(from))?.to ?? '-');
          queries.push(edgesConstant(lifecycle), trigger, `${PROOF_FROM}${from}`);
          expected.push(rows.find((t) => (t.provesEarlierAttempt as readonly string[] | undefined)?.includes(from))?.to ?? '-');
        }
      }
    }
    const constants = LIFECYCLES.map((l) => `${edgesConstant(l)} = ${edgesConstant(l)}`).join(', ');
    const harness = `${resolveIncludes('--@include "lifecycle"\n--@include "lifecycle-edges"\n', luaPart)}
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

  it('adopts a newer attempt only for a trigger that adopts, from a state in doubt; an older one (or the same under another OutId) only with proof of it', async () => {
    const mismatches: string[] = [];
    let i = 0;
    for (const trigger of TRIGGERS) {
      for (const state of CHUNK_STATES) {
        const { chunkId } = await chunkIn(`n${i}`, state);
        const newer = `${chunkId}.2-bb`;
        const adopts = canAdopt(trigger, state);
        const t = await chunks.transition(chunkId, 's1', { trigger, outId: newer });
        const record = await chunks.get(chunkId);
        if (t.applied !== adopts || (adopts && (t.applied && t.adoptedAttempt) !== 2) || (adopts && record?.outId !== newer)) {
          mismatches.push(`${trigger} from ${state} with a newer attempt: ${JSON.stringify(t)}, record at ${record?.outId}`);
        }
        const { chunkId: zero } = await chunkIn(`z${i}`, state);
        const none = await chunks.transition(zero, 's1', { trigger, outId: `${zero}.0-cc` });
        if (none.applied || none.refused !== 'other-attempt') mismatches.push(`${trigger} from ${state} with attempt 0 (none of ours): ${JSON.stringify(none)}`);
        const proves = CHUNK_LIFECYCLE.transitions.some((r) => r.trigger === trigger && (r.provesEarlierAttempt as readonly string[] | undefined)?.includes(state));
        for (const [label, earlier] of [['an older attempt', '1-cc'], ['the same attempt under another OutId', '3-dd']] as const) {
          const { chunkId: other } = await chunkIn(`o${i++}`, state);
          await redis.hset(keys.chunk(other), 'attempt', 3, 'outId', `${other}.3-aa`);
          const t = await chunks.transition(other, 's1', { trigger, outId: `${other}.${earlier}` });
          const record = await chunks.get(other);
          const ok = proves ? t.applied && t.provedAttempt === Number(earlier[0]) && record?.outId === `${other}.${earlier}` && record.attempt === 3 : !t.applied && t.refused === 'other-attempt';
          if (!ok) mismatches.push(`${trigger} from ${state} with ${label}: ${JSON.stringify(t)}, record at ${record?.outId}`);
        }
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

  it('answers the same call run twice (its answer lost, sent again by the client: the same token) as it applied, changing nothing; another call is judged anew', async () => {
    const transition = luaScript(redis, 'transition-7');
    const run = (chunkId: string, trigger: ChunkTrigger, outId: string, call: string, ...fields: string[]) =>
      transition(keys.chunk(chunkId), keys.sendCounts('s1'), keys.events(), keys.recipientTotals(), keys.receiptWindow(), keys.sendOutcomes('s1'), keys.send('s1'), trigger, outId, clock.now(), 100, JSON.stringify({ call }), ...fields);
    /** What a run may change: the record, the counts, the events. */
    const written = async (chunkId: string) => [await redis.hgetall(keys.chunk(chunkId)), await redis.hgetall(keys.sendCounts('s1')), await redis.xlen(keys.events())];

    // A pushed report naming the attempt the record lost: run again, it was a plain move with nothing adopted.
    const { chunkId: lost } = await chunkIn('rl', 'queued');
    const newer = `${lost}.2-bb`;
    const adopted = await run(lost, 'report-lost-attempt', newer, 'c1', 'code', 'SMSQ_REDIS_ROLLBACK', 'resolvedBy', 'report');
    expect(adopted).toEqual([1, 'queued', 'unknown', '', '2', '', '']);
    const afterFirst = await written(lost);
    clock.advance(1000);
    expect(await run(lost, 'report-lost-attempt', newer, 'c1', 'code', 'SMSQ_REDIS_ROLLBACK', 'resolvedBy', 'report')).toEqual(adopted);
    expect(await written(lost)).toEqual(afterFirst);
    // Another call (the push repeated) is judged anew: the record holds that attempt already.
    expect(await run(lost, 'report-lost-attempt', newer, 'c2', 'code', 'SMSQ_REDIS_ROLLBACK', 'resolvedBy', 'report')).toEqual([1, 'unknown', 'unknown', '', '', '', '']);

    // A pushed report of the record's own attempt: run again, it was refused as a move already made.
    const { chunkId: unknown, outId } = await chunkIn('ra', 'unknown');
    const accepted = await run(unknown, 'report-accepted', outId, 'c3', 'code', 'OK', 'resolvedBy', 'report');
    expect(accepted).toEqual([1, 'unknown', 'accepted', '', '', '', '']);
    expect(await run(unknown, 'report-accepted', outId, 'c3', 'code', 'OK', 'resolvedBy', 'report')).toEqual(accepted);
    expect(await run(unknown, 'report-accepted', outId, 'c4', 'code', 'OK', 'resolvedBy', 'report')).toEqual([0, 'not-from-state', 'accepted', outId]);
    // A refusal keeps no token: the same call later is judged as any.
    expect(await run(unknown, 'report-accepted', outId, 'c4', 'code', 'OK', 'resolvedBy', 'report')).toEqual([0, 'not-from-state', 'accepted', outId]);
  });

  it('adds one to the counters a trigger declares each time it applies, and none when refused', async () => {
    const counted = CHUNK_LIFECYCLE.transitions.filter((t) => t.counts?.length);
    expect(counted.map((t) => [t.trigger, t.counts])).toEqual([['undo-claim', ['undone']]]);
    const { chunkId, outId } = await chunkIn('u', 'sending');
    expect(await chunks.transition(chunkId, 's1', { trigger: 'undo-claim', outId, fields: { code: 'SMSQ_SHUTDOWN' } })).toMatchObject({ applied: true, to: 'queued' });
    // Claimed again (a new attempt, as claim-6.lua writes it) and undone again: two claims, neither called.
    const second = `${chunkId}.2-bb`;
    await redis.hset(keys.chunk(chunkId), 'state', 'sending', 'attempt', 2, 'outId', second);
    // Another attempt's undo (the first, stale) is refused, and counts nothing.
    expect(await chunks.transition(chunkId, 's1', { trigger: 'undo-claim', outId, fields: { code: 'SMSQ_SHUTDOWN' } })).toMatchObject({ applied: false, refused: 'other-attempt' });
    expect(await chunks.transition(chunkId, 's1', { trigger: 'undo-claim', outId: second, fields: { code: 'SMSQ_CLAIM_EXPIRED' } })).toMatchObject({ applied: true });
    expect(await chunks.get(chunkId)).toMatchObject({ state: 'queued', attempt: 2, undone: 2, code: 'SMSQ_CLAIM_EXPIRED' });
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

describe("the send path's claim and answer, field by field (claim-6.lua, transition-7.lua)", () => {
  const claimScript = () => luaScript(redis, 'claim-6');
  const claimArgs = (chunkId: string, now: number) => [
    keys.chunk(chunkId), keys.sendCounts('s1'), keys.send('s1'), keys.events(), keys.recipientTotals(), keys.pacer(),
    now, 1000, 0, 200, 1_000_000_000, 'nc', 0,
  ];
  /** The chunk events of `chunkId`, without their stream ids. */
  const eventsOf = async (chunkId: string) => (await redis.xrange(keys.events(), '-', '+')).map(([, f]) => f).filter((f) => f[5] === chunkId);

  it('writes the same texts in the record, the counts, the event and the reply as the numbers they stand for', async () => {
    await chunks.create([{ sendId: 's1', index: 'p', kind: 'notification', payload: { api: 'SendSms', phones: ['13500000000', '13500000001'], signName: 's', templateCode: 'T' } }], 3600);
    await redis.hset(keys.send('s1'), 'state', 'active', 'control', 'active', 'chunks', '40', 'enqueuedAt', '1');
    const chunkId = chunkIdOf('s1', 'p');
    const totals = await redis.hgetall(keys.recipientTotals());
    const claimed = (await claimScript()(...claimArgs(chunkId, 1_700_000_000_123))) as string[];
    expect(claimed.slice(0, 8)).toEqual(['send', '1', `${chunkId}.1-nc`, expect.any(String), 'notification', '2', 'p', '0']);
    // Redis's TIME in µs when the slot was reserved: 16 digits, and the slot 200 µs after it.
    expect(claimed[8]).toMatch(/^[1-9]\d{15}$/);
    expect(await redis.get(keys.pacer())).toBe(String(BigInt(claimed[8] as string) + 200n));
    expect(await redis.hgetall(keys.chunk(chunkId))).toMatchObject({ state: 'sending', attempt: '1', outId: `${chunkId}.1-nc`, sentAt: '1700000000123', updatedAt: '1700000000123' });
    expect(await redis.hgetall(keys.sendCounts('s1'))).toMatchObject({ queued: '0', sending: '2' });
    const moved = await redis.hgetall(keys.recipientTotals());
    expect([Number(moved.queued) - Number(totals.queued), Number(moved.sending ?? 0) - Number(totals.sending ?? 0)]).toEqual([-2, 2]);

    const t = await chunks.transition(chunkId, 's1', {
      trigger: 'answer-accepted',
      outId: `${chunkId}.1-nc`,
      fields: { bizId: 'b^0', code: 'OK', resolvedBy: 'answer', acceptedAt: 1_700_000_000_456 },
      windowEndsAt: 1_700_086_400_456,
      outcome: { ok: true, window: 20, maxFailureRatio: 0.5, ttlSeconds: 60 },
    });
    // Its only chunk: the send moves with it.
    expect(t).toEqual({ applied: true, from: 'sending', to: 'accepted', sendTo: 'sent' });
    const record = await redis.hgetall(keys.chunk(chunkId));
    expect(record).toMatchObject({ state: 'accepted', updatedAt: expect.stringMatching(/^\d+$/), bizId: 'b^0', code: 'OK', resolvedBy: 'answer', acceptedAt: '1700000000456' });
    expect(await redis.hgetall(keys.sendCounts('s1'))).toMatchObject({ queued: '0', sending: '0', accepted: '2' });
    expect(await redis.zscore(keys.receiptWindow(), chunkId)).toBe('1700086400456');
    expect(await redis.lrange(keys.sendOutcomes('s1'), 0, -1)).toEqual(['1']);
    const events = await eventsOf(chunkId);
    // type chunk sendId s1 chunkId … from … state … n … code … at …
    expect(events.map((f) => [f[7], f[9], f[11], f[13]])).toEqual([['queued', 'sending', '2', ''], ['sending', 'accepted', '2', 'OK']]);
    expect(events[0]?.[15]).toBe('1700000000123');
  });

  it('reads a count a hand altered as the number it says, and writes it as before', async () => {
    await chunks.create([{ sendId: 's1', index: 'h', kind: 'notification', payload: { api: 'SendSms', phones: ['13500000000', '13500000001'], signName: 's', templateCode: 'T' } }], 3600);
    await redis.hset(keys.send('s1'), 'state', 'active', 'control', 'active', 'chunks', '40', 'enqueuedAt', '1');
    const chunkId = chunkIdOf('s1', 'h');
    await redis.hset(keys.chunk(chunkId), 'n', '2.0', 'attempt', '1');
    const counts = await redis.hgetall(keys.sendCounts('s1'));
    const claimed = (await claimScript()(...claimArgs(chunkId, 1_700_000_000_123))) as string[];
    expect(claimed.slice(0, 3)).toEqual(['send', '2', `${chunkId}.2-nc`]);
    expect(claimed[5]).toBe('2');
    expect(await redis.hget(keys.chunk(chunkId), 'attempt')).toBe('2');
    const after = await redis.hgetall(keys.sendCounts('s1'));
    expect(Number(after.sending) - Number(counts.sending ?? 0)).toBe(2);
    expect((await eventsOf(chunkId)).map((f) => f[11])).toEqual(['2']);
    const t = await chunks.transition(chunkId, 's1', { trigger: 'answer-failed', outId: `${chunkId}.2-nc`, fields: { code: 'E' } });
    expect(t).toMatchObject({ applied: true, to: 'failed' });
    expect(Number((await redis.hgetall(keys.sendCounts('s1'))).failed)).toBe(2);
  });

  it('claims nothing of an attempt a hand altered to one no claim writes ("1.5"): its next OutId would be none of ours (out-id.ts), so the claim answers foreign-attempt and changes nothing, for the caller to end it as unknown', async () => {
    await chunks.create([{ sendId: 's1', index: 'f', kind: 'notification', payload: { api: 'SendSms', phones: ['13500000000'], signName: 's', templateCode: 'T' } }], 3600);
    await redis.hset(keys.send('s1'), 'state', 'active', 'control', 'active', 'chunks', '40', 'enqueuedAt', '1');
    const chunkId = chunkIdOf('s1', 'f');
    await redis.hset(keys.chunk(chunkId), 'attempt', '1.5');
    const before = await redis.hgetall(keys.chunk(chunkId));
    const counts = await redis.hgetall(keys.sendCounts('s1'));
    expect(await claimScript()(...claimArgs(chunkId, 1_700_000_000_123))).toEqual(['foreign-attempt']);
    expect(await redis.hgetall(keys.chunk(chunkId))).toEqual(before);
    expect(await redis.hgetall(keys.sendCounts('s1'))).toEqual(counts);
  });
});

describe('end-by-send-5.lua through the chunk store', () => {
  const queuedIn = async (sendId: string, index: string) => {
    await chunks.create([{ sendId, index, kind: 'notification', payload: { api: 'SendSms', phones: ['13500000000'], signName: 's', templateCode: 'T' } }], 3600);
    return chunkIdOf(sendId, index);
  };

  it('ends a queued chunk exactly as its claim would, and leaves it queued where the claim would start an attempt', async () => {
    const late = clock.now() - 1;
    const sendsAs: Record<string, (string | number)[]> = {
      failed: ['state', 'failed', 'control', 'active', 'code', 'isv.SMS_TEMPLATE_ILLEGAL', 'deadline', late],
      'failed-no-code': ['state', 'failed', 'control', 'active'],
      cancelled: ['state', 'cancelled', 'control', 'cancelled', 'deadline', late],
      late: ['state', 'active', 'control', 'active', 'deadline', late],
      'late-paused': ['state', 'paused', 'control', 'paused', 'deadline', late],
      'late-enqueuing': ['state', 'enqueuing', 'control', 'active', 'deadline', late],
      'at-deadline': ['state', 'active', 'control', 'active', 'deadline', clock.now()],
      active: ['state', 'active', 'control', 'active'],
      paused: ['state', 'paused', 'control', 'paused'],
      // A deadline that is no number (a record written by hand) is none, for the claim and the sweep (orphan-sweep.ts) alike; the scripts erred on it.
      'no-number-deadline': ['state', 'active', 'control', 'active', 'deadline', ''],
    };
    const ends: Record<string, string> = {};
    for (const [sendId, fields] of Object.entries(sendsAs)) {
      // Written before the send's record: a chunk of a cancelled send is refused.
      const byClaim = await queuedIn(sendId, '0');
      const bySweep = await queuedIn(sendId, '1');
      await redis.hset(keys.send(sendId), ...fields);
      const claimed = await chunks.claim(byClaim, sendId);
      const ended = await chunks.endBySend(bySweep, sendId);
      const record = async (chunkId: string) => redis.hmget(keys.chunk(chunkId), 'state', 'code', 'attempt', 'outId');
      if (claimed.type === 'ended') {
        expect(ended, sendId).toEqual(claimed);
        expect(await record(bySweep), sendId).toEqual(await record(byClaim));
      } else {
        expect(ended, sendId).toEqual({ type: 'open' });
        expect(await record(bySweep), sendId).toEqual(['queued', null, '0', null]);
      }
      ends[sendId] = ended.type === 'ended' ? `${ended.state} ${ended.code}` : ended.type;
    }
    expect(ends).toEqual({
      failed: 'failed isv.SMS_TEMPLATE_ILLEGAL',
      'failed-no-code': 'failed SMSQ_SEND_FAILED',
      cancelled: 'cancelled SMSQ_CANCELLED',
      late: 'expired SMSQ_DEADLINE',
      'late-paused': 'expired SMSQ_DEADLINE',
      'late-enqueuing': 'expired SMSQ_DEADLINE',
      'at-deadline': 'open',
      active: 'open',
      paused: 'open',
      'no-number-deadline': 'open',
    });
    // The send itself is not moved (its settle does that, as after a claim's end): still active with nothing left unsent.
    expect(await redis.hmget(keys.send('late'), 'state', 'code')).toEqual(['active', null]);
    expect(await redis.hmget(keys.sendCounts('late'), 'queued', 'expired')).toEqual(['0', '2']);
  });

  it('leaves alone a chunk no claim would take, one whose send record is gone, and one that does not exist', async () => {
    await redis.hset(keys.send('s1'), 'state', 'failed', 'control', 'active', 'code', 'X');
    const { chunkId } = await chunkIn('sent', 'unknown');
    expect(await chunks.endBySend(chunkId, 's1')).toEqual({ type: 'moved', state: 'unknown' });
    expect(await redis.hget(keys.chunk(chunkId), 'state')).toBe('unknown');
    const orphan = await queuedIn('gone', '0');
    expect(await chunks.endBySend(orphan, 'gone')).toEqual({ type: 'open' });
    expect(await redis.hget(keys.chunk(orphan), 'state')).toBe('queued');
    expect(await chunks.endBySend(chunkIdOf('s1', 'nope'), 's1')).toEqual({ type: 'missing' });
  });
});

describe('the send scripts', () => {
  const controlTriggers = ['pause', 'resume', 'cancel', 'withdraw', 'withdrawal-lapsed', 'retention-lapsed'] as const satisfies readonly SendControlMove[];

  it("move a send exactly where the table goes on an operator's trigger (or a withdrawal's), with its control, time and history", async () => {
    const mismatches: string[] = [];
    for (const trigger of controlTriggers) {
      for (const state of SEND_LIFECYCLE.states) {
        const sendId = `c-${trigger}-${state}`;
        await redis.hset(keys.send(sendId), 'sendId', sendId, 'state', state, 'enqueuedAt', 1, 'history', `${state}:1`);
        const moved = await sends.setControl(sendId, trigger, 'test');
        const [now, control, history] = await redis.hmget(keys.send(sendId), 'state', 'control', 'history');
        const want = targetOf(SEND_LIFECYCLE, trigger, state) ?? state;
        if (moved?.from !== state || moved.to !== want || now !== want) mismatches.push(`${trigger} from ${state}: ${JSON.stringify(moved)} → ${now}, table says ${want}`);
        if (want !== state && (control !== controlOf(want) || history !== `${state}:1 ${want}:${clock.now()}`)) mismatches.push(`${trigger} from ${state}: control ${control}, history ${history}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(await sends.setControl('nobody', 'pause', 'test')).toBeUndefined();
    await expect(sends.setControl('nobody', 'stop' as SendControlTrigger, 'test')).rejects.toMatchObject({ code: 'SMSQ_UNDECLARED_TRANSITION' });
  });

  it("move a withdrawn send only while it bears the withdrawal's mark: not once an operator moved it, or a retry took it back", async () => {
    const mark = 'not confirmed durable at enqueue';
    const withdrawn = async (sendId: string) => {
      await redis.hset(keys.send(sendId), 'sendId', sendId, 'state', 'active', 'enqueuedAt', 1, 'history', 'active:1');
      expect(await sends.setControl(sendId, 'withdraw', mark)).toEqual({ from: 'active', to: 'paused' });
    };
    await withdrawn('w1');
    // An operator pauses it with a reason of their own: neither its retry nor the sweep moves it any more.
    expect(await sends.setControl('w1', 'pause', 'held for review')).toEqual({ from: 'paused', to: 'paused' });
    expect(await sends.setControl('w1', 'resume', 'retried', mark)).toEqual({ from: 'paused', to: 'paused' });
    expect(await sends.setControl('w1', 'withdrawal-lapsed', 'lapsed', mark)).toEqual({ from: 'paused', to: 'paused' });
    expect(await redis.hmget(keys.send('w1'), 'state', 'controlReason')).toEqual(['paused', 'held for review']);
    // Taken back by a retry: the sweep does not cancel it after.
    await withdrawn('w2');
    expect(await sends.setControl('w2', 'resume', 'retried', mark)).toEqual({ from: 'paused', to: 'active' });
    expect(await sends.setControl('w2', 'withdrawal-lapsed', 'lapsed', mark)).toEqual({ from: 'active', to: 'active' });
    // Cancelled by the sweep: the retry cannot resume it.
    await withdrawn('w3');
    expect(await sends.setControl('w3', 'withdrawal-lapsed', 'lapsed', mark)).toEqual({ from: 'paused', to: 'cancelled' });
    expect(await sends.setControl('w3', 'resume', 'retried', mark)).toEqual({ from: 'cancelled', to: 'cancelled' });
    expect(await redis.hmget(keys.send('w3'), 'state', 'control', 'controlReason')).toEqual(['cancelled', 'cancelled', 'lapsed']);
    // A withdrawal never takes over an operator's pause.
    await redis.hset(keys.send('w4'), 'sendId', 'w4', 'state', 'paused', 'enqueuedAt', 1, 'controlReason', 'held for review');
    expect(await sends.setControl('w4', 'withdraw', mark)).toEqual({ from: 'paused', to: 'paused' });
    expect(await redis.hget(keys.send('w4'), 'controlReason')).toBe('held for review');
  });

  it('keep the index of withdrawn sends and the withdrawals counter with the moves themselves, the index bounded', async () => {
    const index = () => redis.zrange(keys.withdrawnSends(), 0, -1);
    const counted = () => redis.hgetall(keys.withdrawals());
    const active = (sendId: string) => redis.hset(keys.send(sendId), 'sendId', sendId, 'state', 'active', 'enqueuedAt', 1, 'history', 'active:1');
    for (const sendId of ['w1', 'w2', 'w3']) {
      await active(sendId);
      clock.advance(1);
      expect(await sends.setControl(sendId, 'withdraw', WITHDRAWN_REASON)).toEqual({ from: 'active', to: 'paused' });
    }
    expect(await redis.zrange(keys.withdrawnSends(), 0, -1, 'WITHSCORES')).toEqual(['w1', String(clock.now() - 2), 'w2', String(clock.now() - 1), 'w3', String(clock.now())]);
    expect(await counted()).toEqual({ held: '3' });
    // An operator's pause takes it over: held no more, and no withdrawal's outcome.
    await sends.setControl('w1', 'pause', 'held for review');
    // Refused (the mark is gone): nothing counted.
    await sends.setControl('w1', 'resume', 'retried', WITHDRAWN_REASON);
    await sends.setControl('w2', 'resume', 'retried', WITHDRAWN_REASON);
    await sends.setControl('w3', 'withdrawal-lapsed', lapsedReason(600_000), WITHDRAWN_REASON);
    // A second lapse of the same send moves nothing, and counts nothing.
    await sends.setControl('w3', 'withdrawal-lapsed', lapsedReason(600_000), WITHDRAWN_REASON);
    expect(await index()).toEqual([]);
    expect(await counted()).toEqual({ held: '3', 'taken-back': '1', lapsed: '1' });
    // Withdrawn without a key: cancelled at once, never held.
    await active('w4');
    expect(await sends.setControl('w4', 'cancel', WITHDRAWN_REASON)).toEqual({ from: 'active', to: 'cancelled' });
    expect(await index()).toEqual([]);
    expect(await counted()).toEqual({ held: '3', 'taken-back': '1', lapsed: '1', cancelled: '1' });

    // The index keeps the newest WITHDRAWN_INDEX_KEEP.
    for (let i = 0; i <= WITHDRAWN_INDEX_KEEP; i++) {
      await active(`b${i}`);
      clock.advance(1);
      await sends.setControl(`b${i}`, 'withdraw', WITHDRAWN_REASON);
    }
    expect(await redis.zcard(keys.withdrawnSends())).toBe(WITHDRAWN_INDEX_KEEP);
    expect(await redis.zscore(keys.withdrawnSends(), 'b0')).toBeNull();
    expect(await redis.zscore(keys.withdrawnSends(), `b${WITHDRAWN_INDEX_KEEP}`)).toBe(String(clock.now()));
  });

  it('resume a send paused before its enqueue finished back to enqueuing; a record with the old control field reads as its state', async () => {
    await redis.hset(keys.send('early'), 'sendId', 'early', 'state', 'paused');
    expect(await sends.setControl('early', 'resume', 'test')).toEqual({ from: 'paused', to: 'enqueuing' });
    await redis.hset(keys.send('old'), 'sendId', 'old', 'state', 'active', 'control', 'paused', 'createdAt', 5);
    expect((await sends.status('old'))?.send).toMatchObject({ state: 'paused', control: 'paused', history: [{ state: 'paused', at: 5 }] });
    expect(await sends.setControl('old', 'resume', 'test')).toEqual({ from: 'paused', to: 'active' });
  });

  it('settle a send from its counts: sent once nothing is unsent, completed once nothing is pending, expired past its deadline', async () => {
    const setUp = async (sendId: string, state: string, counts: Record<string, number>, extra: (string | number)[] = []) => {
      await redis.hset(keys.send(sendId), 'sendId', sendId, 'state', state, 'enqueuedAt', 1, 'callbackUrl', 'http://x', ...extra);
      await redis.hset(keys.sendCounts(sendId), counts);
    };
    await setUp('s-sent', 'active', { queued: 0, sending: 0, unknown: 0, accepted: 3 });
    expect(await sends.settle('s-sent')).toEqual({ from: 'active', to: 'sent', callbackUrl: 'http://x', announce: false, pending: 3 });
    await setUp('s-busy', 'active', { queued: 1, accepted: 3 });
    expect(await sends.settle('s-busy')).toMatchObject({ from: 'active', to: 'active', pending: 4 });
    await setUp('s-done', 'active', { delivered: 3 });
    expect(await sends.settle('s-done')).toMatchObject({ from: 'active', to: 'completed', announce: true, pending: 0 });
    expect((await sends.status('s-done'))?.send.history.map((c) => c.state)).toEqual(['sent', 'completed']);
    // Written by the version before, which did not count `deadlineExpired`: its expired count stands in, as it did.
    await setUp('s-late', 'active', { accepted: 1, expired: 2 }, ['deadline', clock.now() - 1]);
    expect(await sends.settle('s-late')).toMatchObject({ from: 'active', to: 'expired' });
    // This version's: what decides is how many its deadline expired, not its expired count.
    await setUp('s-late-cut', 'active', { accepted: 1, expired: 2 }, ['deadline', clock.now() - 1, 'deadlineExpired', 1]);
    expect(await sends.settle('s-late-cut')).toMatchObject({ from: 'active', to: 'expired' });
    await setUp('s-late-expired-after', 'active', { accepted: 1, expired: 2 }, ['deadline', clock.now() - 1, 'deadlineExpired', 0]);
    expect(await sends.settle('s-late-expired-after')).toMatchObject({ from: 'active', to: 'sent' });
    // Past its deadline but every recipient went out (settled late, say by the repair sweep): sent, not expired.
    await setUp('s-late-sent', 'active', { accepted: 3 }, ['deadline', clock.now() - 1]);
    expect(await sends.settle('s-late-sent')).toMatchObject({ from: 'active', to: 'sent' });
    expect(await redis.hget(keys.send('s-late'), 'code')).toBe('SMSQ_DEADLINE');
    await setUp('s-wait', 'enqueuing', { delivered: 3 });
    const waiting = await sends.settle('s-wait');
    expect(waiting).toMatchObject({ from: 'enqueuing', to: 'enqueuing' });
    expect(waiting).not.toHaveProperty('pending'); // counts not read while it is enqueuing
    expect(await sends.markEnqueued('s-wait')).toBe('completed');
    // Announced until the announcement is recorded: a process that died before adding the callback
    // leaves it to the next settle.
    expect(await sends.settle('s-done')).toMatchObject({ from: 'completed', to: 'completed', announce: true });
    await sends.markAnnounced('s-done');
    expect(await sends.settle('s-done')).toMatchObject({ from: 'completed', to: 'completed', announce: false });
    // An end reached another way (a cancel) is announced by the settles that find it, until recorded.
    await setUp('s-gone', 'cancelled', { queued: 3 });
    expect(await sends.settle('s-gone')).toMatchObject({ from: 'cancelled', to: 'cancelled', announce: true });
    await sends.markAnnounced('s-gone');
    expect(await sends.settle('s-gone')).toMatchObject({ announce: false });
    // Marking a send that is gone does not bring back a record without a lifetime.
    await sends.markAnnounced('nobody');
    expect(await redis.exists(keys.send('nobody'))).toBe(0);
    expect(await sends.settle('nobody')).toBeUndefined();
  });

  it("mark a send sent in the transition that moves its last unsent recipients, and publish the send's events", async () => {
    await redis.hset(keys.send('s1'), 'state', 'active', 'enqueuedAt', 1);
    const first = await chunkIn('first', 'sending');
    const last = await chunkIn('last', 'sending');
    await redis.hset(keys.sendCounts('s1'), 'queued', 0, 'sending', 2, 'unknown', 0);
    expect(await chunks.transition(first.chunkId, 's1', { trigger: 'answer-accepted', fields: { bizId: 'b', code: 'OK' } })).toMatchObject({ applied: true });
    expect(await redis.hget(keys.send('s1'), 'state')).toBe('active');
    expect(await chunks.transition(last.chunkId, 's1', { trigger: 'answer-failed', fields: { code: 'isv.X' } })).toMatchObject({ applied: true, sendTo: 'sent' });
    expect(await redis.hget(keys.send('s1'), 'state')).toBe('sent');
    const events = (await redis.xrange(keys.events(), '-', '+')).map(([, f]) => f);
    expect(events.filter((f) => f[1] === 'send').map((f) => f[f.indexOf('state') + 1])).toEqual(['sent']);
  });

  describe('a send whose deadline passes mid-send ends the same whichever of its chunks finishes last', () => {
    const payload = { api: 'SendSms' as const, phones: ['13500000000', '13500000001'], signName: 's', templateCode: 'T' };
    type LastMover = 'answer-accepted' | 'lookup-found' | 'report-accepted';

    /**
     * Send `sendId` with two chunks: `0` claimed before the deadline (in flight, `unknown` for a
     * look-up), `1` still queued when the clock passes the deadline. Then `0` accepted by
     * `acceptBy` and `1` claimed (expired by the deadline), in the order `acceptedLast` says; the
     * send is settled after the claim's end, as a worker does (completion.ts). Returns the send's
     * state and code, and its history's states.
     */
    async function finish(sendId: string, acceptBy: LastMover, acceptedLast: boolean) {
      const deadline = clock.now() + 1_000;
      await redis.hset(keys.send(sendId), 'sendId', sendId, 'state', 'active', 'control', 'active', 'enqueuedAt', clock.now(), 'deadline', deadline, 'history', `active:${clock.now()}`);
      await chunks.create(['0', '1'].map((index) => ({ sendId, index, kind: 'notification' as const, payload })), 3600);
      const inFlight = await chunks.claim(chunkIdOf(sendId, '0'), sendId);
      if (inFlight.type !== 'send') throw new Error(`claim before the deadline: ${inFlight.type}`);
      if (acceptBy === 'lookup-found') await chunks.transition(chunkIdOf(sendId, '0'), sendId, { trigger: 'answer-unknown', outId: inFlight.outId, fields: { code: 'TIMEOUT' } });
      clock.advance(2_000);
      const accept = async () => {
        const fields = { code: 'OK', resolvedBy: 'x', acceptedAt: clock.now(), ...(acceptBy === 'lookup-found' ? {} : { bizId: 'b' }) };
        const t = await chunks.transition(chunkIdOf(sendId, '0'), sendId, { trigger: acceptBy, outId: inFlight.outId, fields });
        expect(t).toMatchObject({ applied: true, to: 'accepted' });
        // The caller learns the send ended here, for its callback (completion.ts endedSend).
        expect(t.applied && t.sendTo).toBe(acceptedLast ? 'expired' : undefined);
      };
      const expire = async () => {
        expect(await chunks.claim(chunkIdOf(sendId, '1'), sendId)).toEqual({ type: 'ended', state: 'expired', code: 'SMSQ_DEADLINE' });
        await sends.settle(sendId);
      };
      if (acceptedLast) {
        await expire();
        clock.advance(1);
        await accept();
      } else {
        await accept();
        clock.advance(1);
        await expire();
      }
      const counts = await redis.hmget(keys.sendCounts(sendId), 'queued', 'sending', 'unknown', 'accepted', 'expired');
      expect(counts.map(Number)).toEqual([0, 0, 0, 2, 2]);
      const [state, code, history] = await redis.hmget(keys.send(sendId), 'state', 'code', 'history');
      return { state, code, history: (history ?? '').split(' ').map((e) => e.split(':')[0]) };
    }

    for (const acceptBy of ['answer-accepted', 'lookup-found', 'report-accepted'] as const) {
      it(`expired SMSQ_DEADLINE, whether the claim that expired recipients or the ${acceptBy} comes last`, async () => {
        const ends = {
          claimLast: await finish(`claim-last-${acceptBy}`, acceptBy, false),
          acceptedLast: await finish(`accepted-last-${acceptBy}`, acceptBy, true),
        };
        const expired = { state: 'expired', code: 'SMSQ_DEADLINE', history: ['active', 'expired'] };
        expect(ends).toEqual({ claimLast: expired, acceptedLast: expired });
      });
    }

    /**
     * Send `sendId` as a producer of this version writes it, with a deadline 1 s ahead and chunks
     * `0` and `1`, both claimed before the deadline and in doubt (`answer-unknown`); then past it.
     * Returns the OutIds of their attempts.
     */
    async function bothInDoubtPastDeadline(sendId: string) {
      await sends.create({ sendId, kind: 'notification', api: 'SendSms', templateCode: 'T', signName: 's', deadline: clock.now() + 1_000, recipients: 4, rejected: 0, duplicates: 0, chunks: 2, createdAt: clock.now() }, 3600);
      await chunks.create(['0', '1'].map((index) => ({ sendId, index, kind: 'notification' as const, payload })), 3600);
      expect(await sends.markEnqueued(sendId)).toBe('active');
      const outIds: string[] = [];
      for (const index of ['0', '1']) {
        const claim = await chunks.claim(chunkIdOf(sendId, index), sendId);
        if (claim.type !== 'send') throw new Error(`claim before the deadline: ${claim.type}`);
        await chunks.transition(chunkIdOf(sendId, index), sendId, { trigger: 'answer-unknown', outId: claim.outId, fields: { code: 'TIMEOUT' } });
        outIds.push(claim.outId);
      }
      clock.advance(2_000);
      return outIds as [string, string];
    }

    async function stateOf(sendId: string) {
      const [state, code, history] = await redis.hmget(keys.send(sendId), 'state', 'code', 'history');
      return { state, code, history: (history ?? '').split(' ').map((e) => e.split(':')[0]) };
    }

    it('sent when every recipient went out before the deadline and one attempt in doubt expired as unknown after it (its look-ups gave up)', async () => {
      const [first, last] = await bothInDoubtPastDeadline('gave-up-late');
      await chunks.transition(chunkIdOf('gave-up-late', '0'), 'gave-up-late', { trigger: 'lookup-found', outId: first, fields: { code: 'OK', resolvedBy: 'x', acceptedAt: clock.now() } });
      const t = await chunks.transition(chunkIdOf('gave-up-late', '1'), 'gave-up-late', { trigger: 'lookup-gave-up', outId: last, fields: { reason: 'look-ups kept failing' } });
      expect(t).toMatchObject({ applied: true, to: 'expired', sendTo: 'sent' });
      expect((await redis.hmget(keys.sendCounts('gave-up-late'), 'accepted', 'expired')).map(Number)).toEqual([2, 2]);
      expect(await stateOf('gave-up-late')).toEqual({ state: 'sent', code: null, history: ['enqueuing', 'active', 'sent'] });
      // Settled after its receipts, it completes, never expired.
      expect(await sends.settle('gave-up-late')).toMatchObject({ from: 'sent', to: 'sent' });
    });

    it("sent when every recipient went out before the deadline, though some of its recipients' receipt window ended first", async () => {
      const [first, last] = await bothInDoubtPastDeadline('window-late');
      await chunks.transition(chunkIdOf('window-late', '0'), 'window-late', { trigger: 'lookup-found', outId: first, fields: { code: 'OK', resolvedBy: 'x', acceptedAt: clock.now() } });
      const recipients = createRecipientStore({ redis, keys, clock, retentionSeconds: 3600 });
      for (const phone of payload.phones) {
        expect(await recipients.apply('window-late', chunkIdOf('window-late', '0'), phone, { state: 'expired', code: 'SMSQ_RECEIPT_WINDOW', receivedAt: undefined, source: 'window' })).toMatchObject({ status: 'applied' });
      }
      const t = await chunks.transition(chunkIdOf('window-late', '1'), 'window-late', { trigger: 'lookup-found', outId: last, fields: { code: 'OK', resolvedBy: 'x', acceptedAt: clock.now() } });
      expect(t).toMatchObject({ applied: true, to: 'accepted', sendTo: 'sent' });
      expect((await redis.hmget(keys.sendCounts('window-late'), 'accepted', 'expired')).map(Number)).toEqual([2, 2]);
      expect(await stateOf('window-late')).toEqual({ state: 'sent', code: null, history: ['enqueuing', 'active', 'sent'] });
    });

    it('expired SMSQ_DEADLINE when its deadline expired recipients unsent, by a claim or the repair sweep, whatever else expired', async () => {
      const sendId = 'cut-and-gave-up';
      await sends.create({ sendId, kind: 'notification', api: 'SendSms', templateCode: 'T', signName: 's', deadline: clock.now() + 1_000, recipients: 6, rejected: 0, duplicates: 0, chunks: 3, createdAt: clock.now() }, 3600);
      await chunks.create(['0', '1', '2'].map((index) => ({ sendId, index, kind: 'notification' as const, payload })), 3600);
      expect(await sends.markEnqueued(sendId)).toBe('active');
      expect(await redis.hget(keys.send(sendId), 'deadlineExpired')).toBe('0');
      const claim = await chunks.claim(chunkIdOf(sendId, '0'), sendId);
      if (claim.type !== 'send') throw new Error(`claim before the deadline: ${claim.type}`);
      await chunks.transition(chunkIdOf(sendId, '0'), sendId, { trigger: 'answer-unknown', outId: claim.outId, fields: { code: 'TIMEOUT' } });
      clock.advance(2_000);
      expect(await chunks.claim(chunkIdOf(sendId, '1'), sendId)).toEqual({ type: 'ended', state: 'expired', code: 'SMSQ_DEADLINE' });
      expect(await chunks.endBySend(chunkIdOf(sendId, '2'), sendId)).toMatchObject({ state: 'expired', code: 'SMSQ_DEADLINE' });
      expect(await redis.hget(keys.send(sendId), 'deadlineExpired')).toBe('4');
      const t = await chunks.transition(chunkIdOf(sendId, '0'), sendId, { trigger: 'lookup-gave-up', outId: claim.outId, fields: { reason: 'look-ups kept failing' } });
      expect(t).toMatchObject({ applied: true, to: 'expired', sendTo: 'expired' });
      expect(await stateOf(sendId)).toEqual({ state: 'expired', code: 'SMSQ_DEADLINE', history: ['enqueuing', 'active', 'expired'] });
    });

    it("counts in deadlineExpired only the chunks its deadline ended, not a send failed as a whole whose code reads SMSQ_DEADLINE", async () => {
      const sendId = 'failed-with-deadline-code';
      await sends.create({ sendId, kind: 'notification', api: 'SendSms', templateCode: 'T', signName: 's', deadline: clock.now() + 60_000, recipients: 4, rejected: 0, duplicates: 0, chunks: 2, createdAt: clock.now() }, 3600);
      await chunks.create(['0', '1'].map((index) => ({ sendId, index, kind: 'notification' as const, payload })), 3600);
      expect(await sends.markEnqueued(sendId)).toBe('active');
      // A send failed by hand (or by a future rule) with that code: its chunks end by send-failed.
      await redis.hset(keys.send(sendId), 'state', 'failed', 'code', 'SMSQ_DEADLINE');
      expect(await chunks.claim(chunkIdOf(sendId, '0'), sendId)).toEqual({ type: 'ended', state: 'failed', code: 'SMSQ_DEADLINE' });
      expect(await chunks.endBySend(chunkIdOf(sendId, '1'), sendId)).toMatchObject({ state: 'failed', code: 'SMSQ_DEADLINE' });
      expect(await redis.hget(keys.send(sendId), 'deadlineExpired')).toBe('0');
    });

    it('sent when every recipient went out, though the last answer came after the deadline', async () => {
      await redis.hset(keys.send('late-sent'), 'sendId', 'late-sent', 'state', 'active', 'control', 'active', 'enqueuedAt', clock.now(), 'deadline', clock.now() + 1_000);
      await chunks.create([{ sendId: 'late-sent', index: '0', kind: 'notification', payload }], 3600);
      const claim = await chunks.claim(chunkIdOf('late-sent', '0'), 'late-sent');
      if (claim.type !== 'send') throw new Error(`claim: ${claim.type}`);
      clock.advance(2_000);
      const t = await chunks.transition(chunkIdOf('late-sent', '0'), 'late-sent', { trigger: 'answer-accepted', outId: claim.outId, fields: { bizId: 'b', code: 'OK' } });
      expect(t).toMatchObject({ applied: true, sendTo: 'sent' });
      expect(await redis.hmget(keys.send('late-sent'), 'state', 'code')).toEqual(['sent', null]);
    });
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
      await redis.hset(keys.sendCounts(`m-${state}`), 'queued', 3); // nothing sent yet: it stops at active
      await sends.markEnqueued(`m-${state}`, { chunks: 3 });
      expect(await redis.hmget(keys.send(`m-${state}`), 'state', 'chunks')).toEqual([targetOf(SEND_LIFECYCLE, 'enqueued', state) ?? state, '3']);
    }
    await sends.markEnqueued('nobody', { chunks: 3 });
    expect(await redis.exists(keys.send('nobody'))).toBe(0);
  });
});

describe("auto-pause's list of a send's last chunk outcomes (transition-7.lua)", () => {
  const outcome = (ok: boolean) => ({ ok, window: 4, maxFailureRatio: 0.5, ttlSeconds: 600 });
  /** Moves chunk `index` from sending to accepted (ok) or failed, counted towards auto-pause. */
  async function answer(index: string, ok: boolean) {
    const { chunkId, outId } = await chunkIn(index, 'sending');
    return chunks.transition(chunkId, 's1', ok ? { trigger: 'answer-accepted', outId, outcome: outcome(true) } : { trigger: 'answer-failed', outId, fields: { code: 'isv.X' }, outcome: outcome(false) });
  }

  it('holds at most twice the window, always with a lifetime, and judges only the newest window', async () => {
    await redis.hset(keys.send('s1'), 'state', 'active', 'chunks', 100, 'enqueuedAt', 1);
    // Ten successes: trimmed back to four at the ninth, six after the tenth.
    for (let i = 0; i < 10; i++) {
      await answer(`ok${i}`, true);
      expect(await redis.llen(keys.sendOutcomes('s1'))).toBeLessThanOrEqual(8);
      expect(await redis.ttl(keys.sendOutcomes('s1'))).toBeGreaterThan(0);
    }
    // Two failures among the newest four: not more than half.
    expect(await answer('f1', false)).not.toHaveProperty('pauseReason');
    expect(await answer('f2', false)).not.toHaveProperty('pauseReason');
    // A third: three of the newest four, though the list still holds five older successes (3 of 8).
    expect(await answer('f3', false)).toMatchObject({ pauseReason: 'auto-pause: 3 of the last 4 chunks failed' });
    expect(await redis.hget(keys.send('s1'), 'control')).toBe('paused');
  });
});

describe('a control move that finds the send already there', () => {
  it('writes nothing when its reason is the one recorded (a second pause said "nothing changed" and rewrote the control fields), and records a new reason', async () => {
    // A Redis of its own: its count of writes since the last save is this test's alone.
    const server = await startPrivateRedis({ appendfsync: 'everysec' });
    const own = new IORedis(server.url);
    try {
      const store = createSendStore({ redis: own, keys, clock });
      await own.hset(keys.send('p1'), 'sendId', 'p1', 'state', 'active', 'enqueuedAt', 1, 'history', 'active:1');
      expect(await store.setControl('p1', 'pause', 'paused by an operator')).toEqual({ from: 'active', to: 'paused' });
      const writes = async () => Number(/rdb_changes_since_last_save:(\d+)/.exec(await own.info('persistence'))?.[1]);
      const before = await writes();
      expect(await store.setControl('p1', 'pause', 'paused by an operator')).toEqual({ from: 'paused', to: 'paused' });
      expect(await writes()).toBe(before);
      expect(await store.setControl('p1', 'cancel', 'x')).toEqual({ from: 'paused', to: 'cancelled' });
      const afterCancel = await writes();
      expect(await store.setControl('p1', 'cancel', 'x')).toEqual({ from: 'cancelled', to: 'cancelled' });
      expect(await writes()).toBe(afterCancel);
      expect(afterCancel).toBeGreaterThan(before);
      // The same move with another reason records it.
      await own.hset(keys.send('p2'), 'sendId', 'p2', 'state', 'paused', 'control', 'paused', 'controlReason', 'held for review', 'enqueuedAt', 1, 'history', 'paused:1');
      expect(await store.setControl('p2', 'pause', 'held for audit')).toEqual({ from: 'paused', to: 'paused' });
      expect(await own.hget(keys.send('p2'), 'controlReason')).toBe('held for audit');
    } finally {
      own.disconnect();
      await server.stop();
    }
  });
});
