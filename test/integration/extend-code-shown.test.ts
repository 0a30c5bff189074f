/**
 * The extension code (SmsUpExtendCode) a request goes out with is shown where its other settings
 * (signature, template) are: the plan that `smsq send`, `send-batch` and `campaign` print before
 * they enqueue (`--dry-run`, and the question without `--yes`), in text and in `--json`; and, once
 * enqueued, `smsq status` (text and `--json`), REST's `GET /v1/sends/:id` and the campaigns page,
 * a compacted send too. An operator checking a campaign before sending it saw no code anywhere.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createKeys } from '../../src/queue/keys.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { buildServer } from '../../server/build-server.js';
import { cliOnHarness as cli, sendKeysOf } from '../support/harness-cli.js';
import { tempFileWriter } from '../support/temp-files.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { everyKind } from '../support/receipt-policies.js';
import { waitFor } from '../support/wait.js';

const harnesses = harnessPerTest();
const file = tempFileWriter('smsq-extend-shown-');
const NOTE = { name: 'Ada', order: 'A1' };
const TOKEN = 'extend-shown-token-0123456789';
const LOGIN = { user: 'ops', password: 'extend-shown-password' };

/** The value of a `renderFields` row (`name   value`) in a command's text. */
function row(text: string, name: string): string | undefined {
  return new RegExp(`^${name} {2,}(.*)$`, 'm').exec(text)?.[1];
}

const SEND = ['send', '--phones', '13900000931,13900000932', '--sign', N.sign, '--template', N.notificationTemplate, '--param', JSON.stringify(NOTE)];
const CAMPAIGN = (list: string) => ['campaign', '--file', list, '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"会员"}'];
const BATCH = [
  { phone: '13900000941', signName: N.sign, templateParam: NOTE, smsUpExtendCode: '0601' },
  { phone: '13900000942', signName: N.sign, templateParam: NOTE, smsUpExtendCode: '0602' },
  { phone: '13900000943', signName: N.sign, templateParam: NOTE },
];

describe('the plan before an enqueue shows the extension code', () => {
  it('`smsq send --dry-run`: a row in text, smsUpExtendCode in --json; (none) and no field without one', async () => {
    const h = await harnesses.create({ label: 'xp-send' });
    const text = await cli(h, [...SEND, '--extend-code', '07', '--dry-run']);
    expect(text.code, text.stderr).toBe(0);
    expect(row(text.stdout, 'extension code')).toBe('07');
    // Beside the request's other settings.
    expect(text.stdout).toMatch(/^template .*\nextension code/m);
    const json = await cli(h, [...SEND, '--extend-code', '07', '--dry-run', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: true, plan: { signName: N.sign, templateCode: N.notificationTemplate, smsUpExtendCode: '07' } });
    const none = await cli(h, [...SEND, '--dry-run']);
    expect(row(none.stdout, 'extension code')).toBe('(none)');
    const noneJson = JSON.parse((await cli(h, [...SEND, '--dry-run', '--json'])).stdout) as { plan: Record<string, unknown> };
    expect(noneJson.plan).not.toHaveProperty('smsUpExtendCode');
    expect(await sendKeysOf(h)).toEqual([]);
  });

  it('`smsq send-batch --dry-run`: the codes of its messages, and how many have none', async () => {
    const h = await harnesses.create({ label: 'xp-batch' });
    const batch = file('batch.json', JSON.stringify(BATCH));
    const text = await cli(h, ['send-batch', '--file', batch, '--template', N.notificationTemplate, '--dry-run']);
    expect(text.code, text.stderr).toBe(0);
    expect(row(text.stdout, 'extension code')).toBe('0601,0602 (1 message without)');
    const json = await cli(h, ['send-batch', '--file', batch, '--template', N.notificationTemplate, '--dry-run', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ plan: { smsUpExtendCode: '0601,0602' } });
  });

  it('`smsq campaign --dry-run` and the question without --yes: a row beside signature / template', async () => {
    const h = await harnesses.create({ label: 'xp-campaign' });
    const list = file('list.csv', 'phone\n13900000951\n13900000952\n');
    const dry = await cli(h, [...CAMPAIGN(list), '--extend-code', '07', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(row(dry.stdout, 'extension code')).toBe('07');
    expect(dry.stdout).toMatch(/^signature \/ template .*\nextension code/m);
    expect(row((await cli(h, [...CAMPAIGN(list), '--dry-run'])).stdout, 'extension code')).toBe('(none)');
    // No terminal to ask on: refused after the plan, which is said on stderr.
    const asked = await cli(h, [...CAMPAIGN(list), '--extend-code', '07']);
    expect(asked.code).toBe(2);
    expect(row(asked.stderr, 'extension code')).toBe('07');
    expect(await sendKeysOf(h)).toEqual([]);
  });
});

describe('a send\'s status shows the extension code it goes out with', () => {
  /** A send's extension code as `smsq status` (text, --json) and GET /v1/sends/:id show it, and the campaigns page. */
  async function shown(h: Harness, sendId: string) {
    const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { basicAuth: LOGIN, readOnly: true }, checkResponses: true });
    try {
      const text = await cli(h, ['status', sendId]);
      const json = JSON.parse((await cli(h, ['status', sendId, '--json'])).stdout) as { send: Record<string, unknown> };
      const rest = await app.inject({ url: `/v1/sends/${sendId}`, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(rest.statusCode, rest.body).toBe(200);
      const page = await app.inject({ url: `/admin/campaigns/${sendId}`, headers: { authorization: `Basic ${Buffer.from(`${LOGIN.user}:${LOGIN.password}`).toString('base64')}` } });
      expect(page.statusCode).toBe(200);
      return {
        text: row(text.stdout, 'extension code'),
        json: json.send.smsUpExtendCode,
        rest: (rest.json() as { send: Record<string, unknown> }).send.smsUpExtendCode,
        page: /<dt>extension code<\/dt><dd>([^<]*)<\/dd>/.exec(page.body)?.[1],
      };
    } finally {
      await app.close();
    }
  }

  it('a send, a campaign and a batch, enqueued by the CLI; a send without one shows none', async () => {
    const h = await harnesses.create({ label: 'xs-status' });
    await h.startWorker(); // served: the CLI does not wait to warn that no worker is
    const idOf = async (argv: string[]) => {
      const res = await cli(h, [...argv, '--yes', '--json']);
      expect(res.code, res.stderr).toBe(0);
      return (JSON.parse(res.stdout) as { sendId: string }).sendId;
    };
    const send = await idOf([...SEND, '--extend-code', '07']);
    const campaign = await idOf([...CAMPAIGN(file('status.csv', 'phone\n13900000961\n')), '--extend-code', '0451']);
    const batch = await idOf(['send-batch', '--file', file('status.json', JSON.stringify(BATCH)), '--template', N.notificationTemplate]);
    const plain = await idOf([...SEND]);
    expect(await shown(h, send)).toEqual({ text: '07', json: '07', rest: '07', page: '07' });
    expect(await shown(h, campaign)).toEqual({ text: '0451', json: '0451', rest: '0451', page: '0451' });
    expect(await shown(h, batch)).toEqual({ text: '0601,0602', json: '0601,0602', rest: '0601,0602', page: '0601,0602' });
    expect(await shown(h, plain)).toEqual({ text: undefined, json: undefined, rest: undefined, page: undefined });
  });

  it('a finished send keeps it once compacted', async () => {
    const h = await harnesses.create({ label: 'xs-compact' });
    const res = await h.producer.send({ phones: ['13900000971'], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification', smsUpExtendCode: '0971' });
    await h.startWorker({ receiptPolicies: everyKind('all'), receiptSchedule: { lookDelaysMs: [200, 400], windowMs: 3_600_000 } });
    const sends = createSendStore({ redis: h.redis, keys: createKeys(h.prefix) });
    await waitFor(async () => ((await sends.isCompacted(res.sendId)) ? true : undefined), 'the finished send compacted', 20_000);
    expect((await h.producer.getStatus(res.sendId)).send.smsUpExtendCode).toBe('0971');
    expect(await shown(h, res.sendId)).toEqual({ text: '0971', json: '0971', rest: '0971', page: '0971' });
  });
});
