import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BARE_MAINLAND, streamCampaign, type StreamCampaignOptions } from '../../producers/campaign.js';
import { readRecipientsCsv } from '../../producers/csv-recipients.js';
import type { Enqueuer } from '../../producers/enqueuer.js';
import { ListDigest } from '../../producers/list-digest.js';
import { OPT_OUT_CHECK_MAX } from '../../producers/opt-out-check.js';
import { PhoneSet } from '../../producers/phone-set.js';
import { recipientChunksOf } from '../../producers/recipient-source.js';
import type { CampaignRecipient } from '../../producers/schemas.js';
import type { ChunkPayload } from '../../src/queue/chunk-payload.js';
import { normalizePhone } from '../../src/sms/phone.js';

/** An enqueuer that records what it is given. */
function recorder() {
  const chunks: ChunkPayload[] = [];
  const suppressed: string[] = [];
  const rejected: string[] = [];
  let totals: unknown;
  const enqueuer: Enqueuer = {
    async createSend() {},
    async addChunks(sendId, kind, first, payloads) {
      await this.writeChunks(sendId, kind, first, payloads);
    },
    async writeChunks(_sendId, _kind, first, payloads) {
      expect(first).toBe(chunks.length);
      // Copies: the campaign hands the payloads over and keeps no reference to them.
      chunks.push(...payloads.map((p) => structuredClone(p)));
    },
    async addJobs() {},
    async finish(_sendId, t) {
      totals = t;
    },
    async recordSuppressed(_sendId, _kind, phones) {
      suppressed.push(...phones);
    },
    async recordRejected(_sendId, _kind, refused) {
      rejected.push(...refused.map((r) => r.input));
    },
  };
  return { enqueuer, chunks, suppressed, rejected, totals: () => totals };
}

async function run(recipients: AsyncIterable<CampaignRecipient>, o: Partial<StreamCampaignOptions> = {}) {
  const r = recorder();
  const result = await streamCampaign({
    open: async () => 's1',
    request: { signName: 'S', templateCode: 'SMS_1', templateParam: { name: '会员' }, kind: 'marketing' },
    recipients,
    rules: undefined,
    enqueuer: r.enqueuer,
    now: () => 0,
    ...o,
  });
  if (result === undefined) throw new Error('the campaign did not open');
  return { result, ...r, totals: r.totals() };
}

async function* rowsOf(phones: readonly string[]): AsyncGenerator<CampaignRecipient> {
  for (const phone of phones) yield { phone };
}

/** The digest of a list of these numbers (producers/list-digest.ts). */
function digestOf(phones: readonly string[]): string {
  const list = new ListDigest();
  for (const phone of phones) list.add({ phone });
  return list.digest();
}

function setOf(phones: readonly string[]): PhoneSet {
  const set = new PhoneSet();
  for (const p of phones) set.add(p);
  return set;
}

/** The same rows through the plain async-iterator path (no chunked form). */
async function* oneByOne(source: AsyncIterable<CampaignRecipient>): AsyncGenerator<CampaignRecipient> {
  yield* source;
}

function csv(): string {
  const lines = ['phone'];
  for (let i = 0; i < 2100; i++) lines.push(i % 7 === 0 ? `"${13600000000 + i}"` : `${13600000000 + i}`);
  lines.push('+86 136-0000-0000'); // a duplicate once normalised
  lines.push('+852 9123 4567');
  lines.push('not-a-number');
  lines.push('"13700000000'); // a quote never closed: rejected with its line
  return `${lines.join('\r\n')}\r\n`;
}

describe('streamCampaign', () => {
  it('reads a CSV chunk by chunk and row by row to the same chunks and counts', async () => {
    const text = csv();
    const bytes = Buffer.from(text);
    const pieces = [bytes.subarray(0, 5000), bytes.subarray(5000, 5001), bytes.subarray(5001)];
    expect(recipientChunksOf(readRecipientsCsv(Readable.from(pieces)))).toBeDefined();
    const chunked = await run(readRecipientsCsv(Readable.from(pieces)));
    const rows = await run(oneByOne(readRecipientsCsv(Readable.from(pieces))));
    expect(chunked.result).toEqual(rows.result);
    expect(chunked.chunks).toEqual(rows.chunks);
    expect(chunked.result).toMatchObject({ recipients: 2101, duplicates: 1, rejectedCount: 2, chunks: 3 });
    expect(chunked.result.rejected.map((r) => r.input)).toEqual(['not-a-number', '13700000000']);
    expect(chunked.totals).toEqual({ recipients: 2101, rejected: 2, duplicates: 1, chunks: 3, api: 'SendSms' });
    expect(chunked.chunks.map((c) => [c.api, c.phones.length])).toEqual([['SendSms', 1000], ['SendSms', 1000], ['SendSms', 101]]);
    expect(chunked.chunks[0]).toEqual({ api: 'SendSms', phones: Array.from({ length: 1000 }, (_, i) => String(13600000000 + i)), signName: 'S', templateCode: 'SMS_1', templateParam: { name: '会员' } });
    expect(chunked.chunks[2]?.phones.at(-1)).toBe('85291234567');
  });

  it('sends rows with their own params as SendBatchSms of at most 100, the others as SendSms', async () => {
    async function* rows() {
      for (let i = 0; i < 1100; i++) yield { phone: String(13600000000 + i) };
      for (let i = 0; i < 150; i++) yield { phone: String(13500000000 + i), params: { order: `p${i}` } };
    }
    const out = await run(rows());
    expect(out.chunks.map((c) => [c.api, c.phones.length])).toEqual([['SendSms', 1000], ['SendBatchSms', 100], ['SendSms', 100], ['SendBatchSms', 50]]);
    const batch = out.chunks[3];
    expect(batch?.api === 'SendBatchSms' && batch.templateParams?.[0]).toEqual({ name: '会员', order: 'p100' });
    expect(batch?.api === 'SendBatchSms' && batch.signNames).toEqual(Array(50).fill('S'));
    // The record names the API most recipients go by: 1100 by SendSms, 150 by SendBatchSms.
    expect(out.totals).toMatchObject({ api: 'SendSms' });
  });

  it('records SendBatchSms for a campaign whose recipients mostly carry params of their own', async () => {
    async function* rows() {
      for (let i = 0; i < 10; i++) yield { phone: String(13600000000 + i) };
      for (let i = 0; i < 150; i++) yield { phone: String(13500000000 + i), params: { order: `p${i}` } };
    }
    expect((await run(rows())).totals).toMatchObject({ api: 'SendBatchSms' });
  });

  it('skips opted-out numbers (checked as many at a time as one check takes) and records them', async () => {
    const seen: number[] = [];
    const total = OPT_OUT_CHECK_MAX * 2.5;
    async function* rows() {
      for (let i = 0; i < total; i++) yield { phone: String(13800000000 + i) };
    }
    const out = await run(rows(), {
      checkSuppressed: async (phones) => {
        seen.push(phones.length);
        return phones.map((p) => p.endsWith('7'));
      },
    });
    // Batches grow from a small first one to as many as one check takes; every candidate checked once.
    expect(seen.reduce((a, b) => a + b, 0)).toBe(total);
    expect(Math.max(...seen)).toBe(OPT_OUT_CHECK_MAX);
    expect(seen[0]).toBeLessThan(OPT_OUT_CHECK_MAX);
    expect(seen.slice(0, -1)).toEqual([...seen.slice(0, -1)].sort((a, b) => a - b));
    expect(out.result).toMatchObject({ recipients: total * 0.9, suppressed: total / 10, chunks: Math.ceil((total * 0.9) / 1000) });
    expect(out.suppressed).toHaveLength(total / 10);
    expect(out.chunks.flatMap((c) => c.phones).some((p) => p.endsWith('7'))).toBe(false);
  });

  it('checks params against the template: the shared ones once, each row of its own', async () => {
    async function* rows() {
      yield { phone: '13800000001' }; // shared params lack ${order}
      yield { phone: '13800000002', params: { order: 'A1' } };
      yield { phone: '13800000003' };
    }
    const out = await run(rows(), { rules: { templateCode: 'SMS_1', templateType: 1, content: '${name}: order ${order} shipped', variableAttributes: {} } });
    expect(out.result).toMatchObject({ recipients: 1, rejectedCount: 2 });
    expect(out.result.rejected[0]?.reason).toMatch(/order/);
    expect(out.chunks).toEqual([{ api: 'SendBatchSms', phones: ['13800000002'], signNames: ['S'], templateCode: 'SMS_1', templateParams: [{ name: '会员', order: 'A1' }] }]);
  });

  it('rejects a row that gives a number a different message than an earlier row, naming both lines; an exact repeat is a duplicate (the Wang row was dropped as one)', async () => {
    const text = 'phone,name\r\n13800138000,Li\r\n13800138000,Li\r\n13800138000,Wang\r\n13900139000,Wang\r\n';
    for (const source of [readRecipientsCsv(Readable.from([Buffer.from(text)])), oneByOne(readRecipientsCsv(Readable.from([Buffer.from(text)])))]) {
      const out = await run(source);
      expect(out.result).toMatchObject({ recipients: 2, duplicates: 1, rejectedCount: 1 });
      expect(out.result.rejected).toEqual([
        {
          input: '13800138000',
          line: 4,
          reason:
            'line 4: gives this number a message other than line 2 does (other params); a send holds one message per number, so this one would have been dropped as a duplicate. Fix: send it in a campaign of its own, or remove one of the two lines',
        },
      ]);
      expect(out.rejected).toEqual(['13800138000']);
      expect(out.chunks.flatMap((c) => (c.api === 'SendBatchSms' ? c.templateParams : []))).toEqual([
        { name: 'Li' },
        { name: 'Wang' },
      ]);
    }
  });

  it('names the rows of a list without lines by their place: recipients[i], 0-based', async () => {
    async function* rows() {
      yield { phone: '13800138000', params: { name: 'Li' } };
      yield { phone: '13800138000', params: { name: 'Li' } };
      yield { phone: '13800138000', params: { name: 'Wang' } };
      // The shared params (name 会员) given as a row's own: the same message, a duplicate.
      yield { phone: '13900139000' };
      yield { phone: '13900139000', params: { name: '会员' } };
      yield { phone: '13700137000' };
      yield { phone: '13700137000', params: { name: 'Zhao' } };
    }
    const out = await run(rows());
    expect(out.result).toMatchObject({ recipients: 3, duplicates: 2, rejectedCount: 2 });
    expect(out.result.rejected.map((r) => [r.input, r.reason])).toEqual([
      ['13800138000', expect.stringMatching(/^recipients\[2\]: gives this number a message other than recipients\[0\] does \(other params\); .* Fix: send it in a campaign of its own, or remove one of the two$/)],
      ['13700137000', expect.stringMatching(/^recipients\[6\]: gives this number a message other than recipients\[5\] does \(other params\)/)],
    ]);
  });

  it('tells a different message apart from rows read before the first row with params of its own', async () => {
    async function* rows() {
      yield { phone: '13800138000' };
      yield { phone: '13900139000' };
      yield { phone: '13700137000', params: { name: 'Zhao' } };
      yield { phone: '13900139000', params: { name: '会员' } }; // the shared message: a duplicate
      yield { phone: '13800138000', params: { name: 'Li' } };
    }
    const out = await run(rows(), { sourceField: 'recipients' });
    expect(out.result).toMatchObject({ recipients: 3, duplicates: 1, rejectedCount: 1 });
    expect(out.result.rejected[0]?.reason).toMatch(/^recipients\[4\]: gives this number a message other than a recipient before recipients\[2\] does \(the shared params only\)/);
  });

  it('reads the next batch while one is written, never hands on two at once, and writes chunks in order', async () => {
    let yielded = 0;
    async function* rows() {
      for (; yielded < OPT_OUT_CHECK_MAX * 4; ) yield { phone: String(13800000000 + yielded++) };
    }
    const r = recorder();
    let checking = 0;
    let writing = 0;
    let most = 0;
    const yieldedWhenWritten: number[] = [];
    const enqueuer: Enqueuer = {
      ...r.enqueuer,
      async addChunks(sendId, kind, first, payloads) {
        writing++;
        most = Math.max(most, writing + checking);
        await new Promise((resolve) => setTimeout(resolve, 20));
        yieldedWhenWritten.push(yielded);
        await r.enqueuer.writeChunks(sendId, kind, first, payloads);
        writing--;
      },
    };
    const result = await streamCampaign({
      open: async () => 's1',
      request: { signName: 'S', templateCode: 'SMS_1', kind: 'marketing' },
      recipients: rows(),
      rules: undefined,
      enqueuer,
      now: () => 0,
      checkSuppressed: async (phones) => {
        checking++;
        most = Math.max(most, writing + checking);
        await new Promise((resolve) => setTimeout(resolve, 5));
        checking--;
        return phones.map(() => false);
      },
    });
    expect(result).toMatchObject({ recipients: OPT_OUT_CHECK_MAX * 4, chunks: (OPT_OUT_CHECK_MAX * 4) / 1000 });
    expect(r.chunks.flatMap((c) => c.phones)).toEqual(Array.from({ length: OPT_OUT_CHECK_MAX * 4 }, (_, i) => String(13800000000 + i)));
    expect(most).toBe(1);
    // The first batch's chunks were written while the reader went on with the next batch.
    expect(yieldedWhenWritten[0]).toBeGreaterThan(r.chunks[0]?.phones.length ?? Infinity);
  });

  it('ends with the error of a failed write, once nothing is in flight any more', async () => {
    async function* rows() {
      for (let i = 0; i < OPT_OUT_CHECK_MAX * 4; i++) yield { phone: String(13800000000 + i) };
    }
    const r = recorder();
    let calls = 0;
    const enqueuer: Enqueuer = {
      ...r.enqueuer,
      async addChunks() {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (calls === 2) throw new Error('Redis went away');
      },
    };
    const run = streamCampaign({
      open: async () => 's1',
      request: { signName: 'S', templateCode: 'SMS_1', kind: 'notification' },
      recipients: rows(),
      rules: undefined,
      enqueuer,
      now: () => 0,
    });
    await expect(run).rejects.toThrow('Redis went away');
    const after = calls;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toBe(after);
    expect(calls).toBe(2);
  });

  it('ends with the error of a source that fails, once the batch in flight is written', async () => {
    async function* rows() {
      for (let i = 0; i < OPT_OUT_CHECK_MAX * 1.5; i++) yield { phone: String(13800000000 + i) };
      throw new Error('the disk went away');
    }
    let writing = 0;
    const r = recorder();
    const enqueuer: Enqueuer = {
      ...r.enqueuer,
      async addChunks() {
        writing++;
        await new Promise((resolve) => setTimeout(resolve, 30));
        writing--;
      },
    };
    const run = streamCampaign({ open: async () => 's1', request: { signName: 'S', templateCode: 'SMS_1', kind: 'notification' }, recipients: rows(), rules: undefined, enqueuer, now: () => 0 });
    await expect(run).rejects.toThrow('the disk went away');
    expect(writing).toBe(0);
  });

  it('taking over a send an earlier request cut off: keeps its chunks, skips their numbers (an opt-out since included), cuts the rest after them', async () => {
    const phones = Array.from({ length: 2500 }, (_, i) => String(13600000000 + i));
    // The earlier request wrote chunks 0 and 1 (rows 0-1999); row 5 has opted out since.
    const written: { first: number; phones: string[] }[] = [];
    const jobs: [number, number][] = [];
    const suppressed: string[] = [];
    let totals: unknown;
    const enqueuer: Enqueuer = {
      async createSend() {},
      async addChunks(sendId, kind, first, payloads) {
        await this.writeChunks(sendId, kind, first, payloads);
      },
      async writeChunks(_s, _k, first, payloads) {
        for (const [i, p] of payloads.entries()) written.push({ first: first + i, phones: [...p.phones] });
      },
      async addJobs(_s, _k, first, count) {
        jobs.push([first, count]);
      },
      async finish(_s, t) {
        totals = t;
      },
      async recordSuppressed(_s, _k, p) {
        suppressed.push(...p);
      },
      async recordRejected() {},
    };
    for (const source of [phones, [phones[1500] as string, ...phones]]) {
      written.length = 0;
      jobs.length = 0;
      suppressed.length = 0;
      const result = await streamCampaign({
        open: async () => 's1',
        request: { signName: 'S', templateCode: 'SMS_1', kind: 'marketing' },
        recipients: oneByOne((async function* () {
          for (const phone of source) yield { phone };
        })()),
        rules: undefined,
        enqueuer,
        now: () => 0,
        checkSuppressed: async (batch) => batch.map((p) => p === phones[5]),
        queuedBefore: async () => ({ chunks: 2, recipients: 2000, phones: setOf(phones.slice(0, 2000)), list: [] }),
      });
      // The first row read (before the send was opened) is skipped too, when it is in an earlier chunk.
      expect(written).toEqual([{ first: 2, phones: phones.slice(2000) }]);
      expect(jobs).toEqual([[0, 2]]);
      expect(suppressed).toEqual([]);
      expect(result).toMatchObject({ recipients: 2500, suppressed: 0, chunks: 3, duplicates: source.length - 2500 });
      expect(totals).toMatchObject({ recipients: 2500, chunks: 3 });
    }
  });

  it('under an idempotency key, each write keeps with its chunks how far the list was read: every row of them, and the digest of that many rows', async () => {
    const phones = Array.from({ length: 12_345 }, (_, i) => String(13600000000 + i));
    const reads: { rows: number; digest: string; lastRow: number }[] = [];
    const r = recorder();
    const enqueuer: Enqueuer = {
      ...r.enqueuer,
      async addChunks(_s, _k, _first, payloads, listRead) {
        const last = payloads[payloads.length - 1]?.phones.at(-1) as string;
        reads.push({ ...(listRead as { rows: number; digest: string }), lastRow: phones.indexOf(last) });
      },
    };
    await streamCampaign({ open: async () => 's1', request: { signName: 'S', templateCode: 'SMS_1', kind: 'marketing' }, recipients: rowsOf(phones), rules: undefined, enqueuer, now: () => 0, list: new ListDigest() });
    expect(reads.length).toBeGreaterThan(3);
    for (const read of reads) {
      expect(read.rows).toBeGreaterThan(read.lastRow);
      expect(read.digest).toBe(digestOf(phones.slice(0, read.rows)));
    }
    expect(reads.at(-1)?.rows).toBe(phones.length);
  });

  it('taking over under an idempotency key: reads the list as far as the earlier request read it before writing anything; another list that far throws, nothing written', async () => {
    const a = Array.from({ length: 5000 }, (_, i) => String(13600000000 + i));
    const otherAt = (at: number) => a.map((p, i) => (i === at ? '13799999999' : p));
    const prefixes = [
      { rows: 1000, digest: digestOf(a.slice(0, 1000)) },
      { rows: 3000, digest: digestOf(a.slice(0, 3000)) },
    ];
    const whole = [{ rows: 5000, digest: digestOf(a), whole: true }];
    const other = new Error('another list');
    const attempt = async (source: AsyncIterable<CampaignRecipient>, list: { rows: number; digest: string; whole?: boolean }[]) => {
      let writes = 0;
      const counted = () => void writes++;
      const enqueuer: Enqueuer = { createSend: async () => counted(), addChunks: async () => counted(), writeChunks: async () => counted(), addJobs: async () => counted(), finish: async () => counted(), recordSuppressed: async () => counted(), recordRejected: async () => counted() };
      const outcome = await streamCampaign({
        open: async () => 's1',
        request: { signName: 'S', templateCode: 'SMS_1', kind: 'marketing' },
        recipients: source,
        rules: undefined,
        enqueuer,
        now: () => 0,
        list: new ListDigest(),
        otherList: () => other,
        hold: async () => counted(),
        checkSuppressed: async (batch) => batch.map(() => false),
        queuedBefore: async () => ({ chunks: 2, recipients: 2000, phones: setOf(a.slice(0, 2000)), list: list.map((p) => ({ ...p })) }),
      }).then((result) => result, (e: unknown) => e);
      return { outcome, writes };
    };
    // The same list completes the send; so does one that differs only past what the earlier request read.
    expect((await attempt(rowsOf(a), prefixes)).outcome).toMatchObject({ recipients: 5000, chunks: 5 });
    expect((await attempt(rowsOf(otherAt(3000)), prefixes)).outcome).toMatchObject({ recipients: 5000 });
    expect((await attempt(rowsOf(a), whole)).outcome).toMatchObject({ recipients: 5000 });
    // Another row before a prefix or at its last row, a list that ends before it, or a whole list and a row more: refused, nothing written.
    for (const [source, list] of [
      [otherAt(10), prefixes],
      [otherAt(2999), prefixes],
      [a.slice(0, 2999), prefixes],
      [otherAt(4999), whole],
      [[...a, '13799999999'], whole],
      [a.slice(0, 4999), whole],
      // Its first valid row past every prefix the earlier request kept: no prefix left to compare it at.
      [[...Array.from({ length: 3500 }, () => 'not a number'), ...a.slice(3500)], prefixes],
    ] as const) {
      expect(await attempt(rowsOf(source), [...list])).toEqual({ outcome: other, writes: 0 });
    }
    // A list that breaks before it was read that far: its own error, nothing written (the send is not held).
    const broken = new Error('the list broke');
    const breaking = (async function* () {
      yield* rowsOf(a.slice(0, 2500));
      throw broken;
    })();
    expect(await attempt(breaking, prefixes)).toEqual({ outcome: broken, writes: 0 });
  });

  it('takes bare mainland numbers as normalizePhone would', () => {
    const samples = ['13800138000', '19912345678', '13000000000', '12800138000', '1380013800', '138001380001', '+8613800138000', ' 13800138000', '1380013800a'];
    for (const s of samples) {
      const n = normalizePhone(s);
      if (BARE_MAINLAND.test(s)) expect(n).toEqual({ ok: true, phone: s, region: 'mainland' });
    }
    expect(samples.filter((s) => BARE_MAINLAND.test(s))).toEqual(['13800138000', '19912345678', '13000000000']);
  });
});
