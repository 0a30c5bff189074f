/**
 * The CLI run in-process (`runCli` with captured writers) against a real emulator on loopback:
 * flag validation, output formats, error reporting and exit codes. No Redis.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock } from '../../src/clock.js';
import { runCli } from '../../cli/program.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, DEFAULT_FIXTURES, type Emulator } from '../../src/emulator/index.js';
import { createSmsClient } from '../../src/sms/client.js';
import { collector } from '../support/text-collector.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}


async function run(argv: string[], env: NodeJS.ProcessEnv, extra: { waitForShutdown?: () => Promise<string> } = {}): Promise<Run> {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(argv, { stdout, stderr, env, clock, ...extra });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

// 2026-03-26 10:00 in China Standard Time.
const NOW = Date.UTC(2026, 2, 26, 2, 0, 0);
const DAY = '20260326';
const PHONE = '13800138000';
/** The emulator's time and the CLI's. */
const clock = createManualClock(NOW);

describe('smsq in-process', () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    emulator = createEmulator({ clock, delivery: { delayMs: 1000 } });
    const { endpoint } = await emulator.listen();
    env = { SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn' };
    const client = createSmsClient({ endpoint, protocol: 'http', credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
    const sent = await client.sendSms({ phoneNumbers: [PHONE, '13900139000'], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1234' }, outId: 'cli-test-1' });
    expect(sent.ok).toBe(true);
    clock.advance(2000);
  });

  afterAll(async () => {
    await emulator.close();
  });

  let callsBefore = 0;
  beforeEach(() => {
    callsBefore = emulator.calls().length;
  });
  const callsMade = () => emulator.calls().length - callsBefore;

  describe('usage', () => {
    it('prints help with every command and exits 0', async () => {
      const r = await run(['--help'], env);
      expect(r.code).toBe(0);
      for (const cmd of ['signs', 'templates', 'sign', 'template', 'details', 'stats', 'qualifications', 'qualification', 'emulator']) {
        expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
      }
    });

    it('refuses a bad flag with one line naming it and the fix, exit 2, nothing called', async () => {
      const r = await run(['templates', '--page-size', '60'], env);
      expect(r).toEqual({
        code: 2,
        stdout: '',
        stderr: 'error: --page-size "60" must be a whole number from 1 to 50. Fix: --page-size 20\n',
      });
      expect(callsMade()).toBe(0);
    });

    it('checks flags before the environment', async () => {
      const r = await run(['details', '--phone', PHONE, '--date', '2026-03-26'], { SMS_MODE: 'nonsense' });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('error: --date "2026-03-26" must be a real date written yyyyMMdd. Fix: --date 20260326 (the China Standard Time day it was sent, within the last 30 days)\n');
    });

    it('reports bad flags as JSON on stdout with --json', async () => {
      const r = await run(['stats', '--start', '20260326', '--end', '20260301', '--json'], env);
      expect(r.code).toBe(2);
      const body = JSON.parse(r.stdout) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ code: 'SMSQ_BAD_FLAG', errorClass: 'usage' });
      expect(body.error.meaning).toMatch(/^--end "20260301" must not be before --start/);
      expect(callsMade()).toBe(0);
    });

    it('an invalid --start or --end is not also told it is out of order (it was: "swap --start and --end")', async () => {
      const r = await run(['stats', '--start', 'abc', '--end', '20260320'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`error: --start "abc" must be a real date written yyyyMMdd. Fix: --start ${DAY}\n`);
      const j = await run(['stats', '--start', '20260320', '--end', '2026-13-01', '--json'], env);
      const issues = (JSON.parse(j.stdout) as { error: { issues: { field: string }[] } }).error.issues;
      expect(issues.map((i) => i.field)).toEqual(['--end']);
      expect(JSON.stringify(issues)).not.toContain('swap');
      expect(callsMade()).toBe(0);
    });

    it("--end without --start: the example --start is --end's day, not today (which --end is before)", async () => {
      const r = await run(['stats', '--end', '20260301'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe('error: --start is required. Fix: --start 20260301 (on or before --end)\n');
      const today = await run(['stats', '--end', '20260401'], env);
      expect(today.stderr).toContain(`error: --start is required. Fix: --start ${DAY}\n`);
      expect((await run(['stats'], env)).stderr).toContain(`error: --start is required. Fix: --start ${DAY}\n`);
      expect(callsMade()).toBe(0);
    });

    it('a mistyped flag with --json: the line as meaning, the suggestion and the fix with the command\'s help as action (the suggestion sat in meaning after a newline, and the help named "smsq <command>")', async () => {
      const r = await run(['send', '--phone', PHONE, '--json'], env);
      expect(r.code).toBe(2);
      expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'SMSQ_BAD_FLAG', errorClass: 'usage', meaning: "unknown option '--phone'", action: 'Did you mean --phones? Fix: --phones instead of --phone (see smsq send --help)' } });
    });

    it('names positional arguments in capitals', async () => {
      const r = await run(['qualification', 'abc'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: GROUP_ID "abc" must be a whole number/);
    });

    it('refuses an option given twice (commander kept the last: --phones A --phones B sent to B alone); a switch twice is still on', async () => {
      const twice = await run(['send', '--phones', PHONE, '--phones', '13900139000', '--sign', N.sign, '--template', N.verificationTemplate, '--dry-run'], env);
      expect(twice.code).toBe(2);
      // The numbers masked, as in every error (commander's own message quoted them in clear).
      expect(twice.stderr).toContain('--phones is given twice ("138****8000", then "139****9000"); nothing was done. Fix: give --phones once (numbers go comma-separated in one: --phones A,B)');
      expect(twice.stderr).not.toContain('13900139000');
      const pages = await run(['signs', '--page', '1', '--page', '2'], env);
      expect(pages.code).toBe(2);
      expect(pages.stderr).toContain('--page is given twice ("1", then "2")');
      const ignored = await run(['signs', '--all', '--page', '2'], env);
      expect(ignored.code).toBe(2);
      expect(ignored.stderr).toContain('--all walks every page from the first, so --page 2 would be ignored. Fix: drop --page, or drop --all to see page 2');
      // A value that is not a list of numbers is shown (dates, ids), but a number inside it is masked
      // (--param '{"tel":"13912345678"}' twice was quoted in clear).
      const params = await run(['send', '--phones', PHONE, '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"tel":"13912345678"}', '--param', '{"code":"20260326"}', '--dry-run'], env);
      expect(params.code).toBe(2);
      expect(params.stderr).toContain('--param is given twice ("{\\"tel\\":\\"139****5678\\"}", then "{\\"code\\":\\"20260326\\"}")');
      expect(params.stderr).not.toContain('13912345678');
      const switches = await run(['signs', '--json', '--json'], env);
      expect(switches.code, switches.stderr).toBe(0);
      expect(JSON.parse(switches.stdout)).toHaveProperty('items');
    });

    it('refuses a key given twice in --param or in a send-batch JSON file (JSON.parse kept the last: --param \'{"code":"111111","code":"222222"}\' sent 222222)', async () => {
      // A closed port: a refusal must come before Redis is touched (reaching it would exit 3).
      const noRedis = { ...env, REDIS_URL: 'redis://127.0.0.1:1', SMSQ_REDIS_CONNECT_TIMEOUT_MS: '200' };
      const param = '{"code":"111111","code":"222222"}';
      const send = await run(['send', '--phones', PHONE, '--sign', N.sign, '--template', N.verificationTemplate, '--param', param, '--dry-run'], noRedis);
      expect(send, send.stderr).toMatchObject({ code: 2, stdout: '' });
      expect(send.stderr).toBe(`error: --param ${JSON.stringify(param)} gives the key "code" twice (JSON keeps only the last); nothing was done. Fix: give each key once, e.g. --param '{"code":"123456"}'\n`);
      const campaign = await run(['campaign', '--file', 'x.csv', '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"A","name":"B"}', '--dry-run', '--json'], noRedis);
      expect(campaign.code, campaign.stderr).toBe(2);
      expect(campaign.stderr).toContain('error: --param "{\\"name\\":\\"A\\",\\"name\\":\\"B\\"}" gives the key "name" twice (JSON keeps only the last); nothing was done. Fix: give each key once');
      expect(JSON.parse(campaign.stdout)).toMatchObject({ error: { code: 'SMSQ_BAD_FLAG' } });
      const dir = mkdtempSync(join(tmpdir(), 'smsq-twice-'));
      const file = join(dir, 'messages.json');
      writeFileSync(file, `{"templateCode":"${N.notificationTemplate}","messages":[{"phone":"${PHONE}","signName":"${N.sign}","phone":"13900139000","templateParam":{"name":"A","order":"1"}}]}`);
      const batch = await run(['send-batch', '--file', file, '--dry-run'], noRedis);
      expect(batch.code, batch.stderr).toBe(2);
      expect(batch.stderr).toBe('error: file.messages[0].phone: is given twice in one object of the file; JSON keeps the last, so the first would be dropped (nothing was enqueued). Fix: give it once\n');
      expect(batch.stderr).not.toMatch(/13900139000|13800138000/);
      // A list file's message by its place too, as every other refusal of the file names it (file[1]).
      writeFileSync(file, `[{"phone":"${PHONE}","signName":"${N.sign}","templateParam":{"name":"A","order":"1"}},{"phone":"13900139000","signName":"${N.sign}","templateParam":{"name":"B","order":"2","name":"C"}}]`);
      const list = await run(['send-batch', '--file', file, '--dry-run'], noRedis);
      expect(list.stderr).toMatch(/^error: file\[1\]\.templateParam\.name: is given twice in one object of the file/);
      // Every key given twice is named, as the REST API names them: one named alone, its fix
      // made, came back refused for the next.
      writeFileSync(file, `[{"phone":"${PHONE}","signName":"${N.sign}","signName":"${N.sign}","templateParam":{"name":"A","order":"1","order":"2"}}]`);
      const several = await run(['send-batch', '--file', file, '--dry-run'], noRedis);
      expect(several.code, several.stderr).toBe(2);
      expect(several.stderr).toContain('file[0].signName: is given twice in one object of the file');
      expect(several.stderr).toContain('file[0].templateParam.order: is given twice in one object of the file');
      const twoKeys = await run(['send', '--phones', PHONE, '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"1","name":"a","code":"2","name":"b"}', '--dry-run'], noRedis);
      expect(twoKeys.code, twoKeys.stderr).toBe(2);
      expect(twoKeys.stderr).toContain('gives the keys "code" and "name" twice (JSON keeps only the last); nothing was done.');
      rmSync(dir, { recursive: true, force: true });
    });

    it('exits 2 for unknown commands, unknown options and a missing command', async () => {
      expect((await run(['nope'], env)).code).toBe(2);
      const unknown = await run(['signs', '--pagesize', '3', '--json'], env);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/unknown option '--pagesize'/);
      expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 'SMSQ_BAD_FLAG' } });
      expect((await run([], env)).code).toBe(2);
    });

    it("a missing send id says where ids come from (commander's words alone gave no fix)", async () => {
      const r = await run(['status'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/missing required argument 'send-id'/);
      expect(r.stderr).toMatch(/Fix: give the send's id, as send, send-batch or campaign printed it \(`smsq sends` lists them\)/);
    });

    it('prints a config error as one line per variable, exit 2', async () => {
      const r = await run(['signs'], { SMS_MODE: 'lve' });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: SMS_MODE="lve" must be "sandbox" or "live"/)]);
    });
  });

  describe('an operator trial: help, repeated and required flags, enum case, aliyun CLI names', () => {
    it('`smsq help` and `smsq help <command>` print help on stdout and exit 0, as --help does (they exited 2, "refused")', async () => {
      const top = await run(['help'], env);
      expect(top.code, top.stderr).toBe(0);
      expect(top.stdout).toMatch(/^\s+signs\b/m);
      const signs = await run(['help', 'signs'], env);
      expect(signs.code, signs.stderr).toBe(0);
      expect(signs.stdout).toMatch(/^Usage: smsq signs /m);
      expect(signs.stdout).toBe((await run(['signs', '--help'], env)).stdout);
    });

    it('`smsq help <no such command>` exits 2 naming it, with the nearest command when there is one (it printed the help, exit 2, without a word)', async () => {
      const none = await run(['help', 'nosuch'], env);
      expect(none).toMatchObject({ code: 2, stdout: '' });
      expect(none.stderr).toBe("error: unknown command 'nosuch'\nFix: a command smsq has (smsq --help lists the commands)\n");
      const near = await run(['help', 'stat'], env);
      expect(near).toMatchObject({ code: 2, stdout: '' });
      expect(near.stderr).toMatch(/^error: unknown command 'stat'\n\(Did you mean stats\?\)\nFix: smsq stats \(smsq --help lists the commands\)\n$/);
      const json = await run(['help', 'stat', '--json'], env);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'SMSQ_BAD_FLAG', meaning: "unknown command 'stat'", action: expect.stringMatching(/^Did you mean stats\?/) } });
    });

    it('a flag given twice shows its values unmasked unless they are phone numbers (--start "202****1201")', async () => {
      const stats = await run(['stats', '--start', '20260320', '--end', DAY, '--start', '20260321'], env);
      expect(stats.code).toBe(2);
      expect(stats.stderr).toBe('error: --start is given twice ("20260320", then "20260321"); nothing was done. Fix: give --start once\n');
      const details = await run(['details', '--phone', PHONE, '--date', DAY, '--date', '20260325', '--json'], env);
      expect(details.code).toBe(2);
      expect((JSON.parse(details.stdout) as { error: { meaning: string } }).error.meaning).toBe('--date is given twice ("20260326", then "20260325"); nothing was done. Fix: give --date once');
      const orders = await run(['qualifications', '--work-order-id', '20010001', '--work-order-id', '20010002'], env);
      expect(orders.stderr).toContain('--work-order-id is given twice ("20010001", then "20010002")');
      const phones = await run(['details', '--phone', PHONE, '--phone', '13900139000', '--date', DAY], env);
      expect(phones.stderr).toContain('--phone is given twice ("138****8000", then "139****9000")');
      expect(callsMade()).toBe(0);
    });

    it('a refused --phone is masked as a refused --phones entry is (the digits of "1380013800x" were shown whole)', async () => {
      const details = await run(['details', '--phone', '1380013800x', '--date', DAY], env);
      expect(details.code).toBe(2);
      expect(details.stderr).toContain('--phone "138****800x" is not a usable number: contains "x"');
      expect(details.stderr).not.toContain('1380013800x');
      const send = await run(['send', '--phones', '1380013800x', '--sign', N.sign, '--template', N.verificationTemplate, '--dry-run'], env);
      expect(send.stderr).toContain('138****800x: contains "x"');
      // Two numbers in one value, and a value too short for any number, as the send refusals show them.
      const two = await run(['details', '--phone', '13800138000;13900139000', '--date', DAY], env);
      expect(two.stderr).toContain('--phone "138****8000;139****9000" holds 2 numbers');
      const short = await run(['details', '--phone', '12345x', '--date', DAY], env);
      expect(short.stderr).toContain('--phone "12345x" is not a usable number');
      expect(callsMade()).toBe(0);
    });

    it('a flag given without its value is told so (commander took the next flag as the value: `--phones --sign X` said "too many arguments")', async () => {
      // A closed port: the refusal must come before Redis is touched (reaching it would exit 3).
      const noRedis = { ...env, REDIS_URL: 'redis://127.0.0.1:1', SMSQ_REDIS_CONNECT_TIMEOUT_MS: '200' };
      const send = await run(['send', '--phones', '--sign', N.sign, '--template', N.verificationTemplate, '--dry-run'], noRedis);
      expect(send).toEqual({ code: 2, stdout: '', stderr: 'error: --phones needs a value (got the flag --sign). Fix: --phones <list> (a value that is itself a flag goes as --phones=<list>)\n' });
      // The masking hid that the value taken was `--json`: "****: contains "j"".
      const json = await run(['send', '--phones', '--json', '--sign', N.sign, '--template', N.verificationTemplate, '--dry-run'], noRedis);
      expect(json.code).toBe(2);
      expect(json.stderr).toBe('error: --phones needs a value (got the flag --json). Fix: --phones <list> (a value that is itself a flag goes as --phones=<list>)\n');
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'SMSQ_BAD_FLAG', meaning: expect.stringMatching(/^--phones needs a value \(got the flag --json\)/) } });
      // campaign took `--sign` as the file and X as its ACTION: 'ACTION "X" must be pause, resume or cancel'.
      const campaign = await run(['campaign', '--file', '--sign', N.sign, '--template', N.marketingTemplate, '--dry-run'], noRedis);
      expect(campaign).toEqual({ code: 2, stdout: '', stderr: 'error: --file needs a value (got the flag --sign). Fix: --file <path> (a value that is itself a flag goes as --file=<path>)\n' });
      // The last flag without its value was commander's own line already; a short flag is a flag too.
      const stats = await run(['stats', '--start', '-h', '--end', DAY], env);
      expect(stats.stderr).toMatch(/^error: --start needs a value \(got the flag -h\)/);
      expect(callsMade()).toBe(0);
    });

    it('a value that starts with "-" is still given: after "=", or as a negative number', async () => {
      const noRedis = { ...env, REDIS_URL: 'redis://127.0.0.1:1', SMSQ_REDIS_CONNECT_TIMEOUT_MS: '200' };
      // --idempotency-key=-retry-1 reaches the producer (Redis: exit 3), as --idempotency-key retry-1 does.
      const named = await run(['send', '--phones', PHONE, '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"123456"}', '--idempotency-key=-retry-1', '--dry-run'], noRedis);
      expect(named.code, named.stderr).toBe(3);
      // A negative number is a value, as commander takes it: refused by the flag's own check, not as a flag.
      const page = await run(['signs', '--page', '-5'], env);
      expect(page).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: --page "-5" must be a whole number/) });
      // `-` alone (standard input, by convention) is no flag.
      const file = await run(['send-batch', '--file', '-', '--template', N.notificationTemplate, '--dry-run'], noRedis);
      expect(file.stderr).not.toMatch(/needs a value/);
    });

    it('--help marks the flags a command cannot run without (stats --start/--end, details --phone/--date)', async () => {
      const required = (help: string, flag: string) => new RegExp(`^\\s+${flag} <[^>]+>\\s+\\(required\\) `, 'm').test(help);
      const stats = (await run(['stats', '--help'], env)).stdout;
      expect(required(stats, '--start'), stats).toBe(true);
      expect(required(stats, '--end'), stats).toBe(true);
      expect(required(stats, '--sign-name'), stats).toBe(false);
      const details = (await run(['details', '--help'], env)).stdout;
      expect(required(details, '--phone'), details).toBe(true);
      expect(required(details, '--date'), details).toBe(true);
      expect(required(details, '--biz-id'), details).toBe(false);
    });

    it('details --phone with two numbers says details takes one (it advised --phones, a flag details does not have)', async () => {
      const r = await run(['details', '--phone', '13800138000,13900139000', '--date', DAY], env);
      expect(r.code).toBe(2);
      expect(r.stderr).not.toContain('--phones');
      expect(r.stderr).toMatch(/^error: --phone "138\*\*\*\*8000,139\*\*\*\*9000" holds 2 numbers: smsq details looks up one number\. Fix: run it once per number, e\.g\. --phone 13800138000\n$/);
      expect(callsMade()).toBe(0);
    });

    it('enum-valued flags take any case, as --state PASS/pass does (--kind Verification was refused)', async () => {
      // A closed port: a flag refused exits 2 before Redis is touched; one accepted reaches Redis (exit 3).
      const noRedis = { ...env, REDIS_URL: 'redis://127.0.0.1:1', SMSQ_REDIS_CONNECT_TIMEOUT_MS: '200' };
      const send = await run(['send', '--phones', PHONE, '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"123456"}', '--kind', 'Verification', '--dry-run'], noRedis);
      expect(send.stderr).not.toMatch(/--kind/);
      expect(send.code, send.stderr).toBe(3);
      const sends = await run(['sends', '--kind', 'MARKETING', '--state', 'Active'], noRedis);
      expect(sends.code, sends.stderr).toBe(3);
      const status = await run(['status', 'smx8raea837d634fdfd72', '--watch', '--until', 'Final'], noRedis);
      expect(status.code, status.stderr).toBe(3);
    });

    it('names smsq\'s flag for an aliyun CLI flag name (--sign-name, --phone-numbers, --start-date ... were refused with no suggestion)', async () => {
      const send = await run(['send', '--phone-numbers', PHONE, '--sign-name', N.sign, '--template-code', N.verificationTemplate], env);
      expect(send.code).toBe(2);
      expect(send.stderr).toBe("error: unknown option '--phone-numbers'\n(Did you mean --phones? It is smsq's name for the aliyun CLI's --phone-numbers.)\nFix: --phones instead of --phone-numbers (see smsq send --help)\n");
      const json = await run(['stats', '--start-date', '20260320', '--end-date', DAY, '--json'], env);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout)).toEqual({
        error: { code: 'SMSQ_BAD_FLAG', errorClass: 'usage', meaning: "unknown option '--start-date'", action: "Did you mean --start? It is smsq's name for the aliyun CLI's --start-date. Fix: --start instead of --start-date (see smsq stats --help)" },
      });
      const cases: [string[], string][] = [
        [['send', '--sign-name', N.sign], '--sign'],
        [['send', '--template-code', N.verificationTemplate], '--template'],
        [['send', '--template-param', '{"code":"1"}'], '--param'],
        [['send', '--phone-number', PHONE], '--phones'],
        [['details', '--phone-number', PHONE], '--phone'],
        [['details', '--send-date', DAY], '--date'],
        [['details', '--current-page', '2'], '--page'],
        [['stats', '--end-date', DAY], '--end'],
        [['sends', '--page-size', '10'], '--limit'],
        [['campaign', '--sign-name', N.sign], '--sign'],
        [['qualifications', '--page-no', '2'], '--page'],
      ];
      for (const [argv, flag] of cases) {
        const r = await run(argv, env);
        expect(r.code, argv.join(' ')).toBe(2);
        expect(r.stderr, argv.join(' ')).toContain(`(Did you mean ${flag}? It is smsq's name for the aliyun CLI's ${argv[1]}.)`);
      }
      // An argument, not a flag, in smsq.
      const template = await run(['template', '--template-code', N.verificationTemplate], env);
      expect(template.stderr).toContain("(Did you mean smsq template <code>? smsq takes what the aliyun CLI's --template-code gives as an argument.)");
      expect(callsMade()).toBe(0);
    });
  });

  describe('signatures and templates', () => {
    it('lists signatures as a table with words for states and approved ones marked', async () => {
      const r = await run(['signs'], env);
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^#\s+name\s+status\s+business type\s+created\s+reason$/);
      expect(lines).toHaveLength(1 + DEFAULT_FIXTURES.signs.length + 1);
      expect(r.stdout).toMatch(new RegExp(`1  ${N.sign}\\s+approved ✓`));
      expect(r.stdout).toMatch(new RegExp(`${N.reviewingSign}\\s+reviewing\\s`));
      expect(r.stdout).toMatch(new RegExp(`${N.rejectedSign}\\s+rejected\\s.*签名来源证明材料不完整`));
      expect(lines.at(-1)).toBe('4 signatures in all. 2 shown approved (✓ = usable for sending).');
      // The sandbox says so on stderr, never on stdout.
      expect(r.stderr).toContain('SANDBOX MODE: no SMS leaves this machine');
      expect(r.stdout).not.toContain('SANDBOX');
    });

    it('lists signatures as JSON', async () => {
      const r = await run(['signs', '--json'], env);
      expect(r.code).toBe(0);
      const body = JSON.parse(r.stdout) as { totalCount: number; items: { signName: string; status: string; approved: boolean }[] };
      expect(body.totalCount).toBe(4);
      expect(body.items.find((s) => s.signName === N.rejectedSign)).toMatchObject({ status: 'rejected', approved: false, auditStatus: 'AUDIT_STATE_NOT_PASS' });
      expect(body.items.filter((s) => s.approved).map((s) => s.signName)).toEqual([N.sign, N.aliyunTestSign]);
    });

    it('pages templates, and --all walks every page', async () => {
      const page = await run(['templates', '--page-size', '3', '--page', '2'], env);
      expect(page.code).toBe(0);
      expect(page.stdout).toContain('Page 2 of 3: 3 of 8 templates. Next: --page 3, or --all.');
      expect(page.stdout).toMatch(/^\s*4\s+SMS_900000004/m);

      const before = emulator.calls().length;
      const all = await run(['templates', '--page-size', '3', '--all', '--json'], env);
      expect(all.code).toBe(0);
      expect(emulator.calls().length - before).toBe(3);
      const body = JSON.parse(all.stdout) as { all: boolean; items: { templateCode: string; variables: string[]; status: string }[] };
      expect(body.all).toBe(true);
      expect(body.items.map((t) => t.templateCode)).toEqual(DEFAULT_FIXTURES.templates.map((t) => t.templateCode));
      expect(body.items.find((t) => t.templateCode === N.notificationTemplate)).toMatchObject({ variables: ['name', 'order'], status: 'approved' });
    });

    it('shows templates as the seed does: index, code, name, content, status', async () => {
      const r = await run(['templates'], env);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toMatch(/^#\s+code\s+name\s+type\s+status\s+content$/);
      expect(r.stdout).toMatch(/SMS_900000001\s+登录验证码\s+verification\s+approved ✓\s+您的验证码为\$\{code\}/);
      expect(r.stdout).toMatch(/SMS_900000007\s+被驳回模板\s+marketing\s+rejected\s/);
      expect(r.stdout).toContain('8 templates in all. 6 shown approved');
    });

    it('shows one template with its placeholders', async () => {
      const r = await run(['template', N.notificationTemplate], env);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^status\s+approved \(1\)$/m);
      expect(r.stdout).toMatch(/^variables\s+\$\{name\} \$\{order\}$/m);
      expect(r.stdout).toMatch(/^params\s+--param '\{"name":"...","order":"..."\}'$/m);

      const json = JSON.parse((await run(['template', N.reviewingTemplate, '--json'], env)).stdout) as Record<string, unknown>;
      expect(json).toMatchObject({ templateCode: N.reviewingTemplate, templateStatus: 0, status: 'reviewing', approved: false, variables: ['time'] });
      expect(typeof json.requestId).toBe('string');
    });

    it('shows one signature, its state in words', async () => {
      const r = await run(['sign', N.rejectedSign], env);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^status\s+rejected \(2\)$/m);
      expect(r.stdout).toMatch(/^usable\s+no: only approved signatures can send$/m);
    });

    it('refuses a template code of another form before any call (sms_1, SMS_)', async () => {
      const before = emulator.calls().length;
      for (const code of ['sms_900000001', 'SMS_', '900000001']) {
        const r = await run(['template', code], env);
        expect(r.code, code).toBe(2);
        expect(r.stderr).toContain('must look like SMS_123456789 (SMS_ in capitals, then digits). Fix: smsq templates lists the codes');
      }
      expect(emulator.calls().length).toBe(before);
    });

    it('reports an unknown template with meaning, action and the recovery command, exit 2 (refused)', async () => {
      const r = await run(['template', 'SMS_000000000'], env);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      const error = lines.find((l) => l.startsWith('error '));
      expect(error).toMatch(/^error \S+: \S/);
      expect(lines.some((l) => /^what to do: \S/.test(l))).toBe(true);
      expect(lines).toContain('see what the account has: smsq templates');
      expect(lines.some((l) => /^request id: \S+/.test(l))).toBe(true);

      const json = await run(['template', 'SMS_000000000', '--json'], env);
      expect(json.code).toBe(2);
      const body = JSON.parse(json.stdout) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ errorClass: 'sign_template', suggest: ['smsq templates'] });
      for (const key of ['code', 'meaning', 'action', 'requestId']) expect(typeof body.error[key]).toBe('string');
    });
  });

  describe('send details and statistics', () => {
    it('shows the delivery details of a number on a day, the number normalised', async () => {
      const r = await run(['details', '--phone', '+86 138 0013 8000', '--date', DAY], env);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toMatch(/^phone\s+status\s+code\s+template\s+sent\s+received\s+out id\s+content$/);
      expect(r.stdout).toMatch(new RegExp(`^${PHONE}\\s+delivered\\s+DELIVERED\\s+${N.verificationTemplate}\\s+2026-03-26 10:00:00 \\+08:00\\s+2026-03-26 10:00:01 \\+08:00\\s+cli-test-1\\s+【${N.sign}】您的验证码为1234`, 'm'));
      expect(r.stdout).toContain('\n1 record in all.\n');

      const json = JSON.parse((await run(['details', '--phone', PHONE, '--date', DAY, '--json'], env)).stdout) as { totalCount: number; details: Record<string, unknown>[] };
      expect(json.totalCount).toBe(1);
      expect(json.details[0]).toMatchObject({ phoneNum: PHONE, sendStatus: 3, status: 'delivered', errCode: 'DELIVERED', outId: 'cli-test-1' });
    });

    it('says so when a number got nothing that day', async () => {
      const r = await run(['details', '--phone', '13700137000', '--date', DAY], env);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`No messages to 13700137000 on ${DAY} (dates are China Standard Time).\n`);
    });

    it('refuses a --date QuerySendDetails does not answer for (after today, or over 30 days ago, CST), nothing called', async () => {
      const later = await run(['details', '--phone', PHONE, '--date', '20260327'], env);
      expect(later).toEqual({
        code: 2,
        stdout: '',
        stderr: 'error: --date "20260327" is after today in China Standard Time: QuerySendDetails answers for 20260224 to 20260326 only. Fix: --date 20260326, or an earlier day in that range\n',
      });
      const old = await run(['details', '--phone', PHONE, '--date', '20260223'], env);
      expect(old.code).toBe(2);
      expect(old.stderr).toMatch(/^error: --date "20260223" is more than 30 days ago in China Standard Time: .* 20260224 to 20260326 only\. Fix:/);
      expect(callsMade()).toBe(0);
      // The window's first day is still asked.
      expect((await run(['details', '--phone', PHONE, '--date', '20260224'], env)).code).toBe(0);
    });

    it('refuses a number that cannot be one', async () => {
      const r = await run(['details', '--phone', '1380013800', '--date', DAY], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: --phone "138\*\*\*\*3800" is not a usable number: .*Fix: --phone 13800138000\n$/);
      expect(callsMade()).toBe(0);
    });

    it('shows statistics per day with totals, and as JSON', async () => {
      const r = await run(['stats', '--start', '20260320', '--end', DAY], env);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toMatch(/^date\s+total\s+delivered\s+failed\s+no receipt$/);
      expect(r.stdout).toMatch(/^20260326\s+2\s+2\s+0\s+0$/m);
      expect(r.stdout).toMatch(/^total\s+2\s+2\s+0\s+0$/m);

      const json = JSON.parse((await run(['stats', '--start', DAY, '--end', DAY, '--globe', '1', '--json'], env)).stdout) as Record<string, unknown>;
      expect(json).toMatchObject({ totalSize: 1, rows: [{ sendDate: DAY, totalCount: 2 }], totals: { totalCount: 2, respondedSuccessCount: 2 } });
    });

    it('validates --globe and --template-type choices', async () => {
      const globe = await run(['stats', '--start', DAY, '--end', DAY, '--globe', '3'], env);
      expect(globe.code).toBe(2);
      expect(globe.stderr).toMatch(/^error: --globe "3" must be one of 1, 2\. Fix:/);
      const type = await run(['stats', '--start', DAY, '--end', DAY, '--template-type', '5'], env);
      expect(type.stderr).toMatch(/^error: --template-type "5" must be one of 0, 1, 2, 3, 7\. Fix:/);
    });

    it('refuses an --end after today (CST), and names today in date examples, nothing called', async () => {
      const later = await run(['stats', '--start', DAY, '--end', '20260327'], env);
      expect(later).toEqual({ code: 2, stdout: '', stderr: 'error: --end "20260327" is after today (20260326, China Standard Time): there is nothing to count yet. Fix: --end 20260326\n' });
      const at = clock.now();
      clock.set(at + 10 * 86_400_000);
      const shape = await run(['details', '--phone', PHONE, '--date', '2026-13-26'], env);
      // A real day written with dashes is given back as yyyyMMdd rather than today.
      const dashed = await run(['details', '--phone', PHONE, '--date', '2026-03-26'], env);
      clock.set(at);
      expect(shape.stderr).toMatch(/^error: --date "2026-13-26" must be a real date written yyyyMMdd\. Fix: --date 20260405 /);
      expect(dashed.stderr).toMatch(/^error: --date "2026-03-26" must be a real date written yyyyMMdd\. Fix: --date 20260326 /);
      expect(callsMade()).toBe(0);
    });
  });

  describe('qualifications', () => {
    it('lists records as a table and as JSON', async () => {
      const r = await run(['qualifications'], env);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toMatch(/^group id\s+name\s+company\s+legal person\s+state\s+own use\s+work order\s+created\s+remark$/);
      expect(r.stdout).toMatch(new RegExp(`^${N.approvedQualification}\\s+smsq沙箱科技有限公司张三`, 'm'));

      const json = JSON.parse((await run(['qualifications', '--json', '--page-size', '1'], env)).stdout) as { items: Record<string, unknown>[]; totalCount: number };
      expect(json.items).toHaveLength(1);
      expect(json.totalCount).toBe(DEFAULT_FIXTURES.qualifications.length);
      // Times in JSON are ISO 8601 with the offset, as everywhere else (they came as Alibaba writes them, without a zone).
      const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?\+08:00$/;
      expect(json.items[0]?.createDate).toMatch(iso);
      expect(json.items[0]?.auditTime).toBe('2025-01-01T18:00:00.000+08:00');
    });

    it('shows the state code the filter takes, with its words, and China times; --state is checked, any case', async () => {
      const r = await run(['qualifications'], env);
      expect(r.stdout).toMatch(new RegExp(`^${N.approvedQualification}\\s.*\\sPASS 审核通过\\s.*\\s\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\+08:00\\s+审核通过$`, 'm'));
      const passed = await run(['qualifications', '--state', 'pass'], env);
      expect(passed.code).toBe(0);
      expect(passed.stdout).toMatch(new RegExp(`^${N.approvedQualification}\\s`, 'm'));
      const before = callsMade();
      const bogus = await run(['qualifications', '--state', 'BOGUS'], env);
      expect(bogus).toEqual({ code: 2, stdout: '', stderr: 'error: --state "BOGUS" must be one of INIT, PASS, NOT_PASS, NOT_FINISH, CANCEL. Fix: --state PASS\n' });
      expect(callsMade()).toBe(before);
    });

    it('a page past the last is refused as that flag (on stderr, exit 2), not said to be empty', async () => {
      const r = await run(['signs', '--page', '50', '--page-size', '50'], env);
      expect(r).toMatchObject({ code: 2, stdout: '' });
      expect(r.stderr).toMatch(/^error: --page 50 is past the last page: \d+ signatures fill 1 page of 50\.\nFix: --page 1 \(the only page\), or --all\n$/m);
      // Statistics and details said "Nothing sent" / "No messages" past their last page (an operator trial).
      const stats = await run(['stats', '--start', DAY, '--end', DAY, '--page', '2'], env);
      expect(stats).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/\nerror: --page 2 is past the last page: 1 day fills 1 page of 20\.\nFix: --page 1 \(the only page\), or --all\n$/) });
      const details = await run(['details', '--phone', PHONE, '--date', DAY, '--page', '5'], env);
      expect(details).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/error: --page 5 is past the last page: 1 record fills 1 page of 10\.\nFix: --page 1 \(the only page\), or --all\n$/) });
    });

    it('shows one record', async () => {
      const r = await run(['qualification', String(N.approvedQualification)], env);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/companyName\s+smsq沙箱科技有限公司/);
    });
  });

  describe('sandbox without an endpoint', () => {
    it('starts an emulator inside the process and says so loudly', async () => {
      const r = await run(['sign', N.sign, '--json'], { LOG_LEVEL: 'warn' });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ signName: N.sign, status: 'approved' });
      const warn = JSON.parse(r.stderr.trim().split('\n')[0]!) as Record<string, unknown>;
      expect(warn).toMatchObject({ level: 40, mode: 'sandbox' });
      expect(warn.msg).toMatch(/^SANDBOX MODE: no SMS leaves this machine; calls go to the smsq emulator at 127\.0\.0\.1:\d+/);
    });
  });

  describe('emulator command', () => {
    it('serves the API until shut down, printing the key id it accepts and never the secret', async () => {
      let stop!: (signal: string) => void;
      const stopped = new Promise<string>((resolve) => (stop = resolve));
      const stdout = collector();
      const stderr = collector();
      const done = runCli(['emulator', '--port', '0', '--json'], {
        stdout,
        stderr,
        env: { LOG_LEVEL: 'warn', ALIBABA_CLOUD_ACCESS_KEY_ID: 'cli-key', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'cli-secret' },
        waitForShutdown: () => stopped,
      });
      const line = await new Promise<string>((resolve, reject) => {
        const poll = setInterval(() => {
          if (stdout.text.includes('\n')) {
            clearInterval(poll);
            resolve(stdout.text.split('\n')[0]!);
          }
        }, 5);
        void done.then((code) => {
          clearInterval(poll);
          reject(new Error(`emulator command ended early with ${code}: ${stderr.text}`));
        });
      });
      const info = JSON.parse(line) as { endpoint: string; accessKeyId: string };
      expect(info.accessKeyId).toBe('cli-key');
      expect(stdout.text + stderr.text).not.toContain('cli-secret');
      const client = createSmsClient({ endpoint: info.endpoint, protocol: 'http', credential: { kind: 'access-key', accessKeyId: 'cli-key', accessKeySecret: 'cli-secret' } });
      const signs = await client.querySmsSignList({ pageIndex: 1, pageSize: 10 });
      expect(signs.ok).toBe(true);
      stop('SIGTERM');
      expect(await done).toBe(0);
      expect(stderr.text).toContain('SIGTERM: stopping the emulator');
      const after = await client.querySmsSignList({ pageIndex: 1, pageSize: 10 });
      expect(after.ok).toBe(false);
    });

    it('refuses a port out of range', async () => {
      const r = await run(['emulator', '--port', '70000'], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: --port "70000" must be a whole number from 0 to 65535/);
    });
  });
});
