/**
 * Campaign lists as people have them, through the three front ends (the producer API, `smsq
 * campaign --file`, `POST /v1/campaigns`) against the private Redis and the emulator: real GBK,
 * UTF-16 and .xlsx files built here (iconv-lite, exceljs). A refused file names the field and the
 * fix and leaves Redis as it was (no send, chunk, job or idempotency key); a good one stores its
 * Chinese params intact and rejects its bad rows one by one, with their lines.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecipientsFile } from '../../producers/recipient-file.js';
import { EXIT_USAGE } from '../../cli/errors.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { ValidationError } from '../../src/errors.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { type Producer } from '../../producers/producer.js';
import { createKeys } from '../../src/queue/keys.js';
import { systemClock } from '../../src/clock.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { runSmsqInProcess } from '../support/cli-run.js';
import { writeWorkbook, type SheetRows } from '../support/workbooks.js';
import { createCheckingProducer } from '../support/checking-producer.js';

const TOKEN = 'test-api-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const SETTINGS = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: '会员' } };

const dir = mkdtempSync(join(tmpdir(), 'smsq-files-'));
let h: Harness;
let app: SmsqServer;
/** A producer that checks the account, as `smsq serve` and the CLI have: the template's variables are known at the door. */
let producer: Producer;

beforeAll(async () => {
  h = await createHarness({ label: 'files' });
  producer = createCheckingProducer(h);
  app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer, logger: h.logger, apiToken: TOKEN, dashboard: { basicAuth: { user: 'ops', password: 'dashboard-password-1' } } });
});

afterAll(async () => {
  await app?.close();
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Every key of this test's prefix but the bookkeeping of the account look-ups at the door (the
 * catalog cache, the call pacer): a refusal must leave the set as it was, with no send, chunk, job
 * or idempotency key.
 */
const NOT_A_SEND = /:(pacer|catalog:.*)$/;
async function keys(): Promise<string[]> {
  return (await h.redis.keys(`${h.prefix}*`)).filter((k) => !NOT_A_SEND.test(k)).sort();
}

function fileOf(name: string, bytes: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function workbook(name: string, sheets: SheetRows[]): Promise<string> {
  return writeWorkbook(join(dir, name), sheets);
}


async function cli(argv: string[]) {
  return cliWith({}, argv);
}

async function cliWith(extra: Record<string, string>, argv: string[]) {
  const env = {
    ...extra,
    REDIS_URL: testRedisUrl(),
    SMSQ_PREFIX: h.prefix,
    SMS_MODE: 'sandbox',
    SMS_ENDPOINT: h.endpoint,
    LOG_LEVEL: 'warn',
    SMSQ_QUIET_HOURS: 'off',
  };
  return runSmsqInProcess(argv, { env });
}

const CLI_SEND = ['--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"会员"}', '--yes', '--json'];

/** A bad file, how it is made, and what its refusal must say. */
interface RefusedFile {
  name: string;
  /** The file's bytes, or a path builder (workbooks); undefined for a file that is not there. */
  make: () => Promise<string>;
  /** REST: the body's media type and extra query (undefined: not a REST case). */
  rest?: { type: string; query?: Record<string, string> };
  /** Extra CLI flags and producer-API reader options. */
  flags?: string[];
  options?: Parameters<typeof readRecipientsFile>[1];
  /** The field of the first issue (`file` or `file:LINE`; REST says `(body)` instead of `file`). */
  field: string;
  /** What the message must say (the fault and the fix; a setting named as the producer API's field). */
  message: RegExp;
  /** What it must say through the CLI, when its fix names a setting: as a flag. */
  cliMessage?: RegExp;
  /** What it must say through REST, when its fix names a setting: as a query parameter. */
  restMessage?: RegExp;
  /** The field through REST, when it is a query parameter (`query.sheet`). */
  restField?: string;
}

const gbk = (text: string) => iconv.encode(text, 'gbk');
const utf8 = (text: string) => Buffer.from(text, 'utf8');

const REFUSED: RefusedFile[] = [
  { name: 'an empty file', make: async () => fileOf('empty.csv', ''), rest: { type: 'text/csv' }, field: 'file', message: /holds no recipient: it is empty or has only a header.*Fix: one row per recipient/ },
  { name: 'a header-only file', make: async () => fileOf('header.csv', 'phone,name\r\n'), rest: { type: 'text/csv' }, field: 'file', message: /holds no recipient.*Fix:/ },
  { name: 'blank lines only', make: async () => fileOf('blank.csv', '\n\n  \n'), rest: { type: 'text/csv' }, field: 'file', message: /holds no recipient/ },
  {
    name: 'a file with no valid recipient',
    make: async () => fileOf('invalid.csv', 'phone,name\n12345,Li\nnot-a-number,Wang\n'),
    rest: { type: 'text/csv' },
    field: 'file',
    // The rows follow, an issue each at its line (test/integration/door-campaign-refusal.test.ts).
    message: /holds no valid recipient: all 2 rows were rejected \(nothing was enqueued\)\. Fix: correct the rows and send the file again(?!\. The rows)/,
  },
  {
    name: 'a header naming no phone column',
    make: async () => fileOf('unknown-header.csv', 'name,city\nLi,Beijing\n'),
    rest: { type: 'text/csv' },
    field: 'file:1',
    message: /names no phone column.*Fix: name the number column one of phone, .*手机号.*电话/,
  },
  {
    name: 'a header line longer than 64 Ki characters',
    make: async () => fileOf('long-header.csv', `phone,${'n'.repeat(70_000)}\n13800138000,Li\n`),
    rest: { type: 'text/csv' },
    field: 'file:1',
    message: /line 1 is longer than 65,536 characters.*it is the header naming the columns \(nothing was enqueued\)\. Fix: the column names on the first line/,
  },
  {
    name: 'bytes that are neither UTF-8 nor GBK',
    make: async () => fileOf('garbled.csv', Buffer.concat([Buffer.from('phone,name\n13800138000,Li\n13800138001,'), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('\n')])),
    rest: { type: 'text/csv' },
    field: 'file:3',
    // It named both surfaces to each caller: "--encoding (REST: ?encoding=)".
    message: /line 3 holds bytes that are neither UTF-8 nor GBK\/GB18030.*Fix: save the file as "CSV UTF-8".*, or name its encoding with `encoding`, one of utf-8/,
    cliMessage: /line 3 holds bytes that are neither UTF-8 nor GBK\/GB18030.*Fix: save the file as "CSV UTF-8".*, or name its encoding with `--encoding`, one of utf-8/,
    restMessage: /line 3 holds bytes that are neither UTF-8 nor GBK\/GB18030.*Fix: save the file as "CSV UTF-8".*, or name its encoding with `\?encoding=`, one of utf-8/,
  },
  {
    // The user trial: told the header "桰湯ⱥ慮敭…" names no phone column, and nothing of why.
    name: 'a UTF-8 file named UTF-16LE',
    make: async () => fileOf('utf8-as-utf16.csv', 'phone,name\n13800138000,Li\n'),
    rest: { type: 'text/csv', query: { encoding: 'utf-16le' } },
    flags: ['--encoding', 'utf-16le'],
    options: { encoding: 'utf-16le' },
    field: 'file:1',
    message:
      /^the header \("桰湯ⱥ慮敭…", 13 characters\) names no phone column read as UTF-16LE, but the file reads as UTF-8 \(its header then names the phone column "phone"\); `encoding: "utf-16le"` is likely wrong\. Fix: leave `encoding` out or give `encoding: "utf-8"`$/,
    cliMessage: /names no phone column read as UTF-16LE, but the file reads as UTF-8 \(its header then names the phone column "phone"\); `--encoding utf-16le` is likely wrong\. Fix: leave `--encoding` out or give `--encoding utf-8`/,
    restMessage: /names no phone column read as UTF-16LE, but the file reads as UTF-8 \(its header then names the phone column "phone"\); `\?encoding=utf-16le` is likely wrong\. Fix: leave `\?encoding=` out or give `\?encoding=utf-8`$/,
  },
  {
    name: 'a UTF-16LE file without a byte-order mark named UTF-8',
    make: async () => fileOf('utf16-as-utf8.csv', Buffer.from('mobile,name\n13800138000,Li\n', 'utf16le')),
    rest: { type: 'text/csv', query: { encoding: 'utf-8' } },
    flags: ['--encoding', 'utf-8'],
    options: { encoding: 'utf-8' },
    field: 'file:1',
    // Without a byte-order mark UTF-16 is not recognised: the fix is to name it.
    message: /names no phone column read as UTF-8, but the file reads as UTF-16LE \(its header then names the phone column "mobile"\); `encoding: "utf-8"` is likely wrong\. Fix: give `encoding: "utf-16le"`$/,
    cliMessage: /but the file reads as UTF-16LE \(its header then names the phone column "mobile"\); `--encoding utf-8` is likely wrong\. Fix: give `--encoding utf-16le`/,
    restMessage: /but the file reads as UTF-16LE \(its header then names the phone column "mobile"\); `\?encoding=utf-8` is likely wrong\. Fix: give `\?encoding=utf-16le`$/,
  },
  {
    name: 'a GBK file named UTF-8',
    make: async () => fileOf('gbk-as-utf8.csv', gbk('phone,name\n13800138000,张三\n')),
    rest: { type: 'text/csv', query: { encoding: 'utf-8' } },
    flags: ['--encoding', 'utf-8'],
    options: { encoding: 'utf-8' },
    field: 'file:2',
    message: /line 2 holds bytes that are not valid UTF-8.*Fix:.*, or name its encoding with `encoding`, one of/,
    cliMessage: /line 2 holds bytes that are not valid UTF-8.*Fix:.*, or name its encoding with `--encoding`, one of/,
    restMessage: /line 2 holds bytes that are not valid UTF-8.*Fix:.*, or name its encoding with `\?encoding=`, one of/,
  },
  {
    // The user trial: read as GBK whole, the UTF-8 rows became 寮犱笁-style names.
    name: 'a UTF-8 file with a GBK row pasted in',
    make: async () => fileOf('utf8-gbk-row.csv', Buffer.concat([utf8('phone,name\n13800138000,张三\n13800138001,李四\n'), gbk('13800138002,王五\n'), utf8('13800138003,赵六\n')])),
    rest: { type: 'text/csv' },
    field: 'file:4',
    message: /line 4 holds bytes that are not valid UTF-8, though the file's Chinese text is UTF-8 \(3 lines, from line 2\).*would be garbled \(nothing was enqueued\)\. Fix: bring every row into one encoding, UTF-8/,
  },
  {
    name: 'a mostly UTF-8 file whose first Chinese row is GBK',
    make: async () => fileOf('gbk-row-first.csv', Buffer.concat([utf8('phone,name\n'), gbk('13800138000,张三\n'), utf8('13800138001,李四\n13800138002,王五\n')])),
    rest: { type: 'text/csv' },
    field: 'file:2',
    message: /line 2 holds bytes that are not valid UTF-8, though the file's Chinese text is UTF-8 \(2 lines, from line 3\).*Fix: bring every row into one encoding/,
  },
  {
    name: 'a GBK file with UTF-8 rows appended',
    make: async () => fileOf('gbk-utf8-rows.csv', Buffer.concat([gbk('phone,name\n13800138000,张三\n13800138001,李四\n13800138002,王五\n'), utf8('13800138003,赵六\n13800138004,孙七\n')])),
    rest: { type: 'text/csv' },
    field: 'file:5',
    message: /line 5 is UTF-8 text in a file read as GBK\/GB18030 \(3 lines are GBK, from line 2\).*would be garbled \(nothing was enqueued\)\. Fix: bring every row into one encoding, UTF-8/,
  },
  {
    name: 'a GBK file with a UTF-8 row, named GBK',
    make: async () => fileOf('gbk-named-utf8-row.csv', Buffer.concat([gbk('phone,name\n13800138000,张三\n'), utf8('13800138001,李四\n')])),
    rest: { type: 'text/csv', query: { encoding: 'gbk' } },
    flags: ['--encoding', 'gbk'],
    options: { encoding: 'gb18030' },
    field: 'file:3',
    message: /line 3 is UTF-8 text in a file read as GBK\/GB18030 \(as named; 1 line is GBK, from line 2\).*Fix: bring every row into one encoding/,
  },
  {
    name: 'a GBK file with bytes valid in neither on a later line',
    make: async () => fileOf('gbk-garbled.csv', Buffer.concat([gbk('phone,name\n13800138000,张三\n13800138001,'), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('\n')])),
    rest: { type: 'text/csv' },
    field: 'file:3',
    message: /line 3 holds bytes that are neither UTF-8 nor GBK\/GB18030/,
  },
  {
    name: 'UTF-16 LE without a byte-order mark',
    make: async () => fileOf('utf16-nobom.csv', Buffer.from('phone\n13800138000\n', 'utf16le')),
    rest: { type: 'text/csv' },
    field: 'file',
    message: /NUL bytes where UTF-16LE text has them, without a byte-order mark.*Fix: name it with `encoding: "utf-16le"`, or save/,
    cliMessage: /NUL bytes where UTF-16LE text has them, without a byte-order mark.*Fix: name it with `--encoding utf-16le`, or save/,
    restMessage: /NUL bytes where UTF-16LE text has them, without a byte-order mark.*Fix: name it with `\?encoding=utf-16le`, or save/,
  },
  {
    name: 'UTF-16 LE without a byte-order mark, Chinese names with NULs of their own (一 is U+4E00)',
    make: async () => fileOf('utf16-nobom-zh.csv', Buffer.from('phone,name\n13800138000,张一鸣\n13800138001,王一\n', 'utf16le')),
    rest: { type: 'text/csv' },
    field: 'file',
    message: /NUL bytes where UTF-16LE text has them.*Fix: name it with `encoding: "utf-16le"`/,
    cliMessage: /NUL bytes where UTF-16LE text has them.*Fix: name it with `--encoding utf-16le`/,
    restMessage: /NUL bytes where UTF-16LE text has them.*Fix: name it with `\?encoding=utf-16le`/,
  },
  {
    name: 'UTF-16 BE without a byte-order mark',
    make: async () => fileOf('utf16be-nobom.csv', iconv.encode('phone\n13800138000\n', 'utf-16be')),
    rest: { type: 'text/csv' },
    field: 'file',
    message: /NUL bytes where UTF-16BE text has them.*Fix: name it with `encoding: "utf-16be"`/,
    cliMessage: /NUL bytes where UTF-16BE text has them.*Fix: name it with `--encoding utf-16be`/,
    restMessage: /NUL bytes where UTF-16BE text has them.*Fix: name it with `\?encoding=utf-16be`/,
  },
  {
    name: 'an .xlsx workbook saved under a .csv name',
    make: async () => fileOf('workbook.csv', readFileSync(await workbook('renamed.xlsx', [{ name: 'Sheet1', rows: [['phone'], ['13800138000']] }]))),
    rest: { type: 'text/csv' },
    field: 'file',
    // It named two surfaces to each caller: "give the file the .xlsx extension (REST: send it with Content-Type ...)".
    message: /is a ZIP archive \(an \.xlsx workbook is one\), not a text list \(nothing was enqueued\)\. Fix: if it is an Excel workbook, give it as one: `file: "list\.xlsx"`; otherwise save the list as "CSV UTF-8"$/,
    cliMessage: /is a ZIP archive \(an \.xlsx workbook is one\), not a text list \(nothing was enqueued\)\. Fix: if it is an Excel workbook, give it as one: `--file list\.xlsx`; otherwise save the list as "CSV UTF-8"\s*$/,
    restMessage: /is a ZIP archive \(an \.xlsx workbook is one\), not a text list \(nothing was enqueued\)\. Fix: if it is an Excel workbook, give it as one: `Content-Type: application\/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet`; otherwise save the list as "CSV UTF-8"$/,
  },
  {
    name: 'an Excel 97-2003 workbook under a .csv name',
    make: async () => fileOf('old.csv', Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)])),
    rest: { type: 'text/csv' },
    field: 'file',
    message: /is an Excel 97-2003 \(\.xls\) workbook.*Fix: save the list .* as "CSV UTF-8"/,
  },
  {
    name: 'a binary file with NUL bytes at odd and even offsets',
    make: async () => fileOf('binary.csv', Buffer.from([0x42, 0x00, 0x00, 0x13, 0x38, 0x00, 0x01, 0x02, 0x00, 0x00, 0x7f, 0x45])),
    rest: { type: 'text/csv' },
    field: 'file',
    message: /NUL bytes scattered as in a binary file: it is not a text list.*Fix: save the list/,
  },
  {
    // It was told "NUL bytes where UTF-16BE text has them ... Fix: name it with --encoding utf-16be", which reads it as garbage.
    name: 'a UTF-8 file with a stray NUL in a cell (a damaged export)',
    make: async () => fileOf('stray-nul.csv', Buffer.from('phone,name\n13800138000,Li\u0000Wang\n13900139000,Zhao\n')),
    rest: { type: 'text/csv' },
    field: 'file:2',
    message: /line 2 holds a NUL byte, which no text list has \(nothing was enqueued\)\. Fix: remove it/,
  },
  {
    name: 'a workbook whose header names a variable in the wrong case',
    make: () => workbook('case.xlsx', [{ name: 'Sheet1', rows: [['手机号', 'Name'], [13800138000, 'Li']] }]),
    rest: { type: XLSX_TYPE },
    field: 'file:1',
    message: /column "Name" is not a variable of template SMS_900000003 .*Fix: rename the column "name" to give each recipient their own value/,
  },
  {
    name: 'a header column named after a variable in the wrong case',
    make: async () => fileOf('case.csv', 'phone,Name\n13800138000,Li\n13800138001,Wang\n'),
    rest: { type: 'text/csv' },
    field: 'file:1',
    message: /column "Name" is not a variable of template SMS_900000003 \(it uses \$\{name\}; nothing was enqueued\)\. Fix: rename the column "name" to give each recipient their own value \(variable names must match exactly\), or delete it/,
  },
  { name: 'a missing file', make: async () => join(dir, 'no-such-file.csv'), field: 'file', message: /cannot be read \(ENOENT: there is no such file.*Fix: give the path of a readable \.csv or \.xlsx file/ },
  { name: 'a directory', make: async () => dir + '/', field: 'file', message: /cannot be read \(EISDIR/ },
  {
    name: 'a workbook without the sheet asked for',
    make: () => workbook('sheets.xlsx', [{ name: '名单', rows: [['手机号'], [13800138000]] }]),
    rest: { type: XLSX_TYPE, query: { sheet: 'Sheet9' } },
    flags: ['--sheet', 'Sheet9'],
    options: { sheet: 'Sheet9' },
    field: 'sheet',
    message: /no sheet named "Sheet9" \(its sheets: "名单"\)\. Fix: name one of those in `sheet`$/,
    cliMessage: /--sheet: has no sheet named "Sheet9" \(its sheets: "名单"\)\. Fix: name one of those in `--sheet`/,
    restField: 'query.sheet',
    restMessage: /no sheet named "Sheet9" \(its sheets: "名单"\)\. Fix: name one of those in `\?sheet=`$/,
  },
  {
    name: 'a workbook with a header only',
    make: () => workbook('header.xlsx', [{ name: 'Sheet1', rows: [['手机号码', 'name']] }]),
    rest: { type: XLSX_TYPE },
    field: 'file',
    message: /sheet "Sheet1" \(the first\) holds no recipient: it has only a header \(nothing was enqueued\)\. Fix: one row per recipient under the header/,
  },
  {
    name: 'a workbook whose first sheet is empty, the list on another',
    make: () =>
      workbook('first-empty.xlsx', [
        { name: 'Sheet1', rows: [] },
        { name: '名单', rows: [['手机号码', 'name'], [13800138000, '张三']] },
        { name: 'Sheet3', rows: [[], ['']] },
      ]),
    rest: { type: XLSX_TYPE },
    field: 'file',
    message: /sheet "Sheet1" \(the first\) holds no recipient: it is empty \(nothing was enqueued\)\. The workbook's other sheets with rows: "名单"\. Fix: `sheet: "名单"`$/,
    cliMessage: /sheet "Sheet1" \(the first\) holds no recipient: it is empty \(nothing was enqueued\)\. The workbook's other sheets with rows: "名单"\. Fix: `--sheet "名单"`/,
    restMessage: /sheet "Sheet1" \(the first\) holds no recipient: it is empty \(nothing was enqueued\)\. The workbook's other sheets with rows: "名单"\. Fix: `\?sheet=%E5%90%8D%E5%8D%95`$/,
  },
  {
    // It said only that the header named no phone column: the hint an empty first sheet gets was missing.
    name: 'a workbook whose first sheet holds a note, the list on another',
    make: () =>
      workbook('first-note.xlsx', [
        { name: '说明', rows: [['see next sheet']] },
        { name: '名单', rows: [['手机号码', 'name'], [13800138000, '张三']] },
      ]),
    rest: { type: XLSX_TYPE },
    field: 'file:1',
    message: /^the header \("see next sheet"\) names no phone column on sheet "说明" \(the first\)\. The workbook's other sheets with rows: "名单"\. Fix: `sheet: "名单"` if the list is there; or name the number column one of phone, .*without a header$/,
    cliMessage: /file:1: the header \("see next sheet"\) names no phone column on sheet "说明" \(the first\)\. The workbook's other sheets with rows: "名单"\. Fix: `--sheet "名单"` if the list is there; or name the number column/,
    restMessage: /^the header \("see next sheet"\) names no phone column on sheet "说明" \(the first\)\. The workbook's other sheets with rows: "名单"\. Fix: `\?sheet=%E5%90%8D%E5%8D%95` if the list is there; or name the number column/,
  },
  {
    // With no other sheet holding rows, the header's own fix alone.
    name: 'a workbook whose only sheet\'s header names no phone column',
    make: () => workbook('no-phone.xlsx', [{ name: 'Sheet1', rows: [['name', 'city'], ['张三', '北京']] }]),
    rest: { type: XLSX_TYPE },
    field: 'file:1',
    message: /^the header \("name", "city"\) names no phone column\. Fix: name the number column one of phone, /,
    cliMessage: /file:1: the header \("name", "city"\) names no phone column\. Fix: name the number column one of phone, /,
  },
  {
    name: 'a workbook whose sheet asked for is empty, the list on two others',
    make: () =>
      workbook('asked-empty.xlsx', [
        { name: 'Jan', rows: [['phone'], ['13800138000']] },
        { name: 'Feb', rows: [] },
        { name: 'Mar 2', rows: [['phone'], ['13800138001']] },
      ]),
    rest: { type: XLSX_TYPE, query: { sheet: 'Feb' } },
    flags: ['--sheet', 'Feb'],
    options: { sheet: 'Feb' },
    field: 'file',
    message: /sheet "Feb" holds no recipient: it is empty \(nothing was enqueued\)\. The workbook's other sheets with rows: "Jan", "Mar 2"\. Fix: name the one that holds the list in `sheet` \(`sheet: "Jan"`\)$/,
    cliMessage: /sheet "Feb" holds no recipient: it is empty \(nothing was enqueued\)\. The workbook's other sheets with rows: "Jan", "Mar 2"\. Fix: name the one that holds the list in `--sheet` \(`--sheet Jan`\)/,
    restMessage: /sheet "Feb" holds no recipient: it is empty \(nothing was enqueued\)\. The workbook's other sheets with rows: "Jan", "Mar 2"\. Fix: name the one that holds the list in `\?sheet=` \(`\?sheet=Jan`\)$/,
  },
  {
    name: 'a .xlsx that is not a workbook',
    make: async () => fileOf('not-a-workbook.xlsx', 'phone\n13800138000\n'),
    rest: { type: XLSX_TYPE },
    field: 'file',
    message: /could not be read as an \.xlsx workbook.*Fix: save it from Excel/,
  },
];

describe('campaign files refused whole, with nothing written', () => {
  it.each(REFUSED)('producer API: $name', async (c) => {
    const before = await keys();
    const path = await c.make();
    const err = await producer.campaign(readRecipientsFile(path, c.options), SETTINGS, { sourceField: 'file' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    const issue = (err as ValidationError).issues[0];
    expect(issue?.field).toBe(c.field);
    expect(issue?.message).toMatch(c.message);
    expect(issue?.message).not.toMatch(/REST: \?encoding|--encoding|--sheet/);
    expect(await keys()).toEqual(before);
  });

  it.each(REFUSED)('smsq campaign --file: $name', async (c) => {
    const before = await keys();
    const path = await c.make();
    const r = await cli(['campaign', '--file', path, ...(c.flags ?? []), ...CLI_SEND]);
    expect(r.code).toBe(EXIT_USAGE); // refused: bad input, nothing was sent or enqueued
    expect(r.stderr).toContain(`${c.field}: `);
    expect(r.stderr.replace(/\n/g, ' ')).toMatch(c.cliMessage ?? c.message);
    expect(r.stderr).not.toMatch(/\?encoding=|\?sheet=/);
    expect(await keys()).toEqual(before);
  });

  it.each(REFUSED.filter((c) => c.rest !== undefined))('POST /v1/campaigns: $name', async (c) => {
    const before = await keys();
    const body = readFileSync(await c.make());
    const query = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: '{"name":"会员"}', ...c.rest?.query });
    const res = await app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...AUTH, 'content-type': c.rest!.type, 'idempotency-key': `refused-${before.length}` }, payload: body });
    expect(res.statusCode).toBe(400);
    const error = (res.json() as { error: { code: string; issues: { field: string; message: string }[] } }).error;
    expect(error.code).toBe('SMSQ_INVALID_REQUEST');
    expect(error.issues[0]?.field).toBe(c.restField ?? c.field.replace(/^file/, '(body)'));
    expect(error.issues[0]?.message).toMatch(c.restMessage ?? c.message);
    expect(error.issues[0]?.message).not.toMatch(/REST: \?encoding|--encoding|--sheet/);
    expect(await keys()).toEqual(before);
  });
});

/**
 * A workbook of `rows` numbers whose sheet stops reading part-way: 8 bytes of its compressed XML,
 * half-way through, flipped (as a damaged download or disk leaves it). Rows before the damage are
 * read; then the XML parser fails.
 */
async function damagedWorkbook(name: string, rows: number): Promise<string> {
  const path = await workbook(name, [{ name: 'Sheet1', rows: [['phone'], ...Array.from({ length: rows }, (_, i) => [13800000000 + i])] }]);
  const bytes = readFileSync(path);
  const entry = Buffer.from('xl/worksheets/sheet1.xml');
  for (let at = bytes.indexOf('PK\x03\x04'); at >= 0; at = bytes.indexOf('PK\x03\x04', at + 4)) {
    const nameLength = bytes.readUInt16LE(at + 26);
    if (!bytes.subarray(at + 30, at + 30 + nameLength).equals(entry)) continue;
    const data = at + 30 + nameLength + bytes.readUInt16LE(at + 28);
    const middle = data + Math.floor(bytes.readUInt32LE(at + 18) / 2);
    for (let k = 0; k < 8; k++) bytes[middle + k] = (bytes[middle + k] as number) ^ 0xff;
    writeFileSync(path, bytes);
    return path;
  }
  throw new Error('no sheet1.xml in the workbook');
}

describe('a list that stops reading past its first chunk: what was enqueued is said, and held', () => {
  const INTERRUPTED = /could not be read as an \.xlsx workbook \(.*\) after line (\d+): the (\d+) recipients read before it were enqueued as send (\S+), now paused/;

  /** The send the message names: paused, holding the recipients it says, more than one chunk's worth and fewer than the file's. */
  async function expectHeld(message: string, rows: number): Promise<string> {
    const [, line, count, sendId] = INTERRUPTED.exec(message) ?? [];
    expect(sendId, message).toBeDefined();
    expect(message).not.toContain('nothing was enqueued');
    expect(message).toContain(`Fix: resume it to send them (producer.resume, smsq campaign resume ${sendId}, or POST /v1/sends/${sendId}/resume), then send the rest of the list (the rows after line ${line}) as a new campaign; or cancel it (producer.cancel, smsq campaign cancel ${sendId}, or POST /v1/sends/${sendId}/cancel)`);
    const status = await producer.getStatus(sendId as string);
    expect(status.send.state).toBe('paused');
    expect(status.send.recipients).toBe(Number(count));
    expect(Number(line)).toBe(Number(count) + 1); // the header, then one number a row
    expect(Number(count)).toBeGreaterThan(1000);
    expect(Number(count)).toBeLessThan(rows);
    expect(status.counts.queued).toBe(Number(count));
    return sendId as string;
  }

  it('producer API, smsq campaign --file and POST /v1/campaigns name the send, how many were enqueued, and how to resume or cancel (they said "nothing was enqueued")', async () => {
    const path = await damagedWorkbook('damaged.xlsx', 6000);
    const api = await producer.campaign(readRecipientsFile(path), SETTINGS, { sourceField: 'file' }).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(api?.code).toBe('SMSQ_LIST_INTERRUPTED');
    const apiSend = await expectHeld(api!.message, 6000);
    // The advice holds: the send's enqueue is finished, so resume lets it go and the sweep leaves it be.
    expect((await producer.resume(apiSend)).send.state).toBe('active');

    const r = await cli(['campaign', '--file', path, ...CLI_SEND]);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toContain('error SMSQ_LIST_INTERRUPTED: ');
    const cliSend = await expectHeld(r.stderr.replace(/\n/g, ' '), 6000);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'SMSQ_LIST_INTERRUPTED', meaning: expect.stringContaining(cliSend) } });
    const cancelled = await cli(['campaign', 'cancel', cliSend, '--json']);
    expect(cancelled.code).toBe(0);
    expect((await producer.getStatus(cliSend)).counts.cancelled).toBe((await producer.getStatus(cliSend)).send.recipients);

    const query = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: '{"name":"会员"}' });
    const res = await app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...AUTH, 'content-type': XLSX_TYPE }, payload: readFileSync(path) });
    expect(res.statusCode).toBe(400);
    const error = (res.json() as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('SMSQ_LIST_INTERRUPTED');
    await expectHeld(error.message, 6000);
  });

  it('the counting pass (--dry-run) stops at the same place with nothing written, and says so', async () => {
    const path = await damagedWorkbook('damaged-dry.xlsx', 6000);
    const before = await keys();
    const r = await cli(['campaign', '--file', path, '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"会员"}', '--dry-run']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(/file: .*could not be read as an \.xlsx workbook/);
    expect(await keys()).toEqual(before);
  });
});

describe('the counting pass (--dry-run, or before the question) names the file as the real run does', () => {
  it('an empty file is a file, not a JSON list of recipients', async () => {
    const path = fileOf('empty-dry.csv', '');
    const r = await cli(['campaign', '--file', path, '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"会员"}', '--dry-run']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(/file: holds no recipient: it is empty or has only a header \(nothing was enqueued\)\. Fix: one row per recipient/);
  });
});

describe('a header that does not fit the template is refused once, at the header, not once per row', () => {
  it('a variable no column fills, through each surface: the fix names the shared params as that surface takes them (the API and REST were told --param, "(templateParam in the API)")', async () => {
    const before = await keys();
    const path = fileOf('no-order-each.csv', 'phone,name\n13800138000,Li\n');
    const settings = { signName: N.sign, templateCode: N.notificationTemplate };
    const api = await producer.campaign(readRecipientsFile(path), settings, { sourceField: 'file' }).catch((e: unknown) => e as ValidationError);
    expect((api as ValidationError).issues).toEqual([
      { field: 'file:1', message: 'template SMS_900000002 uses ${order}, but no column is named "order" and no shared param gives it (nothing was enqueued). Fix: add a column "order", or give every recipient the same value with `templateParam: {"order":"..."}`' },
    ]);
    const r = await cli(['campaign', '--file', path, '--sign', N.sign, '--template', N.notificationTemplate, '--yes', '--json']);
    expect(r.stderr).toContain('Fix: add a column "order", or give every recipient the same value with `--param \'{"order":"..."}\'`\n');
    // --json says the fix as the text does (a flag); its field keeps the request's name.
    expect(JSON.parse(r.stdout).error.issues[0]).toMatchObject({ field: 'file:1', message: expect.stringContaining('`--param \'{"order":"..."}\'`') });
    const query = new URLSearchParams(settings);
    const res = await app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: readFileSync(path) });
    expect(res.json().error.issues).toEqual([
      { field: '(body):1', message: 'template SMS_900000002 uses ${order}, but no column is named "order" and no shared param gives it (nothing was enqueued). Fix: add a column "order", or give every recipient the same value with `?templateParam={"order":"..."}` (percent-encoded)' },
    ]);
    expect(await keys()).toEqual(before);
  });

  it('a variable no column fills (${order} of the notification template): one issue, whatever the number of rows', async () => {
    const before = await keys();
    const rows = Array.from({ length: 2000 }, (_, i) => `1380013${String(i).padStart(4, '0')},Li`);
    const path = fileOf('no-order.csv', `phone,name\n${rows.join('\n')}\n`);
    const r = await cli(['campaign', '--file', path, '--sign', N.sign, '--template', N.notificationTemplate, '--yes', '--json']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toMatch(/file:1: template SMS_900000002 uses \$\{order\}, but no column is named "order" and no shared param gives it \(nothing was enqueued\)\. Fix: add a column "order"/);
    expect(r.stderr.match(/order/g)?.length).toBeLessThan(10);
    expect(r.stderr).not.toContain('13800130001');
    expect(await keys()).toEqual(before);
  });
});

/** The params stored for each number of a send (from its chunk records). */
async function storedParams(sendId: string): Promise<Map<string, Record<string, string> | undefined>> {
  const chunks = createChunkStore({ redis: h.redis, keys: createKeys(h.prefix), clock: systemClock });
  const status = await producer.getStatus(sendId);
  const out = new Map<string, Record<string, string> | undefined>();
  for (let i = 0; i < status.send.chunks; i++) {
    const chunk = await chunks.get(`${sendId}.${i}`);
    const payload = chunk?.payload;
    if (!payload) continue;
    payload.phones.forEach((phone, k) => out.set(phone, payload.api === 'SendBatchSms' ? payload.templateParams?.[k] : payload.templateParam));
  }
  return out;
}

const CHINESE = 'phone,name\r\n13800138000,张三\r\n13800138001,"李四, 会员"\r\n';

describe('campaign files read as their people wrote them', () => {
  /** The file at `path` (holding `bytes`) enqueued by the producer API, `smsq campaign` and `POST /v1/campaigns`. */
  async function throughAllThree(path: string, bytes: Buffer): Promise<Awaited<ReturnType<typeof producer.campaign>>[]> {
    const api = await producer.campaign(readRecipientsFile(path), SETTINGS);
    const cliRun = await cli(['campaign', '--file', path, ...CLI_SEND]);
    expect(cliRun.code).toBe(0);
    const rest = await app.inject({
      method: 'POST',
      url: `/v1/campaigns?${new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate })}`,
      headers: { ...AUTH, 'content-type': 'text/csv' },
      payload: bytes,
    });
    expect(rest.statusCode).toBe(202);
    return [api, JSON.parse(cliRun.stdout) as typeof api, rest.json() as typeof api];
  }

  it('`smsq campaign` shows its progress at most twice a second, and its last progress line is the final count (a trial read "chunks 3" there and 4 in the result)', async () => {
    // 20,000 numbers: written in three groups of chunks, within half a second of each other.
    const path = fileOf('progress.csv', `phone\n${Array.from({ length: 20_000 }, (_, i) => String(13700000000 + i)).join('\n')}\n`);
    const res = await cli(['campaign', '--file', path, ...CLI_SEND]);
    expect(res.code, res.stderr).toBe(0);
    const result = JSON.parse(res.stdout) as { recipients: number; apiCalls: number };
    const progress = res.stderr.split('\n').filter((line) => /^read \d+, queued/.test(line));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(`read 20000, queued ${result.recipients}, rejected 0, duplicates 0, opted out 0, chunks ${result.apiCalls}`);
  });

  it('a GBK file (Excel in China) keeps its Chinese params, through all three front ends', async () => {
    for (const { sendId } of await throughAllThree(fileOf('gbk.csv', gbk(CHINESE)), gbk(CHINESE))) {
      const params = await storedParams(sendId);
      expect(params.get('13800138000')).toEqual({ name: '张三' });
      expect(params.get('13800138001')).toEqual({ name: '李四, 会员' });
      // Rows with params of their own go by SendBatchSms, and the send's record says so.
      expect((await producer.getStatus(sendId)).send.api).toBe('SendBatchSms');
    }
  });

  it.each([
    ['semicolon-separated (Excel where the comma is the decimal mark)', Buffer.from('phone;name\r\n13800138000;张三\r\n13800138001;李四, 会员\r\n', 'utf8')],
    ['Excel "Unicode text" (UTF-16 LE with a BOM, tab-separated)', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('phone\tname\r\n13800138000\t张三\r\n13800138001\t李四, 会员\r\n', 'utf16le')])],
  ])('a file %s, through all three front ends', async (label, bytes) => {
    for (const res of await throughAllThree(fileOf(`${label.slice(0, 9).replace(/\W+/g, '-')}.csv`, bytes), bytes)) {
      expect(res).toMatchObject({ recipients: 2, rejectedCount: 0 });
      const params = await storedParams(res.sendId);
      expect(params.get('13800138000')).toEqual({ name: '张三' });
      expect(params.get('13800138001')).toEqual({ name: '李四, 会员' });
    }
  });

  it.each([
    ['UTF-16 LE with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CHINESE, 'utf16le')])],
    ['UTF-16 BE with a BOM', iconv.encode(CHINESE, 'utf-16be', { addBOM: true })],
    ['UTF-8 with a BOM', Buffer.from(`\uFEFF${CHINESE}`, 'utf8')],
    ['GB18030 named with --encoding', iconv.encode(CHINESE, 'gb18030')],
  ])('%s', async (label, bytes) => {
    const path = fileOf(`${label.replace(/\W+/g, '-')}.csv`, bytes);
    const options = label.includes('--encoding') ? { encoding: 'gb18030' as const } : {};
    const res = await producer.campaign(readRecipientsFile(path, options), SETTINGS);
    expect(res).toMatchObject({ recipients: 2, rejectedCount: 0 });
    const params = await storedParams(res.sendId);
    expect(params.get('13800138000')).toEqual({ name: '张三' });
    expect(params.get('13800138001')).toEqual({ name: '李四, 会员' });
  });

  it('a UTF-16 file with half a character in a row (a surrogate without its other half): that row is rejected naming it, the others go ahead', async () => {
    // UTF-16 decoding keeps a lone surrogate (UTF-8's gives U+FFFD, refused as such): the row was
    // enqueued, and Alibaba was sent the name as "\ud800".
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('phone,name\n13800138000,张\ud800\n13800138001,李四\n', 'utf16le')]);
    // Checked against the template's rules where the account is, by the row's own check where not.
    for (const [by, reason] of [
      [producer, /^line 2: templateParam\.name: holds U\+D800, half of a character.*Fix: /],
      [h.producer, /^line 2: name holds U\+D800, half of a character.*Fix: save the file as "CSV UTF-8"/],
    ] as const) {
      const res = await by.campaign(readRecipientsFile(fileOf('utf16-half.csv', bytes)), SETTINGS);
      expect(res).toMatchObject({ recipients: 1, rejectedCount: 1 });
      expect(res.rejected).toEqual([{ input: '13800138000', line: 2, reason: expect.stringMatching(reason) }]);
      expect([...(await storedParams(res.sendId)).keys()]).toEqual(['13800138001']);
    }
  });

  it('a row rejected for its file\'s encoding names the encoding setting as its caller gives it (the Node API\'s `encoding`, `--encoding` in the CLI\'s table, `?encoding=` in an upload\'s answer); a row given in the request is not told of a file', async () => {
    // A file checked without the account's rules (a producer with no catalog, or Dysmsapi not answering the look-up): the row's own check.
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('phone,name\n13800138000,张\ud800\n13800138001,李四\n', 'utf16le')]);
    const path = fileOf('utf16-half-words.csv', bytes);
    const reasonOf = (res: { rejected: { reason: string }[] }) => res.rejected[0]?.reason ?? '';
    const api = await h.producer.campaign(readRecipientsFile(path), SETTINGS);
    expect(reasonOf(api)).toMatch(/^line 2: name holds U\+D800, half of a character.*Fix: save the file as "CSV UTF-8" .*, or name its encoding with `encoding`, one of utf-8/);

    const bare = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'dashboard-token-0123456789' } });
    try {
      const query = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: '{"name":"会员"}' });
      const rest = await bare.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: bytes });
      expect(rest.statusCode).toBe(202);
      expect(reasonOf(rest.json())).toMatch(/^line 2: name holds U\+D800.*, or name its encoding with `\?encoding=`, one of utf-8/);
    } finally {
      await bare.close();
    }

    // The CLI checks the account: with Dysmsapi not answering the template's look-up, the row's own check.
    h.emulator.addFault({ kind: 'server-error', actions: ['GetSmsTemplate'], times: Infinity });
    try {
      const env = ['--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"会员"}', '--yes'];
      const table = await cliWith({ SMSQ_CATALOG_CACHE_MS: '0' }, ['campaign', '--file', path, ...env]);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/line 2: name holds U\+D800.*, or name its encoding with `--encoding`, one of utf-8/);
      // --json keeps the API's words, as it keeps its field names.
      const json = await cliWith({ SMSQ_CATALOG_CACHE_MS: '0' }, ['campaign', '--file', path, ...env, '--json']);
      expect(reasonOf(JSON.parse(json.stdout))).toMatch(/, or name its encoding with `encoding`, one of utf-8/);
    } finally {
      h.emulator.clearFaults();
    }
    for (const text of [reasonOf(api)]) expect(text).not.toMatch(/\(REST:|--encoding|\?encoding=/);

    // Rows given in the request have no file to save again, nor an encoding to name.
    async function* given() {
      yield* [{ phone: '13800138002', params: { name: '张\ufffd' } }, { phone: '13800138003', params: { name: '王\udc00' } }, { phone: '13800138004' }];
    }
    const listed = await h.producer.campaign(given(), SETTINGS);
    expect(listed.rejected).toEqual([
      { input: '13800138002', reason: expect.stringMatching(/^recipients\[0\]: name holds U\+FFFD, the mark of bytes that were not valid text in the encoding they were read in: the message would show �\. Fix: /) },
      { input: '13800138003', reason: expect.stringMatching(/^recipients\[1\]: name holds U\+DC00, half of a character .*\. Fix: /) },
    ]);
    for (const r of listed.rejected) expect(r.reason.split('Fix: ')[1]).not.toMatch(/file|encoding/);
  });

  it('an .xlsx workbook: the first sheet or --sheet, Chinese headers, numbers stored as numbers or text', async () => {
    const path = await workbook('list.xlsx', [
      { name: '说明', rows: [['这一页不是名单']] },
      { name: '名单', rows: [['手机号码', 'name'], [13800138000, '张三'], ['13800138001', '李四'], [], ['12345', '王五']] },
    ]);
    const first = await producer.campaign(readRecipientsFile(path), SETTINGS, { sourceField: 'file' }).catch((e: unknown) => e);
    expect((first as ValidationError).issues[0]?.message).toMatch(/names no phone column/);
    const r = await cli(['campaign', '--file', path, '--sheet', '名单', ...CLI_SEND]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { sendId: string; recipients: number; rejected: { input: string; reason: string; line: number }[] };
    expect(res.recipients).toBe(2);
    expect(res.rejected).toEqual([{ input: '12345', line: 5, reason: expect.stringMatching(/^line 5: /) }]);
    const params = await storedParams(res.sendId);
    expect(params.get('13800138000')).toEqual({ name: '张三' });
    expect(params.get('13800138001')).toEqual({ name: '李四' });
  });

  it('a row giving a number another message than an earlier row is rejected naming both, through every front end (the Wang row was dropped as a duplicate, "duplicates dropped 2")', async () => {
    const csv = 'phone,name\n13800138000,Li\n13800138000,Li\n13800138000,Wang\n13900139000,Zhao\n';
    const path = fileOf('other-message.csv', csv);
    const fileReason = /^line 4: gives this number a message other than line 2 does \(other params\); a send holds one message per number, so this one would have been dropped as a duplicate\. Fix: send it in a campaign of its own, or remove one of the two lines$/;
    const answers: { recipients: number; duplicates: number; rejected: { input: string; reason: string }[]; sendId: string }[] = [];
    // The Node producer, from a file and from rows given in the call.
    answers.push(await producer.campaign(readRecipientsFile(path), SETTINGS, { sourceField: 'file' }));
    const rows = [
      { phone: '13800138000', params: { name: 'Li' } },
      { phone: '13800138000', params: { name: 'Li' } },
      { phone: '13800138000', params: { name: 'Wang' } },
      { phone: '13900139000', params: { name: 'Zhao' } },
    ];
    async function* given() {
      yield* rows;
    }
    const listed = await producer.campaign(given(), SETTINGS);
    expect(listed.rejected).toEqual([{ input: '13800138000', reason: expect.stringMatching(/^recipients\[2\]: gives this number a message other than recipients\[0\] does \(other params\)/) }]);
    answers.push(listed);
    // The CLI, in its table and as JSON.
    const table = await cli(['campaign', '--file', path, ...CLI_SEND.filter((f) => f !== '--json')]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^duplicates dropped +1$/m);
    expect(table.stdout).toMatch(/line 4: gives this number a message other than line 2 does/);
    answers.push(JSON.parse((await cli(['campaign', '--file', path, ...CLI_SEND])).stdout));
    // REST: an upload, and recipients in a JSON body.
    const query = new URLSearchParams({ ...SETTINGS, templateParam: JSON.stringify(SETTINGS.templateParam) });
    const upload = await app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: csv });
    expect(upload.statusCode).toBe(202);
    answers.push(upload.json());
    const body = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: AUTH, payload: { ...SETTINGS, recipients: rows } });
    expect(body.statusCode).toBe(202);
    expect(body.json().rejected[0].reason).toMatch(/^recipients\[2\]: gives this number a message other than recipients\[0\] does/);
    answers.push(body.json());
    for (const [i, a] of answers.entries()) {
      expect(a, `answer ${i}`).toMatchObject({ recipients: 2, duplicates: 1, rejected: [{ input: '13800138000' }] });
      if (i !== 1 && i !== 4) expect(a.rejected[0]?.reason).toMatch(fileReason);
      const params = await storedParams(a.sendId);
      expect(params.get('13800138000')).toEqual({ name: 'Li' });
    }
  });

  it('rejects a bad row with its line and reason, and the other rows of its chunk go ahead', async () => {
    const long = '长'.repeat(501);
    const rows = [
      '手机号,name',
      '13800138000,"多行\n备注"', // a quoted value over two lines (lines 2-3)
      '13800138001,Li',
      '13800138002,Wang,extra', // line 5: one field too many
      `13800138003,${long}`, // line 6: longer than a variable may be
      '13800138004,Zhao',
    ];
    const path = fileOf('rows.csv', `${rows.join('\r\n')}\r\n`);
    const res = await producer.campaign(readRecipientsFile(path), SETTINGS);
    expect(res).toMatchObject({ recipients: 3, rejectedCount: 2, chunks: 1 });
    expect(res.rejected).toEqual([
      { input: '13800138002', line: 5, reason: expect.stringMatching(/^line 5: expected 2 fields \("手机号", "name"\), found 3/) },
      { input: '13800138003', line: 6, reason: expect.stringMatching(/^line 6: templateParam\.name: is 501 characters; a variable holds at most 35/) },
    ]);
    const params = await storedParams(res.sendId);
    expect([...params.keys()].sort()).toEqual(['13800138000', '13800138001', '13800138004']);
    expect(params.get('13800138000')).toEqual({ name: '多行\n备注' });
  });

  it('a line longer than 64 Ki characters is rejected once, at its line, and its tail is not sent (trial repro), through all three front ends', async () => {
    const head = 'phone,name\n';
    const text = `${head}13800138000,${'x'.repeat(131072 - head.length - 12)}13700137000,Bob\n13900139000,Wang\n`;
    for (const res of await throughAllThree(fileOf('long-line.csv', text), Buffer.from(text))) {
      expect(res).toMatchObject({ recipients: 1, rejectedCount: 1 });
      expect(res.rejected).toEqual([{ input: '13800138000', line: 2, reason: expect.stringMatching(/^line 2: line 2 is longer than 65,536 characters, so it was not read.*Fix: /) }]);
      const params = await storedParams(res.sendId);
      expect([...params.entries()]).toEqual([['13900139000', { name: 'Wang' }]]);
    }
  });
});
