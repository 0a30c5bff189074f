/**
 * The factories' options are a boundary too (docs/package.md): createSmsWorker, createProducer and
 * createRedisConnection refuse an option that cannot work, or one they do not have (a plain
 * JavaScript caller's typo), with a ConfigError (SMSQ_CONFIG_INVALID) naming the option and the
 * fix, before anything connects or writes. The bounds are the environment's (src/config.ts): a
 * worker embedded with `qps: 6000` raised the account's pacer for every worker of the deployment,
 * where SMS_QPS=6000 is refused. And a campaign takes an array of recipients as well as a stream.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { createProducer } from '../../producers/producer.js';
import { createSmsWorker, type SmsWorkerOptions } from '../../workers/sms-worker.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { createProducerConnection, createTestConnection, testRedisUrl, uniquePrefix } from '../support/redis.js';

const connection = createTestConnection();
const producerRedis = createProducerConnection();
afterAll(async () => {
  connection.disconnect();
  producerRedis.disconnect();
});

const logger = createLogger({ level: 'silent' });
/** Never called: the options are checked, and a worker built, without a Dysmsapi call. */
const client = { sendSms: async () => ({}), sendBatchSms: async () => ({}), querySendDetails: async () => ({}) } as unknown as SmsWorkerOptions['client'];

/** What `options` throws when it is given to `make`, as code and message. */
function refusal(make: () => unknown): { code: unknown; message: string; name: string } {
  try {
    const made = make() as { close?: () => unknown; disconnect?: () => unknown } | undefined;
    void made?.close?.();
    made?.disconnect?.();
  } catch (err) {
    const e = err as { code?: unknown; message: string; name: string };
    return { code: e.code, message: e.message, name: e.name };
  }
  return { code: 'accepted', message: '', name: '' };
}

/** Keys under `prefix`: a refusal writes none. */
const keysUnder = async (prefix: string) => connection.keys(`${prefix}*`);

describe('createSmsWorker refuses options that cannot work, writing nothing', () => {
  const prefix = uniquePrefix('wopts');
  const base = { connection, client, logger, prefix, qps: 50, readTimeoutMs: 1000 };
  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['qps above the account cap', { qps: 6000 }, /qps must be a whole number from 1 to 5000 \(the account cap\), got .*Fix: /],
    ['qps far above it', { qps: 100_000 }, /qps must be a whole number from 1 to 5000 \(the account cap\), got .*Fix: /],
    ['qps 0', { qps: 0 }, /qps.*Fix: /],
    ['a fractional concurrency', { concurrency: 1.5 }, /concurrency.*whole number.*Fix: /],
    ['concurrency 0', { concurrency: 0 }, /concurrency.*Fix: /],
    ['concurrency -1', { concurrency: -1 }, /concurrency.*Fix: /],
    ['a misspelt option', { concurency: 4 }, /concurency.*not an option.*concurrency/],
    ['quiet hours of another shape', { quietHours: { start: '25:00' } }, /quietHours.*startMinute.*Fix: /],
    ['a prefix without a hash tag', { prefix: 'nohash' }, /prefix.*hash tag.*Fix: /],
    // A trial's findings: these were taken as given, and a nested key's typo dropped for its default.
    ['a misspelt key of quietHours', { quietHours: { strat: 1260, endMinute: 480 } }, /^`createSmsWorker` options: quietHours\.strat is not a field of quietHours\. Fix: write it as quietHours\.startMinute \(names must match exactly\)$/m],
    ['a retention of 0 s (every record deleted as written)', { retentionSeconds: 0 }, /retentionSeconds must be a whole number from 1 to 31536000, got 0\. Fix: .*\(365 days, as SMSQ_RETENTION_DAYS\)/],
    ['a retention of a kind it does not have', { retention: { marketting: 86_400 } }, /retention\.marketting is not a field of retention\. Fix: write it as retention\.marketing/],
    ['a retention in days, not seconds', { retention: { marketing: '30d' } }, /retention\.marketing must be a whole number from 1 to 31536000, got "30d"\. Fix: /],
    ['a misspelt key of reconcile', { reconcile: { settleMS: 60_000 } }, /reconcile\.settleMS is not a field of reconcile\. Fix: write it as reconcile\.settleMs/],
    ['a reconcile look interval of NaN', { reconcile: { lookIntervalMs: Number.NaN } }, /reconcile\.lookIntervalMs must be a number of ms above 0 .*got NaN\. Fix: /],
    ['an auto-pause ratio above 1', { autoPause: { window: 20, failureRatio: 50 } }, /autoPause\.failureRatio must be a number from 0 to 1, got 50\. Fix: /],
    ['a misspelt key of repair', { repair: { intervalMs: 300_000, enqueueGrace: 600_000 } }, /repair\.enqueueGrace is not a field of repair\. Fix: write it as repair\.enqueueGraceMs/],
    ['a misspelt key of endpointBackoff', { endpointBackoff: { firstMS: 1000 } }, /endpointBackoff\.firstMS is not a field of endpointBackoff\. Fix: write it as endpointBackoff\.firstMs/],
    ['a lock duration of -1', { lockDurationMs: -1 }, /lockDurationMs must be a number of ms above 0 .*Fix: /],
    ['an account recheck of 1.5 ms', { accountRecheckMs: 1.5 }, /accountRecheckMs must be a whole number from 0 to 86400000, got 1\.5\. Fix: /],
    ['compactFinished as the string "false"', { compactFinished: 'false' }, /compactFinished must be true or false, got "false"\. Fix: /],
  ];
  it.each(refused)('%s', async (_what, bad, words) => {
    const r = refusal(() => createSmsWorker({ ...base, ...bad } as SmsWorkerOptions));
    expect(r).toMatchObject({ code: 'SMSQ_CONFIG_INVALID', name: 'ConfigError' });
    expect(r.message).toMatch(words);
    expect(await keysUnder(prefix)).toEqual([]);
    expect(await connection.keys('nohash*')).toEqual([]);
  });

  it('every option it takes still builds a worker', () => {
    const worker = createSmsWorker({ ...base, qps: 5000, concurrency: 1000, quietHours: { startMinute: 0, endMinute: 60 } });
    void worker.close();
    const nested = createSmsWorker({
      ...base,
      retention: { marketing: 86_400 },
      retentionSeconds: 60,
      reconcile: { settleMs: 60_000 },
      autoPause: null,
      repair: { intervalMs: 300_000, minAgeMs: 1000 },
      endpointBackoff: { firstMs: 500 },
      accountRecheckMs: 0,
      compactFinished: false,
    });
    void nested.close();
  });
});

describe('createProducer refuses options that cannot work, writing nothing', () => {
  const prefix = uniquePrefix('popts');
  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['a misspelt option', { prefx: prefix }, /prefx.*not an option.*prefix/],
    ['a negative connect timeout', { connectTimeoutMs: -1 }, /connectTimeoutMs.*Fix: /],
    ['a prefix without a hash tag', { prefix: 'nohash' }, /prefix.*hash tag.*Fix: /],
    ['an idempotency lease a stalled caller would lose', { idempotencyLeaseMs: 1000 }, /idempotencyLeaseMs must be a whole number from 3000 to 3600000, got 1000\. Fix: /],
    // A trial's findings: these were taken as given, and a nested key's typo dropped for its default.
    ['an idempotency key kept for no time', { idempotencyTtlSeconds: 0 }, /idempotencyTtlSeconds must be a whole number from 1 to 31536000, got 0\. Fix: /],
    ['an idempotency key kept "24h"', { idempotencyTtlSeconds: '24h' }, /idempotencyTtlSeconds must be a whole number .*got "24h"\. Fix: /],
    ['a negative wait for a twin', { idempotencyWaitMs: -5 }, /idempotencyWaitMs must be a number of ms from 0 .*got -5\. Fix: /],
    ['a retention of a kind it does not have', { retention: { verfication: 3600 } }, /retention\.verfication is not a field of retention\. Fix: write it as retention\.verification/],
    ['a retention of 1.5 s', { retentionSeconds: 1.5 }, /retentionSeconds must be a whole number from 1 to 31536000, got 1\.5\. Fix: /],
    ['a misspelt key of waits', { waits: { quietHours: undefined, receiptWindow: 3_600_000 } }, /waits\.receiptWindow is not a field of waits\. Fix: write it as waits\.receiptWindowMs/],
    ['a misspelt key of waits.quietHours', { waits: { quietHours: { startMinute: 1260, endMinut: 480 }, receiptWindowMs: 3_600_000 } }, /waits\.quietHours\.endMinut is not a field of waits\.quietHours\. Fix: write it as waits\.quietHours\.endMinute/],
    ['callbacks as the string "no" (it turned them on)', { callbacks: 'no' }, /callbacks must be true or false, got "no"\. Fix: /],
  ];
  it.each(refused)('%s', async (_what, bad, words) => {
    const r = refusal(() => createProducer({ redis: producerRedis, prefix, ...bad } as Parameters<typeof createProducer>[0]));
    expect(r).toMatchObject({ code: 'SMSQ_CONFIG_INVALID', name: 'ConfigError' });
    expect(r.message).toMatch(words);
    expect(await keysUnder(prefix)).toEqual([]);
  });
});

describe('createRedisConnection refuses options it does not have', () => {
  it.each([
    ['a role it does not have', { role: 'producer' }, /role.*"producer".*Fix: .*'client'/],
    ['a misspelt option', { connectTimeout: 100 }, /connectTimeout.*not an option.*connectTimeoutMs/],
    ['a negative connect timeout', { connectTimeoutMs: -1 }, /connectTimeoutMs.*Fix: /],
  ] as const)('%s', (_what, bad, words) => {
    const r = refusal(() => createRedisConnection(testRedisUrl(), { lazyConnect: true, ...bad } as never));
    expect(r).toMatchObject({ code: 'SMSQ_CONFIG_INVALID', name: 'ConfigError' });
    expect(r.message).toMatch(words);
  });
});

describe('producer.campaign takes an array of recipients', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  it('enqueues the rows of an array, as of a stream', async () => {
    h = await createHarness({ label: 'campaign-array' });
    const rows = [{ phone: '13800138000' }, { phone: '13800138001' }];
    const settings = { signName: N.sign, templateCode: N.notificationTemplate, kind: 'notification' as const };
    const planned = await h.producer.planCampaign(rows, settings);
    expect(planned.recipients).toBe(2);
    const done = await h.producer.campaign(rows, settings);
    expect(done.recipients).toBe(2);
  });

  it('rejects a row of the wrong shape (a number for a phone, no object, a param that is no text) by its place, and sends the others', async () => {
    h = await createHarness({ label: 'campaign-row-shapes' });
    const rows = [{ phone: '13800138000' }, { phone: 13800138001 }, null, { phone: '13800138002', params: { name: 7 } }, { phone: '13800138003' }];
    const settings = { signName: N.sign, templateCode: N.notificationTemplate, kind: 'notification' as const, templateParam: { name: 'Li', order: '1' } };
    const done = await h.producer.campaign(rows as never, settings);
    expect(done.recipients).toBe(2);
    expect(done.rejected).toEqual([
      { input: '13800138001', reason: expect.stringMatching(/^recipients\[1\]\.phone: must be a string, got a number\. Fix: quote it: phone: '13800138001'/) },
      { input: '', reason: expect.stringMatching(/^recipients\[2\]: must be an object \{ phone, params\? \}, got null\. Fix: /) },
      { input: '13800138002', reason: expect.stringMatching(/^recipients\[3\]\.params\.name: must be a string, got a number\. Fix: give it as text: name: '7'/) },
    ]);
  });

  it('refuses what is neither an array nor a stream, naming recipients', async () => {
    h = await createHarness({ label: 'campaign-bad-source' });
    const settings = { signName: N.sign, templateCode: N.notificationTemplate, kind: 'notification' as const };
    await expect(h.producer.campaign(42 as never, settings)).rejects.toMatchObject({ code: 'SMSQ_INVALID_REQUEST', message: expect.stringMatching(/^recipients: .*Fix: /) });
    expect(await h.redis.keys(`${h.prefix}*`)).toEqual([]);
  });
});

describe('the Redis connection a factory is given', () => {
  it('a URL, or anything but an ioredis connection, is refused by name with the call that makes one (createProducer threw a TypeError reading enableOfflineQueue; the password is not shown)', () => {
    const url = 'redis://:s3cret@127.0.0.1:6379';
    const producer = refusal(() => createProducer({ redis: url as never }));
    expect(producer.code).toBe('SMSQ_CONFIG_INVALID');
    expect(producer.message).toContain('createProducer options: redis must be an ioredis connection, got the URL redis://:<redacted>@127.0.0.1:6379');
    expect(producer.message).toContain("Fix: redis: createRedisConnection(url, { role: 'client' })");
    expect(producer.message).not.toContain('s3cret');
    expect(refusal(() => createProducer({ redis: undefined as never })).message).toContain('redis must be an ioredis connection, got undefined');
    const worker = refusal(() => createSmsWorker({ connection: url as never, client, logger, qps: 100, readTimeoutMs: 3000 }));
    expect(worker.code).toBe('SMSQ_CONFIG_INVALID');
    expect(worker.message).toContain('connection must be an ioredis connection, got the URL redis://:<redacted>@127.0.0.1:6379');
    expect(worker.message).toContain("Fix: connection: createRedisConnection(url, { role: 'worker' })");
  });
});

describe('a factory given no options, or without one it needs (a JavaScript caller)', () => {
  const prefix = uniquePrefix('missing-opts');
  const base = { connection, client, logger, prefix, qps: 50, readTimeoutMs: 1000 };

  it.each([
    ['createProducer()', () => createProducer(undefined as never), /^createProducer options: none were given, got undefined\. Fix: createProducer\(\{ redis: createRedisConnection\(url, \{ role: 'client' \}\) \}\)/],
    ['createProducer(null)', () => createProducer(null as never), /^createProducer options: none were given, got null\. Fix: /],
    ['createSmsWorker()', () => createSmsWorker(undefined as never), /^`createSmsWorker` options: none were given, got undefined\. Fix: createSmsWorker\(\{ connection: createRedisConnection\(url, \{ role: 'worker' \}\), client: createSmsClient\(/],
  ])('%s is a ConfigError saying what to give (a TypeError: Cannot convert undefined or null to object)', (_what, make, words) => {
    const r = refusal(make);
    expect(r).toMatchObject({ code: 'SMSQ_CONFIG_INVALID', name: 'ConfigError' });
    expect(r.message).toMatch(words);
  });

  it.each([
    ['no logger (a TypeError reading child)', { logger: undefined }, /^`createSmsWorker` options: logger is missing\. Fix: logger: createLogger\(\)/m],
    ['a logger without child()', { logger: { info: () => {} } }, /^`createSmsWorker` options: logger must be a pino logger \(as createLogger makes\), got an object without child\(\)\. Fix: logger: createLogger\(\)/m],
    ['no client (a TypeError reading sendSms)', { client: undefined }, /^`createSmsWorker` options: client is missing\. Fix: client: createSmsClient\(/m],
    ['a client of no methods (taken, and each call failed)', { client: {} }, /^`createSmsWorker` options: client must be an SMS client \(as createSmsClient makes\): it has no sendSms, sendBatchSms, querySendDetails\. Fix: client: createSmsClient\(/m],
  ])('createSmsWorker with %s is a ConfigError naming it, writing nothing', async (_what, bad, words) => {
    const r = refusal(() => createSmsWorker({ ...base, ...bad } as SmsWorkerOptions));
    expect(r).toMatchObject({ code: 'SMSQ_CONFIG_INVALID', name: 'ConfigError' });
    expect(r.message).toMatch(words);
    expect(await keysUnder(prefix)).toEqual([]);
  });
});
