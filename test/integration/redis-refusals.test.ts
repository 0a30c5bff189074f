/**
 * Redis that answers but refuses writes: at maxmemory under noeviction (OOM), unable to save to
 * disk with stop-writes-on-bgsave-error (MISCONF), a read-only replica (READONLY). A probe found
 * them reaching users raw: `smsq send` printed `error: OOM command not allowed ...` and exited 1
 * (a bug's exit), `smsq status` `EXECABORT Transaction discarded ...`, the /v1 routes answered
 * 500 SMSQ_INTERNAL, and /readyz answered 200 under READONLY and MISCONF while /metrics said
 * smsq_redis_up 0. Each is now SMSQ_REDIS_WRITES_REFUSED: exit 3, REST 503, one line naming
 * REDIS_URL (the CLI), the condition in plain words and its fix; /readyz names it too.
 *
 * A private Redis (its settings are the test's to break), a real worker, the emulator through the
 * real SDK, the CLI's own code run in this process, and the server through inject().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { runSmsqInProcess } from '../support/cli-run.js';
import { tempFileWriter } from '../support/temp-files.js';
import { waitFor } from '../support/wait.js';
import { ingestFor } from '../support/ingest.js';
import { writeRefusal } from '../../src/queue/redis-errors.js';
import { NotDurableError, RedisWritesRefusedError } from '../../src/errors.js';
import { startFreezableRedis } from '../support/freezable-redis.js';
import { requirePasswordUnder, type PasswordUnder } from '../support/password-under.js';

const TOKEN = 'redis-refusals-api-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const LOGIN = { user: 'ops', password: 'redis-refusals-password-1' };
const BASIC = { authorization: `Basic ${Buffer.from(`${LOGIN.user}:${LOGIN.password}`).toString('base64')}` };
const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };

let server: PrivateRedis;
let admin: Redis;
let h: Harness;
let app: SmsqServer;
let sendId = '';
let campaignFile = '';
let closeIngest: (() => Promise<void>) | undefined;
const REPORT_TOKEN = 'redis-refusals-report-token-0123456789';

async function persistenceStatus(): Promise<string | undefined> {
  return /rdb_last_bgsave_status:(\w+)/.exec(await admin.info('persistence'))?.[1];
}

interface Condition {
  on(): Promise<unknown>;
  off(): Promise<unknown>;
  /** The condition in plain words, as every answer names it. */
  words: RegExp;
  /** The fix every answer names. */
  fix: RegExp;
}

const CONDITIONS: Record<'OOM' | 'MISCONF' | 'READONLY', Condition> = {
  OOM: {
    on: () => admin.config('SET', 'maxmemory', '1'),
    off: () => admin.config('SET', 'maxmemory', '0'),
    words: /at its maxmemory with maxmemory-policy noeviction/,
    fix: /raise maxmemory .*or free memory in it \(docs\/operations\.md/,
  },
  MISCONF: {
    // /proc takes no file, even from root: the save fails, and with a save point set Redis refuses writes.
    on: async () => {
      await admin.config('SET', 'save', '3600 1');
      await admin.config('SET', 'dir', '/proc');
      await admin.bgsave();
      await waitFor(async () => (await persistenceStatus()) === 'err', 'the failed save');
    },
    off: async () => {
      await admin.config('SET', 'dir', server.dir);
      await admin.bgsave();
      await waitFor(async () => (await persistenceStatus()) === 'ok', 'a save that succeeds');
      await admin.config('SET', 'save', '');
    },
    words: /cannot save to disk/,
    fix: /free space on its disk or make its dir writable \(its log names the failed save\), then BGSAVE/,
  },
  READONLY: {
    // Port 1: no primary answers there, and the replica refuses writes all the same.
    on: () => admin.replicaof('127.0.0.1', 1),
    off: () => admin.replicaof('NO', 'ONE'),
    words: /is a read-only replica/,
    fix: /point REDIS_URL at the primary, or use a redis\+sentinel:\/\/ URL/,
  },
};

async function cli(argv: string[]) {
  const env = { REDIS_URL: server.url, SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off' };
  return runSmsqInProcess(argv, { env });
}

beforeAll(async () => {
  server = await startPrivateRedis({ protectedConfigs: true });
  admin = new Redis(server.url);
  admin.on('error', () => {});
  h = await createHarness({ label: 'refusals', redisUrl: server.url });
  // The send the controls act on is held by quiet hours around now (a marketing send): never sent
  // before they act on it, as a loaded machine's worker sent a notification first (a pause of a
  // send already sent writes nothing, and Redis let it through).
  const minute = Math.floor(((Date.now() + 8 * 3_600_000) % 86_400_000) / 60_000);
  await h.startWorker({ quietHours: { startMinute: (minute + 1380) % 1440, endMinute: (minute + 120) % 1440 } });
  const reports = ingestFor(h);
  closeIngest = reports.close;
  app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { basicAuth: LOGIN, readOnly: false }, reports: { ingest: reports.ingest, token: REPORT_TOKEN } });
  sendId = (await h.producer.send({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: '会员' }, phones: ['13852000001'], kind: 'marketing' })).sendId;
  campaignFile = tempFileWriter('refusals')('list.csv', 'phone\n13852000002\n13852000003\n');
  await waitFor(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, 'a ready server');
}, 60_000);

afterAll(async () => {
  await app?.close();
  await closeIngest?.();
  await h?.close();
  admin?.disconnect();
  await server?.stop();
});

/** `mayPass`: a command Redis may let through (a read; under OOM, the DEL of a `resume` with no block to lift, as DEL frees memory). */
const COMMANDS: { argv: () => string[]; outcome: RegExp; mayPass?: boolean }[] = [
  { argv: () => ['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes'], outcome: /nothing was enqueued/ },
  { argv: () => ['campaign', '--file', campaignFile, '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"会员"}', '--yes'], outcome: /nothing was enqueued/ },
  { argv: () => ['campaign', 'pause', sendId], outcome: /the pause was not applied/ },
  { argv: () => ['campaign', 'resume', sendId], outcome: /the resume was not applied/ },
  { argv: () => ['resume'], outcome: /the resume \(lifting the account block\) was not done/, mayPass: true },
  { argv: () => ['repair'], outcome: /the repair sweep was not done/ },
  { argv: () => ['status', sendId], outcome: /nothing was changed/, mayPass: true },
];

describe.each(Object.entries(CONDITIONS))('Redis refusing writes (%s)', (name, condition) => {
  beforeAll(async () => {
    await condition.on();
  }, 30_000);
  afterAll(async () => {
    await condition.off();
  }, 30_000);

  it('the CLI exits 3 with one line naming REDIS_URL, the condition, what was left and the fix', async () => {
    for (const command of COMMANDS) {
      const run = await cli(command.argv());
      if (command.mayPass && run.code === 0) continue;
      const said = `${command.argv().join(' ')} -> ${run.code}: ${run.stderr}`;
      expect(run.code, said).toBe(3);
      const line = run.stderr.split('\n').find((l) => l.startsWith('error'));
      // A producer's durability check finds the replica before its first write, and says so.
      if (name === 'READONLY' && line?.startsWith('error SMSQ_REDIS_NOT_DURABLE')) {
        expect(line, said).toMatch(/not a primary.*point REDIS_URL at the primary/);
        continue;
      }
      expect(line, said).toContain(`REDIS_URL=${server.url}`);
      expect(line, said).toMatch(condition.words);
      expect(line, said).toMatch(condition.fix);
      expect(line, said).toMatch(command.outcome);
      expect(line, said).toContain(`(${name} `);
      expect(line, said).not.toMatch(/EXECABORT|script: /);
    }
  });

  it('a producer\'s events() says its consumer was not made, not that "nothing was enqueued" (it enqueues nothing)', async () => {
    const err = await h.producer.events({ group: `refusals-${name}`, consumer: 'c1' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const said = String(err);
    if (name === 'READONLY' && err instanceof NotDurableError) return;
    expect(err, said).toBeInstanceOf(RedisWritesRefusedError);
    expect(said).toMatch(condition.words);
    expect(said).toContain('. Fix: ');
    expect(said).toContain(`the creation of the events consumer c1 of group refusals-${name} was not done: nothing was changed`);
    expect(said).not.toMatch(/enqueue/);
  });

  it('a MULTI Redis discarded (EXECABORT) is named by the refusal under it', async () => {
    const err = await admin
      .multi()
      .set('refusals:probe', '1')
      .exec()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(String(err)).toMatch(/EXECABORT/);
    expect(writeRefusal(err)?.kind).toBe(name);
  });

  it('the REST routes answer 503 SMSQ_REDIS_WRITES_REFUSED naming the condition and the fix; /readyz says it, and /metrics agrees', async () => {
    const posts = [
      { url: '/v1/messages', payload: { ...NOTE, phones: ['13800138009'] } },
      { url: '/v1/campaigns', payload: { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: '会员' }, recipients: [{ phone: '13800138010' }] } },
      { url: `/v1/sends/${sendId}/pause`, payload: {} },
    ];
    for (const post of posts) {
      const res = await app.inject({ method: 'POST', url: post.url, headers: AUTH, payload: post.payload });
      const said = `${post.url} -> ${res.statusCode} ${res.body}`;
      expect(res.statusCode, said).toBe(503);
      const { error } = res.json<{ error: { code: string; message: string } }>();
      if (name === 'READONLY' && error.code === 'SMSQ_REDIS_NOT_DURABLE') {
        expect(error.message, said).toMatch(/not a primary/);
        continue;
      }
      expect(error.code, said).toBe('SMSQ_REDIS_WRITES_REFUSED');
      expect(error.message, said).toMatch(condition.words);
      expect(error.message, said).not.toContain(server.url);
      expect(res.headers['retry-after'], said).toBeDefined();
    }
    // A push is no enqueue: said in a push's words, what it left and that Alibaba pushes it again.
    const push = await app.inject({
      method: 'POST',
      url: '/v1/reports/sms-report',
      headers: { 'x-smsq-report-token': REPORT_TOKEN },
      payload: [{ phone_number: '13852000001', success: true, err_code: 'DELIVERED', biz_id: 'b^0', out_id: `${sendId}.0.1-abc` }],
    });
    const pushSaid = `push -> ${push.statusCode} ${push.body}`;
    expect(push.statusCode, pushSaid).toBe(503);
    const pushed = push.json<{ error: { code: string; message: string } }>().error;
    if (!(name === 'READONLY' && pushed.code === 'SMSQ_REDIS_NOT_DURABLE')) {
      expect(pushed.code, pushSaid).toBe('SMSQ_REDIS_WRITES_REFUSED');
      expect(pushed.message, pushSaid).toMatch(condition.words);
      expect(pushed.message, pushSaid).toMatch(/the push was not applied, or only in part: Alibaba pushes it again/);
      expect(pushed.message, pushSaid).not.toMatch(/enqueue/);
      expect(pushed.message, pushSaid).not.toContain(server.url);
      expect(push.headers['retry-after'], pushSaid).toBeDefined();
    }
    const page = await app.inject({ url: '/admin/campaigns', headers: BASIC });
    expect(page.statusCode, page.body).not.toBe(500);
    const board = await app.inject({ url: '/admin/queues/api/queues', headers: BASIC });
    if (board.statusCode !== 200) {
      expect(board.statusCode, board.body).toBe(503);
      expect(board.body).toMatch(condition.words);
    }

    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode, ready.body).toBe(503);
    expect(ready.body).toMatch(condition.words);
    expect(ready.body).not.toMatch(/does not answer/);
    const metrics = await app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/^smsq_redis_up 0$/m);
  });
});

describe('Redis refusing smsq\'s credentials on a reconnect (NOAUTH: requirepass set under a running server)', () => {
  let password: PasswordUnder;
  beforeAll(async () => {
    password = await requirePasswordUnder(server.url, 'refusals-password', h.redis, [h.redis, admin]);
  }, 30_000);
  afterAll(() => password.lift(), 40_000);

  it('/v1 and the board answer SMSQ_REDIS_AUTH in its words, not SMSQ_INTERNAL or ioredis\'s "Stream isn\'t writeable"', async () => {
    // Until a reconnect has been refused, the link is only lost.
    const post = () => app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { ...NOTE, phones: ['13800138011'] } });
    const sent = await waitFor(async () => {
      const res = await post();
      return res.json<{ error: { code: string } }>().error.code === 'SMSQ_REDIS_UNAVAILABLE' ? undefined : res;
    }, 'a reconnect refused');
    expect(sent.json<{ error: { code: string } }>().error.code, sent.body).toBe('SMSQ_REDIS_AUTH');
    const board = await app.inject({ url: '/admin/queues/api/queues', headers: BASIC });
    expect(board.body).not.toMatch(/Stream isn't writeable|enableOfflineQueue/);
    expect(board.body, board.body).toMatch(/SMSQ_REDIS_AUTH|SMSQ_REDIS_UNAVAILABLE/);
  });
});

describe('smsq resume and smsq repair against a frozen Redis', () => {
  it('say the task was not done and nothing was changed (they enqueue nothing: "nothing was enqueued" said nothing of them)', async () => {
    const closers: (() => Promise<void>)[] = [];
    const frozen = await startFreezableRedis((close) => closers.push(close));
    try {
      frozen.freeze();
      const env = { REDIS_URL: frozen.url, SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'warn', SMSQ_REDIS_CONNECT_TIMEOUT_MS: '300' };
      for (const [argv, task] of [
        [['resume'], 'resume (lifting the account block)'],
        [['repair'], 'repair sweep'],
      ] as const) {
        const run = await runSmsqInProcess(argv, { env });
        expect(run.code, run.stderr).toBe(3);
        expect(run.stderr).toContain(`REDIS_URL=${frozen.url} does not answer (no answer within 300 ms); the ${task} was not done: nothing was changed. Fix: start Redis there`);
        expect(run.stderr).not.toMatch(/nothing was enqueued/);
      }
    } finally {
      for (const close of closers) await close();
    }
  }, 30_000);
});

describe('after the conditions are lifted', () => {
  it('/readyz is ready and /metrics says smsq_redis_up 1', async () => {
    await waitFor(async () => (await app.inject({ url: '/readyz' })).statusCode === 200, 'a ready server');
    expect((await app.inject({ url: '/metrics' })).body).toMatch(/^smsq_redis_up 1$/m);
  });
});
