/**
 * Refusals of the command line that commander makes itself (a missing argument, an option without
 * its value, too many arguments, an unknown option or command) end with a `Fix:` line, as every
 * other refusal of smsq does; commander's line alone named the fault and not what to type. The
 * aliyun CLI's flag names that docs/aliyun-cli.md maps get smsq's answer (a flag, a setting, or
 * "not needed"), where they got a bare "unknown option" (and `--region` "Did you mean --version?").
 * Exit 2 throughout, and nothing is called.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { spawnSmsq, SPAWNED_MS, type CliProcess } from '../support/cli-process.js';
import { runSmsqInProcess, type CliRun } from '../support/cli-run.js';

let emulator: Emulator;
let env: NodeJS.ProcessEnv;
const children: CliProcess[] = [];

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  const { endpoint } = await emulator.listen();
  env = { SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn' };
});

afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  await emulator?.close();
});

let callsBefore = 0;
beforeEach(() => {
  callsBefore = emulator.calls().length;
});

const run = (argv: string[]): Promise<CliRun> => runSmsqInProcess(argv, { env });

/** The refusal's stderr lines, after checking it is a refusal that called nothing. */
async function refused(argv: string[]): Promise<string[]> {
  const r = await run(argv);
  expect(r.code, r.stderr).toBe(EXIT.refused);
  expect(r.stdout).toBe('');
  expect(emulator.calls().length - callsBefore).toBe(0);
  return r.stderr.trimEnd().split('\n');
}

describe("commander's own refusals end with a Fix line", () => {
  it.each([
    ['sign', ['sign'], "error: missing required argument 'name'", /^Fix: smsq sign <name>, .*\(smsq signs lists them\).*smsq sign --help/],
    ['template', ['template'], "error: missing required argument 'code'", /^Fix: smsq template <code>, .*\(smsq templates lists them\).*smsq template --help/],
    ['qualification', ['qualification'], "error: missing required argument 'group-id'", /^Fix: smsq qualification <group-id>, .*smsq qualifications.*smsq qualification --help/],
  ])('a missing argument (%s) names the argument, where its values come from and the help', async (_name, argv, line, fix) => {
    expect(await refused(argv)).toEqual([line, expect.stringMatching(fix)]);
  });

  it.each([
    ['stats --end', ['stats', '--start', '20260101', '--end'], "error: option '--end <yyyyMMdd>' argument missing", /^Fix: --end <yyyyMMdd>: last day, China Standard Time \(see smsq stats --help\)$/],
    ['sends --limit', ['sends', '--limit'], "error: option '--limit <n>' argument missing", /^Fix: --limit <n>: .*\(see smsq sends --help\)$/],
  ])('an option without its value (%s) names its shape', async (_name, argv, line, fix) => {
    expect(await refused(argv)).toEqual([line, expect.stringMatching(fix)]);
  });

  it('too many arguments: says what the command takes', async () => {
    expect(await refused(['signs', 'extra'])).toEqual([
      "error: too many arguments for 'signs'. Expected 0 arguments but got 1.",
      expect.stringMatching(/^Fix: smsq signs takes no argument: .*\(see smsq signs --help\)$/),
    ]);
    expect(await refused(['sign', 'Your', 'Sign'])).toEqual([
      "error: too many arguments for 'sign'. Expected 1 argument but got 2.",
      expect.stringMatching(/^Fix: smsq sign <name> takes one argument: .*quotes.*\(see smsq sign --help\)$/),
    ]);
  });

  it('an unknown option: drop it, or the flag commander suggests', async () => {
    expect(await refused(['details', '--phone', '13800138000', '--date', '20260101', '--limit', '5'])).toEqual([
      "error: unknown option '--limit'",
      expect.stringMatching(/^Fix: drop --limit: smsq details has no such flag \(see smsq details --help\)$/),
    ]);
    expect(await refused(['qualifications', '--group-id', '1'])).toEqual([
      "error: unknown option '--group-id'",
      expect.stringMatching(/^Fix: drop --group-id: smsq qualifications has no such flag \(see smsq qualifications --help\)$/),
    ]);
    expect(await refused(['signs', '--pagesize', '3'])).toEqual(["error: unknown option '--pagesize'", '(Did you mean --page-size?)', 'Fix: --page-size instead of --pagesize (see smsq signs --help)']);
  });

  it("--version after a command is no flag of that command: refused, with smsq's own --version as the fix", async () => {
    for (const flag of ['--version', '-V']) {
      expect(await refused(['status', 'smx8k5nwj5d7ae857a7a7', flag])).toEqual([
        `error: unknown option '${flag}'`,
        expect.stringMatching(new RegExp(`^Fix: drop ${flag}: smsq status has no such flag; smsq ${flag} alone prints the version \\(see smsq status --help\\)$`)),
      ]);
    }
    expect(await refused(['signs', '--version'])).toEqual(["error: unknown option '--version'", expect.stringMatching(/^Fix: drop --version: smsq signs has no such flag; smsq --version alone/)]);
    const version = await run(['--version']);
    expect(version).toMatchObject({ code: EXIT.ok, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });

  it('an unknown command: the nearest one, or where the list is', async () => {
    expect(await refused(['stat'])).toEqual(["error: unknown command 'stat'", '(Did you mean stats?)', 'Fix: smsq stats (smsq --help lists the commands)']);
    expect(await refused(['nosuch'])).toEqual(["error: unknown command 'nosuch'", 'Fix: a command smsq has (smsq --help lists the commands)']);
  });

  it('a near name with two commands: each as a command line', async () => {
    expect(await refused(['sendz'])).toEqual(["error: unknown command 'sendz'", '(Did you mean one of send, sends?)', 'Fix: one of smsq send, smsq sends (smsq --help lists the commands)']);
  });

  it("a command's flag before the command: after it (it was told to drop --json)", async () => {
    expect(await refused(['--page', '2', 'signs'])).toEqual(["error: unknown option '--page'", "Fix: smsq signs --page <n>: a command's flags go after its name (see smsq signs --help)"]);
    const r = await run(['--json', 'signs']);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toBe("error: unknown option '--json'\nFix: smsq signs --json: a command's flags go after its name (see smsq signs --help)\n");
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'SMSQ_BAD_FLAG', action: "Fix: smsq signs --json: a command's flags go after its name (see smsq signs --help)" } });
  });

  it('--json: the Fix is in the action', async () => {
    const r = await run(['sign', '--json']);
    expect(r.code).toBe(EXIT.refused);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'SMSQ_BAD_FLAG', errorClass: 'usage', meaning: "missing required argument 'name'", action: expect.stringMatching(/^Fix: smsq sign <name>, /) } });
  });
});

describe('aliyun CLI flag names get smsq\'s answer', () => {
  it.each([
    ['--read-timeout', ['signs', '--read-timeout', '3'], /SMS_READ_TIMEOUT_MS/, /^Fix: drop --read-timeout and set SMS_READ_TIMEOUT_MS in the environment/],
    ['--connect-timeout', ['templates', '--connect-timeout', '3'], /SMS_READ_TIMEOUT_MS/, /^Fix: drop --connect-timeout and set SMS_READ_TIMEOUT_MS in the environment/],
    ['--profile', ['stats', '--start', '20260101', '--end', '20260101', '--profile', 'prod'], /ALIBABA_CLOUD_PROFILE/, /^Fix: drop --profile and set ALIBABA_CLOUD_PROFILE in the environment/],
    ['--endpoint', ['signs', '--endpoint', 'dysmsapi.aliyuncs.com'], /SMS_ENDPOINT/, /^Fix: drop --endpoint and set SMS_ENDPOINT in the environment/],
    ['--access-key-id', ['sign', N.sign, '--access-key-id', 'LTAI'], /ALIBABA_CLOUD_ACCESS_KEY_ID/, /^Fix: drop --access-key-id and set ALIBABA_CLOUD_ACCESS_KEY_ID in the environment/],
    ['--region', ['details', '--phone', '13800138000', '--date', '20260101', '--region', 'cn-hangzhou'], /not needed: .*one endpoint/, /^Fix: drop --region \(see smsq details --help\)$/],
    ['--api-version', ['signs', '--api-version', '2017-05-25'], /not needed: smsq always calls Dysmsapi 2017-05-25/, /^Fix: drop --api-version \(see smsq signs --help\)$/],
    ['--user-agent', ['qualifications', '--user-agent', 'x'], /not needed/, /^Fix: drop --user-agent \(see smsq qualifications --help\)$/],
    ['--verify', ['send', '--phones', '13800138000', '--verify'], /not needed: .*checks the signature/, /^Fix: drop --verify \(see smsq send --help\)$/],
    ['--out-id', ['send', '--phones', '13800138000', '--out-id', 'abc'], /not offered: .*OutId of its own/, /^Fix: drop --out-id \(see smsq send --help\)$/],
    ['--sms-up-extend-code-json', ['send-batch', '--sms-up-extend-code-json', '["1"]'], /Did you mean --file\? .*extend_code/, /^Fix: --file instead of --sms-up-extend-code-json \(see smsq send-batch --help\)$/],
    ['--sign-name on send (as before, with a Fix)', ['send', '--sign-name', N.sign], /Did you mean --sign\?/, /^Fix: --sign instead of --sign-name \(see smsq send --help\)$/],
    // "drop --sign" widened stats to every signature: it is send's name for what stats calls --sign-name.
    ['--sign on stats (it was told to drop it)', ['stats', '--start', '20260101', '--end', '20260101', '--sign', N.sign], /Did you mean --sign-name\? smsq stats names the signature/, /^Fix: --sign-name instead of --sign \(see smsq stats --help\)$/],
    ['--template-code on template', ['template', '--template-code', N.verificationTemplate], /Did you mean smsq template <code>\?/, /^Fix: smsq template <code>, the value as an argument, not after --template-code \(see smsq template --help\)$/],
  ])('%s', async (flag, argv, answer, fix) => {
    const lines = await refused(argv);
    expect(lines).toEqual([`error: unknown option '${flag.split(' ')[0]}'`, expect.stringMatching(answer), expect.stringMatching(fix)]);
    expect(lines.join('\n')).not.toMatch(/--version/);
  });

  it.each([
    ['-p', ['send', '-p', '13800138000', '-s', N.sign], /^\(Did you mean --phones\? .*send_sms\.sh's -p \(--phone-numbers\)/, 'Fix: --phones instead of -p (see smsq send --help)'],
    ['-s', ['send', '-s', N.sign], /^\(Did you mean --sign\? /, 'Fix: --sign instead of -s (see smsq send --help)'],
    ['-t', ['send', '-t', N.verificationTemplate], /^\(Did you mean --template\? /, 'Fix: --template instead of -t (see smsq send --help)'],
    ['-tp', ['send', '-tp', '{"code":"1234"}'], /^\(Did you mean --param\? /, 'Fix: --param instead of -tp (see smsq send --help)'],
    ['-o', ['send', '-o', 'abc'], /^\(-o: not offered: .*OutId of its own/, 'Fix: drop -o (see smsq send --help)'],
    ['-r', ['signs', '-r', 'cn-hangzhou'], /^\(-r: not needed: .*one endpoint/, 'Fix: drop -r (see smsq signs --help)'],
    ['-p on details', ['details', '-p', '13800138000', '--date', '20260101'], /^\(Did you mean --phone\? /, 'Fix: --phone instead of -p (see smsq details --help)'],
  ])("the skill wrapper's short option %s: smsq's flag, not dropped with its value", async (flag, argv, answer, fix) => {
    expect(await refused(argv)).toEqual([`error: unknown option '${flag.split(' ')[0]}'`, expect.stringMatching(answer), fix]);
  });

  it('as the real process prints it: exit 2, the answer and the Fix on stderr, nothing on stdout', async () => {
    const p = spawnSmsq(['details', '--phone', '13800138000', '--date', '20260101', '--region', 'cn-hangzhou'], env);
    children.push(p);
    expect(await p.exited, p.stderr).toBe(EXIT.refused);
    expect(p.stdout).toBe('');
    expect(p.stderr).toBe(
      "error: unknown option '--region'\n(--region: not needed: Dysmsapi has one endpoint, dysmsapi.aliyuncs.com, and SMS_ENDPOINT overrides it.)\nFix: drop --region (see smsq details --help)\n",
    );
  }, SPAWNED_MS + 30_000);
});

describe("the aliyun CLI's and the skill wrapper's command names get smsq's command", () => {
  it.each([
    ['send-sms', 'send', "the aliyun CLI's"],
    ['send-batch-sms', 'send-batch', "the aliyun CLI's"],
    ['query-send-details', 'details', "the aliyun CLI's"],
    ['query-send-statistics', 'stats', "the aliyun CLI's"],
    ['query-sms-sign-list', 'signs', "the aliyun CLI's"],
    ['get-sms-sign', 'sign', "the aliyun CLI's"],
    ['query-sms-template-list', 'templates', "the aliyun CLI's"],
    ['get-sms-template', 'template', "the aliyun CLI's"],
    ['query-sms-qualification-record', 'qualifications', "the aliyun CLI's"],
    ['query-single-sms-qualification', 'qualification', "the aliyun CLI's"],
    ['SendSms', 'send', "the aliyun CLI's"],
    ['list-signs', 'signs', "send_sms.sh's"],
    ['list-templates', 'templates', "send_sms.sh's"],
    ['query-sign', 'sign', "send_sms.sh's"],
    ['query-template', 'template', "send_sms.sh's"],
    ['query-status', 'details', "send_sms.sh's"],
    ['query-statistics', 'stats', "send_sms.sh's"],
  ])('%s → smsq %s (send-sms was pointed at sends, the rest at nothing)', async (name, smsq, whose) => {
    expect(await refused([name, '--page-size', '5'])).toEqual([
      `error: unknown command '${name}'`,
      `(Did you mean ${smsq}? It is smsq's name for ${whose} ${name}.)`,
      `Fix: smsq ${smsq} instead of smsq ${name} (see smsq ${smsq} --help)`,
    ]);
  });

  it('`dysmsapi` (and `aliyun`) before an action: not needed, and the action as smsq has it', async () => {
    expect(await refused(['dysmsapi', 'send-sms', '--phone-numbers', '13800138000'])).toEqual([
      "error: unknown command 'dysmsapi'",
      "(dysmsapi: not needed: smsq calls Dysmsapi itself, and its commands are Dysmsapi's actions.)",
      'Fix: smsq send instead of smsq dysmsapi send-sms (see smsq send --help)',
    ]);
    expect((await refused(['aliyun', 'dysmsapi', 'query-send-details']))[2]).toBe('Fix: smsq details instead of smsq aliyun dysmsapi query-send-details (see smsq details --help)');
    expect((await refused(['dysmsapi', 'signs']))[2]).toBe('Fix: smsq signs instead of smsq dysmsapi signs (see smsq signs --help)');
    expect((await refused(['dysmsapi']))[2]).toMatch(/^Fix: drop dysmsapi and give smsq's command \(smsq --help lists them/);
  });

  it('--json: the answer and the Fix are in the action', async () => {
    const r = await run(['send-sms', '--json']);
    expect(r.code).toBe(EXIT.refused);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'SMSQ_BAD_FLAG', errorClass: 'usage', meaning: "unknown command 'send-sms'", action: "Did you mean send? It is smsq's name for the aliyun CLI's send-sms. Fix: smsq send instead of smsq send-sms (see smsq send --help)" },
    });
  });
});
