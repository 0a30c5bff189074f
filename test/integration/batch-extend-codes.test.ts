/**
 * A batch's per-message extension codes (SendBatchSms's SmsUpExtendCodeJson), end to end through
 * the real SDK against the emulator: the producer API, `smsq send-batch --file` (JSON and CSV) and
 * POST /v1/batches; a chunk split by flow control keeps them; refusals name the message and write
 * nothing to Redis.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N, type AcceptedSend } from '../../src/emulator/index.js';
import { ValidationError } from '../../src/errors.js';
import { buildServer } from '../../server/build-server.js';
import type { SendBatchRequest } from '../../producers/schemas.js';
import { cliOnHarness as cli, sendKeysOf as keysOf } from '../support/harness-cli.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const harnesses = harnessPerTest();
const dir = mkdtempSync(join(tmpdir(), 'smsq-batch-extend-'));
const NOTE = { name: 'Ada', order: 'A1' };
const TOKEN = 'batch-extend-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

const phones = (n: number, base = 13900000000) => Array.from({ length: n }, (_, i) => String(base + i));

/** The extension code each number was sent with, from the emulator's accepted calls ('' for none). */
function codesByPhone(accepted: readonly AcceptedSend[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of accepted) {
    for (const [i, phone] of a.phoneNumbers.entries()) {
      const code = a.action === 'SendBatchSms' ? a.extendCodes[i] : a.extendCodes[0];
      m.set(phone, code ?? '');
    }
  }
  return m;
}

async function accepted(h: Harness, sendId: string, total: number): Promise<AcceptedSend[]> {
  await waitFor(async () => {
    const c = (await h.producer.getStatus(sendId)).counts;
    return c.accepted + c.failed === total;
  }, `send ${sendId} to be past the API`);
  return h.emulator.accepted().filter((a) => a.outId.startsWith(`${sendId}.`));
}

describe('producer API: sendBatch with smsUpExtendCode per message', () => {
  it('sends each SendBatchSms with SmsUpExtendCodeJson matched to its numbers', async () => {
    const h = await harnesses.create({ label: 'bx-api' });
    const numbers = phones(150);
    const code = (i: number) => String(i % 2 === 0 ? 100 + i : `0${i}`);
    const res = await h.producer.sendBatch({
      templateCode: N.notificationTemplate,
      messages: numbers.map((phone, i) => ({ phone, signName: N.sign, templateParam: NOTE, smsUpExtendCode: code(i) })),
    });
    expect(res).toMatchObject({ recipients: 150, chunks: 2, apiCalls: 2 });
    await h.startWorker();
    const calls = await accepted(h, res.sendId, 150);
    expect(calls.map((c) => c.action)).toEqual(['SendBatchSms', 'SendBatchSms']);
    for (const c of calls) expect(c.extendCodes).toHaveLength(c.phoneNumbers.length);
    const sent = codesByPhone(calls);
    for (const [i, phone] of numbers.entries()) expect(sent.get(phone), phone).toBe(code(i));
  });

  it('a batch where some messages have a code: those with and those without go in calls of their own, no empty code sent', async () => {
    const h = await harnesses.create({ label: 'bx-mixed' });
    const numbers = phones(5, 13900000200);
    const res = await h.producer.sendBatch({
      templateCode: N.notificationTemplate,
      messages: numbers.map((phone, i) => ({ phone, signName: N.sign, templateParam: NOTE, ...(i % 2 === 0 ? { smsUpExtendCode: `7${i}` } : {}) })),
    });
    expect(res).toMatchObject({ recipients: 5, chunks: 2, apiCalls: 2 });
    await h.startWorker();
    const calls = await accepted(h, res.sendId, 5);
    expect(calls.every((c) => c.action === 'SendBatchSms')).toBe(true);
    expect(calls.flatMap((c) => c.extendCodes)).not.toContain('');
    expect([...codesByPhone(calls)].sort()).toEqual([
      [numbers[0], '70'],
      [numbers[1], ''],
      [numbers[2], '72'],
      [numbers[3], ''],
      [numbers[4], '74'],
    ]);
  });

  it('verification codes go one SendSms each, with the message\'s code as SmsUpExtendCode', async () => {
    const h = await harnesses.create({ label: 'bx-code' });
    const res = await h.producer.sendBatch({
      templateCode: N.verificationTemplate,
      kind: 'verification',
      messages: [
        { phone: '13900000301', signName: N.sign, templateParam: { code: '123456' }, smsUpExtendCode: '301' },
        { phone: '13900000302', signName: N.sign, templateParam: { code: '654321' } },
      ],
    });
    await h.startWorker();
    const calls = await accepted(h, res.sendId, 2);
    expect(calls.every((c) => c.action === 'SendSms')).toBe(true);
    expect(calls.find((c) => c.phoneNumbers[0] === '13900000301')?.extendCodes).toEqual(['301']);
    expect(calls.find((c) => c.phoneNumbers[0] === '13900000302')?.extendCodes).toEqual([]);
  });

  it('a chunk split by per-number flow control keeps each number\'s code', async () => {
    const h = await harnesses.create({ label: 'bx-split' });
    const limited = '13900000401';
    // Marketing with one sign + template: 50 a day per number. Use them up directly.
    for (let i = 0; i < 50; i++) {
      expect((await h.client.sendSms({ phoneNumbers: [limited], signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'x' } })).ok).toBe(true);
    }
    const res = await h.producer.sendBatch({
      templateCode: N.marketingTemplate,
      kind: 'marketing',
      messages: [limited, '13900000402', '13900000403'].map((phone, i) => ({ phone, signName: N.sign, templateParam: { name: 'y' }, smsUpExtendCode: `4${i}` })),
    });
    await h.startWorker();
    const calls = await accepted(h, res.sendId, 3);
    // The 3-number call was refused (not accepted); each number then went alone.
    expect(calls.map((c) => [c.phoneNumbers, c.extendCodes]).sort()).toEqual([
      [['13900000402'], ['41']],
      [['13900000403'], ['42']],
    ]);
  });

  it('refuses a code that is not 1-12 digits naming the message and the fix, a number given two codes, and writes nothing', async () => {
    const h = await harnesses.create({ label: 'bx-refuse' });
    const before = await keysOf(h);
    const message = (i: number, smsUpExtendCode?: unknown) => ({ phone: phones(1, 13900000500 + i)[0]!, signName: N.sign, templateParam: NOTE, ...(smsUpExtendCode === undefined ? {} : { smsUpExtendCode }) });
    const refusal = async (messages: unknown[]) => {
      const err = await h.producer.sendBatch({ templateCode: N.notificationTemplate, messages } as SendBatchRequest).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      return (err as ValidationError).issues;
    };
    expect(await refusal([message(0, '01'), message(1), message(2, '02'), message(3, '12a')])).toEqual([
      { field: 'messages[3].smsUpExtendCode', message: expect.stringMatching(/must be 1-12 digits.*Fix: /) },
    ]);
    expect(await refusal([message(0, 7)])).toEqual([{ field: 'messages[0].smsUpExtendCode', message: expect.stringMatching(/must be a string of 1-12 digits.*Fix: quote it/) }]);
    expect(await refusal([message(0, '1234567890123')])).toEqual([{ field: 'messages[0].smsUpExtendCode', message: expect.stringMatching(/must be 1-12 digits/) }]);
    expect(await refusal([message(0, '01'), message(0, '02')])).toEqual([{ field: 'messages[1]', message: expect.stringMatching(/another signature, params or extension code.*Fix: /) }]);
    expect(await keysOf(h)).toEqual(before);
    expect(h.emulator.accepted()).toEqual([]);
  });
});

describe('smsq send-batch --file with extension codes', () => {
  it('JSON: each message\'s smsUpExtendCode is sent; CSV: an extend_code column, a blank cell for none', async () => {
    const h = await harnesses.create({ label: 'bx-cli' });
    await h.startWorker(); // served: the CLI does not wait to warn that no worker is
    const json = join(dir, 'coded.json');
    writeFileSync(
      json,
      JSON.stringify({
        templateCode: N.notificationTemplate,
        messages: [
          { phone: '13900000601', signName: N.sign, templateParam: NOTE, smsUpExtendCode: '0601' },
          { phone: '13900000602', signName: N.sign, templateParam: NOTE, smsUpExtendCode: '0602' },
        ],
      }),
    );
    const fromJson = await cli(h, ['send-batch', '--file', json, '--yes', '--json']);
    expect(fromJson.code, fromJson.stderr).toBe(0);
    const csv = join(dir, 'coded.csv');
    writeFileSync(csv, `phone,sign,extend_code,name,order\n13900000611,${N.sign},0611,Ada,A1\n13900000612,${N.sign},,Bo,B2\n`);
    const fromCsv = await cli(h, ['send-batch', '--file', csv, '--template', N.notificationTemplate, '--yes', '--json']);
    expect(fromCsv.code, fromCsv.stderr).toBe(0);
    const jsonCalls = await accepted(h, (JSON.parse(fromJson.stdout) as { sendId: string }).sendId, 2);
    expect(jsonCalls.map((c) => [c.phoneNumbers, c.extendCodes])).toEqual([[['13900000601', '13900000602'], ['0601', '0602']]]);
    const csvCalls = await accepted(h, (JSON.parse(fromCsv.stdout) as { sendId: string }).sendId, 2);
    expect([...codesByPhone(csvCalls)].sort()).toEqual([
      ['13900000611', '0611'],
      ['13900000612', ''],
    ]);
    // The column is the code, not a template param.
    expect(csvCalls.flatMap((c) => c.templateParams).map((p) => p.name).sort()).toEqual(['Ada', 'Bo']);
  });

  it('refuses a bad code by the file\'s terms (the message of a JSON file, the line and column of a CSV), with the fix, writing nothing', async () => {
    const h = await harnesses.create({ label: 'bx-cli-refuse' });
    const before = await keysOf(h);
    const json = join(dir, 'bad.json');
    writeFileSync(json, JSON.stringify([{ phone: '13900000701', signName: N.sign, templateParam: NOTE }, { phone: '13900000702', signName: N.sign, templateParam: NOTE, smsUpExtendCode: '7-2' }]));
    const fromJson = await cli(h, ['send-batch', '--file', json, '--template', N.notificationTemplate, '--yes']);
    expect(fromJson.code).toBe(2);
    expect(fromJson.stderr).toMatch(/file\[1\]\.smsUpExtendCode: must be 1-12 digits.*Fix: /);
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, `phone,sign,extend_code,name,order\n13900000711,${N.sign},01,Ada,A1\n13900000712,${N.sign},x1,Bo,B2\n`);
    const fromCsv = await cli(h, ['send-batch', '--file', csv, '--template', N.notificationTemplate, '--yes']);
    expect(fromCsv.code).toBe(2);
    expect(fromCsv.stderr).toMatch(/file:3: column "extend_code" must be 1-12 digits.*Fix: /);
    expect(await keysOf(h)).toEqual(before);
  });
});

describe('POST /v1/batches with extension codes', () => {
  it('sends each message\'s smsUpExtendCode; the document lists the field; a bad one is a 400 naming the message, writing nothing', async () => {
    const h = await harnesses.create({ label: 'bx-rest' });
    const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'batch-extend-dashboard-0123456789' }, checkResponses: true });
    harnesses.defer(() => app.close());
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { components: { schemas: Record<string, { properties: { messages: { items: { properties: Record<string, unknown> } } } }> } };
    expect(Object.keys(doc.components.schemas.SendBatchRequest?.properties.messages.items.properties ?? {})).toContain('smsUpExtendCode');
    const before = await keysOf(h);
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: AUTH,
      payload: { templateCode: N.notificationTemplate, messages: [{ phone: '13900000801', signName: N.sign, templateParam: NOTE, smsUpExtendCode: 'abc' }] },
    });
    expect(bad.statusCode, bad.body).toBe(400);
    expect(bad.json().error.issues).toEqual([{ field: 'messages[0].smsUpExtendCode', message: expect.stringMatching(/must be 1-12 digits.*Fix: /) }]);
    expect(await keysOf(h)).toEqual(before);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/batches',
      headers: AUTH,
      payload: {
        templateCode: N.notificationTemplate,
        messages: [
          { phone: '13900000811', signName: N.sign, templateParam: NOTE, smsUpExtendCode: '811' },
          { phone: '13900000812', signName: N.sign, templateParam: NOTE, smsUpExtendCode: '812' },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(202);
    await h.startWorker();
    const calls = await accepted(h, (res.json() as { sendId: string }).sendId, 2);
    expect(calls.map((c) => [c.action, c.phoneNumbers, c.extendCodes])).toEqual([['SendBatchSms', ['13900000811', '13900000812'], ['811', '812']]]);
  });
});
