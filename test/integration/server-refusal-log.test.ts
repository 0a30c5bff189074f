/**
 * `smsq server`'s log while Redis refuses its requests. Each request Redis refused was logged at
 * error level with its stack ("request failed": 20 requests, 20 lines under OOM), and each push
 * met while Redis was down had a warn line of its own: under load, a flood that buried the one line
 * that mattered. Now a refusal is one warn line per kind (OOM, MISCONF, READONLY; NOAUTH,
 * WRONGPASS, NOPERM; Redis not answering a push) per minute, naming REDIS_URL and the fix, with
 * how many were held back since the line before (`heldBack`), never a stack; the requests are
 * answered as before. The server's clock is injected: the minute passes without waiting for it.
 *
 * A private Redis (its settings are the test's to break), the server through inject().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Clock } from '../../src/clock.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { httpStatusOf } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { ingestFor } from '../support/ingest.js';
import { waitFor } from '../support/wait.js';
import { requirePasswordUnder, type PasswordUnder } from '../support/password-under.js';

const TOKEN = 'refusal-log-api-token-0123456789ab';
const REPORT_TOKEN = 'refusal-log-report-token-012345678';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };

/** The server's clock: the system's, moved on by `skew` when a test lets a minute pass. */
let skew = 0;
const clock: Clock = { now: () => Date.now() + skew };

interface Line {
  level: number;
  msg: string;
  code?: string;
  refusal?: string;
  heldBack?: number;
  err?: unknown;
}

let redis: PrivateRedis;
let admin: Redis;
let h: Harness;
let app: SmsqServer;
let ingest: ReturnType<typeof ingestFor>;
let sendId = '';
const lines: Line[] = [];

beforeAll(async () => {
  redis = await startPrivateRedis({ protectedConfigs: true });
  admin = new Redis(redis.url);
  admin.on('error', () => {});
  h = await createHarness({ label: 'refusal-log', redisUrl: redis.url });
  ingest = ingestFor(h);
  const logger = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger, clock, apiToken: TOKEN, dashboard: { token: 'refusal-log-board-token-0123456789' }, reports: { ingest: ingest.ingest, token: REPORT_TOKEN } });
  sendId = (await h.producer.send({ ...NOTE, phones: ['13852000001'] })).sendId;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await ingest?.close();
  await h?.close();
  admin?.disconnect();
  await redis?.stop();
});

/** Requests of every kind a refusal meets: an enqueue, a read, a control. */
const requests = () => [
  { method: 'POST' as const, url: '/v1/messages', payload: { ...NOTE, phones: ['13800138009'] } },
  { method: 'GET' as const, url: `/v1/sends/${sendId}` },
  { method: 'POST' as const, url: `/v1/sends/${sendId}/pause` },
];

/** Sends `rounds` of {@link requests}; every answer is `status` and `code`. Returns how many were made. */
async function refused(rounds: number, status: number, code: string): Promise<number> {
  let made = 0;
  for (let i = 0; i < rounds; i++) {
    for (const r of requests()) {
      const res = await app.inject({ ...r, headers: AUTH });
      made++;
      const said = `${r.method} ${r.url} -> ${res.statusCode} ${res.body}`;
      expect(res.statusCode, said).toBe(status);
      expect(res.json<{ error: { code: string } }>().error.code, said).toBe(code);
    }
  }
  return made;
}

/** The warn and error lines logged since `from`. */
const loudSince = (from: number) => lines.slice(from).filter((l) => l.level >= 40);

describe('Redis refusing writes (OOM)', () => {
  afterAll(async () => {
    await admin.config('SET', 'maxmemory', '0');
  });

  it('one warn line per kind per minute, with the count held back; no error line, no stack; every request answered 503 as before', async () => {
    const from = lines.length;
    await admin.config('SET', 'maxmemory', '1');
    const made = await refused(4, 503, 'SMSQ_REDIS_WRITES_REFUSED');
    const loud = loudSince(from);
    expect(loud.map((l) => `${l.level} ${l.msg}`).join('\n')).not.toMatch(/^50 /m);
    expect(loud).toHaveLength(1);
    expect(loud[0]).toMatchObject({ level: 40, code: 'SMSQ_REDIS_WRITES_REFUSED', refusal: 'OOM', heldBack: 0 });
    expect(loud[0]?.msg).toContain(`REDIS_URL=${redis.url}`);
    expect(loud[0]?.msg).toMatch(/at its maxmemory .*Fix: raise maxmemory/);
    expect(JSON.stringify(loud[0])).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect(loud[0]?.err).toBeUndefined();

    // A minute on: the next refusal is said again, with the ones held back since.
    skew += 61_000;
    const next = lines.length;
    await refused(1, 503, 'SMSQ_REDIS_WRITES_REFUSED');
    const again = loudSince(next);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ level: 40, code: 'SMSQ_REDIS_WRITES_REFUSED', refusal: 'OOM', heldBack: made - 1 });
  });
});

describe('Redis refusing smsq\'s credentials on a reconnect (NOAUTH: requirepass set under the running server)', () => {
  let password: PasswordUnder;
  beforeAll(async () => {
    password = await requirePasswordUnder(redis.url, 'refusal-log-password', h.redis, [h.redis, admin]);
    // Until a reconnect has been refused, the link is only lost.
    await waitFor(async () => (await app.inject({ url: `/v1/sends/${sendId}`, headers: AUTH })).json<{ error: { code: string } }>().error.code === 'SMSQ_REDIS_AUTH' || undefined, 'a reconnect refused');
  }, 30_000);
  afterAll(() => password.lift(), 40_000);

  it('every /v1 route answers SMSQ_REDIS_AUTH at its status, naming REDIS_URL and the fix without a stack; one warn line a minute', async () => {
    skew += 61_000;
    const from = lines.length;
    await refused(3, httpStatusOf('SMSQ_REDIS_AUTH'), 'SMSQ_REDIS_AUTH');
    const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { ...NOTE, phones: ['13800138019'] } });
    const { error } = res.json<{ error: { code: string; message: string } }>();
    expect(error.message).toMatch(/^Redis refused the credentials this server is configured with \(NOAUTH\); nothing was read or written\. Fix: .*REDIS_URL/);
    expect(error.message).not.toMatch(/\n|\bat .*\.(ts|js):\d+/);
    const loud = loudSince(from).filter((l) => l.code === 'SMSQ_REDIS_AUTH' || l.level >= 50);
    expect(loud.filter((l) => l.msg === 'request failed')).toEqual([]);
    expect(loud).toHaveLength(1);
    expect(loud[0]).toMatchObject({ level: 40, code: 'SMSQ_REDIS_AUTH', refusal: 'NOAUTH', heldBack: 0 });
    expect(loud[0]?.msg).toMatch(/REDIS_URL=redis:\/\/127\.0\.0\.1:\d+ requires a password, and none was given .*Fix: give it in REDIS_URL/);
  });
});

describe('Redis down under pushed reports', () => {
  it('one warn line a minute naming REDIS_URL, not one per push; every push answered 503 as before', async () => {
    await waitFor(() => h.redis.status === 'ready', 'the connection back', 30_000);
    const { port } = redis;
    await redis.stop();
    try {
      const from = lines.length;
      const push = () => app.inject({ method: 'POST', url: '/v1/reports/sms-report', headers: { 'x-smsq-report-token': REPORT_TOKEN }, payload: [{ phone_number: '13800138011', success: true, biz_id: '1', out_id: 'x', err_code: 'DELIVERED' }] });
      for (let i = 0; i < 6; i++) {
        const res = await push();
        expect(res.statusCode, res.body).toBe(503);
        expect(res.json<{ error: { code: string } }>().error.code).toBe('SMSQ_REDIS_UNAVAILABLE');
      }
      const loud = loudSince(from).filter((l) => l.code === 'SMSQ_REDIS_UNAVAILABLE');
      expect(loud).toHaveLength(1);
      expect(loud[0]).toMatchObject({ level: 40, heldBack: 0 });
      expect(loud[0]?.msg).toMatch(/REDIS_URL=redis:\/\/127\.0\.0\.1:\d+ does not answer/);
      skew += 61_000;
      await push();
      expect(loudSince(from).filter((l) => l.code === 'SMSQ_REDIS_UNAVAILABLE').map((l) => l.heldBack)).toEqual([0, 5]);
    } finally {
      // The same port again, so that the harness can clean its keys up.
      redis = await startPrivateRedis({ port });
      await waitFor(() => h.redis.status === 'ready', 'the connection back', 30_000);
    }
  }, 40_000);
});
