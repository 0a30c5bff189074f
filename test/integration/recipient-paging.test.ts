/**
 * Paging a send's recipients by cursor (producer.recipientPage), against real Redis, real workers
 * and the emulator: pages read while chunks are sent, split and receipted list every recipient
 * exactly once, in the order of a full listing; a send still enqueuing hands out a cursor to come
 * back with; bad cursors are refused by field.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { ValidationError } from '../../src/errors.js';
import { createKeys } from '../../src/queue/keys.js';
import type { RecipientState } from '../../src/receipts/send-recipients.js';
import { createSuppressionList } from '../../src/receipts/suppression.js';
import type { Producer } from '../../producers/producer.js';
import { harnessPerTest } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const harnesses = harnessPerTest();
const MKT = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'marketing' as const };
const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' as const };
const phones = (n: number, base: number) => Array.from({ length: n }, (_, i) => String(base + i));

/** Every page from the first, with `between` run after each page (the states move meanwhile). */
async function pageThrough(producer: Producer, sendId: string, limit: number, between: (page: number) => Promise<void> = async () => {}) {
  const pages: RecipientState[][] = [];
  let cursor: string | undefined;
  do {
    const page = await producer.recipientPage(sendId, { limit, ...(cursor === undefined ? {} : { cursor }) });
    expect(page.recipients.length).toBeLessThanOrEqual(limit);
    pages.push(page.recipients);
    cursor = page.next ?? undefined;
    await between(pages.length);
  } while (cursor !== undefined);
  return pages;
}

async function listAll(producer: Producer, sendId: string): Promise<RecipientState[]> {
  const all: RecipientState[] = [];
  for await (const r of producer.recipients(sendId)) all.push(r);
  return all;
}

describe('recipient pages by cursor', () => {
  it('list everyone once while the chunk is sent, split by flow control and receipted between pages', async () => {
    const h = await harnesses.create({ label: 'page-split' });
    const limited = '13850000000';
    // Marketing allows 50 a day per number: use them up, so the send's chunk is split to find it.
    for (let i = 0; i < 50; i++) expect((await h.client.sendSms({ phoneNumbers: [limited], ...MKT })).ok).toBe(true);
    await createSuppressionList({ redis: h.redis, keys: createKeys(h.prefix) }).add(['13850000097', '13850000098']);
    const valid = [limited, ...phones(9, 13850000001)];
    const res = await h.producer.send({ ...MKT, phones: [...valid, '13850000097', '13850000098', '123', '4567'] });
    expect(res).toMatchObject({ recipients: 10, suppressed: 2, rejectedCount: 2, chunks: 1 });

    const seen: { page: number; r: RecipientState }[] = [];
    const pages = await pageThrough(h.producer, res.sendId, 3, async (page) => {
      if (page === 1) {
        // The first page was read with everything queued; the next ones after the split and sends.
        await h.startWorker();
        await waitFor(async () => {
          const s = await h.producer.getStatus(res.sendId);
          return s.counts.queued + s.counts.sending + s.counts.unknown === 0;
        }, 'the split chunk to settle');
      }
    });
    pages.forEach((p, i) => p.forEach((r) => seen.push({ page: i + 1, r })));

    const listed = seen.map((s) => s.r.phone);
    expect(new Set(listed).size).toBe(listed.length);
    // Chunk numbers in their order, then the unchunked ones in string order.
    expect(listed).toEqual([...valid, '123', '13850000097', '13850000098', '4567']);
    expect(listed).toEqual((await listAll(h.producer, res.sendId)).map((r) => r.phone));
    expect(seen.filter((s) => s.page === 1).map((s) => s.r.state)).toEqual(['queued', 'queued', 'queued']);
    // After the split each number has its own child chunk: the limited one failed, the rest went.
    for (const { page, r } of seen.filter((s) => s.page > 1 && s.r.chunkId !== undefined)) {
      expect(r, `page ${page}`).toMatchObject({ state: expect.stringMatching(/^(accepted|delivered)$/), chunkId: expect.stringMatching(/\.0-\d$/) });
    }
    expect(seen.filter((s) => s.r.chunkId === undefined).map((s) => `${s.r.state}:${s.r.code}`)).toEqual([
      'rejected:SMSQ_INVALID_NUMBER',
      'suppressed:SMSQ_OPTED_OUT',
      'suppressed:SMSQ_OPTED_OUT',
      'rejected:SMSQ_INVALID_NUMBER',
    ]);
    expect(pages.at(-1)!.length).toBeGreaterThan(0);
  });

  it('list every recipient of many chunks once while workers send them during the paging', async () => {
    const h = await harnesses.create({ label: 'page-busy' });
    const batch = await h.producer.sendBatch({
      templateCode: N.notificationTemplate,
      messages: phones(230, 13851000000).map((phone, i) => ({ phone, signName: N.sign, templateParam: { name: `n${i}`, order: `o${i}` } })),
    });
    const codes = await h.producer.send({ ...CODE, phones: phones(40, 13852000000) });
    expect(batch.chunks).toBe(3);
    expect(codes.chunks).toBe(40);
    await h.startWorker();
    // No waiting: pages race the workers, each send paged with a limit that cuts chunks anywhere.
    const [batchPages, codePages] = await Promise.all([pageThrough(h.producer, batch.sendId, 17), pageThrough(h.producer, codes.sendId, 7)]);
    expect(batchPages.flat().map((r) => r.phone)).toEqual(phones(230, 13851000000));
    expect(codePages.flat().map((r) => r.phone)).toEqual(phones(40, 13852000000));
    expect(batchPages.length).toBe(Math.ceil(230 / 17));
  });

  it('a send still enqueuing: the walk stops at the first chunk not written, and its cursor continues after', async () => {
    const h = await harnesses.create({ label: 'page-enqueuing' });
    const all = phones(1500, 13853000000);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    async function* source() {
      for (const [i, phone] of all.entries()) {
        if (i === 1200) await held;
        yield { phone };
      }
    }
    const campaign = h.producer.campaign(source(), { ...CODE, name: 'held' });
    const sendId = await waitFor(async () => (await h.redis.keys(`${h.prefix}:send:*`)).map((k) => /:send:([^:]+)$/.exec(k)?.[1]).find(Boolean), 'the send record');
    const first = await waitFor(async () => {
      const page = await h.producer.recipientPage(sendId, { limit: 5000 });
      return page.recipients.length > 0 ? page : undefined;
    }, 'chunks written');
    expect((await h.producer.getStatus(sendId)).send.state).toBe('enqueuing');
    expect(first.recipients.length).toBeLessThan(1500);
    expect(first.next).not.toBeNull();
    release();
    expect((await campaign).recipients).toBe(1500);
    const rest = await pageThrough(h.producer, sendId, 5000);
    // The first page's cursor would be stale only if it skipped: it continues where the page ended.
    const after = await h.producer.recipientPage(sendId, { limit: 5000, cursor: first.next! });
    expect([...first.recipients, ...after.recipients].map((r) => r.phone)).toEqual(all);
    expect(after.next).toBeNull();
    expect(rest.flat().map((r) => r.phone)).toEqual(all);
  });

  it('refuses a cursor that is not one, one of another send, and a limit out of range, by field', async () => {
    const h = await harnesses.create({ label: 'page-bad' });
    const a = await h.producer.send({ ...CODE, phones: phones(3, 13854000000) });
    const b = await h.producer.send({ ...CODE, phones: phones(3, 13854100000) });
    const next = (await h.producer.recipientPage(a.sendId, { limit: 1 })).next!;
    const refusal = async (sendId: string, page: { cursor?: string; limit?: number }) => {
      const err = await h.producer.recipientPage(sendId, page).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      return (err as ValidationError).issues;
    };
    expect(await refusal(b.sendId, { cursor: next })).toEqual([{ field: 'cursor', message: expect.stringMatching(/^belongs to another send\. Fix: pass the `next` value/) }]);
    expect(await refusal(a.sendId, { cursor: 'not a cursor' })).toEqual([{ field: 'cursor', message: expect.stringMatching(/^is not a recipient cursor\. Fix:/) }]);
    const forged = Buffer.from(JSON.stringify([1, a.sendId, 'c', -1, 0])).toString('base64url');
    expect(await refusal(a.sendId, { cursor: forged })).toEqual([{ field: 'cursor', message: expect.stringMatching(/^is not a recipient cursor/) }]);
    expect(await refusal(a.sendId, { limit: 0 })).toEqual([{ field: 'limit', message: 'must be a whole number from 1 to 10000' }]);
    expect(await refusal(a.sendId, { limit: 10_001 })).toEqual([{ field: 'limit', message: 'must be a whole number from 1 to 10000' }]);
    expect((await h.producer.recipientPage(a.sendId, { limit: 2, cursor: next })).recipients.map((r) => r.phone)).toEqual(phones(2, 13854000001));
  });
});
