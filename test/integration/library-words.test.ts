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
import { SendNotFoundError, ValidationError } from '../../src/errors.js';
import { inEnvironmentTerms } from '../../src/setting-mention.js';
import { inFlagTerms } from '../../cli/request-flags.js';
import { createProducerConnection, uniquePrefix } from '../support/redis.js';

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
