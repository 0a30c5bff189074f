/**
 * No HTTP answer names where Redis is. REDIS_URL's host, port and user are the deployment's layout:
 * an API client (or a browser on the dashboard's pages, or whoever reaches /readyz) cannot act on
 * them, and every one of them learnt them from a 503 while Redis was down. The answer says what
 * happened and a fix the client can act on (retry after Retry-After, tell the operator); the
 * server's log keeps the address for the operator. Against a real private redis-server, REDIS_URL
 * with an ACL user in it: stopped; refusing the database REDIS_URL names (NOPERM on SELECT);
 * turned into a read-only replica; out of memory; its user stripped of a command (NOPERM). The last
 * three answered without the address already (503 SMSQ_REDIS_NOT_DURABLE, 500 SMSQ_INTERNAL): kept
 * here so that they stay so.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createProducer } from '../../producers/producer.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { redactRedisUrl } from '../../src/queue/connection.js';
import { watchRedis } from '../../src/queue/redis-watch.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { createProducerConnection } from '../support/redis.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'test-api-token-0123456789';
const BOARD_TOKEN = 'test-board-token-0123456789';
const API = { authorization: `Bearer ${TOKEN}` };
const BOARD = { authorization: `Bearer ${BOARD_TOKEN}` };
const MESSAGE = { phones: ['13800138000'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
// smsq's default: a loaded machine must not pass for a Redis that does not answer.
const TIMEOUT_MS = 5000;

const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface Deployment {
  redis: PrivateRedis;
  /** REDIS_URL's user (a name of its own, found nowhere else in an answer). */
  user: string;
  /** REDIS_URL (a user, a password), password redacted: what the log names. */
  redacted: string;
  app: SmsqServer;
  /** The server's log (its Redis watch included, as `smsq server` runs one). */
  log: ReturnType<typeof collector>;
  /** A connection as the default user, to change the Redis under the server. */
  admin: Redis;
}

/**
 * `smsq server`'s parts on a private Redis that REDIS_URL reaches as its own ACL user: `running`
 * says whether that Redis is running when the server starts (a stopped one is the same port,
 * nothing listening), `path` the database REDIS_URL names, `userRules` ACL rules added to its user.
 */
async function deployment(opts: { running: boolean; path?: string; userRules?: string[] } = { running: true }): Promise<Deployment> {
  const redis = await startPrivateRedis({ appendfsync: 'off' });
  closers.push(() => redis.stop());
  const user = `opsuser${randomBytes(3).toString('hex')}`;
  const password = 'redis-password-1';
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  admin.on('error', () => {});
  closers.push(() => admin.disconnect());
  await admin.call('ACL', 'SETUSER', user, 'reset', 'on', `>${password}`, '~*', '&*', '+@all', ...(opts.userRules ?? []));
  if (!opts.running) await redis.stop();
  const url = `redis://${user}:${password}@127.0.0.1:${redis.port}${opts.path ?? ''}`;
  const redacted = redactRedisUrl(url);
  const connection = createProducerConnection(url, { mode: 'none' }, { connectTimeoutMs: TIMEOUT_MS });
  closers.push(() => connection.disconnect());
  if (opts.running) await new Promise((resolve) => connection.once('ready', resolve));
  const log = collector();
  const logger = createLogger({ level: 'info' }, log);
  const watch = watchRedis({ redis: connection, logger, redactedUrl: redacted, probeMs: TIMEOUT_MS });
  closers.push(() => watch.stop());
  const prefix = `{smsq-hide-${randomBytes(4).toString('hex')}}`;
  const producer = createProducer({ redis: connection, prefix, logger, durability: { mode: 'none' }, connectTimeoutMs: TIMEOUT_MS, redactedRedisUrl: redacted });
  closers.push(() => producer.close());
  const app = await buildServer({
    redis: connection,
    prefix,
    producer,
    logger,
    apiToken: TOKEN,
    dashboard: { token: BOARD_TOKEN, readOnly: false },
    redactedRedisUrl: redacted,
    checkResponses: true,
  });
  closers.push(() => app.close());
  return { redis, user, redacted, app, log, admin };
}

/** The body names nothing of where Redis is: not its host, its port, its user, nor REDIS_URL's value. */
function expectNoAddress(d: Deployment, what: string, body: string): void {
  expect(body, what).not.toContain('127.0.0.1');
  expect(body, what).not.toMatch(new RegExp(`\\b${d.redis.port}\\b`));
  expect(body, what).not.toContain(d.user);
  expect(body, what).not.toContain('REDIS_URL=');
  expect(body, what).not.toContain('redis://');
}

const every = (sendId: string) =>
  [
    { method: 'POST', url: '/v1/messages', payload: MESSAGE, headers: API },
    { method: 'POST', url: '/v1/batches', payload: { templateCode: N.notificationTemplate, messages: [{ phone: '13800138001', signName: N.sign, templateParam: { name: 'Bo', order: 'B2' } }] }, headers: API },
    { method: 'GET', url: `/v1/sends/${sendId}`, headers: API },
    { method: 'GET', url: '/v1/sends', headers: API },
    { method: 'POST', url: `/v1/sends/${sendId}/pause`, headers: API },
    { method: 'GET', url: '/readyz' },
    { method: 'GET', url: '/admin/campaigns', headers: BOARD },
    { method: 'GET', url: `/admin/campaigns/${sendId}`, headers: { ...BOARD, accept: 'application/json' } },
    { method: 'GET', url: '/admin/queues/api/queues', headers: BOARD },
    { method: 'PUT', url: '/admin/queues/api/queues/calls/pause', headers: BOARD },
  ] as const;

/** A 503 for Redis gone, said as a client can act on it: what happened, Retry-After, the operator. */
function expectOutageAnswer(d: Deployment, request: { method: string; url: string }, res: { statusCode: number; body: string; headers: Record<string, unknown> }, reason: RegExp): void {
  const what = `${request.method} ${request.url}: ${res.body}`;
  expect(res.statusCode, what).toBe(503);
  expectNoAddress(d, what, res.body);
  const { error } = JSON.parse(res.body) as { error: { code: string; message: string } };
  expect(error.code, what).toBe(request.url === '/readyz' ? 'SMSQ_NOT_READY' : 'SMSQ_REDIS_UNAVAILABLE');
  expect(error.message, what).toMatch(new RegExp(`Redis does not answer \\(${reason.source}\\)`));
  expect(error.message, what).toMatch(/Fix: .* in a few seconds \(Retry-After\); if Redis stays down, tell the operator of this server: its log names REDIS_URL and why/);
  expect(res.headers['retry-after'], what).toBe('5');
}

describe('Redis does not answer', () => {
  it('a server started against a stopped Redis: every 503 (/v1, /readyz, the campaigns page, the board\'s API) says what happened and the fix, never where Redis is; the log does', async () => {
    const d = await deployment({ running: false });
    await waitFor(() => d.log.text.includes('does not answer; retrying with back-off'), 'the Redis watch to say Redis is gone');
    // The board's API too: its BullMQ queues no longer wait for a connection that was never ready.
    for (const request of every('smx0000000000000000000')) {
      expectOutageAnswer(d, request, await d.app.inject(request), /connection refused/);
    }
    // The operator's line names REDIS_URL (password redacted: its host, port and user) and why.
    expect(d.log.text).toContain(`Redis at REDIS_URL=${d.redacted} does not answer`);
    expect(d.redacted).toBe(`redis://${d.user}:<redacted>@127.0.0.1:${d.redis.port}`);
    expect(d.log.text).not.toContain('redis-password-1');
  });

  it("Redis stopped under a running server: the same, the board's API too", async () => {
    const d = await deployment();
    const sent = await d.app.inject({ method: 'POST', url: '/v1/messages', payload: MESSAGE, headers: API });
    expect(sent.statusCode, sent.body).toBe(202);
    const { sendId } = sent.json<{ sendId: string }>();
    await d.redis.stop();
    await waitFor(() => d.log.text.includes('does not answer; retrying with back-off'), 'the Redis watch to say Redis is gone');
    for (const request of every(sendId)) {
      // The first calls may meet the link as it drops; the next, a refused reconnect.
      expectOutageAnswer(d, request, await d.app.inject(request), /connection refused|the connection was lost/);
    }
    expect(d.log.text).toContain(`Redis at REDIS_URL=${d.redacted} does not answer`);
  });
});

describe('Redis answers and refuses', () => {
  it('the database REDIS_URL names, which its user may not SELECT (NOPERM): the answer names neither the Redis nor the user; the log does', async () => {
    const d = await deployment({ running: true, path: '/2', userRules: ['-select'] });
    for (const request of [
      { method: 'GET', url: '/readyz' },
      { method: 'POST', url: '/v1/messages', payload: MESSAGE, headers: API },
      { method: 'GET', url: '/v1/sends', headers: API },
    ] as const) {
      const res = await d.app.inject(request);
      const what = `${request.method} ${request.url}: ${res.body}`;
      expect(res.statusCode, what).toBeGreaterThanOrEqual(500);
      expectNoAddress(d, what, res.body);
      expect(res.json<{ error: { message: string } }>().error.message, what).toMatch(/Redis refused the database this server is configured to use; nothing was read or written\. Fix: tell the operator of this server/);
      // The configuration's to fix: no Retry-After, as for /v1 (/readyz added one to every Redis issue).
      expect(res.headers['retry-after'], what).toBeUndefined();
    }
    // The operator's line (a JSON log line: its quotes escaped) names REDIS_URL and the fix.
    expect(d.log.text).toContain(`REDIS_URL=${d.redacted} names database 2, and its user may not SELECT (NOPERM)`);
  });

  it('the credentials, changed under a running server (WRONGPASS on its reconnect): no Retry-After, no "retry", neither the Redis nor the user; the log says it once', async () => {
    const d = await deployment();
    await d.admin.call('ACL', 'SETUSER', d.user, 'resetpass', '>another-password-2');
    await d.admin.call('CLIENT', 'KILL', 'USER', d.user);
    await waitFor(() => d.log.text.includes('refused the credentials given (WRONGPASS'), 'the Redis watch to say the credentials were refused');
    for (const request of [
      { method: 'GET', url: '/readyz' },
      { method: 'POST', url: '/v1/messages', payload: MESSAGE, headers: API },
    ] as const) {
      const res = await d.app.inject(request);
      const what = `${request.method} ${request.url}: ${res.body}`;
      expect(res.statusCode, what).toBeGreaterThanOrEqual(500);
      expectNoAddress(d, what, res.body);
      const { error } = res.json<{ error: { code: string; message: string } }>();
      expect(error.code, what).toBe(request.url === '/readyz' ? 'SMSQ_NOT_READY' : 'SMSQ_REDIS_AUTH');
      expect(error.message, what).toMatch(/Redis refused the credentials this server is configured with \(WRONGPASS\); nothing was read or written\. Fix: tell the operator of this server: its log names REDIS_URL and the fix \(a retry will not help\)/);
      expect(res.headers['retry-after'], what).toBeUndefined();
    }
    // The watch's line names REDIS_URL (password redacted) and the fix, once however many reconnects.
    await new Promise((r) => setTimeout(r, 1000));
    expect(d.log.text.split('\n').filter((l) => l.includes('"component":"redis"') && l.includes('WRONGPASS')), d.log.text).toHaveLength(1);
    expect(d.log.text).toContain(`Redis at REDIS_URL=${d.redacted} refused the credentials given`);
    expect(d.log.text).not.toMatch(/redis-password-1|another-password-2/);
  });

  it.each([
    ['a read-only replica (a failover demoted it)', async (d: Deployment) => void (await d.admin.call('REPLICAOF', '127.0.0.1', '1'))],
    ['out of memory (maxmemory, noeviction)', async (d: Deployment) => void (await d.admin.call('CONFIG', 'SET', 'maxmemory', '1'))],
    ['its user stripped of the scripts smsq runs (NOPERM)', async (d: Deployment) => void (await d.admin.call('ACL', 'SETUSER', d.user, '-@scripting'))],
  ])('%s: the answer names neither the Redis nor the user', async (_name, refuse) => {
    const d = await deployment();
    const sent = await d.app.inject({ method: 'POST', url: '/v1/messages', payload: MESSAGE, headers: API });
    expect(sent.statusCode, sent.body).toBe(202);
    const { sendId } = sent.json<{ sendId: string }>();
    await refuse(d);
    for (const request of [
      { method: 'POST', url: '/v1/messages', payload: MESSAGE, headers: API },
      { method: 'POST', url: `/v1/sends/${sendId}/pause`, headers: API },
    ] as const) {
      const res = await d.app.inject(request);
      const what = `${request.method} ${request.url}: ${res.body}`;
      expect(res.statusCode, what).toBeGreaterThanOrEqual(400);
      expectNoAddress(d, what, res.body);
    }
  });
});
