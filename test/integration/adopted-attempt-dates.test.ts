/**
 * QuerySendDetails searches one SendDate (China time), so a look-up of an attempt asks the dates
 * around the record's `sentAt`. A review found two moves that left `sentAt` at a later time than an
 * attempt still to be found:
 * - a pushed report naming a newer attempt (anyone with the report token can push one) adopted on
 *   an `unknown` chunk set `sentAt` to the push's arrival: at 00:20 China time, the look-up asked
 *   only the new day, missed the attempt accepted at 23:40 the day before, and the chunk was sent
 *   again (two SMS); and if Redis then lost the adoption, the look-up of the adopted attempt asked
 *   only the days around the push's send_time (the sender's word), with the same end;
 * - a worker's accepted answer that took an earlier attempt back kept the later attempt's
 *   `sentAt` (and `adoptedAt`): its receipts were asked for on the wrong day, and it set `attempt`
 *   back below the claims made.
 *
 * Real Redis, the emulator through the real SDK, a clock driven across midnight (not waited for).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { MIDNIGHT_MARGIN_MS, sendDatesOwnFirst } from '../../src/sms/dates.js';
import { controllableClock } from '../support/china-clock.js';
import { ingestFor } from '../support/ingest.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const harnesses = harnessPerTest();

/**
 * A harness on a clock set at `cstIso` (China time) and a one-number send claimed then, its call
 * accepted by Dysmsapi and its answer lost: `unknown`; then the clock is moved to `thenCstIso`.
 */
async function acceptedButUnknown(label: string, cstIso: string, thenCstIso: string, phone: string) {
  const clock = controllableClock(cstIso);
  const h = await harnesses.create({ label, clock, emulator: { clock } });
  const { ingest, close } = ingestFor(h, clock);
  harnesses.defer(close);
  const { sendId } = await h.producer.send({ ...NOTE, phones: [phone] });
  const chunkId = `${sendId}.0`;
  const chunks = createChunkStore({ redis: h.redis, keys: createKeys(h.prefix), clock });
  const claim = await chunks.claim(chunkId, sendId);
  if (claim.type !== 'send') throw new Error(`claim: ${claim.type}`);
  const sent = await h.client.sendSms({ phoneNumbers: [phone], signName: NOTE.signName, templateCode: NOTE.templateCode, templateParam: NOTE.templateParam, outId: claim.outId });
  if (!sent.ok) throw new Error(`sendSms: ${sent.error.code}`);
  const lost = await chunks.transition(chunkId, sendId, { trigger: 'answer-unknown', outId: claim.outId, fields: { code: 'SMSQ_WORKER_LOST' } });
  expect(lost).toMatchObject({ applied: true, to: 'unknown' });
  clock.jumpTo(thenCstIso);
  return { h, clock, ingest, sendId, chunkId, chunks, claim, bizId: sent.data.bizId };
}

/** Whether the receipt look-up's dates for a record sent at `sentAt` (receipt-processor.ts) find `outId` at Dysmsapi. */
async function foundOn(h: Harness, phone: string, sentAt: number | undefined, outId: string): Promise<boolean> {
  for (const sendDate of sendDatesOwnFirst(sentAt ?? 0, MIDNIGHT_MARGIN_MS)) {
    const res = await h.client.querySendDetails({ phoneNumber: phone, sendDate, pageSize: 10, currentPage: 1 });
    if (res.ok && res.data.details.some((d) => d.outId === outId)) return true;
  }
  return false;
}

/** The calls queue's jobs of `chunkId`, with what BullMQ kept of each (for a failure's message). */
async function jobsOf(h: Harness, chunkId: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const queue = `${h.prefix}:calls`;
  const ids = new Set<string>();
  for (const set of ['wait', 'active', 'prioritized', 'paused']) for (const id of await h.redis.lrange(`${queue}:${set}`, 0, -1).catch(() => [] as string[])) ids.add(id);
  for (const set of ['delayed', 'completed', 'failed', 'prioritized']) for (const id of await h.redis.zrange(`${queue}:${set}`, 0, -1).catch(() => [] as string[])) ids.add(id);
  for (const id of ids) {
    if (!id.includes(chunkId)) continue;
    const [finishedOn, failedReason, returnvalue, delay, timestamp, processedOn] = await h.redis.hmget(`${queue}:${id}`, 'finishedOn', 'failedReason', 'returnvalue', 'delay', 'timestamp', 'processedOn');
    const delayedAt = await h.redis.zscore(`${queue}:delayed`, id);
    out[id] = { finishedOn, failedReason, returnvalue, delay, timestamp, processedOn, delayedAt, now: Date.now() };
  }
  return out;
}

describe('an attempt adopted from a push, or taken back by an accepted answer, across midnight in China', () => {
  it('a push after midnight adopting a newer attempt: the look-up still asks the day the record\'s attempt was sent, finds it, nothing resent', async () => {
    const phone = '13866291001';
    const { h, clock, ingest, chunkId, claim } = await acceptedButUnknown('adopt-midnight', '2026-12-07T23:40:00', '2026-12-08T00:20:00', phone);
    // send_time is the sender's word: one just now would narrow the search to today's date.
    const pushed = await ingest.applyReports([{ phone_number: phone, success: true, biz_id: 'x^0', out_id: `${chunkId}.2-abc`, send_time: '2026-12-08 00:19:00' }]);
    expect(pushed).toMatchObject({ adopted: 1 });
    // Records kept once final: a finished send is compacted within milliseconds of its receipt, and the chunk read below with it (a poll missed the accepted state so in whole-suite runs).
    await h.startWorker({ clock, compactFinished: false });
    const key = `${h.prefix}:chunk:${chunkId}`;
    await waitFor(async () => {
      const s = await h.redis.hget(key, 'state');
      return s === 'accepted' || h.emulator.accepted().length > 1 ? true : undefined;
    }, 'the look-up settles the chunk', 15_000);
    expect(h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone))).toHaveLength(1);
    expect(await h.redis.hmget(key, 'state', 'outId')).toEqual(['accepted', claim.outId]);
    // Its receipts are asked for on the day the attempt found was sent, not on the adoption's.
    const record = await createChunkStore({ redis: h.redis, keys: createKeys(h.prefix), clock }).get(chunkId);
    expect(await foundOn(h, phone, record?.sentAt, claim.outId)).toBe(true);
  }, 30_000);

  it('an accepted answer taking an earlier attempt back records that attempt\'s own time: its receipts are asked for on its day; attempt keeps counting claims', async () => {
    const phone = '13866291002';
    const { h, clock, ingest, sendId, chunkId, chunks, claim, bizId } = await acceptedButUnknown('take-back-midnight', '2026-12-07T23:55:00', '2026-12-08T00:20:00', phone);
    expect(await ingest.applyReports([{ phone_number: phone, success: true, biz_id: 'x^0', out_id: `${chunkId}.2-abc` }])).toMatchObject({ adopted: 1 });
    const answer = await chunks.transition(chunkId, sendId, {
      trigger: 'answer-accepted',
      outId: claim.outId,
      fields: { bizId, code: 'OK', resolvedBy: 'answer', acceptedAt: clock.now() },
      ownSentAt: claim.claimedAt,
    });
    expect(answer).toMatchObject({ applied: true, to: 'accepted', provedAttempt: 1 });
    const record = await chunks.get(chunkId);
    expect(record).toMatchObject({ state: 'accepted', outId: claim.outId, bizId, sentAt: claim.claimedAt, attempt: 2 });
    expect(await h.redis.hexists(`${h.prefix}:chunk:${chunkId}`, 'adoptedAt')).toBe(0);
    expect(await foundOn(h, phone, record?.sentAt, claim.outId)).toBe(true);
    // Its receipt, pushed, applies to the attempt taken back.
    expect(await ingest.applyReports([{ phone_number: phone, success: true, err_code: 'DELIVERED', biz_id: bizId, out_id: claim.outId }])).toMatchObject({ applied: 1 });
  });

  it('keeps the start of an attempt in doubt only: none from a queued record (its attempts decided), and a claim clears it', async () => {
    const phone = '13866291003';
    const { h, ingest, sendId, chunkId, chunks, claim } = await acceptedButUnknown('prior-sent-at', '2026-12-07T23:40:00', '2026-12-08T00:20:00', phone);
    expect(await ingest.applyReports([{ phone_number: phone, success: true, biz_id: 'x^0', out_id: `${chunkId}.2-abc` }])).toMatchObject({ adopted: 1 });
    expect(await chunks.get(chunkId)).toMatchObject({ state: 'unknown', attempt: 2, priorSentAt: claim.claimedAt });
    // Looked up over both days, nothing found after the settling window: queued, its attempts decided.
    expect(await chunks.transition(chunkId, sendId, { trigger: 'lookup-not-found', outId: `${chunkId}.2-abc`, fields: { resolvedBy: 'reconcile' } })).toMatchObject({ applied: true, to: 'queued' });
    expect(await ingest.applyReports([{ phone_number: phone, success: true, biz_id: 'x^0', out_id: `${chunkId}.3-abc` }])).toMatchObject({ adopted: 1 });
    expect(await chunks.get(chunkId)).toMatchObject({ state: 'unknown', attempt: 3, priorSentAt: undefined });
    expect(await chunks.transition(chunkId, sendId, { trigger: 'lookup-not-found', outId: `${chunkId}.3-abc`, fields: { resolvedBy: 'reconcile' } })).toMatchObject({ applied: true, to: 'queued' });
    await h.redis.hset(`${h.prefix}:chunk:${chunkId}`, 'priorSentAt', claim.claimedAt);
    expect(await chunks.claim(chunkId, sendId)).toMatchObject({ type: 'send', attempt: 4 });
    expect(await chunks.get(chunkId)).toMatchObject({ state: 'sending', priorSentAt: undefined });
  });

  it('a look-up of an adopted attempt the record lost again (behind it) asks from the record\'s own attempt on, whatever send_time the push gave', async () => {
    const phone = '13866291004';
    const { h, clock, ingest, chunkId, claim } = await acceptedButUnknown('adopt-behind', '2026-12-07T23:40:00', '2026-12-08T00:20:00', phone);
    expect(await ingest.applyReports([{ phone_number: phone, success: true, biz_id: 'x^0', out_id: `${chunkId}.2-abc`, send_time: '2026-12-08 00:19:00' }])).toMatchObject({ adopted: 1 });
    // Redis forgets the adoption (its last second): the record is back at attempt 1, in doubt.
    const key = `${h.prefix}:chunk:${chunkId}`;
    await h.redis.hset(key, 'attempt', 1, 'outId', claim.outId, 'sentAt', claim.claimedAt);
    await h.redis.hdel(key, 'adoptedAt', 'priorSentAt', 'resolvedBy');
    // Records kept once final: a finished send is compacted within milliseconds of its receipt, and the chunk read below with it (a poll missed the accepted state so in whole-suite runs).
    await h.startWorker({ clock, compactFinished: false });
    await waitFor(async () => ((await h.redis.hget(key, 'state')) === 'accepted' || h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone)).length > 1 ? true : undefined), 'the look-up settles the chunk', 15_000).catch(async (err: unknown) => {
      // Say what the chunk and its jobs were then: that is how the compaction above was found.
      throw new Error(`${String(err)}; chunk ${JSON.stringify(await h.redis.hgetall(key))}; jobs ${JSON.stringify(await jobsOf(h, chunkId))}`);
    });
    expect(h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone))).toHaveLength(1);
    expect(await h.redis.hmget(key, 'state', 'outId')).toEqual(['accepted', claim.outId]);
  }, 30_000);
});
