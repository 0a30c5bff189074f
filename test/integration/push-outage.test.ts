/**
 * A push of Alibaba's (SmsReport, SmsUp) while Redis is gone: stopped (SIGKILL), frozen (SIGSTOP:
 * its connections stay open, nothing tells the client), and back again. Real redis-servers.
 *
 * Alibaba pushes again whatever is not answered `{"code":0,...}`: a push Redis cannot take is
 * answered 503 SMSQ_REDIS_UNAVAILABLE, saying whether it may have been applied in part, and
 * without REDIS_URL or any other detail of the deployment (the answer goes to Alibaba); the
 * server's log says it for the operator, naming REDIS_URL, why and the fix. The ingest goes
 * through the producer's Redis gate (src/queue/redis-gate.ts). Before, the plugin translated
 * ioredis's errors itself: every refusal said "may be applied in part", also of a push refused
 * before any command was sent, and nothing was logged but the request's status.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { systemClock } from '../../src/clock.js';
import { DEFAULT_DURABILITY } from '../../src/durability/mode.js';
import { createEmulator } from '../../src/emulator/index.js';
import { RedisUnavailableError, ValidationError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { clientCommandTimeoutMs, createRedisConnection } from '../../src/queue/connection.js';
import { createKeys } from '../../src/queue/keys.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { uniformRetention } from '../../src/queue/retention.js';
import { openReportIngest } from '../../src/receipts/report-ingest.js';
import { createSentNumbers } from '../../src/receipts/sent-numbers.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { createProducer } from '../../producers/producer.js';
import { buildServer } from '../../server/build-server.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const REPORT_TOKEN = 'report-token-abcdef0123456789';
const CONNECT_MS = 1000;
/** As `smsq server` makes its connection: the connect timeout, or a second past the durability confirmation's. */
const COMMAND_MS = clientCommandTimeoutMs(CONNECT_MS, DEFAULT_DURABILITY.timeoutMs);
const PUSHED_AGAIN = 'Alibaba pushes it again (after 1, 5 and 10 minutes), and a push applied twice changes nothing';
const NOT_APPLIED = /^Redis does not answer; the push was not applied\. Alibaba pushes it again/;
const IN_PART = /^Redis does not answer; the push may be applied in part\. Alibaba pushes it again/;

const report = (outId: string) => [
  { phone_number: '13844000001', send_time: '2026-11-24 10:00:00', report_time: '2026-11-24 10:00:03', success: true, err_code: 'DELIVERED', err_msg: 'ok', sms_size: '1', biz_id: 'b1', out_id: outId },
];
const optOut = (phone: string) => [{ phone_number: phone, content: 'TD', send_time: '2026-11-24 10:00:05', dest_code: '1', sequence_id: 9 }];

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}
const linesOf = (text: string): LogLine[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

async function privateRedis(port?: number): Promise<PrivateRedis> {
  const server = await startPrivateRedis({ appendfsync: 'always', ...(port === undefined ? {} : { port }) });
  closers.push(() => server.stop());
  return server;
}

/** The server as `smsq server` builds it, on `server`, its log kept. */
async function pushServer(server: PrivateRedis, prefix: string) {
  const redis = createRedisConnection(server.url, { role: 'client', connectTimeoutMs: CONNECT_MS, commandTimeoutMs: COMMAND_MS });
  redis.on('error', () => {});
  closers.push(() => redis.disconnect());
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  const log = collector();
  const logger = createLogger({ level: 'info' }, log);
  const { ingest, close } = openReportIngest({ redis, prefix, clock: systemClock, logger, retention: uniformRetention(86_400), receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
  closers.push(close);
  const producer = createProducer({ redis, prefix, logger, connectTimeoutMs: CONNECT_MS, redactedRedisUrl: server.url });
  closers.push(() => producer.close());
  const app = await buildServer({ redis, prefix, producer, logger, apiToken: 'test-api-token-0123456789', dashboard: { token: 'dashboard-token-0123456789' }, reports: { ingest, token: REPORT_TOKEN } });
  closers.push(() => app.close());
  const push = async (path: 'sms-report' | 'sms-up', payload: unknown) => {
    const from = performance.now();
    const res = await app.inject({ method: 'POST', url: `/v1/reports/${path}`, headers: { 'x-smsq-report-token': REPORT_TOKEN }, payload: payload as object });
    return { res, ms: performance.now() - from };
  };
  return { redis, ingest, log, push };
}

describe('a push while Redis is stopped', () => {
  it('is answered 503 at once saying the push was not applied (it said "may be applied in part"); the log names REDIS_URL, why and the fix (it said nothing); once Redis is back the next push is applied and answered OK', async () => {
    const server = await privateRedis();
    const prefix = '{push-stopped}';
    const { redis, log, push } = await pushServer(server, prefix);
    expect((await push('sms-report', report('sabc.0.1'))).res.statusCode).toBe(200);

    const refused = new Promise((resolve) => redis.on('error', (err: { code?: string }) => err.code === 'ECONNREFUSED' && resolve(err)));
    server.process.kill('SIGKILL');
    await refused;
    const from = log.text.length;
    for (const [path, payload] of [
      ['sms-report', report('sabc.0.2')],
      ['sms-up', optOut('13844000001')],
    ] as const) {
      const { res, ms } = await push(path, payload);
      expect(res.statusCode).toBe(503);
      expect(ms).toBeLessThan(CONNECT_MS);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json().error).toEqual({ code: 'SMSQ_REDIS_UNAVAILABLE', message: `Redis does not answer; the push was not applied. ${PUSHED_AGAIN}` });
      expect(res.body).not.toContain(String(server.port));
    }
    // One line for both pushes: Redis down is said once a minute, not once a push (server/refusal-log.ts).
    const said = linesOf(log.text.slice(from)).filter((l) => l.code === 'SMSQ_REDIS_UNAVAILABLE');
    expect(said.map((l) => [l.level, l.msg])).toEqual(
      Array(1).fill([
        40,
        expect.stringMatching(
          new RegExp(`^Redis at REDIS_URL=${server.url} does not answer \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${server.port}(?:; reconnecting since the connection was lost)?\\); the push was not applied: Alibaba pushes it again .*\\. Fix: start Redis there or point REDIS_URL at a running one`),
        ),
      ]),
    );

    await privateRedis(server.port);
    await waitFor(() => redis.status === 'ready', 'the connection to be made again', 10_000);
    const back = await push('sms-report', report('sabc.0.3'));
    expect(back.res.statusCode).toBe(200);
    expect(back.res.json()).toEqual({ code: 0, msg: '接收成功' });
    // Applied: the report naming no send is counted as set aside, in the Redis that came back.
    expect(await redis.hget(createKeys(prefix).refusedReceipts(), 'unknown-out-id')).toBe('1');
  }, 30_000);

  it('the ingest fails with SMSQ_REDIS_UNAVAILABLE naming REDIS_URL, nothing applied (it threw ioredis\'s "Stream isn\'t writeable ..."); a malformed push is still refused as such', async () => {
    const server = await privateRedis();
    const { redis, ingest } = await pushServer(server, '{push-stopped-ingest}');
    const refused = new Promise((resolve) => redis.on('error', (err: { code?: string }) => err.code === 'ECONNREFUSED' && resolve(err)));
    await server.stop();
    await refused;
    for (const apply of [() => ingest.applyReports(report('sabc.0.1')), () => ingest.applyReplies(optOut('13844000001'))]) {
      const err = await apply().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RedisUnavailableError);
      expect(err).toMatchObject({ code: 'SMSQ_REDIS_UNAVAILABLE', midCall: false, redactedUrl: server.url });
    }
    await expect(ingest.applyReports({ not: 'an array' })).rejects.toBeInstanceOf(ValidationError);
  }, 30_000);
});

describe('smsq server taking a push while Redis is frozen (SIGSTOP: its connections stay open)', () => {
  it('answers 503 within the command timeout, saying the push may be applied in part; the log names REDIS_URL, the timeout and the fix (it said only the status); thawed, the next push is applied and answered OK', async () => {
    const server = await privateRedis();
    const pid = server.process.pid as number;
    let frozen = false;
    closers.push(() => frozen && process.kill(pid, 'SIGCONT'));
    const prefix = '{push-frozen}';
    const emulator = createEmulator();
    const { endpoint } = await emulator.listen();
    closers.push(() => emulator.close());
    const stdout = collector();
    const stderr = collector();
    let stop: (signal: string) => void = () => {};
    const stopped = new Promise<string>((resolve) => (stop = resolve));
    const env = {
      REDIS_URL: server.url,
      SMSQ_PREFIX: prefix,
      SMS_MODE: 'sandbox',
      SMS_ENDPOINT: endpoint,
      LOG_LEVEL: 'info',
      SMSQ_API_TOKEN: 'test-api-token-0123456789',
      SMSQ_DASHBOARD_TOKEN: 'dashboard-token-0123456789',
      SMSQ_REPORT_TOKEN: REPORT_TOKEN,
      SMSQ_REDIS_CONNECT_TIMEOUT_MS: String(CONNECT_MS),
    };
    const done = runCli(['server', '--port', '0', '--json'], { stdout, stderr, env, waitForShutdown: () => stopped });
    closers.push(async () => {
      stop('SIGTERM');
      await done;
    });
    const { url } = await waitFor(() => (stdout.text.includes('\n') ? (JSON.parse(stdout.text.split('\n')[0]!) as { url: string }) : undefined), 'the server address');
    const push = async (path: 'sms-report' | 'sms-up', payload: unknown) => {
      const from = performance.now();
      const res = await fetch(`${url}/v1/reports/${path}`, { method: 'POST', headers: { 'x-smsq-report-token': REPORT_TOKEN, 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text(), ms: performance.now() - from };
    };
    const check = createRedisConnection(server.url);
    closers.push(() => check.disconnect());
    const keys = createKeys(prefix);
    await createSentNumbers({ redis: check, keys, retentionSeconds: 86_400, clock: systemClock }).record([['13844000001', '13844000002']]);
    expect((await push('sms-up', optOut('13844000001'))).status).toBe(200);

    process.kill(pid, 'SIGSTOP');
    frozen = true;
    const from = stderr.text.length;
    const first = await push('sms-report', report('sabc.0.1'));
    expect(first.status).toBe(503);
    // The command on the wire waits out the command timeout, not the HTTP client's.
    expect(first.ms).toBeLessThan(COMMAND_MS + 2000);
    expect(first.retryAfter).toBe('5');
    expect(JSON.parse(first.text).error).toMatchObject({ code: 'SMSQ_REDIS_UNAVAILABLE', message: expect.stringMatching(IN_PART) });
    expect(first.text).not.toContain(String(server.port));
    // Right after, while the link is made again to a Redis that does not answer: within the connect timeout.
    const next = await push('sms-up', optOut('13844000002'));
    expect(next.status).toBe(503);
    expect(next.ms).toBeLessThan(CONNECT_MS + 1000);
    expect(JSON.parse(next.text).error).toMatchObject({ code: 'SMSQ_REDIS_UNAVAILABLE', message: expect.stringMatching(new RegExp(`${IN_PART.source}|${NOT_APPLIED.source}`)) });
    expect(next.text).not.toContain(String(server.port));
    // The first push's line; the second is held back within the minute (server/refusal-log.ts).
    const said = linesOf(stderr.text.slice(from)).filter((l) => l.code === 'SMSQ_REDIS_UNAVAILABLE');
    expect(said.map((l) => l.msg)).toEqual([
      expect.stringMatching(new RegExp(`^Redis at REDIS_URL=${server.url} does not answer \\(no answer within ${COMMAND_MS} ms\\); the push may be applied in part: Alibaba pushes it again .*\\. Fix: start Redis there`)),
    ]);

    process.kill(pid, 'SIGCONT');
    frozen = false;
    // Once the server's connection answers again (its /readyz no longer names Redis; no worker runs):
    const redisNamed = async () => {
      const body = (await (await fetch(`${url}/readyz`)).json()) as { error?: { issues?: { field: string }[] } };
      return (body.error?.issues ?? []).some((issue) => issue.field === 'redis');
    };
    await waitFor(async () => !(await redisNamed()), 'the server to reach Redis again', 15_000, 100);
    const back = await push('sms-up', optOut('13844000002'));
    expect(back.status).toBe(200);
    expect(JSON.parse(back.text)).toEqual({ code: 0, msg: '接收成功' });
    expect(await check.sismember(keys.suppressed(), '13844000002')).toBe(1);
  }, 60_000);
});
