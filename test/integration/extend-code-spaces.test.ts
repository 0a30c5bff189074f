/**
 * An extension code (SmsUpExtendCode) with spaces around its digits is refused at every door, by
 * the setting's name and with the digits alone as the fix, and nothing is written to Redis: the
 * CLI's `--extend-code` (send, campaign), a send-batch file's per-message code (JSON and CSV), the
 * Node API, and REST (POST /v1/messages, /v1/batches, /v1/campaigns as JSON and as an upload with
 * the code in its query string). The CLI used to trim `--extend-code " 07"` without a word (as it
 * trims its text flags), while every other door refused the same value.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { ValidationError } from '../../src/errors.js';
import { buildServer } from '../../server/build-server.js';
import { cliOnHarness as cli, sendKeysOf } from '../support/harness-cli.js';
import { tempFileWriter } from '../support/temp-files.js';
import { harnessPerTest } from '../support/pipeline.js';

const harnesses = harnessPerTest();
const file = tempFileWriter('smsq-extend-spaces-');
const NOTE = { name: 'Ada', order: 'A1' };
const TOKEN = 'extend-spaces-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** What every door says of " 07" (and "07 "): the spaces, and the code without them. */
const SPACES = /has spaces around its digits.*Fix: "07"/;

describe('an extension code with spaces around its digits', () => {
  it('`smsq send` and `smsq campaign --extend-code " 07"` are refused naming the flag, before anything is written (a dry run too)', async () => {
    const h = await harnesses.create({ label: 'xs-cli' });
    const send = ['send', '--phones', '13900000901', '--sign', N.sign, '--template', N.notificationTemplate, '--param', JSON.stringify(NOTE)];
    const campaign = ['campaign', '--file', file('list.csv', 'phone\n13900000902\n'), '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"会员"}'];
    for (const [argv, code] of [
      [send, ' 07'],
      [send, '07 '],
      [campaign, ' 07'],
      [campaign, '\t07'],
    ] as const) {
      for (const mode of ['--yes', '--dry-run']) {
        const res = await cli(h, [...argv, '--extend-code', code, mode]);
        expect(res.code, `${argv[0]} ${JSON.stringify(code)} ${mode}: ${res.stdout}${res.stderr}`).toBe(2);
        expect(res.stderr).toMatch(/--extend-code ".*07.*" has spaces around its digits/);
        expect(res.stderr).toMatch(SPACES);
      }
    }
    // A space inside the digits is not a code with spaces around it: the digits rule names it.
    const inside = await cli(h, [...send, '--extend-code', '0 7', '--yes']);
    expect(inside.code).toBe(2);
    expect(inside.stderr).toMatch(/--extend-code "0 7" must be 1-12 digits.*Fix: digits only/);
    expect(await sendKeysOf(h)).toEqual([]);
  });

  it('a send-batch file: a JSON message\'s code and a CSV cell are refused at their place, nothing written', async () => {
    const h = await harnesses.create({ label: 'xs-batch' });
    const json = file('batch.json', JSON.stringify([{ phone: '13900000911', signName: N.sign, templateParam: NOTE, smsUpExtendCode: ' 07' }]));
    const fromJson = await cli(h, ['send-batch', '--file', json, '--template', N.notificationTemplate, '--yes']);
    expect(fromJson.code, fromJson.stderr).toBe(2);
    expect(fromJson.stderr).toMatch(/file\[0\]\.smsUpExtendCode: has spaces around its digits/);
    expect(fromJson.stderr).toMatch(SPACES);
    const csv = file('batch.csv', `phone,sign,extend_code,name,order\n13900000912,${N.sign},07 ,Ada,A1\n`);
    const fromCsv = await cli(h, ['send-batch', '--file', csv, '--template', N.notificationTemplate, '--yes']);
    expect(fromCsv.code, fromCsv.stderr).toBe(2);
    expect(fromCsv.stderr).toMatch(/file:2: column "extend_code" has spaces around its digits/);
    expect(fromCsv.stderr).toMatch(SPACES);
    expect(await sendKeysOf(h)).toEqual([]);
  });

  it('the Node API and REST (a send, a batch, a campaign as JSON and as an upload) refuse it naming the field, nothing written', async () => {
    const h = await harnesses.create({ label: 'xs-rest' });
    const refusal = async (call: Promise<unknown>) => {
      const err = await call.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      return (err as ValidationError).issues;
    };
    expect(await refusal(h.producer.send({ phones: ['13900000921'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE, smsUpExtendCode: ' 07' }))).toEqual([
      { field: 'smsUpExtendCode', message: expect.stringMatching(SPACES) },
    ]);
    const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'extend-spaces-dashboard-0123456789' } });
    harnesses.defer(() => app.close());
    const bodies = [
      ['/v1/messages', { phones: ['13900000922'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: NOTE, smsUpExtendCode: ' 07' }, 'smsUpExtendCode'],
      ['/v1/batches', { templateCode: N.notificationTemplate, messages: [{ phone: '13900000923', signName: N.sign, templateParam: NOTE, smsUpExtendCode: '07 ' }] }, 'messages[0].smsUpExtendCode'],
      ['/v1/campaigns', { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: '会员' }, smsUpExtendCode: ' 07 ', recipients: [{ phone: '13900000924' }] }, 'smsUpExtendCode'],
    ] as const;
    for (const [url, payload, field] of bodies) {
      const res = await app.inject({ method: 'POST', url, headers: AUTH, payload });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(400);
      expect(res.json().error.issues).toEqual([{ field, message: expect.stringMatching(SPACES) }]);
    }
    const query = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: '{"name":"会员"}', smsUpExtendCode: ' 07' });
    const upload = await app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: 'phone\n13900000925\n' });
    expect(upload.statusCode, upload.body).toBe(400);
    expect(upload.json().error.issues).toEqual([{ field: 'query.smsUpExtendCode', message: expect.stringMatching(SPACES) }]);
    expect(await sendKeysOf(h)).toEqual([]);
  });
});
