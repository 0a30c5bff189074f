/**
 * Issue 12, "checked against the account before anything is written": a catalogue of requests the
 * account or Dysmsapi would refuse, each run through the producer API (send, sendBatch, campaign),
 * the CLI (`smsq send`, `smsq campaign`) and REST (POST /v1/messages, /v1/batches, /v1/campaigns),
 * asserting the field and the fix, the exit code or HTTP status, and that Redis holds no new key
 * (send, chunk, job, idempotency key) afterwards. Then: numbers outside the template's region are
 * rejected one by one, and look-ups are cached and paced.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '../../producers/producer.js';
import { EXIT_USAGE } from '../../cli/errors.js';
import { runCli } from '../../cli/program.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { ValidationError, type FieldIssue } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createCatalogLookup } from '../../src/queue/catalog-lookup.js';
import { SEND_ID_SHAPE } from '../../src/send-id-shape.js';
import { createSmsClient } from '../../src/sms/client.js';
import type { SmsClient } from '../../src/sms/types.js';
import { createProducerConnection, createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { collector } from '../support/text-collector.js';
import { runSmsqInProcess } from '../support/cli-run.js';

const TOKEN = 'door-test-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const dir = mkdtempSync(join(tmpdir(), 'smsq-door-'));
const redis = createTestConnection();
const producerRedis = createProducerConnection();
const prefix = uniquePrefix('door');
const logger = createLogger({ level: 'silent' });
let emulator: Emulator;
let client: SmsClient;
let producer: Producer;
let app: SmsqServer;
let env: NodeJS.ProcessEnv;

/** The producer as every front end builds it: with the account's (paced, cached) catalog. */
function doorProducer(p: string): Producer {
  return createProducer({ redis: producerRedis, prefix: p, logger, catalog: createCatalogLookup({ client, redis, prefix: p, qps: 500 }) });
}

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 20 } });
  const { endpoint } = await emulator.listen();
  client = createSmsClient({ endpoint, protocol: 'http', readTimeoutMs: 2000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
  producer = doorProducer(prefix);
  app = await buildServer({ checkResponses: true, redis, prefix, producer, logger, apiToken: TOKEN, dashboard: { token: 'door-dashboard-token-0123456789' } });
  env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'error', SMSQ_QUIET_HOURS: 'off' };
});

afterAll(async () => {
  await app.close();
  await producer.close();
  await deleteKeys(redis, prefix);
  redis.disconnect();
  producerRedis.disconnect();
  await emulator.close();
});

/** Keys a refused request may leave: the account's, not the request's (the pacer's count of the look-up calls, the cache of approved signatures/templates). */
const HARMLESS = /:(pacer|catalog:.*)$/;
async function keysOf(p: string): Promise<Set<string>> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 1000);
    cursor = next;
    for (const k of batch) if (!HARMLESS.test(k)) found.add(k);
  } while (cursor !== '0');
  return found;
}

async function expectNothingWritten(before: Set<string>): Promise<void> {
  const after = await keysOf(prefix);
  expect([...after].filter((k) => !before.has(k))).toEqual([]);
}

interface Case {
  name: string;
  sign: string;
  template: string;
  phones: string[];
  param?: Record<string, string>;
  kind?: 'verification' | 'notification' | 'marketing';
  deadline?: string;
  /** The field named, as `send` names it (`signName`, `templateParam.code`, `phones`, ...). */
  field: string;
  message: RegExp;
  /** Per-number problems: a campaign rejects such rows one by one (tested below), so it is not in the whole-request catalogue. */
  perNumber?: boolean;
  /**
   * The fix as each surface names the setting: the producer and a JSON body by its field, the CLI
   * by its flag (the API was told "--kind marketing" too).
   */
  fix?: { api: string; cli: string };
}

const PHONE = '13800138000';
const CODE = { code: '123456' };
const NOTE = { name: 'Ada', order: 'A1' };

const CASES: Case[] = [
  { name: 'unknown signature', sign: 'no-such-sign', template: N.verificationTemplate, phones: [PHONE], param: CODE, kind: 'verification', field: 'signName', message: /"no-such-sign" is not in this account.*smsq signs/ },
  { name: 'signature under review', sign: N.reviewingSign, template: N.verificationTemplate, phones: [PHONE], param: CODE, kind: 'verification', field: 'signName', message: /under review \(status 0\).*smsq signs/ },
  { name: 'signature rejected, with the reason', sign: N.rejectedSign, template: N.verificationTemplate, phones: [PHONE], param: CODE, kind: 'verification', field: 'signName', message: /rejected \(status 2\): 签名来源证明材料不完整.*smsq signs/ },
  { name: 'unknown template', sign: N.sign, template: 'SMS_999999999', phones: [PHONE], param: CODE, field: 'templateCode', message: /SMS_999999999 is not in this account.*smsq templates/ },
  { name: 'template under review', sign: N.sign, template: N.reviewingTemplate, phones: [PHONE], param: { time: '10:00' }, field: 'templateCode', message: /under review \(status 0\).*smsq templates/ },
  { name: 'template rejected, with the reason', sign: N.sign, template: N.rejectedTemplate, phones: [PHONE], param: { name: 'Ada' }, kind: 'marketing', field: 'templateCode', message: /rejected \(status 2\): 模板内容涉嫌诱导.*smsq templates/ },
  { name: 'mainland number, international template', sign: N.sign, template: N.internationalTemplate, phones: [PHONE], param: CODE, field: 'phones[0]', message: /mainland number needs a domestic template.*smsq templates/, perNumber: true },
  { name: 'international number, domestic template', sign: N.sign, template: N.notificationTemplate, phones: ['+85291234567'], param: NOTE, field: 'phones[0]', message: /outside the Chinese mainland needs an international.*type 3.*smsq templates/, perNumber: true },
  { name: 'verification code of 7 characters', sign: N.sign, template: N.verificationTemplate, phones: [PHONE], param: { code: '1234567' }, kind: 'verification', field: 'templateParam.code', message: /4-6 letters or digits.*Fix/ },
  { name: 'a link inside a variable', sign: N.sign, template: N.notificationTemplate, phones: [PHONE], param: { name: 'see http://evil.example/x', order: 'A1' }, field: 'templateParam.name', message: /link.*PARAM_NOT_SUPPORT_URL.*Fix/ },
  { name: 'a variable over 35 characters', sign: N.sign, template: N.notificationTemplate, phones: [PHONE], param: { name: 'Ada', order: 'A'.repeat(36) }, field: 'templateParam.order', message: /36 characters.*at most 35.*Fix/ },
  // Characters that show as blank space or as nothing, which String.prototype.trim() keeps: the message read with a gap.
  { name: 'a blank-looking variable (U+3164 HANGUL FILLER)', sign: N.sign, template: N.notificationTemplate, phones: [PHONE], param: { name: '\u3164', order: 'A1' }, field: 'templateParam.name', message: /is blank-looking: .*U\+3164.*Fix: give name a value/ },
  { name: 'a blank-looking variable of several (braille blank, a combining mark, U+180E)', sign: N.sign, template: N.notificationTemplate, phones: [PHONE], param: { name: 'Ada', order: '\u2800\u0301\u180e' }, field: 'templateParam.order', message: /is blank-looking: .*U\+2800.*Fix: give order a value/ },
  { name: 'a param the template does not use', sign: N.sign, template: N.verificationTemplate, phones: [PHONE], param: { code: '123456', minutes: '5' }, kind: 'verification', field: 'templateParam.minutes', message: /not a variable of the template.*Fix/ },
  { name: 'a verification template sent as marketing', sign: N.sign, template: N.verificationTemplate, phones: [PHONE], param: CODE, kind: 'marketing', field: 'kind', message: /verification \(type 0\) template: sent as marketing its codes would wait for the quiet hours to end.*Fix: /, fix: { api: 'Fix: `kind: "verification"`, or a marketing template', cli: 'Fix: `--kind verification`, or a marketing template' } },
  { name: 'a marketing template sent as a notification', sign: N.sign, template: N.marketingTemplate, phones: [PHONE], param: { name: 'n' }, kind: 'notification', field: 'kind', message: /marketing \(type 2\) template: sent as notification it would skip the quiet hours and the opt-out list\. Fix: /, fix: { api: 'Fix: `kind: "marketing"`, or a notification template', cli: 'Fix: `--kind marketing`, or a notification template' } },
  { name: 'a notification template sent as verification to two numbers', sign: N.sign, template: N.notificationTemplate, phones: [PHONE, '13900139000'], param: NOTE, kind: 'verification', field: 'kind', message: /notification \(type 1\) template: sent as verification to (2 numbers|a campaign), each number would take a SendSms call of its own.*Fix: /, fix: { api: 'Fix: `kind: "notification"`, or leave the kind out', cli: 'Fix: `--kind notification`, or leave the kind out' } },
  { name: 'a param in another case than the variable', sign: N.sign, template: N.verificationTemplate, phones: [PHONE], param: { Code: '123456' }, kind: 'verification', field: 'templateParam.Code', message: /not a variable of the template \(it uses \$\{code\}\)\. Fix: rename it "code" \(variable names must match exactly\)/ },
  { name: 'a deadline in the past', sign: N.sign, template: N.notificationTemplate, phones: [PHONE], param: NOTE, deadline: '2020-01-01T08:00:00+08:00', field: 'deadline', message: /in the past.*ISO 8601/ },
  { name: 'a deadline that does not parse', sign: N.sign, template: N.notificationTemplate, phones: [PHONE], param: NOTE, deadline: 'tomorrow 8pm', field: 'deadline', message: /ISO 8601.*epoch milliseconds/ },
  // The CLI read digits as a number: past 2^53 it quoted the number rounded (100000000000000000).
  { name: 'a deadline of more digits than a number holds', sign: N.sign, template: N.notificationTemplate, phones: [PHONE], param: NOTE, deadline: '99999999999999999', field: 'deadline', message: /epoch milliseconds, got "99999999999999999"/ },
];

const sendRequest = (c: Case) => ({ phones: c.phones, signName: c.sign, templateCode: c.template, templateParam: c.param, kind: c.kind, deadline: c.deadline });
const batchRequest = (c: Case) => ({
  templateCode: c.template,
  kind: c.kind,
  deadline: c.deadline,
  messages: c.phones.map((phone) => ({ phone, signName: c.sign, templateParam: c.param })),
});
const campaignSettings = (c: Case) => ({ signName: c.sign, templateCode: c.template, templateParam: c.param, kind: c.kind ?? 'notification', deadline: c.deadline });

/** The field as sendBatch names it. */
function batchField(c: Case): string {
  if (c.field === 'signName') return 'messages[0].signName';
  if (c.field.startsWith('templateParam')) return `messages[0].${c.field}`;
  if (c.field === 'phones[0]') return 'messages[0].phone';
  return c.field;
}

function expectIssue(issues: FieldIssue[] | undefined, field: string, message: RegExp, fix?: string): void {
  expect(issues, 'issues').toBeDefined();
  expect(issues).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.stringMatching(message) })]));
  if (fix !== undefined) {
    const said = issues!.find((i) => i.field === field)!.message;
    expect(said).toContain(fix);
    expect(said).not.toMatch(/--kind|--param/);
  }
}

async function refusal(run: Promise<unknown>): Promise<ValidationError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the request was refused').toBeInstanceOf(ValidationError);
  return err as ValidationError;
}

async function cli(argv: string[]) {
  return runSmsqInProcess(argv, { env });
}
/** The flag each refused field is named by in the CLI's text (the request field, in its JSON). */
const CLI_FLAG: Record<string, string> = {
  signName: '--sign',
  templateCode: '--template',
  phones: '--phones',
  'phones[0]': '--phones[0]',
  kind: '--kind',
  deadline: '--deadline',
  'templateParam.code': '--param code',
  'templateParam.Code': '--param Code',
  'templateParam.name': '--param name',
  'templateParam.order': '--param order',
  'templateParam.minutes': '--param minutes',
};

function cliFlags(c: Case): string[] {
  return [
    '--sign', c.sign,
    '--template', c.template,
    ...(c.param ? ['--param', JSON.stringify(c.param)] : []),
    ...(c.kind ? ['--kind', c.kind] : []),
    ...(c.deadline ? ['--deadline', c.deadline] : []),
    '--yes',
  ];
}

describe('the door: requests the account or Dysmsapi would refuse are refused whole, nothing written', () => {
  describe.each(CASES)('$name', (c) => {
    it('producer API: send, sendBatch and campaign throw ValidationError naming the field and the fix', async () => {
      const before = await keysOf(prefix);
      expectIssue((await refusal(producer.send(sendRequest(c)))).issues, c.field, c.message, c.fix?.api);
      expectIssue((await refusal(producer.sendBatch(batchRequest(c)))).issues, batchField(c), c.message, c.fix?.api);
      if (!c.perNumber) {
        async function* rows() {
          for (const phone of c.phones) yield { phone };
        }
        expectIssue((await refusal(producer.campaign(rows(), campaignSettings(c)))).issues, c.field, c.message, c.fix?.api);
      }
      await expectNothingWritten(before);
    });

    it('CLI: smsq send and smsq campaign exit with the refusal code and print the flag and the fix', async () => {
      const before = await keysOf(prefix);
      const send = await cli(['send', '--phones', c.phones.join(','), ...cliFlags(c), '--json']);
      expect(send.code, send.stderr).toBe(EXIT_USAGE);
      // The text names the flag the user typed; the JSON keeps the API's field.
      expect(send.stderr).toContain(`error: ${CLI_FLAG[c.field]}: `);
      expect(JSON.parse(send.stdout).error.issues).toEqual(expect.arrayContaining([expect.objectContaining({ field: c.field })]));
      expect(send.stderr).toMatch(c.message);
      if (c.fix) expect(send.stderr).toContain(c.fix.cli);
      expect(JSON.parse(send.stdout).error.code).toBe('SMSQ_INVALID_REQUEST');
      if (!c.perNumber) {
        const file = join(dir, `${c.name.replace(/\W+/g, '-')}.csv`);
        writeFileSync(file, ['phone', ...c.phones].join('\n'));
        const kind = c.kind ? [] : ['--kind', 'notification'];
        const campaign = await cli(['campaign', '--file', file, ...cliFlags(c), ...kind]);
        expect(campaign.code, campaign.stderr).toBe(EXIT_USAGE);
        expect(campaign.stderr).toContain(`error: ${CLI_FLAG[c.field]}: `);
        expect(campaign.stderr).toMatch(c.message);
        if (c.fix) expect(campaign.stderr).toContain(c.fix.cli);
      }
      await expectNothingWritten(before);
    });

    it('REST: POST /v1/messages, /v1/batches and /v1/campaigns answer 400 with the field and the fix', async () => {
      const before = await keysOf(prefix);
      const strip = <T extends object>(body: T) => JSON.parse(JSON.stringify(body)) as T; // no undefined fields
      const messages = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: strip(sendRequest(c)) });
      expect(messages.statusCode, messages.body).toBe(400);
      expectIssue(messages.json().error.issues, c.field, c.message, c.fix?.api);
      const batches = await app.inject({ method: 'POST', url: '/v1/batches', headers: AUTH, payload: strip(batchRequest(c)) });
      expect(batches.statusCode, batches.body).toBe(400);
      expectIssue(batches.json().error.issues, batchField(c), c.message, c.fix?.api);
      if (!c.perNumber) {
        const campaigns = await app.inject({
          method: 'POST',
          url: '/v1/campaigns',
          headers: AUTH,
          payload: strip({ ...campaignSettings(c), recipients: c.phones.map((phone) => ({ phone })) }),
        });
        expect(campaigns.statusCode, campaigns.body).toBe(400);
        expectIssue(campaigns.json().error.issues, c.field, c.message, c.fix?.api);
      }
      await expectNothingWritten(before);
    });
  });
});

describe('numbers against the template region', () => {
  it('rejects each number outside the region with the reason and sends the rest (send, sendBatch, campaign, REST)', async () => {
    const mixed = [PHONE, '+85291234567'];
    const send = await producer.send({ phones: mixed, signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE });
    expect(send.recipients).toBe(1);
    expect(send.rejected).toEqual([{ input: '+85291234567', reason: expect.stringMatching(/needs an international .* template \(type 3\)/) }]);

    const batch = await producer.sendBatch({
      templateCode: N.internationalTemplate,
      messages: mixed.map((phone) => ({ phone, signName: N.sign, templateParam: CODE })),
    });
    expect(batch.recipients).toBe(1);
    expect(batch.rejected).toEqual([{ input: PHONE, reason: expect.stringMatching(/mainland number needs a domestic template/) }]);

    async function* rows() {
      yield { phone: PHONE };
      yield { phone: '85291234567' };
    }
    const campaign = await producer.campaign(rows(), { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' } });
    expect(campaign.recipients).toBe(1);
    expect(campaign.rejected).toEqual([{ input: '85291234567', reason: expect.stringMatching(/type 3/) }]);

    const rest = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: mixed, signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE } });
    expect(rest.statusCode).toBe(202);
    expect(rest.json().rejected).toEqual([{ input: '+85291234567', reason: expect.stringMatching(/type 3/) }]);
  });
});

describe('a send that names no kind takes its template\'s', () => {
  it('verification template: verification (the urgent lane); marketing template: marketing; notification template: notification. Through the producer, the CLI and REST', async () => {
    const cases = [
      { template: N.verificationTemplate, param: CODE, kind: 'verification' },
      { template: N.marketingTemplate, param: { name: 'n' }, kind: 'marketing' },
      { template: N.notificationTemplate, param: NOTE, kind: 'notification' },
    ] as const;
    for (const [i, c] of cases.entries()) {
      const phone = String(13700137010 + i);
      const plan = await producer.planSend({ phones: [phone], signName: N.sign, templateCode: c.template, templateParam: c.param });
      expect(plan.kind, c.template).toBe(c.kind);
      const batch = await producer.planSendBatch({ templateCode: c.template, messages: [{ phone, signName: N.sign, templateParam: c.param }] });
      expect(batch.kind, c.template).toBe(c.kind);
      const dry = await cli(['send', '--phones', phone, '--sign', N.sign, '--template', c.template, '--param', JSON.stringify(c.param), '--dry-run', '--json']);
      expect(dry.code, dry.stderr).toBe(0);
      expect((JSON.parse(dry.stdout) as { plan: { kind: string } }).plan.kind).toBe(c.kind);
      const rest = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: [phone], signName: N.sign, templateCode: c.template, templateParam: c.param } });
      expect(rest.statusCode, rest.body).toBe(202);
      expect((await producer.getStatus((rest.json() as { sendId: string }).sendId)).send.kind).toBe(c.kind);
    }
  });
});

describe('a value of the wrong type', () => {
  it('REST names the field, what it must be, what came and the fix (zod said "Invalid input: expected string, received number"), nothing written', async () => {
    const before = await keysOf(prefix);
    const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: [13800138000], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.issues).toEqual([{ field: 'phones[0]', message: 'must be a string, got a number. Fix: write the value in double quotes ("...")' }]);
    // A control takes no body: a field in one would be ignored as if honoured.
    const control = await app.inject({ method: 'POST', url: '/v1/sends/smx0000000000000000000/pause', headers: AUTH, payload: { reason: 'legal hold' } });
    expect(control.statusCode).toBe(400);
    expect(control.json().error.issues).toEqual([{ field: '(body)', message: 'is not taken: pause acts on the send in the path alone. Fix: send no body (or {})' }]);
    // An empty text body is no body: the control goes on to the send (here: none by that id).
    const empty = await app.inject({ method: 'POST', url: '/v1/sends/smx0000000000000000000/pause', headers: { ...AUTH, 'content-type': 'text/plain' }, payload: '' });
    expect(empty.statusCode).toBe(404);
    // In a query string, a list is a parameter given twice: no advice about JSON quotes.
    const twice = await app.inject({ method: 'POST', url: `/v1/campaigns?signName=${encodeURIComponent(N.sign)}&templateCode=${N.marketingTemplate}&templateCode=${N.marketingTemplate}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: 'phone\n13800138000\n' });
    expect(twice.statusCode).toBe(400);
    expect(twice.json().error.issues).toEqual([{ field: 'query.templateCode', message: 'must be a string, got a list. Fix: give the parameter once' }]);
    await expectNothingWritten(before);
  });
});

describe('no valid number at all', () => {
  it('send and sendBatch say so the same way: a line that says nothing was enqueued, then each number at its place in the list, masked as numbers are everywhere', async () => {
    const sent = await refusal(producer.send({ phones: ['+85291234567'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE }));
    const batch = await refusal(producer.sendBatch({ templateCode: N.notificationTemplate, messages: [{ phone: '+85291234567', signName: N.sign, templateParam: NOTE }] }));
    for (const [err, field, at] of [[sent, 'phones', 'phones[0]'], [batch, 'messages', 'messages[0].phone']] as const) {
      expect(err.issues).toEqual([
        { field, message: 'no valid phone number among 1 (nothing was enqueued)' },
        { field: at, message: expect.stringMatching(/^\+85\*+4567: a number outside the Chinese mainland needs an international .*Fix: send it with a type 3 template \(see `smsq templates`\)$/) },
      ]);
      expect(err.message).not.toContain('91234567');
    }
    // Each number by its place (the trial was told "****: ...; 138****3800: ..." and could not tell which was which).
    const three = await refusal(producer.send({ phones: ['+85291234567', '12345', '1380013800', '138001380001'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE }));
    expect(three.issues.map((i) => i.field)).toEqual(['phones', 'phones[0]', 'phones[1]', 'phones[2]']);
    expect(three.issues[0]?.message).toBe('no valid phone number among 4 (nothing was enqueued); the first 3 of them below, and 1 more');
    // Masked as the rest of smsq masks numbers: `12345` is no phone number and is shown as typed (it was `****`, while the rejected table shows it).
    expect(three.issues[2]?.message).toBe('12345: a mainland mobile number has 11 digits, got 5: check it for a missing or extra digit');
    expect(three.issues[3]?.message).toBe('138****3800: a mainland mobile number has 11 digits, got 10: check it for a missing or extra digit');
    // A campaign given as a JSON list is not told to send a file again.
    const campaign = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: AUTH, payload: { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, recipients: [{ phone: '12345' }, { phone: '+85291234567' }] } });
    expect(campaign.statusCode).toBe(400);
    expect(campaign.json().error.issues).toEqual([
      { field: 'recipients', message: 'holds no valid recipient: all 2 recipients were rejected (nothing was enqueued). Fix: correct the recipients and send the request again' },
      { field: 'recipients[0].phone', message: '12345: a mainland mobile number has 11 digits, got 5: check it for a missing or extra digit' },
      { field: 'recipients[1].phone', message: expect.stringMatching(/^\+85\*+4567: a number outside the Chinese mainland needs an international /) },
    ]);
  });

  it('smsq send names each by --phones[i], as REST names phones[i] (its --json keeps phones[i])', async () => {
    const r = await cli(['send', '--phones', '12345,1380013800,138001380001', '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"1234"}', '--yes', '--json']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([
      'error: --phones: no valid phone number among 3 (nothing was enqueued)',
      'error: --phones[0]: 12345: a mainland mobile number has 11 digits, got 5: check it for a missing or extra digit',
      'error: --phones[1]: 138****3800: a mainland mobile number has 11 digits, got 10: check it for a missing or extra digit',
      'error: --phones[2]: 138****0001: a mainland mobile number has 11 digits, got 12: check it for a missing or extra digit',
    ]);
    expect((JSON.parse(r.stdout) as { error: { issues: { field: string }[] } }).error.issues.map((i) => i.field)).toEqual(['phones', 'phones[0]', 'phones[1]', 'phones[2]']);
    const rest = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: ['1380013800', '12345'], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1234' } } });
    expect(rest.json().error.issues.map((i: { field: string }) => i.field)).toEqual(['phones', 'phones[0]', 'phones[1]']);
  });
});

describe('an entry that holds several numbers', () => {
  // The reason named `--phones` and JSON whatever the caller used: a CSV row, a batch message, a REST body.
  const TWO = '13800138040;13800138041';
  const SEVERAL = /^holds 2 numbers, with ";" between them: give one number per entry/;

  it('a send names the phones field as its caller writes it: the API\'s `phones: [...]` (Node, REST), `--phones A,B` (the CLI)', async () => {
    const sent = await producer.send({ phones: [TWO, PHONE], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE });
    expect(sent.rejected).toEqual([{ input: TWO, reason: expect.stringMatching(SEVERAL) }]);
    expect(sent.rejected[0]?.reason).toMatch(/, as `phones: \["A","B"\]`$/);

    const rest = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: [TWO, PHONE], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE } });
    expect(rest.statusCode).toBe(202);
    expect(rest.json().rejected).toEqual([{ input: TWO, reason: expect.stringMatching(SEVERAL) }]);
    expect(rest.json().rejected[0].reason).toMatch(/, as `phones: \["A","B"\]`$/);

    const r = await cli(['send', '--phones', `${TWO},13800138042`, '--sign', N.sign, '--template', N.notificationTemplate, '--param', JSON.stringify(NOTE), '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/holds 2 numbers, with ";" between them: give one number per entry, as `--phones A,B`/);
    for (const text of [sent.rejected[0]?.reason, rest.json().rejected[0].reason, r.stdout]) expect(text).not.toMatch(/JSON takes|\(--phones takes/);
  });

  it('a batch message and a campaign row are not told of --phones or JSON', async () => {
    const batch = await producer.sendBatch({ templateCode: N.notificationTemplate, messages: [{ phone: TWO, signName: N.sign, templateParam: NOTE }, { phone: PHONE, signName: N.sign, templateParam: NOTE }] });
    // Named by its place: the number alone, masked in a refusal, did not say which message.
    expect(batch.rejected).toEqual([{ input: TWO, reason: expect.stringMatching(/^messages\[0\]\.phone: holds 2 numbers, with ";" between them: give one number per entry$/) }]);
    const file = join(dir, 'several.csv');
    writeFileSync(file, `phone,name\n"${TWO}",Li\n13800138043,Wang\n`);
    const r = await cli(['campaign', '--file', file, '--sign', N.sign, '--template', N.marketingTemplate, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const campaign = JSON.parse(r.stdout) as { rejected: { input: string; reason: string }[] };
    expect(campaign.rejected).toEqual([{ input: TWO, line: 2, reason: expect.stringMatching(/^line 2: holds 2 numbers, with ";" between them: give one number per entry, a row each$/) }]);
    for (const text of [batch.rejected[0]?.reason, campaign.rejected[0]?.reason]) expect(text).not.toMatch(/--phones|JSON/);
  });
});

describe('a notification template as verification', () => {
  it('goes to one number (one call either way: an urgent notification may take the codes\' lane)', async () => {
    const sent = await producer.send({ phones: ['13800138071'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE, kind: 'verification' });
    expect((await producer.getStatus(sent.sendId)).send).toMatchObject({ kind: 'verification', recipients: 1 });
    // One number written twice is one number (it was counted as two, and refused).
    const again = await producer.send({ phones: ['13800138072', '+86 138 0013 8072'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE, kind: 'verification' });
    expect((await producer.getStatus(again.sendId)).send).toMatchObject({ kind: 'verification', recipients: 1, duplicates: 1 });
  });
});

describe('values the message would show as nothing', () => {
  it('a blank param is refused for send, and a campaign row with an empty cell is rejected with the reason', async () => {
    const blank = await refusal(producer.send({ phones: [PHONE], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: ' ', order: 'A1' }, kind: 'notification' }));
    expect(blank.issues).toEqual([{ field: 'templateParam.name', message: expect.stringMatching(/^is blank \(white space only\): a variable holds 1-35 characters/) }]);
    const hidden = await refusal(producer.send({ phones: [PHONE], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Li\u0007', order: '\u202e1' }, kind: 'notification' }));
    expect(hidden.issues.map((i) => i.field)).toEqual(['templateParam.name', 'templateParam.order']);
    const campaign = await app.inject({
      method: 'POST',
      url: `/v1/campaigns?signName=${encodeURIComponent(N.sign)}&templateCode=${N.marketingTemplate}`,
      headers: { ...AUTH, 'content-type': 'text/csv' },
      payload: 'phone,name\n13800138081,\n13800138082,Wang\n12345,Li\n',
    });
    expect(campaign.statusCode, campaign.body).toBe(202);
    expect(campaign.json()).toMatchObject({ recipients: 1, rejectedCount: 2 });
    expect(campaign.json().rejected[0].reason).toMatch(/is empty/);
    // Its record says why: the row (its params), not the number, which is valid; the bad number is the number.
    const { recipients } = await producer.recipientPage(campaign.json().sendId, { limit: 10 });
    const codeOf = (phone: string) => recipients.find((r) => r.phone === phone)?.code;
    expect([codeOf('13800138081'), codeOf('12345')]).toEqual(['SMSQ_INVALID_RECIPIENT', 'SMSQ_INVALID_NUMBER']);
  });
});

describe('values that look blank in a recipient\'s own params', () => {
  // U+3164 HANGUL FILLER and U+2800 BRAILLE PATTERN BLANK are not white space to trim(): a row or
  // message of them went out with a gap where the name is.
  const FILLER = '\u3164';
  const BRAILLE = '\u2800';

  it('a campaign row is rejected with the reason (producer, REST upload and JSON, smsq campaign); the others go ahead', async () => {
    async function* rows() {
      yield { phone: '13800138101', params: { name: FILLER } };
      yield { phone: '13800138102', params: { name: 'Wang' } };
    }
    const api = await producer.campaign(rows(), { signName: N.sign, templateCode: N.marketingTemplate });
    expect(api).toMatchObject({ recipients: 1, rejectedCount: 1 });
    expect(api.rejected[0]).toMatchObject({ input: '13800138101', reason: expect.stringMatching(/blank-looking: .*U\+3164.*Fix: give name a value/) });

    const upload = await app.inject({
      method: 'POST',
      url: `/v1/campaigns?signName=${encodeURIComponent(N.sign)}&templateCode=${N.marketingTemplate}`,
      headers: { ...AUTH, 'content-type': 'text/csv' },
      payload: `phone,name\n13800138103,${BRAILLE}\n13800138104,Li\n`,
    });
    expect(upload.statusCode, upload.body).toBe(202);
    expect(upload.json()).toMatchObject({ recipients: 1, rejectedCount: 1 });
    expect(upload.json().rejected[0]).toMatchObject({ input: '13800138103', reason: expect.stringMatching(/^line 2: .*blank-looking: .*U\+2800.*Fix: give name a value/) });

    const listed = await app.inject({
      method: 'POST',
      url: '/v1/campaigns',
      headers: AUTH,
      payload: { signName: N.sign, templateCode: N.marketingTemplate, recipients: [{ phone: '13800138105', params: { name: `${FILLER}\u0301` } }, { phone: '13800138106', params: { name: 'Zhao' } }] },
    });
    expect(listed.statusCode, listed.body).toBe(202);
    expect(listed.json().rejected[0]).toMatchObject({ input: '13800138105', reason: expect.stringMatching(/blank-looking: .*U\+3164/) });

    const file = join(dir, 'blank-looking-rows.csv');
    writeFileSync(file, `phone,name\n13800138107,${FILLER}\n13800138108,Qian\n`);
    const r = await cli(['campaign', '--file', file, '--sign', N.sign, '--template', N.marketingTemplate, '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ recipients: 1, rejected: [{ input: '13800138107', line: 2, reason: expect.stringMatching(/^line 2: .*blank-looking: .*U\+3164/) }] });
  });

  it('smsq send-batch refuses a JSON or CSV file whose message has one, naming it; nothing written', async () => {
    const before = await keysOf(prefix);
    const json = join(dir, 'blank-looking-batch.json');
    writeFileSync(json, JSON.stringify([{ phone: '13800138111', signName: N.sign, templateParam: { name: 'Li', order: `${BRAILLE}${BRAILLE}` } }]));
    const fromJson = await cli(['send-batch', '--file', json, '--template', N.notificationTemplate, '--yes']);
    expect(fromJson.code, fromJson.stderr).toBe(EXIT_USAGE);
    expect(fromJson.stderr).toMatch(/^error: file\[0\]\.templateParam\.order: is blank-looking: .*U\+2800.*Fix: give order a value$/m);
    const csv = join(dir, 'blank-looking-batch.csv');
    writeFileSync(csv, `phone,sign,name,order\n13800138112,${N.sign},${FILLER},A1\n`);
    const fromCsv = await cli(['send-batch', '--file', csv, '--template', N.notificationTemplate, '--yes']);
    expect(fromCsv.code, fromCsv.stderr).toBe(EXIT_USAGE);
    expect(fromCsv.stderr).toMatch(/^error: file:2: column "name" is blank-looking: .*U\+3164.*Fix: give name a value$/m);
    await expectNothingWritten(before);
  });
});

describe('a JSON body that gives a key twice', () => {
  it('is refused naming the key (JSON keeps the last: a re-trial sent a code to the second phones list alone), nothing written', async () => {
    const before = await keysOf(prefix);
    const payload = `{"phones":["13800138000"],"signName":${JSON.stringify(N.sign)},"templateCode":"${N.verificationTemplate}","templateParam":{"code":"123456"},"kind":"verification","phones":["13700137000"]}`;
    const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...AUTH, 'content-type': 'application/json' }, payload });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.issues).toEqual([{ field: 'phones', message: 'is given twice in the body; JSON keeps the last, so the first would be dropped. Fix: give it once' }]);
    await expectNothingWritten(before);
  });

  it('names a key in a list by its item, as every other refusal of the body does (messages[1].phone, not messages.phone)', async () => {
    const before = await keysOf(prefix);
    const message = (phone: string, more = '') => `{"phone":"${phone}","signName":${JSON.stringify(N.sign)},"templateParam":{"name":"n","order":"1"}${more}}`;
    const payload = `{"templateCode":"${N.notificationTemplate}","messages":[${message('13800138000')},${message('13800138001', ',"phone":"13800138002"')}]}`;
    const res = await app.inject({ method: 'POST', url: '/v1/batches', headers: { ...AUTH, 'content-type': 'application/json' }, payload });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.issues).toEqual([{ field: 'messages[1].phone', message: 'is given twice in the body; JSON keeps the last, so the first would be dropped. Fix: give it once' }]);
    await expectNothingWritten(before);
  });

  it('names every key given twice, not the first alone (signName and templateParam.code: only signName was named)', async () => {
    const before = await keysOf(prefix);
    const payload = `{"phones":["13800138000"],"signName":${JSON.stringify(N.sign)},"signName":${JSON.stringify(N.sign)},"templateCode":"${N.verificationTemplate}","templateParam":{"code":"123456","code":"654321"},"kind":"verification"}`;
    const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...AUTH, 'content-type': 'application/json' }, payload });
    expect(res.statusCode, res.body).toBe(400);
    const twice = 'is given twice in the body; JSON keeps the last, so the first would be dropped. Fix: give it once';
    expect(res.json().error.issues).toEqual([{ field: 'signName', message: twice }, { field: 'templateParam.code', message: twice }]);
    await expectNothingWritten(before);
  });
});

describe('every number on the opt-out list', () => {
  it('a marketing send and batch are refused alike with the fix (REST 400), nothing written', async () => {
    const optedOut = ['13800138061', '13800138062'];
    await redis.sadd(`${prefix}:suppressed`, ...optedOut);
    try {
      const before = await keysOf(prefix);
      const body = { signName: N.sign, templateCode: N.marketingTemplate, kind: 'marketing' };
      const messages = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { ...body, phones: optedOut, templateParam: { name: 'n' } } });
      const batches = await app.inject({ method: 'POST', url: '/v1/batches', headers: AUTH, payload: { templateCode: body.templateCode, kind: body.kind, messages: optedOut.map((phone) => ({ phone, signName: N.sign, templateParam: { name: 'n' } })) } });
      for (const [answer, field] of [[messages, 'phones'], [batches, 'messages']] as const) {
        expect(answer.statusCode, answer.body).toBe(400);
        // sendBatch used to say "no valid phone number among 2" and name none.
        expect(answer.json().error.issues).toEqual([
          { field, message: expect.stringMatching(/^no number left to send to \(nothing was enqueued\): 2 numbers are on the opt-out list: .*Fix: take them off your marketing list/) },
        ]);
      }
      await expectNothingWritten(before);
    } finally {
      await redis.srem(`${prefix}:suppressed`, ...optedOut);
    }
  });
});

describe('a query string where the route reads none', () => {
  it('JSON enqueues and send controls answer 400 naming each parameter and the fix; nothing written (POST /v1/messages?kind=marketing was enqueued as notification)', async () => {
    const before = await keysOf(prefix);
    const note = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE };
    const jsonBody = 'is not read from the query string: this request takes its fields in the JSON body. Fix: move it into the JSON body, and drop the query string';
    const requests = [
      { url: '/v1/messages?kind=marketing&name=x', payload: { ...note, phones: ['13800138071'] } },
      { url: '/v1/batches?kind=marketing&name=x', payload: { templateCode: N.notificationTemplate, messages: [{ phone: '13800138072', signName: N.sign, templateParam: NOTE }] } },
      { url: '/v1/campaigns?kind=marketing&name=x', payload: { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, recipients: [{ phone: '13800138073' }] } },
    ];
    for (const r of requests) {
      const res = await app.inject({ method: 'POST', url: r.url, headers: AUTH, payload: r.payload });
      expect(res.statusCode, `${r.url}: ${res.body}`).toBe(400);
      expect(res.json().error.issues, r.url).toEqual([
        { field: 'query.kind', message: jsonBody },
        { field: 'query.name', message: jsonBody },
      ]);
    }
    for (const action of ['pause', 'resume', 'cancel']) {
      const res = await app.inject({ method: 'POST', url: `/v1/sends/smx0000000000000000000/${action}?reason=hold`, headers: AUTH });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.issues).toEqual([{ field: 'query.reason', message: `is not taken: ${action} acts on the send in the path alone. Fix: drop the query string` }]);
    }
    await expectNothingWritten(before);
  });
});

describe('a parameter or header given twice, or empty', () => {
  it('names it once, with "give it once" (GET /v1/sends?limit=5&limit=6 said "must be a whole number"; two Idempotency-Key headers "may contain only letters"); nothing written', async () => {
    const before = await keysOf(prefix);
    const twice = 'must be a string, got a list. Fix: give the parameter once';
    for (const [url, field] of [
      ['/v1/sends?limit=5&limit=6', 'query.limit'],
      ['/v1/sends?kind=marketing&kind=notification&limit=1', 'query.kind'],
      ['/v1/sends/smx0000000000000000000/recipients?cursor=a&cursor=b', 'query.cursor'],
      ['/v1/sends/smx0000000000000000000/recipients?limit=1&limit=1', 'query.limit'],
    ] as const) {
      const res = await app.inject({ method: 'GET', url, headers: AUTH });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.issues, url).toEqual([{ field, message: twice }]);
    }
    // Unknown parameters are still named as unknown, given once or twice.
    const unknown = await app.inject({ method: 'GET', url: '/v1/sends?foo=1&foo=2&limit=2&limit=3', headers: AUTH });
    expect(unknown.json().error.issues).toEqual([
      { field: 'query.limit', message: twice },
      { field: 'query.foo', message: expect.stringMatching(/^is not a field of this request\. Fix: /) },
    ]);

    const send = { phones: ['13800138081'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE };
    // Node joins a header sent twice into one value, "a, b"; the test client sends it so.
    for (const key of ['order-1, order-2', 'order-1,order-2']) {
      const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...AUTH, 'idempotency-key': key }, payload: send });
      expect(res.statusCode, key).toBe(400);
      expect(res.json().error.issues).toEqual([{ field: 'Idempotency-Key', message: 'appears more than once. Fix: send one Idempotency-Key header' }]);
    }
    const empty = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...AUTH, 'idempotency-key': '' }, payload: send });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.issues).toEqual([{ field: 'Idempotency-Key', message: 'must not be empty. Fix: a key such as order-1001-shipped, or leave it out' }]);
    await expectNothingWritten(before);
  });
});

describe('a read command\'s name flag holding an invisible or control character', () => {
  it('is refused by code point before any API call, naming the flag and the fix, as send --sign is (smsq sign "smsq\\x01沙箱" called GetSmsSign and echoed it raw; stats said "Nothing sent")', async () => {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()).replaceAll('-', '');
    const cases = [
      { argv: ['sign', 'smsq\u0001沙箱'], flag: 'name', shown: 'U+0001' },
      { argv: ['stats', '--start', today, '--end', today, '--sign-name', 'smsq\u200b沙箱'], flag: '--sign-name', shown: 'U+200B ZERO WIDTH SPACE' },
      { argv: ['qualifications', '--name', '\u200b张三'], flag: '--name', shown: 'U+200B ZERO WIDTH SPACE' },
      { argv: ['qualifications', '--company', 'Acme\u202e Ltd'], flag: '--company', shown: 'U+202E' },
    ];
    for (const c of cases) {
      const since = emulator.calls().length;
      const run = await cli(c.argv);
      expect(run.code, `${c.argv.join(' ')}: ${run.stdout}${run.stderr}`).toBe(EXIT_USAGE);
      expect(run.stderr, c.argv.join(' ')).toContain(c.flag);
      expect(run.stderr, c.argv.join(' ')).toContain(`holds an invisible or control character (${c.shown}`);
      expect(run.stderr, c.argv.join(' ')).toMatch(/Fix: type it again/);
      expect(run.stderr.trim().split('\n'), c.argv.join(' ')).toHaveLength(1);
      // A control character is not echoed raw to the terminal.
      expect(run.stderr).not.toContain('\u0001');
      expect(emulator.calls().slice(since).map((r) => r.action), c.argv.join(' ')).toEqual([]);
    }
  });
});

describe('a send control\'s body in a type or charset JSON is not', () => {
  it('text/plain with a body is 415 naming application/json (it was 400 telling the caller to send {}), a non-UTF-8 charset 415 naming it (it was accepted and the send paused); nothing changed', async () => {
    const s = await producer.send({ phones: ['13800138096'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE });
    for (const action of ['pause', 'cancel']) {
      const url = `/v1/sends/${s.sendId}/${action}`;
      const text = await app.inject({ method: 'POST', url, headers: { ...AUTH, 'content-type': 'text/plain' }, payload: '{}' });
      expect(text.statusCode, text.body).toBe(415);
      expect(text.json().error.code).toBe('SMSQ_UNSUPPORTED_MEDIA_TYPE');
      expect(text.json().error.message).toMatch(/^Content-Type "text\/plain" is not accepted; nothing was changed\. Fix: send application\/json/);
      const latin1 = await app.inject({ method: 'POST', url, headers: { ...AUTH, 'content-type': 'application/json; charset=latin1' }, payload: '{}' });
      expect(latin1.statusCode, latin1.body).toBe(415);
      expect(latin1.json().error).toEqual({
        code: 'SMSQ_UNSUPPORTED_MEDIA_TYPE',
        message: 'Content-Type charset "latin1" is not accepted: JSON is read as UTF-8; nothing was changed. Fix: send the body in UTF-8, with charset=utf-8 or no charset',
      });
    }
    expect((await producer.getStatus(s.sendId)).send.control).toBe('active');
    // No body is no body, whatever type it is labelled with; {} in UTF-8 is none either.
    const empty = await app.inject({ method: 'POST', url: `/v1/sends/${s.sendId}/pause`, headers: { ...AUTH, 'content-type': 'text/plain' }, payload: '' });
    expect(empty.statusCode, empty.body).toBe(200);
    const utf8 = await app.inject({ method: 'POST', url: `/v1/sends/${s.sendId}/resume`, headers: { ...AUTH, 'content-type': 'application/json; charset=utf-8' }, payload: '{}' });
    expect(utf8.statusCode, utf8.body).toBe(200);
    await producer.cancel(s.sendId);
  });
});

describe('a body in another charset than it is read in', () => {
  const gbk = (text: string) => iconv.encode(text, 'gbk');
  const note = { phones: ['13800138091'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE };

  it('JSON labelled charset=gbk: 415 naming the charset and the fix (it was read as UTF-8: signature "smsqɳ��" is not in this account); nothing written', async () => {
    const before = await keysOf(prefix);
    const bodies = {
      '/v1/messages': note,
      '/v1/batches': { templateCode: N.notificationTemplate, messages: [{ phone: '13800138092', signName: N.sign, templateParam: NOTE }] },
      '/v1/campaigns': { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: '李' }, recipients: [{ phone: '13800138093' }] },
    };
    for (const [url, body] of Object.entries(bodies)) {
      for (const charset of ['gbk', 'GB2312', '"iso-8859-1"']) {
        const res = await app.inject({ method: 'POST', url, headers: { ...AUTH, 'content-type': `application/json; charset=${charset}` }, payload: gbk(JSON.stringify(body)) });
        expect(res.statusCode, `${url} ${charset}: ${res.body}`).toBe(415);
        expect(res.json().error).toEqual({
          code: 'SMSQ_UNSUPPORTED_MEDIA_TYPE',
          message: `Content-Type charset "${charset.replaceAll('"', '').toLowerCase()}" is not accepted: JSON is read as UTF-8; nothing was enqueued. Fix: send the body in UTF-8, with charset=utf-8 or no charset`,
        });
      }
    }
    await expectNothingWritten(before);
    // UTF-8 by any spelling (and US-ASCII, its first half) is read as it always was (here: refused for what the body says, not for its charset).
    for (const charset of ['utf-8', 'UTF-8', '"utf-8"', 'utf8', 'us-ascii']) {
      const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...AUTH, 'content-type': `application/json; charset=${charset}` }, payload: JSON.stringify({ ...note, phones: [] }) });
      expect(res.statusCode, charset).toBe(400);
    }
  });

  it('a Content-Type naming two charsets that differ is 415 naming both (the first was taken: utf-8 then gbk read a GBK body as UTF-8); the same one twice is that one', async () => {
    const before = await keysOf(prefix);
    const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...AUTH, 'content-type': 'application/json; charset=utf-8; charset=gbk' }, payload: gbk(JSON.stringify(note)) });
    expect(res.statusCode, res.body).toBe(415);
    expect(res.json().error).toEqual({ code: 'SMSQ_UNSUPPORTED_MEDIA_TYPE', message: 'Content-Type names two charsets, "utf-8" and "gbk": which the body is in cannot be told; nothing was enqueued. Fix: one charset (charset=utf-8), or none' });
    const q = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, kind: 'marketing' });
    const csv = await app.inject({ method: 'POST', url: `/v1/campaigns?${q.toString()}`, headers: { ...AUTH, 'content-type': 'text/csv; charset=gbk; charset=utf-8' }, payload: gbk('phone,name\n13800138095,李\n') });
    expect(csv.statusCode, csv.body).toBe(415);
    await expectNothingWritten(before);
    const twice = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...AUTH, 'content-type': 'application/json; charset=utf-8; charset=UTF-8' }, payload: JSON.stringify({ ...note, phones: [] }) });
    expect(twice.statusCode, twice.body).toBe(400);
  });

  it('CSV upload: its charset is the encoding it is read in (?encoding= wins); a charset no CSV can be read in is 415', async () => {
    const q = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, kind: 'marketing' });
    const utf16 = iconv.encode('phone,name\n13800138094,李\n', 'utf-16le');
    const upload = (query: string, contentType: string, payload: Buffer) => app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...AUTH, 'content-type': contentType }, payload });

    const before = await keysOf(prefix);
    const unknown = await upload(q.toString(), 'text/csv; charset=shift_jis', utf16);
    expect(unknown.statusCode, unknown.body).toBe(415);
    expect(unknown.json().error.message).toBe('Content-Type charset "shift_jis" is not one a CSV upload can be read in; nothing was enqueued. Fix: one of utf-8, utf-16le, utf-16be, gb18030 (or gbk), ?encoding= instead, or no charset to have it recognised from the bytes');
    await expectNothingWritten(before);

    // UTF-16 without a byte-order mark is not recognised from its bytes: the charset names it.
    const named = await upload(q.toString(), 'text/csv; charset=utf-16le', utf16);
    expect(named.statusCode, named.body).toBe(202);
    const { sendId } = named.json() as { sendId: string };
    const page = await producer.recipientPage(sendId, { limit: 10 });
    expect(page.recipients.map((r) => r.phone)).toEqual(['13800138094']);
    const overridden = await upload(`${q}&encoding=utf-16le`, 'text/csv; charset=utf-8', iconv.encode('phone,name\n13800138095,王\n', 'utf-16le'));
    expect(overridden.statusCode, overridden.body).toBe(202);
  });
});

describe('signature and template look-ups', () => {
  const lookups = (since: number) => {
    const calls = emulator.calls().slice(since);
    return { sign: calls.filter((r) => r.action === 'GetSmsSign').length, template: calls.filter((r) => r.action === 'GetSmsTemplate').length };
  };

  it('N verification codes cost one GetSmsSign and one GetSmsTemplate within the cache period, across processes, paced', async () => {
    const p = uniquePrefix('door-cache');
    const first = doorProducer(p);
    const second = doorProducer(p); // another process of the deployment: its own memory, the same Redis
    try {
      const since = emulator.calls().length;
      for (let i = 0; i < 10; i++) {
        await first.send({ phones: [String(13900000000 + i)], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: String(100000 + i) }, kind: 'verification' });
      }
      await Promise.all(Array.from({ length: 5 }, (_, i) => second.send({ phones: [String(13910000000 + i)], signName: N.sign, templateCode: N.verificationTemplate, templateParam: CODE, kind: 'verification' })));
      expect(lookups(since)).toEqual({ sign: 1, template: 1 });
      // The look-ups took their slots on the account-wide pacer.
      expect(await redis.exists(`${p}:pacer`)).toBe(1);
    } finally {
      await first.close();
      await second.close();
      await deleteKeys(redis, p);
    }
  });

  it('numbers that no template could take are refused before the account is asked: no look-up, not even the pacer or the cache is written (send, sendBatch, smsq send)', async () => {
    // `smsq send --phones 1380013800` left the catalog cache and the pacer key behind: the account
    // was checked before the number, which is wrong whatever the account holds.
    const p = uniquePrefix('door-numbers-first');
    const door = doorProducer(p);
    const everyKey = async () => (await redis.keys(`${p}*`)).sort();
    try {
      const since = emulator.calls().length;
      const phones = ['1380013800', 'abc'];
      const sent = await refusal(door.send({ phones, signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE }));
      expectIssue(sent.issues, 'phones', /^no valid phone number among 2 \(nothing was enqueued\)$/);
      expectIssue(sent.issues, 'phones[0]', /11 digits/);
      const batch = await refusal(door.sendBatch({ templateCode: N.notificationTemplate, messages: phones.map((phone) => ({ phone, signName: N.sign, templateParam: NOTE })) }));
      expectIssue(batch.issues, 'messages', /^no valid phone number among 2 \(nothing was enqueued\)$/);
      expectIssue(batch.issues, 'messages[0].phone', /11 digits/);
      const stdout = collector();
      const stderr = collector();
      const code = await runCli(['send', '--phones', '1380013800', '--sign', N.sign, '--template', N.notificationTemplate, '--param', JSON.stringify(NOTE), '--yes'], { stdout, stderr, env: { ...env, SMSQ_PREFIX: p } });
      expect(code, stderr.text).toBe(EXIT_USAGE);
      expect(stderr.text).toMatch(/--phones: no valid phone number among 1/);
      expect(lookups(since)).toEqual({ sign: 0, template: 0 });
      expect(await everyKey()).toEqual([]);
      // One number the template could take, and the account is asked as before.
      await refusal(door.send({ phones: [...phones, '+85291234567'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE }));
      expect(lookups(since)).toEqual({ sign: 1, template: 1 });
    } finally {
      await door.close();
      await deleteKeys(redis, p);
    }
  });

  it('a refused look-up is not cached: each request with an unapproved template asks again', async () => {
    const p = uniquePrefix('door-nocache');
    const door = doorProducer(p);
    try {
      const since = emulator.calls().length;
      for (let i = 0; i < 2; i++) {
        await refusal(door.send({ phones: [PHONE], signName: N.sign, templateCode: N.reviewingTemplate, templateParam: { time: '10:00' } }));
      }
      expect(lookups(since).template).toBe(2);
    } finally {
      await door.close();
      await deleteKeys(redis, p);
    }
  });
});

describe('messages a new user\'s trial found without the field or the fix', () => {
  it('smsq send without --param is told the flag to add, as the fix (it said "pass e.g. {...}")', async () => {
    const r = await cli(['send', '--phones', PHONE, '--sign', N.sign, '--template', N.verificationTemplate, '--yes']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toBe('error: --param code: the template uses ${code} but no params were given. Fix: `--param \'{"code":"..."}\'`\n');
    // REST: the body's field, in JSON.
    const rest = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: [PHONE], signName: N.sign, templateCode: N.verificationTemplate } });
    expect(rest.json().error.issues).toEqual([{ field: 'templateParam.code', message: 'the template uses ${code} but no params were given. Fix: `templateParam: {"code":"..."}`' }]);
  });

  it('a campaign file without a header row, for a template with variables: refused once with the flag or a header row as the fix (each row was refused, then "Fix: correct the rows")', async () => {
    const before = await keysOf(prefix);
    const file = join(dir, 'no-header.csv');
    writeFileSync(file, '13800138001\n13800138002\n');
    const r = await cli(['campaign', '--file', file, '--sign', N.sign, '--template', N.marketingTemplate, '--yes']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toBe(
      'error: file:1: template SMS_900000003 uses ${name}, but the file has no header row (its first line is a number), so no column gives it, and no shared param gives it (nothing was enqueued). Fix: a header row naming the columns, with one named "name" (e.g. phone,name), or give every recipient the same value with `--param \'{"name":"..."}\'`\n',
    );
    // With the shared value it goes ahead.
    const given = await cli(['campaign', '--file', file, '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"会员"}', '--dry-run']);
    expect(given.code, given.stderr).toBe(0);
    await expectNothingWritten(before);
  });

  it('POST /v1/campaigns (JSON): a recipient\'s params are named by the body\'s own field, recipients[i].params (it said templateParam.name)', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: AUTH, payload: { signName: N.sign, templateCode: N.marketingTemplate, recipients: [{ phone: '13800138020', params: { nam: 'J' } }, { phone: '13800138021' }] } });
    expect(res.statusCode).toBe(400);
    const issues = res.json().error.issues as { field: string; message: string }[];
    expect(issues.map((i) => i.field)).toEqual(['recipients', 'recipients[0].params.name', 'recipients[1].params.name']);
    expect(issues[1]?.message).toContain('138****8020: missing: the template uses ${name}. Fix: add "name":"..."; recipients[0].params.nam: is not a variable of the template (it uses ${name}). Fix: ');
    expect(issues[2]?.message).toContain('138****8021: the template uses ${name} but no params were given. Fix: give them, e.g. {"name":"..."}');
    expect(JSON.stringify(issues)).not.toContain('templateParam.');
  });

  it('REST names a missing phones field with the fix, and a body that is no object (body), as every body-level refusal', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { signName: N.sign, templateCode: N.verificationTemplate, templateParam: CODE } });
    expect(res.json().error.issues).toEqual([{ field: 'phones', message: 'must be a list of phone numbers. Fix: `phones: ["138-0013-8000"]`, one number per entry' }]);
    const list = await app.inject({ method: 'POST', url: '/v1/messages', headers: { ...AUTH, 'content-type': 'application/json' }, payload: '[]' });
    expect(list.json().error.issues).toEqual([{ field: '(body)', message: 'must be an object, got a list. Fix: write it as a JSON object ({...})' }]);
  });

  it('a send that is not there: both say what a send id looks like; the CLI names the Redis, REST only the prefix', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/sends/smxnope', headers: AUTH });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toMatch(/^send smxnope not found\. Fix: check the id \(a send id is "s" and lowercase letters and digits, like smx8k5nwj5d7ae857a7a7, as the enqueue answered it\), and that it was sent through this deployment \(SMSQ_PREFIX \{smsq-door-[^)]*\}\); records expire after SMSQ_RETENTION_DAYS$/);
    const r = await cli(['status', 'smxnope']);
    expect(r.stderr).toBe(`error SMSQ_NOT_FOUND: send smxnope not found. Fix: check the id (${SEND_ID_SHAPE}), and that REDIS_URL (${env.REDIS_URL}) and SMSQ_PREFIX (${env.SMSQ_PREFIX}) are the Redis and prefix it was sent through; records expire after SMSQ_RETENTION_DAYS\n`);
    // A space in an id: one argument, an id no send has; two words: commander's line, and what an id is.
    const spaced = await cli(['status', 'bad id!']);
    expect(spaced.stderr).toMatch(/^error: SEND_ID "bad id!" is not a send id \(1-64 letters, digits, \. _ or -, not \. or \.\. alone\): a send id is "s" and lowercase letters and digits, like smx8k5nwj5d7ae857a7a7, as the enqueue answered it\. Fix: /);
    // `campaign cancel` with a bad id was shown `smsq campaign pause …` as its fix.
    expect((await cli(['campaign', 'cancel', '../x'])).stderr).toMatch(/Fix: smsq campaign pause\|resume\|cancel smx8raea837d634fdfd72 \(the action you meant; smsq sends lists the ids\)\n$/);
    const twoWords = await cli(['status', 'bad', 'id!']);
    expect(twoWords.code).toBe(EXIT_USAGE);
    expect(twoWords.stderr).toBe(
      "error: too many arguments for 'status'. Expected 1 argument but got 2.\nFix: give one send id: a send id is \"s\" and lowercase letters and digits, like smx8k5nwj5d7ae857a7a7, as the enqueue answered it, with no spaces (`smsq sends` lists them)\n",
    );
  });

  it('GET /v1/sends with a limit or a state it does not take: the fix (docs/http-api.md promises one)', async () => {
    const limit = await app.inject({ method: 'GET', url: '/v1/sends?limit=999', headers: AUTH });
    expect(limit.json().error.issues).toEqual([{ field: 'query.limit', message: 'must be a whole number from 1 to 200. Fix: ?limit=50, or leave it out for 50' }]);
    const state = await app.inject({ method: 'GET', url: '/v1/sends?state=bogus', headers: AUTH });
    expect(state.json().error.issues).toEqual([{ field: 'query.state', message: expect.stringMatching(/^must be one of enqueuing, .*\. Fix: \?state=active, or leave it out for every state$/) }]);
  });
});
