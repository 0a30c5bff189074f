/**
 * A refusal speaks the vocabulary of whoever made the call. A Node caller of `createProducer` was
 * told to set SMSQ_CALLBACK_SECRET (an environment variable it never read) when its fix was the
 * option `callbacks: true`, and a send not found named SMSQ_PREFIX where it had passed `prefix:`.
 * The CLI and `smsq server`, configured by the environment, still name the variables
 * (src/setting-mention.ts: each surface respells a setting named in a message). Real Redis.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createProducer } from '../../producers/producer.js';
import { buildServer } from '../../server/build-server.js';
import { createLogger } from '../../src/logger.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { ConfigError, RedisDatabaseRefusedError, RedisUnavailableError, SendNotFoundError, ValidationError } from '../../src/errors.js';
import { inEnvironmentTerms } from '../../src/setting-mention.js';
import { inFlagTerms } from '../../cli/request-flags.js';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import { createSmsWorker } from '../../workers/sms-worker.js';
import { createProducerConnection, createTestConnection, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { createCatalogLookup } from '../../src/queue/catalog-lookup.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { createSmsClient } from '../../src/sms/client.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { SmsError } from '../../src/sms/errors.js';
import { printedByCli, runSmsqInProcess } from '../support/cli-run.js';
import { startEmulatorClient } from '../support/emulator-client.js';

const redis = createProducerConnection();
afterAll(() => redis.disconnect());

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, phones: ['13800138000'] };

async function refusal(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('a producer of the Node API', () => {
  it('refuses a callbackUrl naming its option, callbacks: true (not SMSQ_CALLBACK_SECRET), and writes nothing; the CLI reads SMSQ_CALLBACK_SECRET', async () => {
    const prefix = uniquePrefix('words-cb');
    const producer = createProducer({ redis, prefix });
    const err = (await refusal(producer.send({ ...NOTE, callbackUrl: 'https://orders.example.com/sms' }))) as ValidationError;
    expect(err).toBeInstanceOf(ValidationError);
    const [issue] = err.issues;
    expect(issue?.field).toBe('callbackUrl');
    expect(issue?.message).toMatch(/^callbacks are not enabled on this producer\. Fix: turn them on for it \(`callbacks: true`\) and its workers, which sign them \(`callbackSecret`\), or drop callbackUrl$/);
    expect(issue?.message).not.toContain('SMSQ_');
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
    // The CLI and the server are configured by the environment: the same refusal names the variable.
    for (const said of [inFlagTerms(issue?.message ?? ''), inEnvironmentTerms(issue?.message ?? '')]) {
      expect(said).toContain('SMSQ_CALLBACK_SECRET');
      expect(said).not.toContain('callbacks: true');
    }
    // smsq server, configured by the environment too: its answer names the variable.
    const app = await buildServer({ redis, prefix, producer, logger: createLogger({ level: 'silent' }), apiToken: 'test-api-token-0123456789', dashboard: { token: 'dashboard-token-0123456789' } });
    const answer = await app.inject({ method: 'POST', url: '/v1/messages', headers: { authorization: 'Bearer test-api-token-0123456789' }, payload: { ...NOTE, callbackUrl: 'https://orders.example.com/sms' } });
    await app.close();
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error.issues).toEqual([{ field: 'callbackUrl', message: 'callbacks are not enabled on this producer. Fix: turn them on for it (SMSQ_CALLBACK_SECRET set) and its workers, which sign them (the same SMSQ_CALLBACK_SECRET), or drop callbackUrl' }]);
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
    await producer.close();
  });

  it('says a send not found was looked for under its prefix option, not SMSQ_PREFIX; the CLI says SMSQ_PREFIX', async () => {
    const prefix = uniquePrefix('words-nf');
    const producer = createProducer({ redis, prefix });
    const err = (await refusal(producer.getStatus('smxnope0000000000000'))) as SendNotFoundError;
    expect(err).toBeInstanceOf(SendNotFoundError);
    expect(err.message).toContain(`\`prefix: "${prefix}"\``);
    expect(err.message).toContain('`retention`');
    expect(err.message).not.toMatch(/SMSQ_|REDIS_URL/);
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
    const cli = inFlagTerms(err.message);
    expect(cli).toContain(`SMSQ_PREFIX (${prefix})`);
    expect(cli).toContain('records expire after SMSQ_RETENTION_DAYS');
    expect(cli).toMatch(/and that REDIS_URL \(redis:\/\/[^)]+\) and SMSQ_PREFIX/);
    await producer.close();
  });
});

describe('a producer of the Node API whose Redis does not answer', () => {
  it('names the Redis as its redis option and the wait as connectTimeoutMs (not REDIS_URL, SMSQ_REDIS_CONNECT_TIMEOUT_MS); the CLI and the server say what they said', async () => {
    const gone = await startPrivateRedis();
    await gone.stop();
    const connection = createProducerConnection(gone.url, undefined, { lazyConnect: true, connectTimeoutMs: 300 });
    const producer = createProducer({ redis: connection, prefix: uniquePrefix('words-down'), connectTimeoutMs: 300 });
    try {
      const err = (await refusal(producer.send(NOTE))) as RedisUnavailableError;
      expect(err).toBeInstanceOf(RedisUnavailableError);
      expect(err.message).toBe(`Redis at \`redis: "${gone.url}"\` does not answer (${err.reason}); nothing was enqueued. Fix: start Redis there or point \`redis\` at a running one (\`connectTimeoutMs\` sets how long to wait)`);
      const read = (await refusal(producer.getStatus('smxnope0000000000000'))) as RedisUnavailableError;
      expect(read.message).toBe(`Redis at \`redis: "${gone.url}"\` does not answer (${read.reason}); nothing was changed; run it again once Redis answers. Fix: start Redis there or point \`redis\` at a running one (\`connectTimeoutMs\` sets how long to wait)`);
      for (const said of [err.message, read.message]) expect(said).not.toMatch(/REDIS_URL|SMSQ_|smsq /);
      // The CLI, configured by the environment, prints the variables, as it did.
      const cli = printedByCli(err);
      expect(cli.stderr).toBe(`error SMSQ_REDIS_UNAVAILABLE: Redis at REDIS_URL=${gone.url} does not answer (${err.reason}); nothing was enqueued. Fix: start Redis there or point REDIS_URL at a running one (SMSQ_REDIS_CONNECT_TIMEOUT_MS sets how long to wait)\n`);
      expect(cli.json.error.meaning).toBe(cli.stderr.replace(/^error SMSQ_REDIS_UNAVAILABLE: /, '').trimEnd());
      // An HTTP client is told no address, and no Node option.
      expect(err.apiMessage).toMatch(/^Redis does not answer \([^)`]+\); nothing was enqueued\. Fix: retry in a few seconds \(Retry-After\); if Redis stays down, tell the operator of this server: its log names REDIS_URL and why$/);
    } finally {
      await producer.close().catch(() => {});
      connection.disconnect();
    }
  });

  it('smsq itself, run against that Redis, still names REDIS_URL and SMSQ_REDIS_CONNECT_TIMEOUT_MS', async () => {
    const gone = await startPrivateRedis();
    await gone.stop();
    const run = await runSmsqInProcess(['status', 'smxnope0000000000000'], { env: { REDIS_URL: gone.url, SMSQ_REDIS_CONNECT_TIMEOUT_MS: '300', LOG_LEVEL: 'silent' } });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`^error SMSQ_REDIS_UNAVAILABLE: Redis at REDIS_URL=${gone.url.replace(/[.]/g, '\\.')} does not answer \\(.+\\); nothing was changed; run it again once Redis answers\\. Fix: start Redis there or point REDIS_URL at a running one \\(SMSQ_REDIS_CONNECT_TIMEOUT_MS sets how long to wait\\)$`, 'm'));
  });
});

describe('createSmsWorker refusing its options', () => {
  it('says them as createSmsWorker\'s options, not "smsq worker options"; the CLI says them as smsq worker\'s', async () => {
    const closes: (() => Promise<void>)[] = [];
    const { client } = await startEmulatorClient((close) => closes.push(close));
    const connection = createTestConnection();
    try {
      const prefix = uniquePrefix('words-worker');
      let err: unknown;
      try {
        createSmsWorker({ connection, client, logger: createLogger({ level: 'silent' }), prefix, readTimeoutMs: 1000, concurency: 4 } as unknown as Parameters<typeof createSmsWorker>[0]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const lines = (err as ConfigError).lines;
      expect(lines).toEqual([
        '`createSmsWorker` options: concurency is not an option of createSmsWorker. Fix: write it as concurrency (option names must match exactly)',
        expect.stringMatching(/^`createSmsWorker` options: qps is missing\. Fix: give the account's cap on Dysmsapi calls a second/),
      ]);
      for (const line of lines) expect(line).not.toContain('smsq worker');
      expect(await connection.keys(`${prefix}*`)).toEqual([]);
      // smsq worker builds its worker from the environment: its refusal names the command, as it did.
      const cli = printedByCli(err);
      expect(cli.stderr.split('\n')).toEqual([
        'error: smsq worker options: concurency is not an option of createSmsWorker. Fix: write it as concurrency (option names must match exactly)',
        expect.stringMatching(/^error: smsq worker options: qps is missing\. Fix: /),
        '',
      ]);
    } finally {
      connection.disconnect();
      for (const close of closes) await close();
    }
  });
});

describe('a producer and a worker of the Node API given a database the Redis lacks', () => {
  it('name it as their redis option, `redis: "…/99"`, not REDIS_URL="…/99"; the CLI says REDIS_URL', async () => {
    const url = `${testRedisUrl()}/99`;
    const producerRedis = createProducerConnection(url);
    const workerRedis = createRedisConnection(url, { role: 'worker' });
    // ioredis says the SELECT it was refused as an error event, beside the refusals asserted here.
    for (const connection of [producerRedis, workerRedis]) connection.on('error', () => {});
    const closes: (() => Promise<void>)[] = [];
    try {
      const producer = createProducer({ redis: producerRedis, prefix: uniquePrefix('words-db') });
      const sent = await refusal(producer.send(NOTE));
      await producer.close();
      const { client } = await startEmulatorClient((close) => closes.push(close));
      const worker = createSmsWorker({ connection: workerRedis, client, logger: createLogger({ level: 'silent' }), prefix: uniquePrefix('words-db'), qps: 50, readTimeoutMs: 1000, watchRedis: false });
      const started = await refusal(worker.start());
      await worker.close();
      for (const err of [sent, started]) {
        expect(err).toBeInstanceOf(RedisDatabaseRefusedError);
        const message = (err as Error).message;
        expect(message).toMatch(/^`redis: "redis:\/\/[^"]+\/99"` names database 99, which this Redis does not have \(it has \d+: 0 to \d+\); nothing was read or written\. Fix: a database this Redis has \(`redis: "redis:\/\/host:6379\/0"`\)/);
        expect(message).not.toContain('REDIS_URL');
        // The CLI and the server, configured by the environment, say the variable.
        expect(inEnvironmentTerms(message)).toMatch(/^REDIS_URL=redis:\/\/\S+\/99 names database 99, .* Fix: a database this Redis has \(REDIS_URL=redis:\/\/host:6379\/0\)/);
      }
    } finally {
      producerRedis.disconnect();
      workerRedis.disconnect();
      for (const close of closes) await close();
    }
  });
});

describe('a producer of the Node API whose account check cannot reach Dysmsapi', () => {
  it('names the endpoint as the client option, `endpoint: "…"`, not SMS_ENDPOINT=…, in the SmsError it throws; the CLI and the server say SMS_ENDPOINT', async () => {
    // A port nothing listens on: the emulator's, once it is closed.
    const closes: (() => Promise<void>)[] = [];
    const { endpoint } = await startEmulatorClient((close) => closes.push(close));
    for (const close of closes) await close();
    const client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 1000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
    const prefix = uniquePrefix('words-endpoint');
    const producer = createProducer({ redis, prefix, catalog: createCatalogLookup({ client, redis, prefix, qps: 50 }) });
    const err = await refusal(producer.send(NOTE));
    await producer.close();
    expect(err).toBeInstanceOf(SmsError);
    const { code, message, action } = err as SmsError;
    expect(code).toBe('ConnectionRefused');
    expect(message).toBe(`the connection to \`endpoint: "${endpoint}"\` was refused (ECONNREFUSED): nothing listens there`);
    expect(action).toMatch(/^Start what `endpoint` names \(the sandbox emulator: .*\), correct `endpoint`, /);
    for (const words of [message, action]) expect(words).not.toContain('SMS_ENDPOINT');
    expect(inEnvironmentTerms(message)).toBe(`the connection to SMS_ENDPOINT=${endpoint} was refused (ECONNREFUSED): nothing listens there`);
    expect(await redis.keys(`${prefix}:send*`)).toEqual([]);
  });
});
