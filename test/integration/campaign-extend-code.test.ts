/**
 * A campaign's extension code (SmsUpExtendCode), one for the whole campaign, so that replies to it
 * (SmsUp: an opt-out, an answer) can be told from replies to other sends: through the producer
 * API, `smsq campaign --extend-code` and POST /v1/campaigns (JSON and a CSV upload), end to end
 * through the real SDK against the emulator. A list without params of its own goes by SendSms with
 * `SmsUpExtendCode`, one with them by SendBatchSms with `SmsUpExtendCodeJson` (the code for each
 * number). A code that is not 1-12 digits is refused naming the setting, with nothing written.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N, type AcceptedSend } from '../../src/emulator/index.js';
import { ValidationError } from '../../src/errors.js';
import { readRecipientsFile } from '../../producers/recipient-file.js';
import { buildServer } from '../../server/build-server.js';
import { cliOnHarness as cli, sendKeysOf as keysOf } from '../support/harness-cli.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { tempFileWriter } from '../support/temp-files.js';
import { waitFor } from '../support/wait.js';

const harnesses = harnessPerTest();
const csvFile = tempFileWriter('smsq-campaign-extend-');
const TOKEN = 'campaign-extend-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const SETTINGS = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: '会员' } };

/** Numbers alone (the shared params: SendSms), and numbers with params of their own (SendBatchSms). */
const PLAIN = 'phone\n13900000501\n13900000502\n13900000503\n';
const PERSONAL = 'phone,name\n13900000504,Li\n13900000505,Wang\n';
const PHONES = ['13900000501', '13900000502', '13900000503', '13900000504', '13900000505'];
const listOf = (phones: readonly string[]) => phones.map((phone) => ({ phone, ...(phone >= '13900000504' ? { params: { name: phone.endsWith('4') ? 'Li' : 'Wang' } } : {}) }));

/** The extension code each number was sent with ('' for none), and by which API. */
function sentWith(accepted: readonly AcceptedSend[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of accepted) {
    for (const [i, phone] of a.phoneNumbers.entries()) m.set(phone, `${a.action}:${(a.action === 'SendBatchSms' ? a.extendCodes[i] : a.extendCodes[0]) ?? ''}`);
  }
  return m;
}

async function sent(h: Harness, ...sendIds: string[]): Promise<Map<string, string>> {
  const calls: AcceptedSend[] = [];
  for (const sendId of sendIds) {
    const { counts, send } = await waitFor(async () => {
      const status = await h.producer.getStatus(sendId);
      return status.counts.queued + status.counts.sending === 0 ? status : undefined;
    }, `send ${sendId} past the API`);
    expect(counts.accepted, JSON.stringify({ counts, send })).toBe(send.recipients);
    calls.push(...h.emulator.accepted().filter((a) => a.outId.startsWith(`${sendId}.`)));
  }
  return sentWith(calls);
}

const EXPECTED = (code: string) => new Map(PHONES.map((p, i) => [p, `${i < 3 ? 'SendSms' : 'SendBatchSms'}:${code}`]));

describe('a campaign with an extension code', () => {
  it('producer API: every number is sent with the code, by SendSms and by SendBatchSms', async () => {
    const h = await harnesses.create({ label: 'cx-api' });
    const plain = await h.producer.campaign(readRecipientsFile(csvFile('api-plain.csv', PLAIN)), { ...SETTINGS, smsUpExtendCode: '0451' });
    const personal = await h.producer.campaign(readRecipientsFile(csvFile('api-personal.csv', PERSONAL)), { ...SETTINGS, smsUpExtendCode: '0451' });
    expect([plain, personal]).toMatchObject([{ recipients: 3, apiCalls: 1 }, { recipients: 2, apiCalls: 1 }]);
    await h.startWorker();
    expect(await sent(h, plain.sendId, personal.sendId)).toEqual(EXPECTED('0451'));
  });

  it('`smsq campaign --extend-code`: the same, and a code that is not digits is refused naming the flag, nothing written', async () => {
    const h = await harnesses.create({ label: 'cx-cli' });
    const bad = await cli(h, ['campaign', '--file', csvFile('cli-plain.csv', PLAIN), '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"会员"}', '--extend-code', '12a', '--yes']);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/--extend-code.*must be 1-12 digits.*Fix: digits only/);
    expect(await keysOf(h)).toEqual([]);
    const sendIds: string[] = [];
    for (const [name, text] of [['cli-plain.csv', PLAIN], ['cli-personal.csv', PERSONAL]] as const) {
      const res = await cli(h, ['campaign', '--file', csvFile(name, text), '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"会员"}', '--extend-code', '07', '--yes', '--json']);
      expect(res.code, res.stderr).toBe(0);
      sendIds.push((JSON.parse(res.stdout) as { sendId: string }).sendId);
    }
    await h.startWorker();
    expect(await sent(h, ...sendIds)).toEqual(EXPECTED('07'));
  });

  it('POST /v1/campaigns, a JSON body and a CSV upload (the code in the query string); a JSON number is refused, nothing written', async () => {
    const h = await harnesses.create({ label: 'cx-rest' });
    const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'dashboard-token-0123456789' } });
    try {
      const number = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: AUTH, payload: { ...SETTINGS, smsUpExtendCode: 7, recipients: [{ phone: PHONES[0] }] } });
      expect(number.statusCode, number.body).toBe(400);
      expect(number.json().error.issues).toEqual([{ field: 'smsUpExtendCode', message: expect.stringMatching(/^must be a string of 1-12 digits, got a number.*Fix: quote it/) }]);
      expect(await keysOf(h)).toEqual([]);
      const viaJson: string[] = [];
      for (const phones of [PHONES.slice(0, 3), PHONES.slice(3)]) {
        const res = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: AUTH, payload: { ...SETTINGS, smsUpExtendCode: '11', recipients: listOf(phones) } });
        expect(res.statusCode, res.body).toBe(202);
        viaJson.push(res.json().sendId as string);
      }
      const query = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: JSON.stringify({ name: '会员' }), smsUpExtendCode: '012' });
      const viaUpload: string[] = [];
      for (const text of [PLAIN, PERSONAL]) {
        const res = await app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: text.replaceAll('139000005', '139000006') });
        expect(res.statusCode, res.body).toBe(202);
        viaUpload.push(res.json().sendId as string);
      }
      await h.startWorker();
      expect(await sent(h, ...viaJson)).toEqual(EXPECTED('11'));
      expect(await sent(h, ...viaUpload)).toEqual(new Map([...EXPECTED('012')].map(([p, v]) => [p.replace('139000005', '139000006'), v])));
    } finally {
      await app.close();
    }
  });

  it('the same idempotency key with another code is another request: refused naming the field', async () => {
    const h = await harnesses.create({ label: 'cx-idem' });
    const file = csvFile('idem.csv', PLAIN);
    await h.producer.campaign(readRecipientsFile(file), { ...SETTINGS, smsUpExtendCode: '01', idempotencyKey: 'campaign-extend-1' });
    const again = h.producer.campaign(readRecipientsFile(file), { ...SETTINGS, smsUpExtendCode: '02', idempotencyKey: 'campaign-extend-1' });
    await expect(again).rejects.toThrow(/smsUpExtendCode/);
    await expect(h.producer.campaign(readRecipientsFile(file), { ...SETTINGS, smsUpExtendCode: '' })).rejects.toBeInstanceOf(ValidationError);
  });
});
