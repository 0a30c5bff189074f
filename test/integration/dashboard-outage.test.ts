/**
 * Bull Board's JSON API (`/admin/queues/api/...`) when Redis does not answer, against a real
 * private redis-server: stopped (under a running server, or before it started), or frozen
 * (SIGSTOP) for longer than the server's command timeout. Every answer is a 503
 * SMSQ_REDIS_UNAVAILABLE saying what happened and the fix, as /v1's are (not where Redis is: the server's log names REDIS_URL), in a body the board's page can show (it reads `error.key` and `message`); a write that Redis may
 * still carry out says so instead of reading as a plain failure.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createProducer } from '../../producers/producer.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createLogger } from '../../src/logger.js';
import { RedisUnavailableError } from '../../src/errors.js';
import { createRedisConnection, type RedisConnection } from '../../src/queue/connection.js';
import { createRedisGate } from '../../src/queue/redis-gate.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const PREFIX = '{dash-outage}';
const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface Board {
  redis: PrivateRedis;
  app: SmsqServer;
  /** The server's log lines. */
  log: ReturnType<typeof collector>;
  /** The server's Redis connection. */
  connection: RedisConnection;
}

/**
 * `smsq server`'s parts on a `client` connection with a short timeout; a writable board. `down`:
 * started as `smsq server` starts against a stopped Redis (the same port, nothing listening): its
 * bounded wait for the first connect gives up and the server is built all the same.
 */
async function board(commandTimeoutMs: number, opts: { down?: boolean } = {}): Promise<Board> {
  const redis = await startPrivateRedis({ appendfsync: 'off' });
  closers.push(() => redis.stop());
  if (opts.down) await redis.stop();
  const connection = createRedisConnection(redis.url, { role: 'client', connectTimeoutMs: commandTimeoutMs });
  connection.on('error', () => {});
  closers.push(() => connection.disconnect());
  if (opts.down) await expect(createRedisGate({ redis: connection, timeoutMs: commandTimeoutMs }).ready()).rejects.toBeInstanceOf(RedisUnavailableError);
  else await new Promise((resolve) => connection.once('ready', resolve));
  const producer = createProducer({ redis: connection, prefix: PREFIX, durability: { mode: 'none' }, connectTimeoutMs: commandTimeoutMs, redactedRedisUrl: redis.url });
  const log = collector();
  closers.push(() => producer.close());
  const app = await buildServer({
    redis: connection,
    prefix: PREFIX,
    producer,
    logger: createLogger({ level: 'info' }, log),
    queueNames: ['calls', 'housekeeping'],
    insecure: true,
    dashboard: { readOnly: false },
    redactedRedisUrl: redis.url,
  });
  closers.push(() => app.close());
  return { redis, app, log, connection };
}

interface BoardError {
  error: { code: string; key: string; message: string };
  message: string;
}

describe("Bull Board's API while Redis does not answer", () => {
  it('Redis stopped: reads and writes answer 503 SMSQ_REDIS_UNAVAILABLE saying what happened and the fix, not where Redis is (they answered 500 with ioredis\'s "Stream isn\'t writeable ...")', async () => {
    const { redis, app } = await board(1000);
    expect((await app.inject({ method: 'GET', url: '/admin/queues/api/queues' })).statusCode).toBe(200);
    await redis.stop();

    for (const [method, url, consequence] of [
      ['GET', '/admin/queues/api/queues', /nothing was changed; run it again once Redis answers/],
      ['GET', '/admin/queues/api/redis/stats', /nothing was changed/],
      ['PUT', '/admin/queues/api/queues/calls/pause', /may have been made anyway/],
      ['PUT', '/admin/queues/api/queues/housekeeping/empty', /may have been made anyway/],
    ] as const) {
      const res = await app.inject({ method, url });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(503);
      const body = res.json<BoardError>();
      expect(body.error.code).toBe('SMSQ_REDIS_UNAVAILABLE');
      expect(body.error.message).toMatch(/^Redis does not answer \((connection refused|the connection was lost)\)/);
      expect(body.error.message).not.toContain(redis.url.replace('redis://', ''));
      expect(body.error.message).toMatch(consequence);
      expect(body.error.message).toMatch(/Fix: retry in a few seconds \(Retry-After\); if Redis stays down, tell the operator of this server: its log names REDIS_URL and why$/);
      expect(body.error.message).not.toMatch(/enableOfflineQueue/);
      // What the board's page shows: its toast's title is `error.key`, its text `message`.
      expect(body.error.key).toBe('SMSQ_REDIS_UNAVAILABLE');
      expect(body.message).toBe(body.error.message);
      expect(res.headers['retry-after']).toBe('5');
    }
  });

  it('an empty that Redis answers after the command timeout: the answer says it may have been done, and Redis does it (it answered 500 "Command timed out")', async () => {
    const { redis, app } = await board(300);
    const filler = new Queue('housekeeping', { connection: new Redis(redis.url, { maxRetriesPerRequest: null }), prefix: PREFIX });
    closers.push(async () => {
      await filler.close();
      await filler.disconnect();
    });
    await filler.addBulk(Array.from({ length: 3 }, (_, i) => ({ name: 'x', data: { i } })));
    expect(await filler.getWaitingCount()).toBe(3);
    // Redis not getting to the empty within the command timeout, as when it is busy (an empty of a
    // very large queue is one script): frozen (SIGSTOP) until the answer has been given, so that
    // it cannot answer in time however slow this process is. (A 1 s busy script begun 100 ms
    // before the request answered it in time, 200, whenever the request reached Redis more than
    // 700 ms into the script, as under load.)
    const pid = redis.process.pid as number;
    process.kill(pid, 'SIGSTOP');
    closers.push(() => process.kill(pid, 'SIGCONT'));

    const res = await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/housekeeping/empty' });
    expect(res.statusCode, res.body).toBe(503);
    const body = res.json<BoardError>();
    expect(body.error.code).toBe('SMSQ_REDIS_UNAVAILABLE');
    expect(body.error.message).toMatch(/^Redis does not answer \(no answer within 300 ms\)/);
    expect(body.error.message).not.toContain(redis.url.replace('redis://', ''));
    expect(body.error.message).toMatch(/may have been made anyway.*reload the board/);
    // And it was, once Redis got to it.
    process.kill(pid, 'SIGCONT');
    await waitFor(async () => (await filler.getWaitingCount()) === 0, 'Redis to carry out the empty it was sent');
  });
});

/** `inject`'s answer, or `undefined` when none came within `ms` (the request is left to finish on its own). */
async function answerWithin(app: SmsqServer, request: { method: 'GET' | 'PUT'; url: string }, ms: number): Promise<{ res?: Awaited<ReturnType<SmsqServer['inject']>>; ms: number }> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const res = await Promise.race([app.inject(request), new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  clearTimeout(timer);
  return { res, ms: Math.round(performance.now() - start) };
}

describe("Bull Board's API of a server started while Redis was down", () => {
  it('answers 503 SMSQ_REDIS_UNAVAILABLE within the command timeout, reads and writes (they hung until Redis was back, then the write was made), and works once Redis is back without a restart', async () => {
    const commandTimeoutMs = 2000;
    const { redis, app, connection } = await board(commandTimeoutMs, { down: true });
    // A refused reconnect after the server was built: until one comes, what its gates know of the
    // outage is that the link is down ("the connection was lost"), the board's as /v1's.
    await new Promise<void>((resolve) => {
      const refused = (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ECONNREFUSED') return;
        connection.off('error', refused);
        resolve();
      };
      connection.on('error', refused);
    });

    const requests = [
      ['GET', '/admin/queues/api/queues', /nothing was changed; run it again once Redis answers/],
      ['GET', '/admin/queues/api/redis/stats', /nothing was changed/],
      ['PUT', '/admin/queues/api/queues/calls/pause', /may have been made anyway/],
    ] as const;
    // Each waited for a little longer than the bound, so that a hang shows as one, not as the test's timeout.
    const answers = [];
    for (const [method, url] of requests) answers.push(await answerWithin(app, { method, url }, commandTimeoutMs + 1000));
    const late = answers.flatMap(({ res, ms }, i) => (res && ms < commandTimeoutMs ? [] : [`${requests[i]?.[0]} ${requests[i]?.[1]}: ${res ? `answered after ${ms} ms` : `no answer within ${ms} ms`}`]));
    expect(late).toEqual([]);
    for (const [i, { res }] of answers.entries()) {
      const [method, url, consequence] = requests[i] ?? [];
      expect(res?.statusCode, `${method} ${url}: ${res?.body}`).toBe(503);
      const body = res?.json<BoardError>();
      expect(body?.error.code).toBe('SMSQ_REDIS_UNAVAILABLE');
      expect(body?.error.message).toMatch(/^Redis does not answer \(connection refused\)/);
      expect(body?.error.message).not.toContain(redis.url.replace('redis://', ''));
      expect(body?.error.message).toMatch(consequence ?? /./);
      expect(res?.headers['retry-after']).toBe('5');
    }
    // A read of /v1 says the same, in the same words.
    const v1 = await app.inject({ method: 'GET', url: '/v1/sends' });
    expect(v1.statusCode, v1.body).toBe(503);
    expect(answers[0]?.res?.json<BoardError>().error.message).toBe(v1.json<BoardError>().error.message);

    // Redis back where it was: the board answers without a restart of the server.
    const back = await startPrivateRedis({ appendfsync: 'off', port: redis.port });
    closers.push(() => back.stop());
    await waitFor(() => connection.status === 'ready', 'the server\'s connection to be made again');
    const queues = await app.inject({ method: 'GET', url: '/admin/queues/api/queues' });
    expect(queues.statusCode, queues.body).toBe(200);
    const calls = (paused: boolean) => expect.objectContaining({ name: 'calls', isPaused: paused });
    // The pause refused while Redis was down was not made behind the caller's back once it was back.
    expect(queues.json<{ queues: unknown[] }>().queues).toContainEqual(calls(false));
    const pause = await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/calls/pause' });
    expect(pause.statusCode, pause.body).toBe(200);
    const after = await app.inject({ method: 'GET', url: '/admin/queues/api/queues' });
    expect(after.json<{ queues: unknown[] }>().queues).toContainEqual(calls(true));
  });
});

describe('the campaigns page while Redis does not answer', () => {
  it('answers 503 saying what happened, not where Redis is, and logs nothing per request (each refresh, every 2 s, logged "events tally failed" with a stack)', async () => {
    const { redis, app, log } = await board(1000);
    expect((await app.inject({ method: 'GET', url: '/admin/campaigns' })).statusCode).toBe(200);
    await redis.stop();
    const before = log.text.length;
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'GET', url: '/admin/campaigns' });
      expect(res.statusCode).toBe(503);
      expect(res.json<BoardError>().error).toMatchObject({ code: 'SMSQ_REDIS_UNAVAILABLE', message: expect.stringMatching(/^Redis does not answer \(.+\)/) });
      expect(res.body).not.toContain(redis.url.replace('redis://', ''));
    }
    // A browser is shown the same words as a page, which its refresh replaces once Redis is back.
    const page = await app.inject({ method: 'GET', url: '/admin/campaigns', headers: { accept: 'text/html,*/*;q=0.8' } });
    expect(page.statusCode).toBe(503);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['retry-after']).toBe('5');
    expect(page.body).toMatch(/<p class="missing">Redis does not answer \(.+\)/);
    expect(page.body).toContain('setInterval(refresh, 2000)');
    expect(page.body).not.toContain(redis.url.replace('redis://', ''));
    const logged = log.text.slice(before);
    expect(logged).not.toMatch(/events tally failed/);
    expect(logged).not.toMatch(/\\n\s+at /);
  });
});
