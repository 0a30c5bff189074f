/**
 * The sending commands of `smsq` run in-process (`runCli`) against the private Redis and the
 * emulator: dry runs, confirmation, enqueue, the worker command, status, campaign controls.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock, type Clock } from '../../src/clock.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { MESSAGE_KINDS } from '../../src/queue/kinds.js';
import { isoTime } from '../../src/china-time.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import iconv from 'iconv-lite';
import { runSmsqInProcess } from '../support/cli-run.js';


interface Extra {
  waitForShutdown?: () => Promise<string>;
  confirm?: (q: string) => Promise<boolean>;
  clock?: Clock;
}

let env: NodeJS.ProcessEnv;
async function run(argv: string[], extra: Extra = {}, moreEnv: NodeJS.ProcessEnv = {}) {
  return runSmsqInProcess(argv, { env: { ...env, ...moreEnv }, ...extra });
}

const dir = mkdtempSync(join(tmpdir(), 'smsq-cli-'));
let emulator: Emulator;
const prefix = uniquePrefix('cli');
const redis = createTestConnection();
let stopWorker: (signal: string) => void = () => {};
let workerDone: Promise<{ code: number }> | undefined;

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 20 } });
  const { endpoint } = await emulator.listen();
  env = {
    REDIS_URL: testRedisUrl(),
    SMSQ_PREFIX: prefix,
    SMS_MODE: 'sandbox',
    SMS_ENDPOINT: endpoint,
    LOG_LEVEL: 'warn',
    SMSQ_QUIET_HOURS: 'off',
    SMSQ_RECEIPT_LOOKUPS: 'verification=none,notification=none,marketing=none',
  };
});

afterAll(async () => {
  stopWorker('SIGTERM');
  await workerDone;
  await deleteKeys(redis, prefix);
  redis.disconnect();
  await emulator.close();
});

describe('smsq send', () => {
  it('--dry-run restates the plan and enqueues nothing', async () => {
    const r = await run(['send', '--phones', '13800138000,+8613800138000,12345', '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"123456"}', '--kind', 'verification', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/numbers\s+1 \(13800138000\)/);
    expect(r.stdout).toMatch(/chunks \/ API calls\s+1 SendSms call/);
    expect(r.stdout).toMatch(/SMS segments\s+1 per message/);
    // The text a recipient gets, params in: the content row shows the template's placeholders.
    expect(r.stdout).toMatch(/^message\s+【smsq沙箱】您的验证码为123456，5分钟内有效，请勿泄露于他人。$/m);
    expect(r.stdout).toMatch(/duplicates dropped\s+1/);
    expect(r.stdout).toMatch(/12345/);
    expect(r.stderr).toContain('dry run: nothing was enqueued; the same command without --dry-run sends it');
    expect(await redis.keys(`${prefix}:send:*`)).toEqual([]);
    // --deadline takes epoch milliseconds as the request does (a flag gives them as text).
    const later = Date.now() + 3_600_000;
    const timed = await run(['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"123456"}', '--deadline', String(later), '--dry-run', '--json']);
    expect(timed.code, timed.stderr).toBe(0);
    const timedPlan = (JSON.parse(timed.stdout) as { plan: { deadline: string; message: string; segmentsPerMessage: number } }).plan;
    // Printed as every --json time is: ISO with the offset.
    expect(timedPlan.deadline).toBe(isoTime(later));
    // Fields added beside the plan's own, as campaign --dry-run --json has segmentsPerMessage.
    expect(timedPlan).toMatchObject({ message: '【smsq沙箱】您的验证码为123456，5分钟内有效，请勿泄露于他人。', segmentsPerMessage: 1 });
    const past = await run(['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"123456"}', '--deadline', '1', '--dry-run']);
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/deadline: 1970-01-01 08:00:00 \+08:00 is in the past/);
    const inSeconds = String(Math.floor(later / 1000));
    const seconds = await run(['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"123456"}', '--deadline', inSeconds, '--dry-run']);
    expect(seconds.code).toBe(2);
    expect(seconds.stderr).toMatch(/deadline: read as epoch milliseconds is 1970-.*it looks like epoch seconds\. Fix: milliseconds \(the seconds × 1000\)/);
    // Contradictory flags are refused before anything is planned.
    const both = await run(['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"123456"}', '--dry-run', '--wait']);
    expect(both).toMatchObject({ code: 2, stdout: '' });
    expect(both.stderr).toMatch(/--wait waits for a send, and --dry-run enqueues none\. Fix: drop --wait/);
  });

  it('log lines bind the command once and each component once (pino repeats a key bound twice)', async () => {
    // A frozen CLI clock, as tests pass: the no-worker grace below is timed by the process, not by it.
    const frozen = createManualClock(Date.now());
    const r = await run(['send', '--phones', '13800138077', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes', '--json'], { clock: frozen }, { LOG_LEVEL: 'info' });
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('{'));
    expect(lines.some((l) => (JSON.parse(l) as { component?: string }).component === 'producer')).toBe(true);
    // No worker runs yet on this prefix: the send would wait unseen, so the CLI says so.
    expect(r.stderr).toContain(`warning: no worker serves SMSQ_PREFIX=${prefix} (none is connected to its queue or beat in the last 3 s): the send waits in Redis until one starts. Fix: smsq worker, with the same REDIS_URL and SMSQ_PREFIX`);
    for (const line of lines) {
      expect(line.match(/"component":/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
      expect(line.match(/"command":/g)?.length, line).toBe(1);
      expect((JSON.parse(line) as { command: string }).command).toBe('send');
    }
    await deleteKeys(redis, prefix); // the tests below start from no send
  });

  it('--dry-run lists numbers that opted out of marketing', async () => {
    await redis.sadd(`${prefix}:suppressed`, '13800138099');
    const r = await run(['send', '--phones', '13800138098,13800138099', '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"n"}', '--kind', 'marketing', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/opted out \(skipped\)\s+1/);
    expect(r.stdout).toMatch(/opted out, skipped: 13800138099/);
    await redis.srem(`${prefix}:suppressed`, '13800138099');
  });

  it('refuses without --yes when there is no terminal to ask, and enqueues nothing', async () => {
    const r = await run(['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"123456"}']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refusing to send without confirmation.*add --yes/);
    expect(await redis.keys(`${prefix}:send:*`)).toEqual([]);
  });

  it('asks on a terminal; "no" enqueues nothing', async () => {
    let asked = '';
    const r = await run(['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"123456"}'], {
      confirm: async (q) => ((asked = q), false),
    });
    expect(asked).toMatch(/Send 1 message\(s\) in 1 API call\(s\)\?/);
    expect(r.code).toBe(2); // refused: nothing was enqueued
    expect(await redis.keys(`${prefix}:send:*`)).toEqual([]);
  });

  it('names a bad flag and the fix', async () => {
    const r = await run(['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":1}', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--param .*must be a JSON object whose values are strings/);
  });

  it('send --extend-code passes SmsUpExtendCode (REST took it, the CLI had no flag: an operator trial), and refuses one that is not 1-12 digits by its flag', async () => {
    const bad = await run(['send', '--phones', '13800138009', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--extend-code', '12a', '--yes']);
    expect(bad.code).toBe(2);
    // Refused at its flag, naming the value as every bad flag is.
    expect(bad.stderr).toMatch(/^error: --extend-code "12a" must be 1-12 digits/m);
    const r = await run(['send', '--phones', '13800138009', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--extend-code', '0427', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { sendId } = JSON.parse(r.stdout) as { sendId: string };
    const worker = await run(['worker', '--concurrency', '1'], { waitForShutdown: () => waitFor(() => emulator.accepted().some((a) => a.outId.startsWith(sendId)), 'the send to be accepted').then(() => 'SIGTERM') });
    expect(worker.code).toBe(0);
    expect(emulator.accepted().find((a) => a.outId.startsWith(sendId))?.extendCodes).toEqual(['0427']);
  });

  it('enqueues with --yes, and the worker command sends it; status shows it', async () => {
    let stop!: (s: string) => void;
    const shutdown = new Promise<string>((resolve) => (stop = resolve));
    stopWorker = stop;
    workerDone = run(['worker', '--concurrency', '4'], { waitForShutdown: () => shutdown });
    const r = await run(['send', '--phones', '13800138001,13800138002', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes', '--json']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { sendId: string; recipients: number };
    expect(res.recipients).toBe(2);
    await waitFor(async () => {
      const s = await run(['status', res.sendId, '--json']);
      return (JSON.parse(s.stdout) as { counts: { accepted: number } }).counts.accepted === 2;
    }, 'the worker command to send it');
    // With the worker serving the prefix, an enqueue gives no warning.
    const served = await run(['send', '--phones', '13800138003', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes']);
    expect(served.code).toBe(0);
    expect(served.stderr).not.toContain('no worker serves');
    const table = await run(['status', res.sendId, '--recipients']);
    expect(table.stdout).toMatch(/13800138001\s+accepted/);
    expect(table.stdout).toMatch(/accepted\s+2/);
    // Receipts are minutes away (the worker's default schedule): --until sent stops at the hand-off.
    const watched = await run(['status', res.sendId, '--watch', '--until', 'sent', '--json']);
    expect(watched.code).toBe(0);
    const lines = watched.stdout.trim().split('\n').map((l) => JSON.parse(l) as { at: string; state: string; counts: Record<string, number>; wait?: { reason: string; pending: number } });
    expect(lines.at(-1)).toMatchObject({ state: 'sent', counts: { accepted: 2, queued: 0, sending: 0 }, wait: { reason: 'receipts', pending: 2 } });
    const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/;
    expect(lines.at(-1)?.at).toMatch(ISO);
    // --json prints the send with the same ISO times as the REST API, recipients included.
    const json = JSON.parse((await run(['status', res.sendId, '--json', '--recipients'])).stdout) as { send: { createdAt: string; history: { at: string }[] }; recipients: { sentAt: string }[] };
    expect(json.send.createdAt).toMatch(ISO);
    for (const entry of json.send.history) expect(entry.at).toMatch(ISO);
    expect(json.recipients[0]?.sentAt).toMatch(ISO);
    // The text says why it waits, and times are China time with the offset.
    const text = await run(['status', res.sendId]);
    expect(text.stdout).toMatch(/^state\s+sent since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00$/m);
    // This file's SMSQ_RECEIPT_LOOKUPS looks nothing up: said so, with the setting.
    expect(text.stdout).toMatch(/^waiting\s+waiting for receipts of 2 recipients, not looked up \(SMSQ_RECEIPT_LOOKUPS notification=none\): only a pushed report settles them, or they expire at .* \+08:00$/m);
    const bad = await run(['status', res.sendId, '--watch', '--until', 'delivered']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--until .*must be sent, final or auto/);
    // --until without --watch did nothing, silently: it is refused, naming both flags.
    const alone = await run(['status', res.sendId, '--until', 'sent']);
    expect(alone).toMatchObject({ code: 2, stdout: '' });
    expect(alone.stderr).toMatch(/--until says when --watch stops; without --watch it does nothing\. Fix: add --watch, or drop --until/);
    expect((await run(['status', 'snope'])).code).toBe(2);
  });

  it('status --recipients pages by cursor with --limit and --cursor, and refuses a bad cursor by flag', async () => {
    const r = await run(['send', '--phones', '13800138011,13800138012,13800138013', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes', '--json']);
    const { sendId } = JSON.parse(r.stdout) as { sendId: string };
    const first = await run(['status', sendId, '--recipients', '--limit', '2', '--json']);
    expect(first.code).toBe(0);
    const page = JSON.parse(first.stdout) as { recipients: { phone: string }[]; next: string };
    expect(page.recipients.map((x) => x.phone)).toEqual(['13800138011', '13800138012']);
    const table = await run(['status', sendId, '--recipients', '--limit', '2', '--cursor', page.next]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/13800138013/);
    expect(table.stdout).not.toMatch(/13800138011/);
    expect(table.stdout).toMatch(/1 shown; the last page\./);
    const head = await run(['status', sendId, '--recipients', '--limit', '1']);
    expect(head.stdout).toMatch(new RegExp(`1 shown\\. Next page: smsq status ${sendId} --recipients --limit 1 --cursor [A-Za-z0-9_-]+`));
    const bad = await run(['status', sendId, '--recipients', '--cursor', 'nope']);
    expect(bad.code).toBe(2);
    // Refused as the bad flag it is, its value quoted, as --limit's is: not as a refused enqueue.
    expect(bad.stderr).toMatch(/^error: --cursor "nope" is not a recipient cursor\. Fix: pass the `next` value of the previous page unchanged, or leave --cursor out/m);
    const badJson = await run(['status', sendId, '--recipients', '--cursor', 'garbage', '--json']);
    expect(badJson.code).toBe(2);
    expect(JSON.parse(badJson.stdout).error).toMatchObject({
      code: 'SMSQ_BAD_FLAG',
      errorClass: 'usage',
      issues: [{ field: '--cursor', message: expect.stringMatching(/^"garbage" is not a recipient cursor\. Fix: /), fix: expect.stringMatching(/^pass the `next` value/) }],
    });
    expect(JSON.parse(badJson.stdout).error.meaning).not.toMatch(/enqueued/);
    const alone = await run(['status', sendId, '--limit', '2']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--limit pages the recipients\. Fix: add --recipients/);
    expect((await run(['status', sendId, '--recipients', '--limit', '0'])).stderr).toMatch(/--limit "0" must be a whole number from 1 to 10000/);
  });

  it('send-batch reads a JSON file of personalised messages', async () => {
    const file = join(dir, 'batch.json');
    writeFileSync(file, JSON.stringify([
      { phone: '13800138010', signName: N.sign, templateParam: { name: 'A', order: '1' } },
      { phone: '13800138011', signName: N.sign, templateParam: { name: 'B', order: '2' } },
    ]));
    // Each message has its own params: the plan shows the first as it is sent.
    const planned = await run(['send-batch', '--file', file, '--template', N.notificationTemplate, '--dry-run']);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toMatch(/^first message\s+【smsq沙箱】尊敬的A，您的订单1已发货，请注意查收。$/m);
    const r = await run(['send-batch', '--file', file, '--template', N.notificationTemplate, '--yes', '--json']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { sendId: string; chunks: number };
    expect(res.chunks).toBe(1);
    await waitFor(() => emulator.accepted().some((a) => a.action === 'SendBatchSms' && a.phoneNumbers.includes('13800138011')), 'the batch call');
  });

  it('send-batch reads a JSON file with a byte-order mark (Notepad\'s UTF-8, PowerShell\'s UTF-16), and refuses one in another encoding naming it and the fix', async () => {
    const messages = JSON.stringify([{ phone: '13800138012', signName: N.sign, templateParam: { name: '张三', order: '1' } }]);
    // They were refused as 'is not valid JSON (Unexpected token \'\uFEFF\', ...). Fix: an array of {"phone",...}',
    // of a file whose JSON is right.
    for (const [label, bytes] of [
      ['utf8-bom', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(messages, 'utf8')])],
      ['utf16le-bom', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(messages, 'utf16le')])],
      ['utf16be-bom', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(messages, 'utf16le').swap16()])],
    ] as const) {
      const file = join(dir, `batch-${label}.json`);
      writeFileSync(file, bytes);
      const planned = await run(['send-batch', '--file', file, '--template', N.notificationTemplate, '--dry-run']);
      expect(planned.code, `${label}: ${planned.stderr}`).toBe(0);
      expect(planned.stdout).toMatch(/^first message\s+【smsq沙箱】尊敬的张三，您的订单1已发货，请注意查收。$/m);
    }
    // GBK (a Chinese Windows editor's "ANSI") read as UTF-8 turned 张三 into U+FFFD, refused as a param "not UTF-8" of a request.
    const gbk = join(dir, 'batch-gbk.json');
    writeFileSync(gbk, iconv.encode(messages, 'gbk'));
    const refused = await run(['send-batch', '--file', gbk, '--template', N.notificationTemplate, '--dry-run']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('error: file: is not UTF-8 text (a file saved as GBK or another local encoding, say), and a JSON file is read as UTF-8 (nothing was enqueued). Fix: save it as UTF-8 (an editor\'s Save As → Encoding: UTF-8)\n');
  });

  it('send-batch given a workbook named .csv is told to save it as CSV (it reads no workbooks), not to give it as one', async () => {
    const file = join(dir, 'batch-workbook.csv');
    // A workbook's first bytes: a ZIP archive's local file header.
    writeFileSync(file, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60, 1)]));
    const refused = await run(['send-batch', '--file', file, '--template', N.notificationTemplate, '--dry-run']);
    expect(refused.code).toBe(2);
    // It was told "give it as one: `--file list.xlsx`", which send-batch then read as JSON and refused again.
    expect(refused.stderr).not.toContain('list.xlsx');
    expect(refused.stderr).toBe('error: file: is a ZIP archive (an .xlsx workbook is one), not a text list (nothing was enqueued). Fix: send-batch reads CSV or JSON, not workbooks: save the sheet from Excel or WPS as "CSV UTF-8", or give the messages as JSON\n');
  });

  it('send-batch given an .xlsx workbook says it is one and what to do (it was told the file "is not UTF-8 text", as if saved as GBK)', async () => {
    const file = join(dir, 'camp.xlsx');
    writeFileSync(file, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60, 0x80)]));
    const refused = await run(['send-batch', '--file', file, '--template', N.notificationTemplate, '--dry-run']);
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toBe(
      'error: file: is a ZIP archive (an .xlsx workbook is one), not a text list (nothing was enqueued). Fix: send-batch reads CSV or JSON, not workbooks: save the sheet from Excel or WPS as "CSV UTF-8", or give the messages as JSON\n',
    );
  });

  it('send-batch names a place in its file one way: a JSON path from 0 (file[0], file.messages[0]), a CSV line and column; a CSV is told of columns, not JSON keys', async () => {
    const signName = N.sign;
    const refusal = async (name: string, text: string) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      const r = await run(['send-batch', '--file', file, '--template', N.notificationTemplate, '--dry-run']);
      expect(r.code, r.stderr).toBe(2);
      // The refusal, without the log's sandbox warning.
      return r.stderr
        .split('\n')
        .filter((line) => !line.startsWith('{'))
        .join('\n');
    };
    const missing = (at: string) => `error: ${at}: missing: the template uses \${order}. Fix: add "order":"..."\n`;
    // A list: its first message is file[0], as an unknown key in it is (file[0].comment).
    expect(await refusal('order-list.json', JSON.stringify([{ phone: '13800138030', signName, templateParam: { name: 'A' } }]))).toBe(missing('file[0].templateParam.order'));
    expect(await refusal('comment-list.json', JSON.stringify([{ phone: '13800138030', signName, templateParam: { name: 'A', order: '1' }, comment: 'x' }]))).toMatch(/^error: file\[0\]\.comment: is not a field/);
    // An object: file.messages[0].
    expect(await refusal('order-object.json', JSON.stringify({ messages: [{ phone: '13800138030', signName, templateParam: { name: 'A' } }] }))).toBe(missing('file.messages[0].templateParam.order'));
    // Two messages to one number: the earlier one named in the file's terms too.
    const twice = [
      { phone: '13800138030', signName, templateParam: { name: 'A', order: '1' } },
      { phone: '13800138030', signName, templateParam: { name: 'B', order: '1' } },
    ];
    expect(await refusal('twice.json', JSON.stringify(twice))).toMatch(/^error: file\[1\]: gives 138\*+8030 a message other than file\[0\] does /);
    expect(await refusal('twice.csv', 'phone,sign,name,order\n13800138030,smsq沙箱,A,1\n13800138030,smsq沙箱,B,1\n')).toMatch(/^error: file:3: gives 138\*+8030 a message other than line 2 does /);
    // A CSV without the column: once, at its header, with a CSV's fix (it was told, per row, to add "order":"...").
    expect(await refusal('no-order.csv', 'phone,sign,name\n13800138030,smsq沙箱,A\n13800138031,smsq沙箱,B\n')).toBe(
      'error: file:1: no column is named "order": the template uses ${order} (nothing was enqueued). Fix: add a column "order" with each message\'s value\n',
    );
    expect(await refusal('extra.csv', 'phone,sign,name,order,note\n13800138030,smsq沙箱,A,1,x\n13800138031,smsq沙箱,B,2,y\n')).toBe(
      'error: file:1: column "note" is not a variable of the template (it uses ${name}, ${order}; nothing was enqueued). Fix: delete the column, or check its spelling (see `smsq template CODE`)\n',
    );
    // A value stays at its line and column.
    expect(await refusal('long.csv', `phone,sign,name,order\n13800138030,smsq沙箱,A,1\n13800138031,smsq沙箱,${'长'.repeat(36)},2\n`)).toMatch(/^error: file:3: column "name" is 36 characters/);
  });

  it('send-batch given a file it cannot read names what it reads (JSON or CSV), not the campaign reader\'s .xlsx', async () => {
    // A missing .csv was told "give the path of a readable .csv or .xlsx file": send-batch reads no workbooks.
    for (const file of [join(dir, 'no-such-batch.csv'), join(dir, 'no-such-batch.json')]) {
      const refused = await run(['send-batch', '--file', file, '--template', N.notificationTemplate, '--dry-run']);
      expect(refused.code, file).toBe(2);
      expect(refused.stderr, file).toMatch(/cannot be read \(ENOENT.*Fix: give the path of a readable JSON or CSV file/);
      expect(refused.stderr, file).not.toMatch(/xlsx/i);
    }
  });

  it('send-batch takes the request fields of a JSON file, refuses fields it does not know, and a flag that contradicts the file', async () => {
    const messages = [{ phone: '13800138020', signName: N.sign, templateParam: { name: 'A', order: '1' } }];
    const file = join(dir, 'batch-object.json');
    // The key used to be dropped: the same file sent twice made two sends.
    writeFileSync(file, JSON.stringify({ templateCode: N.notificationTemplate, idempotencyKey: 'batch-file-1', kind: 'marketing', messages }));
    const first = JSON.parse((await run(['send-batch', '--file', file, '--yes', '--json'])).stdout) as { sendId: string; duplicate: boolean };
    const again = JSON.parse((await run(['send-batch', '--file', file, '--yes', '--json'])).stdout) as { sendId: string; duplicate: boolean };
    expect(again).toMatchObject({ sendId: first.sendId, duplicate: true });
    expect(JSON.parse((await run(['status', first.sendId, '--json'])).stdout).send.kind).toBe('marketing');
    // The index of sends: one entry a send, written with it.
    const indexed = async () => (await Promise.all(MESSAGE_KINDS.map((kind) => redis.xlen(`${prefix}:sends:${kind}`)))).reduce((a, b) => a + b, 0);
    const before = await indexed();
    expect(before).toBeGreaterThan(0);
    const unknown = join(dir, 'batch-unknown.json');
    writeFileSync(unknown, JSON.stringify({ templateCode: N.notificationTemplate, priority: 'high', messages: [{ ...messages[0], outId: 'x' }] }));
    const refused = await run(['send-batch', '--file', unknown, '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/file\.priority: is not a field of a messages file \(nothing was enqueued\)\. Fix: remove it or check its spelling \(the file has templateCode, messages, kind, idempotencyKey/);
    expect(refused.stderr).toMatch(/file\.messages\[0\]\.outId: is not a field of a messages file .*a message has phone, signName, templateParam/);
    const contradicted = await run(['send-batch', '--file', file, '--template', N.verificationTemplate, '--yes']);
    expect(contradicted.code).toBe(2);
    expect(contradicted.stderr).toContain(`--template ${N.verificationTemplate} and the file's templateCode ${N.notificationTemplate} differ; nothing was enqueued. Fix: drop --template`);
    expect(await indexed()).toBe(before);
  });

  it('send-batch names a CSV file\'s line and column, and a list file\'s item, for what it refuses', async () => {
    const csv = join(dir, 'batch-lines.csv');
    writeFileSync(csv, ['phone,sign,name,order', `13800138030,${N.sign},A,1`, '13800138031,,B,2'].join('\n'));
    const fromCsv = await run(['send-batch', '--file', csv, '--template', N.notificationTemplate, '--yes']);
    expect(fromCsv.code).toBe(2);
    // It said messages[1].signName: the file has no messages, only lines and columns.
    expect(fromCsv.stderr).toMatch(/error: file:3: column "sign" /);
    const list = join(dir, 'batch-typo.json');
    writeFileSync(list, JSON.stringify([{ phones: '13800138032', signName: N.sign, templateParam: { name: 'C', order: '3' } }]));
    const fromList = await run(['send-batch', '--file', list, '--template', N.notificationTemplate, '--yes']);
    expect(fromList.code).toBe(2);
    expect(fromList.stderr).toContain('file[0].phone: is required: a string. Fix: add it (field names must match exactly)');
    expect(fromList.stderr).toMatch(/file\[0\]\.phones: is not a field of a messages file/);
  });

  it('campaign: counts the file, enqueues it, and pauses / resumes / cancels it; a cancel of it once sent is refused', async () => {
    const file = join(dir, 'list.csv');
    writeFileSync(file, ['phone,name', ...Array.from({ length: 2500 }, (_, i) => `${13810000000 + i},n${i}`), 'bad,x'].join('\n'));
    const dry = await run(['campaign', '--file', file, '--sign', N.sign, '--template', N.marketingTemplate, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).plan).toMatchObject({ recipients: 2500, rejectedCount: 1, apiCalls: 25, sendBatchSmsCalls: 25, segmentsPerMessage: 1 });
    const text = await run(['campaign', '--file', file, '--sign', N.sign, '--template', N.marketingTemplate, '--dry-run']);
    expect(text.stdout).toMatch(/SMS segments\s+1 per message .*~2500 in total/);
    expect(text.stdout).toMatch(/bad\s+a mainland|bad\s+\S+/);
    expect(text.stderr).toContain('dry run: nothing was enqueued');
    const r = await run(['campaign', '--file', file, '--sign', N.sign, '--template', N.marketingTemplate, '--yes', '--json']);
    expect(r.code).toBe(0);
    const { sendId } = JSON.parse(r.stdout) as { sendId: string };
    const paused = await run(['campaign', 'pause', sendId, '--json']);
    expect(JSON.parse(paused.stdout).send).toMatchObject({ state: 'paused', control: 'paused', stateChangedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00$/) });
    const resumed = await run(['campaign', 'resume', sendId]);
    // Resumed: active, or already sent when the worker drains the rest before the answer is read.
    expect(resumed.stdout).toMatch(new RegExp(`^${sendId}: (active|sent);`));
    await waitFor(async () => JSON.parse((await run(['status', sendId, '--json'])).stdout).counts.accepted === 2500, 'the campaign sent');
    // Pausing a send that is past pausing is refused as its cancel is (it exited 0 saying nothing
    // changed, while the campaigns page refused it), changes nothing, and logs no pause.
    const late = await run(['campaign', 'pause', sendId]);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(new RegExp(`^error SMSQ_SEND_ALREADY_SENT: send ${sendId} is (sent|completed): every recipient was already sent .*; a pause stops nothing now, and nothing was changed\\. Fix: `, 'm'));
    expect(late.stdout).toBe('');
    expect(late.stderr).not.toContain('send paused');
    // A flag meant for an enqueue is refused, not ignored: `cancel --dry-run` cancelled for real.
    const dryCancel = await run(['campaign', 'cancel', sendId, '--dry-run']);
    expect(dryCancel.code).toBe(2);
    expect(dryCancel.stderr).toMatch(/--dry-run is not for `smsq campaign cancel`.*nothing was changed\. Fix: smsq campaign cancel /);
    expect(JSON.parse((await run(['status', sendId, '--json'])).stdout).send.control).not.toBe('cancelled');
    expect((await run(['campaign', 'pause', sendId, '--file', file, '--yes'])).stderr).toMatch(/--file, --yes are not for `smsq campaign pause`/);
    // Every recipient was past the API: nothing is left to cancel, so the cancel is refused and
    // changes nothing (it made the send `cancelled`, which a trial read as nothing having gone out).
    const lateCancel = await run(['campaign', 'cancel', sendId]);
    expect(lateCancel.code).toBe(2);
    expect(lateCancel.stderr).toMatch(new RegExp(`^error SMSQ_SEND_ALREADY_SENT: send ${sendId} is (sent|completed): every recipient was already sent `, 'm'));
    expect(JSON.parse((await run(['status', sendId, '--json'])).stdout).send).toMatchObject({ state: expect.stringMatching(/^(sent|completed)$/), control: 'active' });
    expect((await run(['campaign', 'stop', sendId])).stderr).toMatch(/must be pause, resume or cancel/);
    // One still holding recipients is cancelled, and cannot be resumed.
    const other = join(dir, 'other-list.csv');
    writeFileSync(other, ['phone,name', ...Array.from({ length: 2500 }, (_, i) => `${13820000000 + i},n${i}`)].join('\n'));
    const held = JSON.parse((await run(['campaign', '--file', other, '--sign', N.sign, '--template', N.marketingTemplate, '--yes', '--json'])).stdout) as { sendId: string };
    expect(JSON.parse((await run(['campaign', 'pause', held.sendId, '--json'])).stdout).send.state).toBe('paused');
    const cancelled = await run(['campaign', 'cancel', held.sendId]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toMatch(new RegExp(`^${held.sendId}: cancelled \\(cancelled by an operator\\); .*cancelled \\d+`));
    expect((await run(['campaign', 'resume', held.sendId])).stderr).toMatch(/^error SMSQ_SEND_ENDED: /m);
  });

  it('an enqueue with --yes lists what it rejected and why, as the dry run does (it said "rejected 1" without the line)', async () => {
    const file = join(dir, 'rejects.csv');
    writeFileSync(file, ['phone,name', '13810090001,a', '1381009000,b', '13810090002,c'].join('\n'));
    const campaign = await run(['campaign', '--file', file, '--sign', N.sign, '--template', N.marketingTemplate, '--yes']);
    expect(campaign.code).toBe(0);
    expect(campaign.stdout).toMatch(/rejected\s+1\n/);
    expect(campaign.stdout).toMatch(/1381009000\s+line 3: \S.*/);
    const send = await run(['send', '--phones', '13810090003,1381009000x', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes']);
    expect(send.code).toBe(0);
    expect(send.stdout).toMatch(/1381009000x\s+\S.*/);
  });

  it('sends lists the sends newest first, filters by kind and state, pages by cursor, and refuses bad flags by name', async () => {
    const all = JSON.parse((await run(['sends', '--json'])).stdout) as { sends: { send: { sendId: string; kind: string; state: string; createdAt: string } }[]; next: string | null };
    // The sends the tests above enqueued: at least the campaign and a notification, newest first.
    expect(all.sends.length).toBeGreaterThanOrEqual(3);
    const created = all.sends.map((s) => s.send.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
    const marketing = JSON.parse((await run(['sends', '--kind', 'marketing', '--json'])).stdout) as typeof all;
    expect(marketing.sends.length).toBeGreaterThan(0);
    expect(marketing.sends.every((s) => s.send.kind === 'marketing')).toBe(true);
    // The campaign test above cancelled its send.
    const cancelled = JSON.parse((await run(['sends', '--state', 'cancelled', '--json'])).stdout) as typeof all;
    expect(cancelled.sends.length).toBeGreaterThan(0);
    expect(cancelled.sends.map((s) => s.send.state)).toEqual(cancelled.sends.map(() => 'cancelled'));
    const none = await run(['sends', '--state', 'expired', '--kind', 'verification']);
    expect(none.stdout).toMatch(/^No expired verification sends in Redis under SMSQ_PREFIX=\{smsq-cli-[^}]+\} \(sends leave the list when their retention ends, SMSQ_RETENTION_DAYS\)\.$/m);
    // One at a time: the first page names the command of the next, which lists the second send.
    const head = await run(['sends', '--limit', '1']);
    expect(head.code).toBe(0);
    expect(head.stdout).toContain(all.sends[0]!.send.sendId);
    expect(head.stdout).toMatch(/send id\s+created\s+kind\s+state\s+template\s+recipients\s+by state\s+name/);
    const next = /Next page: smsq sends --limit 1 --cursor ([A-Za-z0-9_-]+)/.exec(head.stdout)?.[1];
    expect(next, head.stdout).toBeDefined();
    const second = await run(['sends', '--limit', '1', '--cursor', next!]);
    expect(second.stdout).toContain(all.sends[1]!.send.sendId);
    expect(second.stdout).not.toContain(all.sends[0]!.send.sendId);
    const bad = await run(['sends', '--state', 'done']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--state "done" must be one of enqueuing, active, paused, sent, completed, cancelled, expired, failed\. Fix: --state active/);
    // Refused as the bad flag it is, its value quoted, as --limit's is: not as a refused enqueue.
    expect((await run(['sends', '--cursor', 'nope'])).stderr).toMatch(/^error: --cursor "nope" is not a cursor of the list of sends\. Fix: pass the `next` value/m);
    const badJson = await run(['sends', '--cursor', 'garbage', '--json']);
    expect(badJson.code).toBe(2);
    expect(JSON.parse(badJson.stdout).error).toMatchObject({
      code: 'SMSQ_BAD_FLAG',
      errorClass: 'usage',
      issues: [{ field: '--cursor', message: expect.stringMatching(/^"garbage" is not a cursor of the list of sends\. Fix: /), fix: expect.stringMatching(/^pass the `next` value/) }],
    });
    expect(JSON.parse(badJson.stdout).error.meaning).not.toMatch(/enqueued/);
    expect((await run(['sends', '--limit', '201'])).stderr).toMatch(/--limit "201" must be a whole number from 1 to 200/);
  });

  it('status of a send this Redis does not hold names REDIS_URL, SMSQ_PREFIX and the fix', async () => {
    const r = await run(['status', 'smx90kmem032def5c0862']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SMSQ_NOT_FOUND: send smx90kmem032def5c0862 not found\. Fix: check the id \(a send id is "s" and lowercase letters and digits, like smx8k5nwj5d7ae857a7a7, as the enqueue answered it\), and that REDIS_URL \(redis:\/\/[^)]+\) and SMSQ_PREFIX \(\{smsq-cli-[^)]+\) are the Redis and prefix it was sent through/);
  });

  it('resume says whether sending was blocked', async () => {
    const r = await run(['resume']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/not blocked/);
  });
});
