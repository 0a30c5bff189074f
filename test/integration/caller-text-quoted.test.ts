/**
 * A caller's own text in a refusal, through the two surfaces that rewrite the settings a message
 * names (src/setting-mention.ts): a real `smsq` process on real files, and the server on the
 * suite's Redis with the emulator. A file, a sheet, a signature or an encoding named with
 * `` `redis` `` in it was printed as REDIS_URL (`nopeREDIS_URL.csv cannot be read`), the CLI and
 * the server reading the caller's backticks as a mention. Each is quoted as JSON, its backticks
 * `\u0060` (`quoted()`), and reaches the caller as written; each refusal leaves Redis as it was.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '../../producers/producer.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { spawnSmsq, SPAWNED_MS } from '../support/cli-process.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { tempFileWriter } from '../support/temp-files.js';
import { writeWorkbook, type SheetRows } from '../support/workbooks.js';
import { createCheckingProducer } from '../support/checking-producer.js';

const TOKEN = 'caller-text-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** How `x`redis`y` reads quoted: JSON, its backticks escaped. */
const QUOTED = (text: string) => JSON.stringify(text).replaceAll('`', '\\u0060');

const dir = mkdtempSync(join(tmpdir(), 'smsq-caller-text-'));
let h: Harness;
let app: SmsqServer;
let producer: Producer;

beforeAll(async () => {
  h = await createHarness({ label: 'caller-text' });
  // The account check at the door, as `smsq server` has it: a signature is looked up.
  producer = createCheckingProducer(h);
  app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'caller-text-dashboard-0123456789' } });
});

afterAll(async () => {
  await app?.close();
  await producer?.close();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every key of the prefix but the account look-ups' bookkeeping: a refusal leaves it as it was. */
async function keys(): Promise<string[]> {
  return (await h.redis.keys(`${h.prefix}*`)).filter((k) => !/:(pacer|catalog:.*)$/.test(k)).sort();
}

const fileOf = tempFileWriter('smsq-caller-text-');

function workbook(name: string, sheets: SheetRows[]): Promise<string> {
  return writeWorkbook(join(dir, name), sheets);
}

/** A real `smsq` on the suite's Redis and the harness's emulator. */
function smsq(args: string[]) {
  return spawnSmsq(args, { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'error', SMSQ_QUIET_HOURS: 'off' });
}

/** `smsq campaign` as a real process, on the suite's Redis and the harness's emulator: its stderr and exit code. */
async function campaign(args: string[]): Promise<{ code: number | string; stderr: string }> {
  const run = smsq(['campaign', '--template', N.marketingTemplate, '--param', '{"name":"会员"}', '--yes', ...args]);
  return { code: await run.exited, stderr: run.stderr };
}

function upload(query: Record<string, string>, contentType: string, body: Buffer | string) {
  const q = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: '{"name":"会员"}', ...query });
  return app.inject({ method: 'POST', url: `/v1/campaigns?${q}`, headers: { ...AUTH, 'content-type': contentType }, payload: body });
}

/** The caller's text is there quoted, and nothing of it was read as a setting. */
function expectQuoted(text: string, ...given: string[]): void {
  for (const g of given) expect(text).toContain(QUOTED(g));
  expect(text).not.toMatch(/REDIS_URL|SMSQ_PREFIX/);
}

describe('a file name, a sheet, a signature and an encoding in a refusal of smsq campaign (a real process)', () => {
  it('a recipient file that cannot be read, by its name', { timeout: SPAWNED_MS }, async () => {
    const before = await keys();
    const path = join(dir, 'nope`redis`.csv');
    const res = await campaign(['--sign', N.sign, '--file', path]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(`${QUOTED(path)} cannot be read (ENOENT`);
    expectQuoted(res.stderr, path);
    expect(await keys()).toEqual(before);
  });

  it('a file named .xlsx that is no workbook, by its name', { timeout: SPAWNED_MS }, async () => {
    const before = await keys();
    const path = fileOf('bad`redis`.xlsx', 'phone\n13800138000\n');
    const res = await campaign(['--sign', N.sign, '--file', path]);
    expect(res.stderr).toContain(`${QUOTED(path)} could not be read as an .xlsx workbook`);
    expectQuoted(res.stderr, path);
    expect(await keys()).toEqual(before);
  });

  it('a sheet the workbook does not have, and the sheets it has', { timeout: SPAWNED_MS }, async () => {
    const path = await workbook('sheets.xlsx', [{ name: 'No`redis`te', rows: [['phone']] }, { name: 'Li`prefix`st', rows: [['phone'], ['13800138000']] }]);
    const before = await keys();
    const res = await campaign(['--sign', N.sign, '--file', path, '--sheet', 'S`redis`']);
    expect(res.stderr).toContain(`has no sheet named ${QUOTED('S`redis`')} (its sheets: ${QUOTED('No`redis`te')}, ${QUOTED('Li`prefix`st')})`);
    expectQuoted(res.stderr);
    expect(await keys()).toEqual(before);
  });

  it('the first sheet holding no recipient, and the other sheets with rows', { timeout: SPAWNED_MS }, async () => {
    const path = await workbook('first-empty.xlsx', [{ name: 'No`redis`te', rows: [['phone']] }, { name: 'Li`prefix`st', rows: [['phone'], ['13800138000']] }]);
    const before = await keys();
    const res = await campaign(['--sign', N.sign, '--file', path]);
    expect(res.stderr).toContain(`sheet ${QUOTED('No`redis`te')} (the first) holds no recipient`);
    expect(res.stderr).toContain(`other sheets with rows: ${QUOTED('Li`prefix`st')}`);
    expect(res.stderr).not.toContain('REDIS_URL');
    expect(await keys()).toEqual(before);
  });

  it('a signature the account does not have', { timeout: SPAWNED_MS }, async () => {
    const path = fileOf('list.csv', 'phone,name\n13800138000,Li\n');
    const before = await keys();
    const res = await campaign(['--sign', 'b`redis`', '--file', path]);
    expect(res.stderr).toContain(`signature ${QUOTED('b`redis`')} is not in this account`);
    expectQuoted(res.stderr);
    expect(await keys()).toEqual(before);
  });

  it('an encoding that is none', { timeout: SPAWNED_MS }, async () => {
    const path = fileOf('list2.csv', 'phone,name\n13800138000,Li\n');
    const before = await keys();
    const res = await campaign(['--sign', N.sign, '--file', path, '--encoding', 'x`redis`']);
    expect(res.stderr).toContain(`unknown encoding ${QUOTED('x`redis`')}`);
    expectQuoted(res.stderr);
    expect(await keys()).toEqual(before);
  });
});

describe('a column name in a refusal of smsq send-batch (a real process)', () => {
  it('a CSV column that is no variable of the template, by its name', { timeout: SPAWNED_MS }, async () => {
    const path = fileOf('batch.csv', `phone,sign,name,na\`redis\`me\n13800138000,${N.sign},Li,x\n`);
    const before = await keys();
    const run = smsq(['send-batch', '--template', N.marketingTemplate, '--file', path]);
    expect(await run.exited).not.toBe(0);
    expect(run.stderr).toContain(`column ${QUOTED('na`redis`me')} is not a variable of the template`);
    expectQuoted(run.stderr);
    expect(await keys()).toEqual(before);
  });
});

describe('a sheet, an encoding and a signature in a refusal of the server', () => {
  it('an upload naming a sheet the workbook does not have', async () => {
    const path = await workbook('upload.xlsx', [{ name: 'Li`redis`st', rows: [['phone'], ['13800138000']] }]);
    const before = await keys();
    const res = await upload({ sheet: 'S`redis`' }, XLSX_TYPE, readFileSync(path));
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('REDIS_URL');
    const message = (res.json() as { error: { issues: { message: string }[] } }).error.issues[0]!.message;
    expect(message).toContain(`has no sheet named ${QUOTED('S`redis`')} (its sheets: ${QUOTED('Li`redis`st')})`);
    expect(await keys()).toEqual(before);
  });

  it('an upload naming an encoding that is none', async () => {
    const before = await keys();
    const res = await upload({ encoding: 'x`redis`' }, 'text/csv', 'phone\n13800138000\n');
    expect(res.statusCode).toBe(400);
    const message = (res.json() as { error: { issues: { message: string }[] } }).error.issues[0]!.message;
    expect(message).toContain(`unknown encoding ${QUOTED('x`redis`')}`);
    expect(res.body).not.toContain('REDIS_URL');
    expect(await keys()).toEqual(before);
  });

  it('a message with a signature the account does not have', async () => {
    const before = await keys();
    const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: ['13800138000'], signName: 'b`redis`', templateCode: N.marketingTemplate, templateParam: { name: 'Li' } } });
    expect(res.statusCode).toBe(400);
    const message = (res.json() as { error: { issues: { message: string }[] } }).error.issues[0]!.message;
    expect(message).toContain(`signature ${QUOTED('b`redis`')} is not in this account`);
    expect(res.body).not.toContain('REDIS_URL');
    expect(await keys()).toEqual(before);
  });
});

describe('a caller\'s text in a log line of smsq and smsq server (their logger names settings as the environment does)', () => {
  it('a cancel reason is logged as the caller gave it, while the line\'s own words are still the environment\'s', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    // The logger smsq and smsq server make (cli/context.ts), on the producer they run.
    const logger = createLogger({ level: 'info', environmentTerms: true }, stream);
    const logged = createProducer({ redis: h.producerRedis, prefix: h.prefix, logger });
    try {
      const { sendId } = await logged.send({ phones: ['13800000111'], signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'Li' } });
      const reason = 'wrong list: see `redis` ticket 12, `prefix` too';
      await logged.cancel(sendId, reason);
      const line = lines.find((l) => l.msg === 'send cancelled');
      expect(line).toMatchObject({ sendId, reason });
      // A line of smsq's own words is still said in the environment's.
      logger.warn({ err: 'raise `connectTimeoutMs`' }, 'Redis slow: raise `connectTimeoutMs`');
      expect(lines.at(-1)).toMatchObject({ err: 'raise SMSQ_REDIS_CONNECT_TIMEOUT_MS', msg: 'Redis slow: raise SMSQ_REDIS_CONNECT_TIMEOUT_MS' });
    } finally {
      await logged.close();
    }
  });
});
