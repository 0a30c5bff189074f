/**
 * Every entry refused at the door names its place in what the caller gave: a request's list by its
 * JSON path from 0 (`messages[1].phone`, `recipients[1].phone`), a send-batch file in the file's
 * terms (`file[1].phone`, `file.messages[1].phone`, a CSV's line and column). A new user's trial
 * found `smsq send-batch` and `POST /v1/campaigns` listing a refused number with its reason and no
 * index ("12345  a mainland mobile number has 11 digits"), and a batch with no valid number refused
 * as `messages: ... ****: ...` — the numbers masked, so nothing said which entries. And send-batch
 * plans its file twice (a dry plan, then again at enqueue): what the second planning refused or
 * rejected was said in the producer's terms (`messages[1]`), not the file's. Real Redis, the
 * emulator through the SDK, the CLI in-process (runCli) and the server through inject().
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createKeys } from '../../src/queue/keys.js';
import { createSuppressionList } from '../../src/receipts/suppression.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { runSmsqInProcess } from '../support/cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'smsq-door-places-'));
const TOKEN = 'test-api-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** The reason the door gives for `12345` (five digits). */
const FIVE = 'a mainland mobile number has 11 digits, got 5: check it for a missing or extra digit';
const SEVEN = 'a mainland mobile number has 11 digits, got 7: check it for a missing or extra digit';
let h: Harness;
let app: SmsqServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  h = await createHarness({ label: 'places' });
  env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'silent', SMSQ_QUIET_HOURS: 'off' };
  app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { basicAuth: { user: 'ops', password: 'dashboard-password-1' } }, checkResponses: true });
});

afterAll(async () => {
  await app.close();
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], confirm?: (q: string) => Promise<boolean>) {
  return runSmsqInProcess(argv, { env, ...(confirm ? { confirm } : {}) });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const message = (phone: string, name = 'A') => ({ phone, signName: N.sign, templateParam: { name, order: '1' } });
const batch = (path: string, ...more: string[]) => ['send-batch', '--file', path, '--template', N.notificationTemplate, ...more];

describe('smsq send-batch names each refused entry by its place in the file', () => {
  it('a JSON list: file[i].phone, in the plan and in the enqueue result', async () => {
    const list = file('some.json', JSON.stringify([message('13800138050'), message('12345', 'B')]));
    const planned = await run(batch(list, '--dry-run', '--json'));
    expect(planned.code, planned.stderr).toBe(0);
    expect((JSON.parse(planned.stdout) as { plan: { rejected: unknown[] } }).plan.rejected).toEqual([{ input: '12345', reason: `file[1].phone: ${FIVE}` }]);
    // For a person: the table of rejected entries says which one.
    const shown = await run(batch(list, '--dry-run'));
    expect(shown.stdout).toMatch(new RegExp(`^12345 +file\\[1\\]\\.phone: a mainland mobile number has 11 digits, got 5`, 'm'));
    // Enqueued: the second planning's list, in the same terms.
    const sent = await run(batch(list, '--yes', '--json'));
    expect(sent.code, sent.stderr).toBe(0);
    expect((JSON.parse(sent.stdout) as { rejected: unknown[] }).rejected).toEqual([{ input: '12345', reason: `file[1].phone: ${FIVE}` }]);
  });

  it('a JSON object: file.messages[i].phone', async () => {
    const object = file('some-object.json', JSON.stringify({ messages: [message('13800138051'), message('12345', 'B')] }));
    const planned = await run(batch(object, '--dry-run', '--json'));
    expect(planned.code, planned.stderr).toBe(0);
    expect((JSON.parse(planned.stdout) as { plan: { rejected: unknown[] } }).plan.rejected).toEqual([{ input: '12345', reason: `file.messages[1].phone: ${FIVE}` }]);
  });

  it('a CSV file: its line and column, and the line as a number', async () => {
    const csv = file('some.csv', `phone,sign,name,order\n13800138052,${N.sign},A,1\n12345,${N.sign},B,2\n`);
    const planned = await run(batch(csv, '--dry-run', '--json'));
    expect(planned.code, planned.stderr).toBe(0);
    expect((JSON.parse(planned.stdout) as { plan: { rejected: unknown[] } }).plan.rejected).toEqual([{ input: '12345', reason: `line 3, column "phone": ${FIVE}`, line: 3 }]);
    const sent = await run(batch(csv, '--yes', '--json'));
    expect(sent.code, sent.stderr).toBe(0);
    expect((JSON.parse(sent.stdout) as { rejected: unknown[] }).rejected).toEqual([{ input: '12345', reason: `line 3, column "phone": ${FIVE}`, line: 3 }]);
  });

  it('a file without one valid number: refused under `file`, each entry by its place', async () => {
    const list = file('none.json', JSON.stringify([message('1380013'), message('12345', 'B')]));
    const fromList = await run(batch(list, '--dry-run'));
    expect(fromList.code).toBe(2);
    expect(fromList.stderr).toBe(`error: file: no valid phone number among 2 (nothing was enqueued)\nerror: file[0].phone: ****: ${SEVEN}\nerror: file[1].phone: 12345: ${FIVE}\n`);
    const csv = file('none.csv', `phone,sign,name,order\n1380013,${N.sign},A,1\n12345,${N.sign},B,2\n`);
    const fromCsv = await run(batch(csv, '--dry-run'));
    expect(fromCsv.code).toBe(2);
    expect(fromCsv.stderr).toBe(`error: file: no valid phone number among 2 (nothing was enqueued)\nerror: file:2: column "phone": ****: ${SEVEN}\nerror: file:3: column "phone": 12345: ${FIVE}\n`);
  });

  it('what the planning at enqueue refuses is said in the file\'s terms too (the number opted out while the plan was asked about)', async () => {
    const suppression = createSuppressionList({ redis: h.redis, keys: createKeys(h.prefix) });
    const optOutThenYes = (phone: string) => async () => {
      await suppression.add([phone]);
      return true;
    };
    const marketing = (phone: string) => ({ phone, signName: N.sign, templateParam: { name: 'A' } });
    const list = file('opted-out.json', JSON.stringify([marketing('13800138053'), marketing('12345')]));
    const fromList = await run(['send-batch', '--file', list, '--template', N.marketingTemplate, '--kind', 'marketing'], optOutThenYes('13800138053'));
    expect(fromList.code, fromList.stderr).toBe(2);
    const listError = fromList.stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';
    expect(listError).toMatch(/^error: file: no number left to send to among 2 \(nothing was enqueued\): 1 number is on the opt-out list/);
    expect(listError).toContain('The others are not valid, each named below');
    expect(fromList.stderr).toContain(`\nerror: file[1].phone: 12345: ${FIVE}\n`);
    expect(fromList.stderr).not.toContain('messages');

    const csv = file('opted-out.csv', `phone,sign,name\n13800138054,${N.sign},A\n12345,${N.sign},B\n`);
    const fromCsv = await run(['send-batch', '--file', csv, '--template', N.marketingTemplate, '--kind', 'marketing'], optOutThenYes('13800138054'));
    expect(fromCsv.code, fromCsv.stderr).toBe(2);
    const csvError = fromCsv.stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';
    expect(csvError).toMatch(/^error: file: no number left to send to among 2/);
    expect(csvError).toContain('The others are not valid, each named below');
    expect(fromCsv.stderr).toContain(`\nerror: file:3: column "phone": 12345: ${FIVE}\n`);
    expect(fromCsv.stderr).not.toContain('messages');
  });
});

describe('the REST routes name each refused entry by its JSON path from 0', () => {
  it('POST /v1/batches: messages[i].phone, in the result and in a refusal', async () => {
    const some = await app.inject({ method: 'POST', url: '/v1/batches', headers: AUTH, payload: { templateCode: N.notificationTemplate, messages: [message('13800138055'), message('12345', 'B')] } });
    expect(some.statusCode, some.body).toBe(202);
    expect((some.json() as { rejected: unknown[] }).rejected).toEqual([{ input: '12345', reason: `messages[1].phone: ${FIVE}` }]);
    const none = await app.inject({ method: 'POST', url: '/v1/batches', headers: AUTH, payload: { templateCode: N.notificationTemplate, messages: [message('1380013'), message('12345', 'B')] } });
    expect(none.statusCode).toBe(400);
    expect((none.json() as { error: { issues: unknown[] } }).error.issues).toEqual([
      { field: 'messages', message: 'no valid phone number among 2 (nothing was enqueued)' },
      { field: 'messages[0].phone', message: `****: ${SEVEN}` },
      { field: 'messages[1].phone', message: `12345: ${FIVE}` },
    ]);
  });

  it('POST /v1/campaigns with a JSON body: recipients[i].phone, in the result and in a refusal', async () => {
    const settings = { signName: N.sign, templateCode: N.marketingTemplate, kind: 'marketing' };
    const some = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: AUTH, payload: { ...settings, recipients: [{ phone: '13800138056', params: { name: 'Li' } }, { phone: '12345', params: { name: 'Wang' } }] } });
    expect(some.statusCode, some.body).toBe(202);
    expect((some.json() as { rejected: unknown[] }).rejected).toEqual([{ input: '12345', reason: `recipients[1].phone: ${FIVE}` }]);
    const none = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: AUTH, payload: { ...settings, recipients: [{ phone: '1380013' }, { phone: '12345' }] } });
    expect(none.statusCode).toBe(400);
    expect((none.json() as { error: { issues: unknown[] } }).error.issues).toEqual([
      { field: 'recipients', message: 'holds no valid recipient: all 2 recipients were rejected (nothing was enqueued). Fix: correct the recipients and send the request again' },
      { field: 'recipients[0].phone', message: `****: ${SEVEN}` },
      { field: 'recipients[1].phone', message: `12345: ${FIVE}` },
    ]);
  });
});
