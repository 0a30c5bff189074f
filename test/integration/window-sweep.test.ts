import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../src/clock.js';
import { createLogger } from '../../src/logger.js';
import { chunkIdOf, createChunkStore, DEFAULT_EVENTS_MAXLEN, type ChunkStore } from '../../src/queue/chunk-store.js';
import { createKeys, type Keys } from '../../src/queue/keys.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { createCompletion } from '../../src/receipts/completion.js';
import { createRecipientStore, encodeReceipt, type RecipientReceipt, type RecipientStore } from '../../src/receipts/recipient-store.js';
import { createWindowExpiry } from '../../src/receipts/window-expiry.js';
import { createWindowSweep } from '../../src/receipts/window-sweep.js';
import { createTestConnection, deleteKeys, uniquePrefix } from '../support/redis.js';

const HOUR = 3_600_000;
const WINDOW = 72 * HOUR;
const logger = createLogger({ level: 'silent' });

let redis: Redis;
let keys: Keys;
let clock: ManualClock;
let chunks: ChunkStore;
let recipients: RecipientStore;
let completed: string[];

beforeEach(() => {
  redis = createTestConnection();
  keys = createKeys(uniquePrefix('sweep'));
  clock = createManualClock();
  chunks = createChunkStore({ redis, keys, clock });
  recipients = createRecipientStore({ redis, keys, clock, retentionSeconds: 3600 });
  completed = [];
});

afterEach(async () => {
  await deleteKeys(redis, keys.prefix);
  redis.disconnect();
});

/** Writes a chunk of `phones` and takes it to `accepted` the way the send path does. */
async function acceptChunk(sendId: string, index: string, phones: string[]): Promise<string> {
  // The claim sends only a chunk whose send record exists (a producer writes it first); a stub, unless the test wrote one.
  await redis.hsetnx(keys.send(sendId), 'sendId', sendId);
  await redis.hsetnx(keys.send(sendId), 'state', 'active');
  await chunks.create([{ sendId, index, kind: 'notification', payload: { api: 'SendSms', phones, signName: 's', templateCode: 'T' } }], 3600);
  const chunkId = chunkIdOf(sendId, index);
  const claim = await chunks.claim(chunkId, sendId);
  if (claim.type !== 'send') throw new Error(`claim: ${claim.type}`);
  const t = await chunks.transition(chunkId, sendId, {
    trigger: 'answer-accepted',
    outId: claim.outId,
    fields: { code: 'OK', acceptedAt: clock.now() },
    windowEndsAt: clock.now() + WINDOW,
  });
  expect(t.applied).toBe(true);
  return chunkId;
}

/** A sweeper; `handled` lists every chunk id it expired (to catch two sweepers taking one chunk). */
function sweeper(batch = 200, leaseMs = 300_000, handled: string[] = []) {
  const completion = createCompletion({ sends: createSendStore({ redis, keys, clock }), onEnded: async (id) => void completed.push(id) });
  const expire = createWindowExpiry({ chunks, recipients, completion, logger });
  const expireChunk = (chunkId: string) => {
    handled.push(chunkId);
    return expire(chunkId);
  };
  return createWindowSweep({ redis, keys, clock, logger, expireChunk, intervalMs: 50, batch, leaseMs });
}

const counts = async (sendId: string) => redis.hgetall(keys.sendCounts(sendId));

/** apply-receipt-6.lua as workers ran it before chunks tallied their receipts (test/support/lua/). */
const APPLY_BEFORE_TALLY = readFileSync(new URL('../support/lua/apply-receipt-6.before-tally.lua', import.meta.url), 'utf8');

/** A receipt applied as a worker of that version applied it: what a chunk it accepted holds. */
function applyBeforeTally(sendId: string, chunkId: string, phone: string, receipt: RecipientReceipt): Promise<unknown> {
  return redis.eval(
    APPLY_BEFORE_TALLY,
    6,
    keys.recipients(sendId),
    keys.sendCounts(sendId),
    keys.chunk(chunkId),
    keys.events(),
    keys.recipientTotals(),
    keys.refusedReceipts(),
    phone,
    encodeReceipt(receipt),
    receipt.state,
    receipt.code,
    clock.now(),
    DEFAULT_EVENTS_MAXLEN,
    3600,
    '',
    '',
  );
}

describe('receipt window sweep', () => {
  it('expires recipients without a final receipt only once the window has ended, then forgets the chunk', async () => {
    await redis.hset(keys.send('s1'), 'sendId', 's1', 'state', 'active', 'callbackUrl', 'https://example.test/done');
    const chunkId = await acceptChunk('s1', '0', ['13800000001', '13800000002']);
    await recipients.apply('s1', chunkId, '13800000001', { state: 'delivered', code: 'DELIVERED', receivedAt: clock.now(), source: 'query' });
    expect(await redis.zscore(keys.receiptWindow(), chunkId)).toBe(String(clock.now() + WINDOW));

    const sweep = sweeper();
    clock.advance(WINDOW - 1);
    expect(await sweep.sweep()).toBe(0);
    expect((await recipients.getMany('s1', ['13800000002']))[0]).toBeUndefined();

    clock.advance(1);
    expect(await sweep.sweep()).toBe(1);
    const [delivered, expired] = await recipients.getMany('s1', ['13800000001', '13800000002']);
    expect(delivered?.state).toBe('delivered');
    expect(expired).toMatchObject({ state: 'expired', code: 'SMSQ_RECEIPT_WINDOW' });
    expect(await counts('s1')).toMatchObject({ delivered: '1', expired: '1', accepted: '0' });
    // The last pending recipient reached a final state: the send's callback is due.
    expect(completed).toEqual(['s1']);
    expect(await redis.zcard(keys.receiptWindow())).toBe(0);
    expect(await sweep.sweep()).toBe(0);
  });

  it('takes due chunks in batches, and two sweepers never take the same chunk', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push(await acceptChunk('s2', String(i), [String(13900000000 + i)]));
    clock.advance(WINDOW);
    const handled: string[] = [];
    const [a, b] = [sweeper(4, 300_000, handled), sweeper(4, 300_000, handled)];
    const [na, nb] = await Promise.all([a.sweep(), b.sweep()]);
    expect(na + nb).toBe(25);
    expect(na).toBeGreaterThan(0);
    expect(nb).toBeGreaterThan(0);
    expect(handled.sort()).toEqual([...ids].sort());
    expect(await counts('s2')).toMatchObject({ expired: '25', accepted: '0' });
  });

  it('a chunk taken by a sweeper that died comes back when its lease runs out', async () => {
    const chunkId = await acceptChunk('s3', '0', ['13700000001']);
    clock.advance(WINDOW);
    // A sweeper that takes the chunk and dies before expiring it: its lease moved the score.
    const dying = createWindowSweep({ redis, keys, clock, logger, expireChunk: () => new Promise(() => {}), intervalMs: 50, leaseMs: 60_000 });
    void dying.sweep();
    await expect.poll(async () => Number(await redis.zscore(keys.receiptWindow(), chunkId))).toBe(clock.now() + 60_000);

    const sweep = sweeper();
    expect(await sweep.sweep()).toBe(0);
    clock.advance(60_000);
    expect(await sweep.sweep()).toBe(1);
    expect(await counts('s3')).toMatchObject({ expired: '1' });
  });

  it('runs on its interval until stopped', async () => {
    await acceptChunk('s4', '0', ['13600000001']);
    clock.advance(WINDOW);
    const sweep = sweeper();
    sweep.start();
    await expect.poll(async () => (await counts('s4')).expired, { timeout: 5000 }).toBe('1');
    await sweep.stop();
  });

  it('expires by chunk a chunk whose stored payload no longer parses: as many as its tally leaves, once; a receipt after it is a duplicate', async () => {
    await redis.hset(keys.send('s1'), 'sendId', 's1', 'state', 'active', 'callbackUrl', 'https://example.test/done', 'chunks', '1');
    const phones = ['13800000001', '13800000002', '13800000003'];
    const chunkId = await acceptChunk('s1', '0', phones);
    const delivered = { state: 'delivered', code: 'DELIVERED', receivedAt: clock.now(), source: 'query' } as const;
    await recipients.apply('s1', chunkId, '13800000001', delivered);
    // Its numbers still where the apply script finds them, but not a payload smsq would send.
    await redis.hset(keys.chunk(chunkId), 'payload', JSON.stringify({ phones }));

    clock.advance(WINDOW);
    expect(await sweeper().sweep()).toBe(1);
    expect(await counts('s1')).toMatchObject({ accepted: '0', delivered: '1', expired: '2' });
    expect(completed).toEqual(['s1']);
    expect(await redis.hgetall(keys.chunk(chunkId))).toMatchObject({ state: 'accepted', windowExpired: '2', 'receipts.delivered': '1', 'receipts.expired': '2' });
    // A sweep retried after a crash, and a report that comes late, change nothing.
    expect(await recipients.expireByChunk('s1', chunkId, 'SMSQ_RECEIPT_WINDOW', 'again')).toEqual({ status: 'done', expired: 2 });
    expect(await recipients.apply('s1', chunkId, '13800000002', delivered)).toEqual({ status: 'duplicate', existing: undefined });
    expect(await counts('s1')).toMatchObject({ accepted: '0', delivered: '1', expired: '2' });
  });

  it('a chunk whose receipts were applied before chunks tallied them, alone in its send: expires what its send still counts accepted; without its send\'s chunk count, what its send counts accepted bounds it', async () => {
    await redis.hset(keys.send('s1'), 'sendId', 's1', 'state', 'sent', 'chunks', '1');
    const chunkId = await acceptChunk('s1', '0', ['13800000001', '13800000002']);
    await applyBeforeTally('s1', chunkId, '13800000001', { state: 'failed', code: 'MK:0001', receivedAt: undefined, source: 'report' });
    await redis.hset(keys.chunk(chunkId), 'payload', '{"api":"SendSms","phon');
    expect(await recipients.expireByChunk('s1', chunkId, 'SMSQ_RECEIPT_WINDOW', 'cut short')).toEqual({ status: 'expired', expired: 1, pending: 0, leftAccepted: 0 });
    expect(await counts('s1')).toMatchObject({ accepted: '0', failed: '1', expired: '1' });
    // A send record without its chunk count (a campaign stopped part-way, or finished by the repair
    // sweep, writes none): no other chunk can be read, and the send's accepted count bounds it (it
    // expired none, and its send never completed, review of session 18).
    const stopped = await acceptChunk('s8', '0', ['13800000081', '13800000082']);
    expect(await redis.hexists(keys.send('s8'), 'chunks')).toBe(0);
    await redis.hset(keys.chunk(stopped), 'payload', '{"api":"SendSms","phon');
    expect(await recipients.expireByChunk('s8', stopped, 'SMSQ_RECEIPT_WINDOW', 'cut short')).toEqual({ status: 'expired', expired: 2, pending: 0, leftAccepted: 0 });
    expect(await counts('s8')).toMatchObject({ accepted: '0', expired: '2' });
    // Not accepted: nothing to expire by chunk.
    await chunks.create([{ sendId: 's1', index: '1', kind: 'notification', payload: { api: 'SendSms', phones: ['13800000003'], signName: 's', templateCode: 'T' } }], 3600);
    expect(await recipients.expireByChunk('s1', chunkIdOf('s1', '1'), 'SMSQ_RECEIPT_WINDOW', '')).toEqual({ status: 'not-accepted', chunkState: 'queued' });
  });

  it("a chunk whose receipts were applied before chunks tallied them, expired by chunk, takes none of another chunk's recipients: that chunk's receipts still apply", async () => {
    await redis.hset(keys.send('s6'), 'sendId', 's6', 'state', 'sent', 'chunks', '2');
    const delivered = { state: 'delivered', code: 'DELIVERED', receivedAt: clock.now(), source: 'report' } as const;
    // Chunk 0, accepted, and both its receipts applied by a worker of the version before the tally.
    const old = await acceptChunk('s6', '0', ['13800000061', '13800000062']);
    for (const phone of ['13800000061', '13800000062']) expect(((await applyBeforeTally('s6', old, phone, delivered)) as string[])[0]).toBe('applied');
    expect(Object.keys(await redis.hgetall(keys.chunk(old))).filter((field) => field.startsWith('receipts.'))).toEqual([]);
    // Chunk 1, accepted an hour later: its window ends an hour after chunk 0's.
    clock.advance(HOUR);
    const other = await acceptChunk('s6', '1', ['13800000063', '13800000064']);
    // Chunk 0's payload altered in Redis: its numbers cannot be read when its window ends.
    await redis.hset(keys.chunk(old), 'payload', '{"api":"SendSms","phon');
    clock.advance(WINDOW - HOUR);
    expect(await sweeper().sweep()).toBe(1);

    // Chunk 1's receipts come in. Before, chunk 0's window had expired chunk 1's two recipients
    // (its count less its tally of none, capped by the send's accepted count, chunk 1's), and
    // these were refused as out-of-bounds: the send counted two expired, none delivered.
    const applied = [];
    for (const phone of ['13800000063', '13800000064']) applied.push((await recipients.apply('s6', other, phone, delivered)).status);
    expect({ applied, counts: await counts('s6') }).toMatchObject({ applied: ['applied', 'applied'], counts: { accepted: '0', delivered: '4' } });
    expect(Number((await counts('s6')).expired ?? 0)).toBe(0);
    expect(await redis.hget(keys.chunk(old), 'windowExpired')).toBe('0');
    expect(await redis.hget(keys.refusedReceipts(), 'out-of-bounds')).toBeNull();
  });

  it('a chunk of a send whose receipts were tallied, expired by chunk, expires exactly those it still holds beside other chunks (a split one among them)', async () => {
    await redis.hset(keys.send('s7'), 'sendId', 's7', 'state', 'sent', 'chunks', '2');
    const delivered = { state: 'delivered', code: 'DELIVERED', receivedAt: clock.now(), source: 'report' } as const;
    const unreadable = await acceptChunk('s7', '0', ['13800000071', '13800000072', '13800000073']);
    await recipients.apply('s7', unreadable, '13800000071', delivered);
    // Chunk 1 split into one-number children, as a batch call whose outcome was in doubt is, each accepted.
    await chunks.create([{ sendId: 's7', index: '1', kind: 'notification', payload: { api: 'SendSms', phones: ['13800000074', '13800000075'], signName: 's', templateCode: 'T' } }], 3600);
    const claim = await chunks.claim(chunkIdOf('s7', '1'), 's7');
    if (claim.type !== 'send') throw new Error(`claim: ${claim.type}`);
    const children = ['13800000074', '13800000075'].map((phone, j) => ({ sendId: 's7', index: `1-${j}`, kind: 'notification' as const, payload: { api: 'SendSms' as const, phones: [phone], signName: 's', templateCode: 'T' } }));
    expect(await chunks.split(chunkIdOf('s7', '1'), 's7', claim.outId, children, 3600)).toBe(true);
    clock.advance(HOUR);
    for (const child of children) {
      const childId = chunkIdOf('s7', child.index);
      const c = await chunks.claim(childId, 's7');
      if (c.type !== 'send') throw new Error(`claim: ${c.type}`);
      await chunks.transition(childId, 's7', { trigger: 'answer-accepted', outId: c.outId, fields: { code: 'OK', acceptedAt: clock.now() }, windowEndsAt: clock.now() + WINDOW });
    }
    await recipients.apply('s7', chunkIdOf('s7', '1-0'), '13800000074', delivered);
    await redis.hset(keys.chunk(unreadable), 'payload', '{"api":"SendSms","phon');

    expect(await recipients.expireByChunk('s7', unreadable, 'SMSQ_RECEIPT_WINDOW', 'cut short')).toEqual({ status: 'expired', expired: 2, pending: 1, leftAccepted: 0 });
    expect(await counts('s7')).toMatchObject({ accepted: '1', delivered: '2', expired: '2' });
    expect((await recipients.apply('s7', chunkIdOf('s7', '1-1'), '13800000075', delivered)).status).toBe('applied');
  });
});

describe('accepting transition', () => {
  it('records auto-pause outcomes with the transition and pauses past the failure ratio', async () => {
    // A campaign still streaming in: its chunks come one at a time here, and none completes it meanwhile.
    await redis.hset(keys.send('s5'), 'sendId', 's5', 'state', 'enqueuing', 'control', 'active');
    const outcome = (ok: boolean) => ({ ok, window: 3, maxFailureRatio: 0.5, ttlSeconds: 60 });
    const settle = async (index: string, trigger: 'answer-accepted' | 'answer-failed', ok: boolean) => {
      await chunks.create([{ sendId: 's5', index, kind: 'marketing', payload: { api: 'SendSms', phones: ['13500000000'], signName: 's', templateCode: 'T' } }], 3600);
      const claim = await chunks.claim(chunkIdOf('s5', index), 's5');
      if (claim.type !== 'send') throw new Error(claim.type);
      return chunks.transition(chunkIdOf('s5', index), 's5', { trigger, outId: claim.outId, fields: { code: ok ? 'OK' : 'isv.X' }, outcome: outcome(ok) });
    };
    expect(await settle('0', 'answer-failed', false)).toEqual({ applied: true, from: 'sending', to: 'failed' });
    expect(await settle('1', 'answer-accepted', true)).toEqual({ applied: true, from: 'sending', to: 'accepted' });
    // 1 of 3 failed after the next one: not yet past 0.5.
    expect(await settle('2', 'answer-failed', false)).toEqual({ applied: true, from: 'sending', to: 'failed', pauseReason: 'auto-pause: 2 of the last 3 chunks failed' });
    expect(await redis.hget(keys.send('s5'), 'control')).toBe('paused');
    // A failed chunk that does not apply (another attempt owns the chunk) is not counted.
    const stale = await chunks.transition(chunkIdOf('s5', '2'), 's5', { trigger: 'answer-failed', outId: 'other', outcome: outcome(false) });
    expect(stale.applied).toBe(false);
    expect(await redis.llen(keys.sendOutcomes('s5'))).toBe(3);
    // No window entry without an accepting transition that asks for one.
    expect(await redis.zcard(keys.receiptWindow())).toBe(0);
  });

  it('keeps no outcomes for a send known to have fewer chunks than the window, and keeps them while a send is enqueuing', async () => {
    const outcome = { ok: false, window: 3, maxFailureRatio: 0.5, ttlSeconds: 60 };
    const settle = async (sendId: string) => {
      await chunks.create([{ sendId, index: '0', kind: 'verification', payload: { api: 'SendSms', phones: ['13500000001'], signName: 's', templateCode: 'T' } }], 3600);
      const claim = await chunks.claim(chunkIdOf(sendId, '0'), sendId);
      if (claim.type !== 'send') throw new Error(claim.type);
      return chunks.transition(chunkIdOf(sendId, '0'), sendId, { trigger: 'answer-failed', outId: claim.outId, fields: { code: 'isv.X' }, outcome });
    };
    // A one-chunk send (a verification code): never judged, so no list.
    await redis.hset(keys.send('one'), 'sendId', 'one', 'state', 'active', 'chunks', '1');
    expect(await settle('one')).toEqual({ applied: true, from: 'sending', to: 'failed', sendTo: 'sent' });
    expect(await redis.exists(keys.sendOutcomes('one'))).toBe(0);
    // A campaign still enqueuing says chunks 0 so far: counted.
    await redis.hset(keys.send('streaming'), 'sendId', 'streaming', 'state', 'enqueuing', 'chunks', '0');
    await settle('streaming');
    expect(await redis.lrange(keys.sendOutcomes('streaming'), 0, -1)).toEqual(['0']);
    // As many chunks as the window: counted.
    await redis.hset(keys.send('three'), 'sendId', 'three', 'state', 'active', 'chunks', '3');
    await settle('three');
    expect(await redis.llen(keys.sendOutcomes('three'))).toBe(1);
  });
});
