/**
 * A new user's campaign files that went out as text nobody wrote, through `smsq campaign --file`
 * and `POST /v1/campaigns` (the real server on the suite's Redis), to the emulator through a real
 * worker:
 *
 * 1. `.xlsx` cells that hold no text: a formula with no stored value went out as "[object Object]",
 *    an error cell as "#N/A", with 0 rows rejected; a number with decimals in the phone column was
 *    told "has 11 digits, got 12".
 * 2. A Latin-1 (or Shift-JIS) CSV without a BOM whose bytes happen to be valid GBK was read as
 *    GB18030 and sent as "M黮ler", exit 0, no word.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_USAGE } from '../../cli/errors.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { runSmsqInProcess } from '../support/cli-run.js';
import { writeWorkbook } from '../support/workbooks.js';
import { createCheckingProducer } from '../support/checking-producer.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'door-file-reading-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const NONE = { mode: 'none', sampleRate: 0 } as const;
const dir = mkdtempSync(join(tmpdir(), 'smsq-door-file-reading-'));
let h: Harness;
let app: SmsqServer;

beforeAll(async () => {
  h = await createHarness({ label: 'door-file-reading' });
  app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer: createCheckingProducer(h), logger: h.logger, apiToken: TOKEN, dashboard: { token: 'door-file-reading-dashboard-0123' } });
  await h.startWorker({ receiptPolicies: { verification: NONE, notification: NONE, marketing: NONE } });
});

afterAll(async () => {
  await app?.close();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

function cli(argv: string[]) {
  return runSmsqInProcess(argv, {
    env: { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'error', SMSQ_QUIET_HOURS: 'off' },
  });
}

/** Every key of the prefix but the account look-ups' bookkeeping: a refusal leaves it as it was. */
/** Keys a refusal must leave as they were: not the pacer, the catalog cache, nor the worker's stalled-check marks (BullMQ writes them with a TTL while it runs). */
async function keys(): Promise<string[]> {
  return (await h.redis.keys(`${h.prefix}*`)).filter((k) => !/:(pacer|catalog:.*|stalled-check)$/.test(k)).sort();
}

const SEND = ['--sign', N.sign, '--template', N.marketingTemplate];
const query = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate }).toString();

/** What the emulator showed each of `phones`, once all of them have had their message. */
async function contents(phones: readonly string[]): Promise<Map<string, string>> {
  const shown = () => new Map(h.emulator.recipients().filter((r) => phones.includes(r.phone)).map((r) => [r.phone, r.content]));
  await waitFor(() => shown().size === phones.length, `${phones.length} messages at the emulator`);
  return shown();
}

/** The marketing template's text with `name`, as the emulator shows it. */
const message = (name: string) => `【${N.sign}】${name}您好，会员日全场满100减20，详询门店。拒收请回复R`;

interface Rejected {
  input: string;
  line: number;
  reason: string;
}

describe('.xlsx cells that hold no text', () => {
  /** Row 2 on: the cells of the `name` column, by how a new user's workbook had them. */
  const rows: [string, unknown][] = [
    ['13810000001', { formula: 'C2&"先生"' }], // no stored value: written by a program that does not compute
    ['13810000002', { formula: '1/0', result: { error: '#DIV/0!' } }],
    ['13810000003', { error: '#N/A' }],
    ['13810000004', { formula: 'C5&"x"', result: '李四' }], // a stored text result: sent
    ['13810000005', { formula: '1+1', result: 2 }], // a stored number result: sent
    ['13810000006', { richText: [{ text: '王', font: { bold: true } }, { text: '五' }] }],
    ['13810000007', { text: '赵六', hyperlink: 'https://example.com/zhao' }],
    ['13810000008', '张三'],
  ];
  const REJECTED = [
    { input: '13810000001', line: 2, reason: expect.stringMatching(/^line 2: column B \("name"\) holds a formula .*no stored value.*Fix: open the workbook in Excel or WPS and save it/) },
    { input: '13810000002', line: 3, reason: expect.stringMatching(/^line 3: column B \("name"\) holds a formula whose result is an error value.*Fix: /) },
    { input: '13810000003', line: 4, reason: expect.stringMatching(/^line 4: column B \("name"\) holds the error value #N\/A.*Fix: /) },
  ];
  const SENT = { '13810000004': '李四', '13810000005': '2', '13810000006': '王五', '13810000007': '赵六', '13810000008': '张三' };

  async function book(name: string): Promise<string> {
    return writeWorkbook(join(dir, name), [{ name: '名单', rows: [['phone', 'name'], ...rows.map(([phone, cell]) => [phone, cell])] }]);
  }

  it('smsq campaign --dry-run counts them rejected, each naming its row, its column and the fix (it said 0 rejected)', async () => {
    const before = await keys();
    const r = await cli(['campaign', '--file', await book('dry.xlsx'), ...SEND, '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { plan } = JSON.parse(r.stdout) as { plan: { rejected: Rejected[]; rejectedCount: number } };
    expect(plan.rejectedCount).toBe(3);
    expect(plan.rejected).toEqual(REJECTED);
    expect(await keys()).toEqual(before);
  });

  it('smsq campaign --yes and POST /v1/campaigns: those rows are not sent; a stored formula result, rich text and a link cell go out as the sheet shows them (the emulator got "[object Object]您好" and "#N/A您好")', async () => {
    const path = await book('send.xlsx');
    const r = await cli(['campaign', '--file', path, ...SEND, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { recipients: number; rejected: Rejected[] };
    expect(res.recipients).toBe(5);
    expect(res.rejected).toEqual(REJECTED);
    const shown = await contents(Object.keys(SENT));
    for (const [phone, name] of Object.entries(SENT)) expect(shown.get(phone)).toBe(message(name));
    const all = h.emulator.recipients().map((x) => x.content).join('\n');
    expect(all).not.toMatch(/object Object|#N\/A|#DIV|NaN/);
    expect(h.emulator.recipients().filter((x) => ['13810000001', '13810000002', '13810000003'].includes(x.phone))).toEqual([]);

    const rest = await app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...AUTH, 'content-type': XLSX_TYPE, 'idempotency-key': 'door-file-reading-xlsx' }, payload: await import('node:fs').then((fs) => fs.readFileSync(path)) });
    expect(rest.statusCode, rest.body).toBe(202);
    expect(rest.json()).toMatchObject({ recipients: 5, rejectedCount: 3, rejected: REJECTED });
  });

  it('a number with decimals in the phone column is "not a whole number", not "11 digits, got 12"', async () => {
    const path = await writeWorkbook(join(dir, 'fraction.xlsx'), [{ name: 's', rows: [['phone', 'name'], [13800138042.7, '张三'], [13800138043, '李四']] }]);
    const r = await cli(['campaign', '--file', path, ...SEND, '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { plan } = JSON.parse(r.stdout) as { plan: { rejected: Rejected[] } };
    expect(plan.rejected).toEqual([{ input: '13800138042.7', line: 2, reason: expect.stringMatching(/^line 2: column A \("phone"\) holds a number with decimals, not a whole number.*Fix: /) }]);
    expect(plan.rejected[0]?.reason).not.toMatch(/11 digits/);
  });
});

describe('a CSV in another encoding than UTF-8 or GBK, without a BOM', () => {
  const latin1 = Buffer.from('phone,name\n13820000001,M\xfcller\n13820000002,G\xf6rans\n', 'latin1');
  const shiftJis = iconv.encode('phone,name\n13820000003,山田太郎\n13820000004,佐藤花子\n', 'shift_jis');

  it.each([
    ['Latin-1 (Windows-1252)', 'latin1.csv', latin1],
    ['Shift-JIS', 'sjis.csv', shiftJis],
  ])('%s: smsq campaign --yes refuses it, naming --encoding and the fix, writing nothing (it sent "M黮ler", exit 0)', async (_label, name, bytes) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    const before = await keys();
    const sent = h.emulator.recipients().length;
    const r = await cli(['campaign', '--file', path, ...SEND, '--yes']);
    expect(r.code, r.stdout).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(/file:2: .*not UTF-8.*GBK.*\(nothing was enqueued\)\. Fix: save the file as "CSV UTF-8".*--encoding gb18030/s);
    expect(await keys()).toEqual(before);
    expect(h.emulator.recipients().length).toBe(sent);
  });

  it('POST /v1/campaigns: 400, the fix naming ?encoding=', async () => {
    const before = await keys();
    const rest = await app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: latin1 });
    expect(rest.statusCode, rest.body).toBe(400);
    expect(rest.json().error.issues).toEqual([{ field: '(body):2', message: expect.stringMatching(/not UTF-8.*Fix: .*`\?encoding=gb18030`/) }]);
    expect(await keys()).toEqual(before);
  });

  it('a GBK list of Chinese names, rare characters among them (喆, 堃, 犇 are GBK, not GB2312), is read without a flag', async () => {
    const names = ['张喆', '王堃', '李淼', '赵犇', '陈伟', '刘洋', '杨静', '黄磊'];
    const phones = names.map((_, i) => `138300000${String(i + 10)}`);
    const path = join(dir, 'gbk-rare.csv');
    writeFileSync(path, iconv.encode(`phone,name\r\n${names.map((n, i) => `${phones[i]},${n}`).join('\r\n')}\r\n`, 'gbk'));
    const r = await cli(['campaign', '--file', path, ...SEND, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ recipients: names.length, rejectedCount: 0 });
    const shown = await contents(phones);
    names.forEach((n, i) => expect(shown.get(phones[i] as string)).toBe(message(n)));
  });

  it('a GBK list whose Chinese is mostly rare characters is refused as doubtful; named with --encoding gb18030 it is read', async () => {
    const path = join(dir, 'gbk-all-rare.csv');
    writeFileSync(path, iconv.encode('phone,name\n13840000001,喆\n13840000002,堃犇\n', 'gbk'));
    const refused = await cli(['campaign', '--file', path, ...SEND, '--yes']);
    expect(refused.code, refused.stdout).toBe(EXIT_USAGE);
    expect(refused.stderr).toMatch(/--encoding gb18030/);
    const r = await cli(['campaign', '--file', path, ...SEND, '--encoding', 'gb18030', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const shown = await contents(['13840000001', '13840000002']);
    expect(shown.get('13840000002')).toBe(message('堃犇'));
  });
});
