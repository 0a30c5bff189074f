/**
 * A US/Canada number written +1 (`+1 385 555 0123`) goes to Dysmsapi as `13855550123`, the digits
 * of a China Mobile number: under a mainland template the API delivers it in China. Through every
 * door (the producer with and without a catalog, REST, the CLI while the template look-up gets no
 * answer), against real Redis and the emulator: such a number goes only under a template known to
 * be international, the mainland number with its digits is never merged with it, and a request
 * left with nothing to send is refused with nothing written.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '../../producers/producer.js';
import { EXIT_USAGE } from '../../cli/errors.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { ValidationError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createCatalogLookup } from '../../src/queue/catalog-lookup.js';
import { createSmsClient } from '../../src/sms/client.js';
import { createProducerConnection, createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { runSmsqInProcess } from '../support/cli-run.js';

const US = '+1 385 555 0123';
/** The same 11 digits on the wire: a China Mobile number. */
const CN = '13855550123';
const TOKEN = 'phone-region-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const NOTE = { name: 'Ada', order: 'A1' };
const CODE = { code: '123456' };
const US_REASON = /is a US\/Canada \(\+1\) number that Dysmsapi gets as the 11 digits of a Chinese mainland mobile number: under a mainland template it would reach a person in China, and the template's type is not known here .*Fix: .*catalog/;

const dir = mkdtempSync(join(tmpdir(), 'smsq-phone-region-'));
const redis = createTestConnection();
const producerRedis = createProducerConnection();
const prefix = uniquePrefix('region');
const logger = createLogger({ level: 'silent' });
let emulator: Emulator;
let plain: Producer;
let checked: Producer;
let app: SmsqServer;
let endpoint: string;

beforeAll(async () => {
  emulator = createEmulator();
  ({ endpoint } = await emulator.listen());
  const client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 2000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
  // As the README's example built it: no catalog.
  plain = createProducer({ redis: producerRedis, prefix, logger });
  checked = createProducer({ redis: producerRedis, prefix, logger, catalog: createCatalogLookup({ client, redis, prefix, qps: 500 }) });
  // A service that embeds the REST API with its own producer.
  app = await buildServer({ checkResponses: true, redis, prefix, producer: plain, logger, apiToken: TOKEN, dashboard: { token: 'phone-region-dashboard-0123456789' } });
});

afterAll(async () => {
  await app.close();
  await Promise.all([plain.close(), checked.close()]);
  await deleteKeys(redis, prefix);
  redis.disconnect();
  producerRedis.disconnect();
  await emulator.close();
});

/** Every key under `p`, but the account's (pacer, catalog cache): what a refused request must not add to. */
async function keysOf(p: string): Promise<string[]> {
  const keys = await redis.keys(`${p}*`);
  return keys.filter((k) => !/:(pacer|catalog:.*)$/.test(k)).sort();
}

/** The error a refused request throws: a ValidationError, or the test fails. */
async function refusal(run: Promise<unknown>): Promise<ValidationError> {
  const err: unknown = await run.then(() => 'not refused', (e: unknown) => e);
  expect(err).toBeInstanceOf(ValidationError);
  return err as ValidationError;
}

/** The numbers a send put in its chunks, as the worker will send them. */
async function wireNumbers(sendId: string): Promise<string[]> {
  const phones: string[] = [];
  for await (const r of plain.recipients(sendId)) if (r.state !== 'rejected') phones.push(r.phone);
  return phones;
}

async function* rows(...phones: string[]) {
  for (const phone of phones) yield { phone };
}

describe('a producer without a catalog (the template region unknown)', () => {
  it('refuses a +1 number whose digits are a mainland number, naming it masked, why and the fix; nothing written', async () => {
    const before = await keysOf(prefix);
    const send = await refusal(plain.send({ phones: [US], signName: N.sign, templateCode: N.verificationTemplate, templateParam: CODE, kind: 'verification' }));
    expect(send.issues).toEqual([
      { field: 'phones', message: 'no valid phone number among 1 (nothing was enqueued)' },
      { field: 'phones[0]', message: expect.stringMatching(/^\+1 \*+0123: is a US\/Canada \(\+1\) number/) },
    ]);
    expect(send.issues[1]?.message).toMatch(US_REASON);
    expect(send.message).not.toContain('5550123');
    await refusal(plain.sendBatch({ templateCode: N.notificationTemplate, messages: [{ phone: '0013855550123', signName: N.sign, templateParam: NOTE }] }));
    await refusal(plain.campaign(rows(US), { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' } }));
    expect(await keysOf(prefix)).toEqual(before);
  });

  it('keeps the mainland number with the same digits as a recipient of its own (planSend merged the two as duplicates): send, sendBatch, campaign', async () => {
    const plan = await plain.planSend({ phones: [US, CN], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE, kind: 'notification' });
    expect([plan.chunks.flatMap((c) => c.phones), plan.duplicates, plan.rejected]).toEqual([[CN], 0, [{ input: US, reason: expect.stringMatching(US_REASON) }]]);

    const batch = await plain.sendBatch({ templateCode: N.notificationTemplate, messages: [CN, US].map((phone) => ({ phone, signName: N.sign, templateParam: NOTE })) });
    expect([batch.recipients, batch.duplicates, batch.rejected.map((r) => r.input)]).toEqual([1, 0, [US]]);
    expect(await wireNumbers(batch.sendId)).toEqual([CN]);

    const campaign = await plain.campaign(rows(US, CN, '+852 9123 4567'), { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' } });
    expect([campaign.recipients, campaign.duplicates, campaign.rejected]).toEqual([2, 0, [{ input: US, reason: expect.stringMatching(US_REASON) }]]);
  });
});

describe('a producer with a catalog (the template checked)', () => {
  it('sends a +1 number under an international template, and refuses the bare 11 digits there (they would go to US/Canada)', async () => {
    const us = await checked.send({ phones: [US], signName: N.sign, templateCode: N.internationalTemplate, templateParam: CODE, kind: 'verification' });
    expect([us.recipients, us.rejected]).toEqual([1, []]);
    expect(await wireNumbers(us.sendId)).toEqual([CN]);

    const both = await checked.planSend({ phones: [CN, US], signName: N.sign, templateCode: N.internationalTemplate, templateParam: CODE, kind: 'verification' });
    expect([both.recipients, both.duplicates, both.rejected]).toEqual([1, 0, [{ input: CN, reason: expect.stringMatching(/mainland number needs a domestic template.*a US\/Canada number is written with its \+1$/) }]]);
  });

  it('under a mainland template sends the mainland number and refuses the +1 one (both were dropped: "no valid phone number")', async () => {
    const res = await checked.send({ phones: [US, CN], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE, kind: 'notification' });
    expect([res.recipients, res.duplicates, res.rejected]).toEqual([1, 0, [{ input: US, reason: expect.stringMatching(/outside the Chinese mainland needs an international .*type 3/) }]]);
    expect(await wireNumbers(res.sendId)).toEqual([CN]);
  });
});

describe('REST, on a producer without a catalog', () => {
  it('answers 400 for a +1 number alone and 202 with it rejected beside the mainland number; POST /v1/campaigns rejects its row', async () => {
    const before = await keysOf(prefix);
    const alone = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: [US], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE } });
    expect(alone.statusCode).toBe(400);
    expect(alone.json().error.issues[1]).toMatchObject({ field: 'phones[0]', message: expect.stringMatching(/\+1 \*+0123: is a US\/Canada \(\+1\) number/) });
    expect(alone.body).not.toContain('5550123');
    expect(await keysOf(prefix)).toEqual(before);

    const mixed = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: [US, CN], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE } });
    expect(mixed.statusCode, mixed.body).toBe(202);
    expect(mixed.json()).toMatchObject({ recipients: 1, duplicates: 0, rejected: [{ input: US, reason: expect.stringMatching(US_REASON) }] });

    const campaign = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: { ...AUTH, 'content-type': 'text/csv' }, query: { signName: N.sign, templateCode: N.marketingTemplate }, payload: `phone,name\n${US},Li\n${CN},Wang\n` });
    expect(campaign.statusCode, campaign.body).toBe(202);
    expect(campaign.json()).toMatchObject({ recipients: 1, rejected: [{ input: US, line: 2, reason: expect.stringMatching(US_REASON) }] });
  });
});

describe('the CLI while Dysmsapi does not answer the template look-up (the check skipped with a warning)', () => {
  it('smsq send, send-batch and campaign reject the +1 number (it was enqueued, to go to the mainland number)', async () => {
    const p = uniquePrefix('region-cli');
    const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: p, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'error', SMSQ_QUIET_HOURS: 'off' };
    const cli = (argv: string[]) => runSmsqInProcess(argv, { env });
    emulator.addFault({ kind: 'throttle', actions: ['GetSmsTemplate'], times: Infinity });
    try {
      const send = await cli(['send', '--phones', US, '--sign', N.sign, '--template', N.notificationTemplate, '--param', JSON.stringify(NOTE), '--kind', 'notification', '--yes']);
      expect(send.code, send.stdout + send.stderr).toBe(EXIT_USAGE);
      expect(send.stderr).toMatch(/\+1 \*+0123: is a US\/Canada \(\+1\) number/);
      expect(await keysOf(p)).toEqual([]);

      const file = join(dir, 'batch.csv');
      writeFileSync(file, `phone,sign,name,order\n${US},${N.sign},Li,A1\n${CN},${N.sign},Wang,A2\n`);
      const batch = await cli(['send-batch', '--file', file, '--template', N.notificationTemplate, '--kind', 'notification', '--yes', '--json']);
      expect(batch.code, batch.stderr).toBe(0);
      expect(JSON.parse(batch.stdout)).toMatchObject({ recipients: 1, duplicates: 0, rejected: [{ input: US, reason: expect.stringMatching(US_REASON) }] });

      const list = join(dir, 'list.csv');
      writeFileSync(list, `phone,name\n${CN},Li\n${US},Wang\n`);
      const campaign = await cli(['campaign', '--file', list, '--sign', N.sign, '--template', N.marketingTemplate, '--yes', '--json']);
      expect(campaign.code, campaign.stderr).toBe(0);
      expect(JSON.parse(campaign.stdout)).toMatchObject({ recipients: 1, rejected: [{ input: US, line: 3, reason: expect.stringMatching(US_REASON) }] });
    } finally {
      emulator.clearFaults();
      await deleteKeys(redis, p);
    }
  });
});

