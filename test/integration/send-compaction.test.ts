/**
 * Compaction of finished sends (send-store.ts `compact`, compact-send.lua), against real Redis,
 * real workers and the emulator: status and recipient pages read the same before and after, for a
 * single-number send, a send of several chunks with numbers refused at the door, and a chunk split
 * by flow control with opted-out numbers; a send with anything still to come is not compacted; a
 * worker compacts a send by itself once it is final, and a late receipt then changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { uniformRetention } from '../../src/queue/retention.js';
import { openReportIngest } from '../../src/receipts/report-ingest.js';
import { COMPACT_FIELD, createSendStore } from '../../src/queue/send-store.js';
import { createCompletion } from '../../src/receipts/completion.js';
import { createRecipientStore } from '../../src/receipts/recipient-store.js';
import type { RecipientState } from '../../src/receipts/send-recipients.js';
import { createSuppressionList } from '../../src/receipts/suppression.js';
import { systemClock } from '../../src/clock.js';
import type { Producer } from '../../producers/producer.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const harnesses = harnessPerTest();
const MKT = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'marketing' as const };
const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' as const };
const phones = (n: number, base: number) => Array.from({ length: n }, (_, i) => String(base + i));
/** Every recipient looked up, soon: sends reach their end in a second. */
const FAST_RECEIPTS = {
  receiptPolicies: { ...DEFAULT_RECEIPT_POLICIES, marketing: { mode: 'all' as const, sampleRate: 1 } },
  receiptSchedule: { lookDelaysMs: [200, 400], windowMs: 3_600_000 },
};

async function pages(producer: Producer, sendId: string, limit: number): Promise<RecipientState[][]> {
  const out: RecipientState[][] = [];
  let cursor: string | undefined;
  do {
    const page = await producer.recipientPage(sendId, { limit, ...(cursor === undefined ? {} : { cursor }) });
    out.push(page.recipients);
    cursor = page.next ?? undefined;
  } while (cursor !== undefined);
  return out;
}

async function everything(producer: Producer, sendId: string) {
  const all: RecipientState[] = [];
  for await (const r of producer.recipients(sendId)) all.push(r);
  return { status: await producer.getStatus(sendId), byOne: await pages(producer, sendId, 1), byTwo: await pages(producer, sendId, 2), all };
}

/** smsq's own keys of a send (BullMQ's job keys, which name it too, left out). */
async function keysOf(h: Harness, sendId: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await h.redis.scan(cursor, 'MATCH', `${h.prefix}:*${sendId}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...batch.filter((k) => !k.startsWith(`${h.prefix}:calls:`) && !k.startsWith(`${h.prefix}:housekeeping:`)));
  } while (cursor !== '0');
  return found.sort();
}

const finished = (h: Harness, sendId: string) =>
  waitFor(async () => ((await h.producer.getStatus(sendId)).send.state === 'completed' ? true : undefined), 'the send to complete', 20_000);

/** Sends it with compaction off, reads everything, compacts, and reads again: the same. */
async function sameBeforeAndAfter(h: Harness, sendId: string) {
  await finished(h, sendId);
  const keys = createKeys(h.prefix);
  const before = await everything(h.producer, sendId);
  const sends = createSendStore({ redis: h.redis, keys });
  expect(await sends.compact(sendId)).toMatchObject({ compacted: true });
  expect(await keysOf(h, sendId)).toEqual([keys.send(sendId)]);
  expect(await h.redis.hexists(keys.send(sendId), 'z')).toBe(1);
  expect(await h.redis.ttl(keys.send(sendId))).toBeGreaterThan(0);
  const after = await everything(h.producer, sendId);
  expect(after).toEqual(before);
  expect(await sends.compact(sendId)).toEqual({ compacted: false, reason: 'compacted' });
  return after;
}

describe('compaction of finished sends', () => {
  it('a single-number send reads the same before and after', async () => {
    const h = await harnesses.create({ label: 'compact-one' });
    await h.startWorker({ ...FAST_RECEIPTS, compactFinished: false });
    const res = await h.producer.send({ ...CODE, phones: ['13860000001'] });
    await finished(h, res.sendId);
    const keys = createKeys(h.prefix);
    const chunk = await createChunkStore({ redis: h.redis, keys, clock: systemClock }).get(`${res.sendId}.0`);
    const after = await sameBeforeAndAfter(h, res.sendId);
    // A late pushed report is checked and answered as it was before compaction.
    const recipients = createRecipientStore({ redis: h.redis, keys, clock: systemClock, retentionSeconds: 3600 });
    const late = (phone: string, outId: string, bizId = chunk?.bizId ?? '') =>
      recipients.applyLate(res.sendId, `${res.sendId}.0`, phone, { outId, bizId });
    expect(await late('13860000001', chunk?.outId ?? '')).toMatchObject({ status: 'duplicate', existing: { state: 'delivered' } });
    expect(await late('13860000001', `${res.sendId}.0.7-0123456789`)).toEqual({ status: 'refused', reason: 'other-attempt' });
    expect(await late('13860000001', chunk?.outId ?? '', 'another')).toEqual({ status: 'refused', reason: 'other-biz-id' });
    expect(await late('13860000009', chunk?.outId ?? '')).toEqual({ status: 'refused', reason: 'not-recipient' });
    expect(await recipients.applyLate(res.sendId, `${res.sendId}.1`, '13860000001')).toBeUndefined();
    expect(after.all).toEqual([expect.objectContaining({ phone: '13860000001', state: 'delivered', code: 'DELIVERED', bizId: expect.any(String), attempts: 1, chunkId: `${res.sendId}.0` })]);
    expect(after.status.counts).toMatchObject({ delivered: 1, accepted: 0, queued: 0 });
  });

  it('a chunk whose claim was undone before its call reads so before and after', async () => {
    const h = await harnesses.create({ label: 'compact-undone' });
    await h.startWorker({ ...FAST_RECEIPTS, compactFinished: false });
    // A throttle pause heard as the code is claimed (as another worker publishes it): the claim is
    // undone, no call made, and the code goes after the pause.
    expect(await h.redis.publish(createKeys(h.prefix).pauseNotices(), '1000')).toBe(1);
    const res = await h.producer.send({ ...CODE, phones: ['13860000401'] });
    const after = await sameBeforeAndAfter(h, res.sendId);
    expect(after.all).toEqual([expect.objectContaining({ phone: '13860000401', state: 'delivered', attempts: 1, attemptsUndone: 1 })]);
  });

  it('a send of several chunks with numbers refused at the door reads the same before and after', async () => {
    const h = await harnesses.create({ label: 'compact-many' });
    await h.startWorker({ ...FAST_RECEIPTS, compactFinished: false });
    const res = await h.producer.send({ ...CODE, phones: [...phones(3, 13860000010), '123'] });
    expect(res).toMatchObject({ recipients: 3, chunks: 3, rejectedCount: 1 });
    const after = await sameBeforeAndAfter(h, res.sendId);
    expect(after.all.map((r) => `${r.phone}:${r.state}`)).toEqual(['13860000010:delivered', '13860000011:delivered', '13860000012:delivered', '123:rejected']);
    expect(after.byTwo.map((p) => p.length)).toEqual([2, 2]);
  });

  it("a number refused at the door whose text holds the packing's separators is not packed: the send stays as it was (it made up delivered recipients)", async () => {
    // The refused text is stored as the caller wrote it, and the packing joins `<text>|<receipt>`
    // lines: "1385000000\n13869999999|d||1|r" listed 13869999999 as delivered once compacted.
    const h = await harnesses.create({ label: 'compact-refused-text' });
    await h.startWorker({ ...FAST_RECEIPTS, receiptPolicies: { ...FAST_RECEIPTS.receiptPolicies, verification: { mode: 'all' as const, sampleRate: 1 } }, compactFinished: false });
    const sent = await h.producer.send({ ...CODE, phones: ['13850000001', '1385000000\n13869999999|d||1|r', '1|d||1|r'] });
    await waitFor(async () => ((await h.producer.getStatus(sent.sendId)).send.state === 'completed' ? true : undefined), 'the send to complete', 20_000);
    const before = (await everything(h.producer, sent.sendId)).all.map((r) => [r.phone, r.state]);
    expect(before).toEqual([
      ['13850000001', 'delivered'],
      ['1385000000\n13869999999|d||1|r', 'rejected'],
      ['1|d||1|r', 'rejected'],
    ]);
    const sends = createSendStore({ redis: h.redis, keys: createKeys(h.prefix) });
    expect(await sends.compact(sent.sendId)).toEqual({ compacted: false, reason: 'unpackable' });
    expect((await everything(h.producer, sent.sendId)).all.map((r) => [r.phone, r.state])).toEqual(before);
  });

  it('a chunk split by flow control, with opted-out numbers, reads the same before and after', async () => {
    const h = await harnesses.create({ label: 'compact-split' });
    const limited = '13860000100';
    // Marketing allows 50 a day per number: use them up, so the send's chunk is split to find it.
    for (let i = 0; i < 50; i++) expect((await h.client.sendSms({ phoneNumbers: [limited], ...MKT })).ok).toBe(true);
    await createSuppressionList({ redis: h.redis, keys: createKeys(h.prefix) }).add(['13860000197']);
    const res = await h.producer.send({ ...MKT, phones: [limited, ...phones(4, 13860000101), '13860000197', '4567'] });
    expect(res).toMatchObject({ recipients: 5, suppressed: 1, rejectedCount: 1, chunks: 1 });
    await h.startWorker({ ...FAST_RECEIPTS, compactFinished: false });
    const after = await sameBeforeAndAfter(h, res.sendId);
    expect(after.all.map((r) => `${r.state}:${r.chunkId?.slice(res.sendId.length) ?? ''}`)).toEqual([
      'failed:.0-0',
      'delivered:.0-1',
      'delivered:.0-2',
      'delivered:.0-3',
      'delivered:.0-4',
      'suppressed:',
      'rejected:',
    ]);
  });

  it('a send cancelled before it went out reads the same before and after', async () => {
    const h = await harnesses.create({ label: 'compact-cancel' });
    // A long name in Chinese: the packed record is cut into 64-byte fields, never inside a character.
    const name = `取消的发送${'验证码活动'.repeat(6)}`;
    const res = await h.producer.send({ ...CODE, phones: phones(2, 13860000400), name, idempotencyKey: 'compact-cancel-1' });
    await h.producer.cancel(res.sendId, 'not wanted');
    await h.startWorker({ ...FAST_RECEIPTS, compactFinished: false });
    await waitFor(async () => ((await h.producer.getStatus(res.sendId)).counts.cancelled === 2 ? true : undefined), 'its chunks cancelled');
    const keys = createKeys(h.prefix);
    const before = await everything(h.producer, res.sendId);
    expect(before.status.send).toMatchObject({ state: 'cancelled', name, idempotencyKey: 'compact-cancel-1', controlReason: 'not wanted' });
    expect(await createSendStore({ redis: h.redis, keys }).compact(res.sendId)).toMatchObject({ compacted: true });
    expect(await h.redis.hexists(keys.send(res.sendId), 'z.1')).toBe(1);
    expect(await everything(h.producer, res.sendId)).toEqual(before);
    expect(before.all.map((r) => `${r.state}:${r.code}`)).toEqual(['cancelled:SMSQ_CANCELLED', 'cancelled:SMSQ_CANCELLED']);
  });

  it('a send failed as a whole is compacted by the check after its last chunk is claimed, and not tried before', async () => {
    const h = await harnesses.create({ label: 'compact-claims' });
    const res = await h.producer.send({ ...CODE, phones: phones(3, 13860000500) });
    const keys = createKeys(h.prefix);
    const sends = createSendStore({ redis: h.redis, keys });
    // As when the API refuses its template: the send fails, its queued chunks fail as each is claimed.
    expect(await sends.fail(res.sendId, 'fail', 'template withdrawn', 'isv.SMS_TEMPLATE_ILLEGAL')).toBe(true);
    const chunks = createChunkStore({ redis: h.redis, keys, clock: systemClock });
    const tried: string[] = [];
    const completion = createCompletion({
      sends: { settle: (id) => sends.settle(id), markAnnounced: (id) => sends.markAnnounced(id), compact: async (id) => { const r = await sends.compact(id); tried.push(r.compacted ? 'compacted' : r.reason); return r; } },
      onEnded: async () => {},
    });
    // As a worker does: each job claims its chunk, finds the send ended, and checks completion.
    for (const [i, expected] of [[0, []], [1, []], [2, ['compacted']]] as const) {
      expect(await chunks.claim(`${res.sendId}.${i}`, res.sendId)).toMatchObject({ type: 'ended', state: 'failed' });
      await completion.check(res.sendId);
      expect(tried).toEqual(expected);
    }
    expect(await h.redis.hexists(keys.send(res.sendId), 'z')).toBe(1);
  });

  it('is refused while a recipient is still pending', async () => {
    const h = await harnesses.create({ label: 'compact-pending' });
    const res = await h.producer.send({ ...CODE, phones: ['13860000201'] });
    const sends = createSendStore({ redis: h.redis, keys: createKeys(h.prefix) });
    expect(await sends.compact(res.sendId)).toEqual({ compacted: false, reason: 'not-ended' });
    // Receipts never looked up: accepted, waiting.
    await h.startWorker({ receiptSchedule: { lookDelaysMs: [3_600_000], windowMs: 7_200_000 }, compactFinished: true });
    await waitFor(async () => ((await h.producer.getStatus(res.sendId)).counts.accepted === 1 ? true : undefined), 'the send accepted');
    expect(await sends.compact(res.sendId)).toEqual({ compacted: false, reason: 'not-ended' });
    expect(await keysOf(h, res.sendId)).toContain(createKeys(h.prefix).chunk(`${res.sendId}.0`));
  });

  it('a record with times before its createdAt, a stateChangedAt apart from its history and every optional value reads the same after compaction', async () => {
    const h = await harnesses.create({ label: 'compact-odd' });
    const keys = createKeys(h.prefix);
    const sends = createSendStore({ redis: h.redis, keys });
    const sendId = 'sodd0record1';
    const created = 1796436650992;
    // Written as the scripts leave a finished send with no chunk; another process's clock was behind (times before createdAt).
    await h.redis.hset(keys.send(sendId), {
      sendId, kind: 'marketing', api: 'SendBatchSms', templateCode: 'SMS_1', signName: '甲,乙', name: 'spring = sale', idempotencyKey: 'k=1', callbackUrl: 'https://example.com/cb?a=1',
      deadline: String(created + 86_400_000), recipients: '0', rejected: '2', duplicates: '0', chunks: '0', createdAt: String(created),
      state: 'cancelled', stateChangedAt: String(created + 5000), history: `enqueuing:${created} active:${created - 1200} paused:${created + 40} cancelled:${created + 4000}`,
      enqueuedAt: String(created - 1100), code: 'SMSQ_CANCELLED', reason: 'not | wanted', controlReason: 'an operator', endNotifiedAt: String(created + 5001),
    });
    await h.redis.expire(keys.send(sendId), 3600);
    await h.redis.hset(keys.sendCounts(sendId), { queued: '0', cancelled: '0' });
    const before = await sends.status(sendId);
    expect(await sends.compact(sendId)).toEqual({ compacted: true, chunks: 0 });
    expect(await h.redis.hexists(keys.send(sendId), 'z')).toBe(1);
    expect(await sends.status(sendId)).toEqual(before);
    expect(before?.send).toMatchObject({ stateChangedAt: created + 5000, enqueuedAt: created - 1100, rejected: 2, deadline: created + 86_400_000, history: expect.arrayContaining([{ state: 'active', at: created - 1200 }]) });
  });

  it('a send compacted before this version (packing 1) still reads as it did, and late reports are answered from it', async () => {
    const h = await harnesses.create({ label: 'compact-v1' });
    const keys = createKeys(h.prefix);
    const sendId = 'smx9rzz74e0df4c9634fe';
    // Exactly what compact-send.lua wrote before packing 2 (taken from a real send).
    await h.redis.hset(keys.send(sendId), {
      r0: '@0|accepted|OK|715174000000000001^0|1|mx9rzz7g|a8195a51cb\n133000',
      'r0.1': '00000|d||tpjve3|q',
      state: 'completed',
      z: '1\x1f=v\x1f=s\x1fSMS_900000001\x1fsmsq沙箱\x1f\x1f\x1f\x1f\x1f=1\x1f=0\x1f=0\x1f=1\x1f=1796436650992\x1f',
      'z.1': '=1066\x1f=e0 a6 s34 c1066\x1f=6\x1f\x1f\x1f\x1fd1',
    });
    await h.redis.expire(keys.send(sendId), 3600);
    const created = 1796436650992;
    const { status, all } = await everything(h.producer, sendId);
    expect(status.send).toEqual({
      sendId, kind: 'verification', api: 'SendSms', templateCode: 'SMS_900000001', signName: 'smsq沙箱', recipients: 1, rejected: 0, duplicates: 0, chunks: 1, createdAt: created,
      state: 'completed', stateChangedAt: created + 1066, enqueuedAt: created + 6, control: 'active',
      history: [{ state: 'enqueuing', at: created }, { state: 'active', at: created + 6 }, { state: 'sent', at: created + 34 }, { state: 'completed', at: created + 1066 }],
      name: undefined, idempotencyKey: undefined, callbackUrl: undefined, deadline: undefined, code: undefined, reason: undefined, controlReason: undefined,
    });
    expect(status.counts).toMatchObject({ delivered: 1, accepted: 0 });
    expect(all).toEqual([{ phone: '13300000000', state: 'delivered', code: 'DELIVERED', bizId: '715174000000000001^0', attempts: 1, sentAt: parseInt('mx9rzz7g', 36), receivedAt: parseInt('tpjve3', 36) * 1000, chunkId: `${sendId}.0` }]);
    const recipients = createRecipientStore({ redis: h.redis, keys, clock: systemClock, retentionSeconds: 3600 });
    expect(await recipients.applyLate(sendId, `${sendId}.0`, '13300000000', { outId: `${sendId}.0.1-a8195a51cb`, bizId: '715174000000000001^0' })).toMatchObject({ status: 'duplicate', existing: { state: 'delivered' } });
    expect(await recipients.applyLate(sendId, `${sendId}.0`, '13300000000', { outId: `${sendId}.0.2-a8195a51cb`, bizId: '' })).toEqual({ status: 'refused', reason: 'other-attempt' });
  });

  it('a worker compacts a send once it is final; a late receipt then changes nothing', async () => {
    const h = await harnesses.create({ label: 'compact-auto' });
    await h.startWorker({ ...FAST_RECEIPTS, compactFinished: true });
    const res = await h.producer.send({ ...CODE, phones: ['13860000301'] });
    const keys = createKeys(h.prefix);
    await waitFor(async () => ((await keysOf(h, res.sendId)).length === 1 ? true : undefined), 'the send compacted');
    const status = await h.producer.getStatus(res.sendId);
    expect(status.send.state).toBe('completed');
    expect(status.counts.delivered).toBe(1);
    const recipients = createRecipientStore({ redis: h.redis, keys, clock: systemClock, retentionSeconds: 3600 });
    const late = await recipients.apply(res.sendId, `${res.sendId}.0`, '13860000301', { state: 'failed', code: 'LATE', receivedAt: undefined, source: 'query' });
    expect(late).toMatchObject({ status: 'duplicate', existing: { state: 'delivered' } });
    // A pushed report whose chunk was read just before compaction deleted it (report-ingest.ts
    // reads the chunk, then applies): answered from what compaction kept, as the chunk would have.
    const { outId, bizId } = h.emulator.accepted()[0]!;
    const report = { state: 'failed', code: 'LATE', receivedAt: undefined, source: 'report' } as const;
    expect(await recipients.apply(res.sendId, `${res.sendId}.0`, '13860000301', report, { outId, bizId })).toMatchObject({ status: 'duplicate', existing: { state: 'delivered' } });
    expect(await recipients.apply(res.sendId, `${res.sendId}.0`, '13860000301', report, { outId: `${res.sendId}.0.7-abc`, bizId })).toEqual({ status: 'refused', reason: 'other-attempt' });
    expect(await recipients.apply(res.sendId, `${res.sendId}.0`, '13860000301', report, { outId, bizId: 'forged' })).toEqual({ status: 'refused', reason: 'other-biz-id' });
    expect(await h.producer.getStatus(res.sendId)).toEqual(status);
    expect(await keysOf(h, res.sendId)).toEqual([keys.send(res.sendId)]);
  });
});

describe('SMSQ_COMPACT_FINISHED=false', () => {
  it('is kept by the server\'s report ingest too: a send ended by a pushed report stays whole (the ingest compacted it whatever the setting said)', async () => {
    const h = await harnesses.create({ label: 'compact-off-push' });
    const none = { mode: 'none', sampleRate: 0 } as const;
    const worker = await h.startWorker({ receiptPolicies: { verification: none, notification: none, marketing: none }, compactFinished: false });
    const res = await h.producer.send({ ...CODE, phones: ['13860000777'] });
    await waitFor(async () => (await h.producer.getStatus(res.sendId)).counts.accepted === 1, 'the code accepted');
    await worker.close();
    const { outId, bizId } = h.emulator.accepted()[0]!;
    const { ingest, close } = openReportIngest({ redis: h.redis, prefix: h.prefix, clock: systemClock, logger: h.logger, retention: uniformRetention(86_400), receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE, compactFinished: false });
    try {
      await ingest.applyReports([{ phone_number: '13860000777', send_time: '2026-11-24 10:00:00', report_time: '2026-11-24 10:00:03', success: true, err_code: 'DELIVERED', err_msg: '用户接收成功', sms_size: '1', biz_id: bizId, out_id: outId }]);
    } finally {
      await close();
    }
    expect((await h.producer.getStatus(res.sendId)).send.state).toBe('completed');
    expect(await h.redis.hexists(createKeys(h.prefix).send(res.sendId), COMPACT_FIELD)).toBe(0);
  });
});
