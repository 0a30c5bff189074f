/**
 * A campaign whose list holds no valid recipient is refused as `smsq send-batch` and POST
 * /v1/batches refuse a batch without a valid number: one issue on the request, then one issue per
 * refused row at its place (`recipients[1].phone`; a file's line and column, `file:3` with
 * `column "phone"`), the first few named and the rest counted ("the first 3 of them below, and 2
 * more"). It was one issue listing every row in its message, which no script could point at a row
 * by. Through the producer API, `smsq campaign` (in-process runCli) and POST /v1/campaigns
 * (inject(), a JSON body and a CSV upload), on a private Redis and the emulator through the SDK;
 * each refusal leaves Redis without a new key (SCAN).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_USAGE } from '../../cli/errors.js';
import { type Producer } from '../../producers/producer.js';
import { readRecipientsFile } from '../../producers/recipient-file.js';
import type { CampaignRecipient } from '../../producers/schemas.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { ValidationError } from '../../src/errors.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { runSmsqInProcess } from '../support/cli-run.js';
import { createCheckingProducer } from '../support/checking-producer.js';

const TOKEN = 'test-api-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** What the door says of `12345`, `1380013` (masked `****`) and `1380013800`. */
const FIVE = 'a mainland mobile number has 11 digits, got 5: check it for a missing or extra digit';
const SEVEN = 'a mainland mobile number has 11 digits, got 7: check it for a missing or extra digit';
const TEN = 'a mainland mobile number has 11 digits, got 10: check it for a missing or extra digit';
const SETTINGS = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: '会员' } };
/** The request's line, for a list of `n` recipients given in the request (`shown` of them named below). */
const listLine = (n: number, more = 0) =>
  `holds no valid recipient: all ${n} recipients were rejected (nothing was enqueued)${more ? `; the first 3 of them below, and ${more} more` : ''}. Fix: correct the recipients and send the request again`;
const fileLine = (n: number, more = 0) =>
  `holds no valid recipient: all ${n} rows were rejected (nothing was enqueued)${more ? `; the first 3 of them below, and ${more} more` : ''}. Fix: correct the rows and send the file again`;

const dir = mkdtempSync(join(tmpdir(), 'smsq-campaign-refusal-'));
let h: Harness;
/** With the account's catalog, as every front end has it: the template's variables are known at the door. */
let producer: Producer;
let app: SmsqServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  h = await createHarness({ label: 'campaign-refusal' });
  producer = createCheckingProducer(h);
  app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer, logger: h.logger, apiToken: TOKEN, dashboard: { basicAuth: { user: 'ops', password: 'dashboard-password-1' } } });
  env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'silent', SMSQ_QUIET_HOURS: 'off' };
});

afterAll(async () => {
  await app.close();
  await producer.close();
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The account's bookkeeping of the look-ups at the door (the pacer, the catalog cache): not the request's. */
const HARMLESS = /:(pacer|catalog:.*)$/;
async function keys(): Promise<Set<string>> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await h.redis.scan(cursor, 'MATCH', `${h.prefix}*`, 'COUNT', 1000);
    cursor = next;
    for (const k of batch) if (!HARMLESS.test(k)) found.add(k);
  } while (cursor !== '0');
  return found;
}

async function expectNothingWritten(before: Set<string>): Promise<void> {
  expect([...(await keys())].filter((k) => !before.has(k))).toEqual([]);
}

/** The campaign's refusal, once it is one. */
async function refusal(run: Promise<unknown>): Promise<ValidationError> {
  const err: unknown = await run.catch((e: unknown) => e);
  expect(err, 'the campaign was refused').toBeInstanceOf(ValidationError);
  return err as ValidationError;
}

async function* listOf(recipients: readonly CampaignRecipient[]): AsyncGenerator<CampaignRecipient> {
  yield* recipients;
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function cli(argv: string[]) {
  return runSmsqInProcess(argv, { env });
}

const CLI_SEND = ['--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"会员"}', '--yes'];

describe('a campaign given as a list (producer API, POST /v1/campaigns JSON) names each refused recipient at recipients[i]', () => {
  it('producer API: the request, then the first 3 recipients by their place, the rest counted', async () => {
    const before = await keys();
    const err = await refusal(producer.campaign(listOf([{ phone: '1380013' }, { phone: '12345' }, { phone: '1380013800' }, { phone: '12' }, { phone: '1380013' }]), SETTINGS));
    expect(err.issues).toEqual([
      { field: 'recipients', message: listLine(5, 2) },
      { field: 'recipients[0].phone', message: `****: ${SEVEN}` },
      { field: 'recipients[1].phone', message: `12345: ${FIVE}` },
      { field: 'recipients[2].phone', message: `138****3800: ${TEN}` },
    ]);
    await expectNothingWritten(before);
  });

  it('POST /v1/campaigns: a number at recipients[i].phone, a recipient refused for its params at the param, recipients[i].params.name', async () => {
    const before = await keys();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/campaigns',
      headers: AUTH,
      payload: { signName: N.sign, templateCode: N.marketingTemplate, recipients: [{ phone: '13800138020', params: { nam: 'J' } }, { phone: '12345', params: { name: 'Li' } }] },
    });
    expect(res.statusCode).toBe(400);
    const error = (res.json() as { error: { code: string; issues: { field: string; message: string }[] } }).error;
    expect(error.code).toBe('SMSQ_INVALID_REQUEST');
    expect(error.issues).toEqual([
      { field: 'recipients', message: listLine(2) },
      { field: 'recipients[0].params.name', message: expect.stringMatching(/^138\*\*\*\*8020: missing: the template uses \$\{name\}\. Fix: add "name":"\.\.\."; recipients\[0\]\.params\.nam: is not a variable of the template/) },
      { field: 'recipients[1].phone', message: `12345: ${FIVE}` },
    ]);
    await expectNothingWritten(before);
  });
});

describe('a list recipient refused for its params is placed at the param, its place said once', () => {
  it('the issue\'s field is the param\'s path and its message the number and what is wrong (it was recipients[0] with "recipients[0].params.name: ..." again in the message)', async () => {
    const before = await keys();
    const noSharedParams = { signName: SETTINGS.signName, templateCode: SETTINGS.templateCode };
    const err = await refusal(producer.campaign(listOf([{ phone: '13800138020', params: { nam: 'J' } }, { phone: '13800138021' }]), noSharedParams));
    expect(err.issues.map((i) => i.field)).toEqual(['recipients', 'recipients[0].params.name', 'recipients[1].params.name']);
    expect(err.issues[1]?.message).toMatch(/^138\*\*\*\*8020: missing: the template uses \$\{name\}\. Fix: add "name":"\.\.\."; recipients\[0\]\.params\.nam: is not a variable of the template/);
    expect(err.issues[2]?.message).toBe('138****8021: the template uses ${name} but no params were given. Fix: give them, e.g. {"name":"..."}');
    await expectNothingWritten(before);
  });
});

describe('a campaign file names each refused row by its line, and its number by the column it is in', () => {
  // The header names the number column in Chinese: the refusal names it as the file does.
  const rows = `手机号,name\n1380013,Li\n12345,Wang\n13800138000,Zhao,extra\n`;

  it('smsq campaign --file: an error line for the file, then one per row (the row that does not parse, at its line)', async () => {
    const before = await keys();
    const r = await cli(['campaign', '--file', file('none.csv', rows), ...CLI_SEND]);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toBe(
      [
        `error: file: ${fileLine(3)}`,
        `error: file:2: column "手机号": ****: ${SEVEN}`,
        `error: file:3: column "手机号": 12345: ${FIVE}`,
        'error: file:4: 138****8000: expected 2 fields ("手机号", "name"), found 3. Fix: quote values that hold a comma ("a,b")',
        '',
      ].join('\n'),
    );
    // --json keeps the same fields.
    const json = await cli(['campaign', '--file', file('none.csv', rows), ...CLI_SEND, '--json']);
    expect((JSON.parse(json.stdout) as { error: { issues: { field: string }[] } }).error.issues.map((i) => i.field)).toEqual(['file', 'file:2', 'file:3', 'file:4']);
    await expectNothingWritten(before);
  });

  it('producer API reading a file: more rows than are named are counted; a list of numbers without a header has no column to name', async () => {
    const before = await keys();
    const many = await refusal(producer.campaign(readRecipientsFile(file('many.csv', 'phone\n1380013\n12345\n1380013800\n12\n1\n')), SETTINGS, { sourceField: 'file' }));
    expect(many.issues).toEqual([
      { field: 'file', message: fileLine(5, 2) },
      { field: 'file:2', message: `column "phone": ****: ${SEVEN}` },
      { field: 'file:3', message: `column "phone": 12345: ${FIVE}` },
      { field: 'file:4', message: `column "phone": 138****3800: ${TEN}` },
    ]);
    const headerless = await refusal(producer.campaign(readRecipientsFile(file('headerless.csv', '1380013\n12345\n')), SETTINGS, { sourceField: 'file' }));
    expect(headerless.issues).toEqual([
      { field: 'file', message: fileLine(2) },
      { field: 'file:1', message: `****: ${SEVEN}` },
      { field: 'file:2', message: `12345: ${FIVE}` },
    ]);
    await expectNothingWritten(before);
  });

  it('POST /v1/campaigns with a CSV upload: the body, then each row at (body):LINE', async () => {
    const before = await keys();
    const query = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: '{"name":"会员"}' });
    const res = await app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: readFileSync(file('upload.csv', rows)) });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { issues: unknown[] } }).error.issues).toEqual([
      { field: '(body)', message: fileLine(3) },
      { field: '(body):2', message: `column "手机号": ****: ${SEVEN}` },
      { field: '(body):3', message: `column "手机号": 12345: ${FIVE}` },
      { field: '(body):4', message: '138****8000: expected 2 fields ("手机号", "name"), found 3. Fix: quote values that hold a comma ("a,b")' },
    ]);
    await expectNothingWritten(before);
  });
});
