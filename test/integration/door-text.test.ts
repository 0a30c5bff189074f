/**
 * A new user's trial of the REST API: three doors that said too much or too little, each through
 * REST (the real server on the suite's Redis), `smsq campaign`/`smsq send` and the producer API.
 *
 * 1. A UTF-8 list named UTF-16LE (`?encoding=`, or `charset=` in its Content-Type) was refused with
 *    its whole first "line" quoted: read as UTF-16LE a UTF-8 file has no line break, so the header
 *    was the file, 133 KB of text that re-encoded as UTF-16LE gave back every number. Its fix named
 *    `?encoding=`, which a caller who sent only the charset never wrote.
 * 2. A number with a zero-width space was refused for `contains "<U+200B>"`, which shows as `contains ""`, while
 *    a no-break space around one was trimmed.
 * 3. A `+` in an upload's `?deadline=` (a space once the query string is read) was told to write the
 *    very form it had sent; a deadline without a zone was told "today at 20:00" after 20:00.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_USAGE } from '../../cli/errors.js';
import { readRecipientsFile } from '../../producers/recipient-file.js';
import { createManualClock } from '../../src/clock.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { ValidationError } from '../../src/errors.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { runSmsqInProcess } from '../support/cli-run.js';

const TOKEN = 'door-text-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** 23:24 China time, 2026-11-25 (15:24 UTC): today's 20:00 has passed. */
const LATE = Date.UTC(2026, 10, 25, 15, 24);
const clock = createManualClock(LATE);
const dir = mkdtempSync(join(tmpdir(), 'smsq-door-text-'));
let h: Harness;
let app: SmsqServer;

beforeAll(async () => {
  h = await createHarness({ label: 'door-text', clock });
  app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, clock, dashboard: { token: 'door-text-dashboard-0123456789' } });
});

afterAll(async () => {
  await app?.close();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every key of the prefix but the account look-ups' bookkeeping: a refusal leaves it as it was. */
async function keys(): Promise<string[]> {
  return (await h.redis.keys(`${h.prefix}*`)).filter((k) => !/:(pacer|catalog:.*)$/.test(k)).sort();
}

function cli(argv: string[]) {
  return runSmsqInProcess(argv, {
    env: { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'error', SMSQ_QUIET_HOURS: 'off' },
  });
}

/** POST /v1/messages of a notification to `phones`. */
function messagesTo(phones: string[]) {
  return app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones, signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Li', order: 'A1' } } });
}

function upload(query: Record<string, string>, contentType: string, body: Buffer | string) {
  const q = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: '{"name":"会员"}', ...query });
  return app.inject({ method: 'POST', url: `/v1/campaigns?${q}`, headers: { ...AUTH, 'content-type': contentType }, payload: body });
}

/**
 * Whether `text` carries a run of digits, in clear or hidden: its bytes as UTF-16 (either order,
 * NULs dropped) are what a UTF-8 file misread as UTF-16 was, so re-encoding the garbled text gives
 * the numbers back. Five digits: a masked number shows four.
 */
function hiddenDigits(text: string): string | undefined {
  for (const form of [text, ...(['utf-16le', 'utf-16be'] as const).map((e) => iconv.encode(text, e).toString('latin1').replaceAll('\0', ''))]) {
    const run = /\d{5,}/.exec(form);
    if (run) return run[0];
  }
  return undefined;
}

/** 5,000 rows like `13900000000,N0` under a header, in UTF-8, of an even length (so UTF-16 reads it whole). */
function bigList(header = 'phone,name\n'): string {
  const rows = Array.from({ length: 5000 }, (_, i) => `${13900000000 + i},N${i % 10}\n`).join('');
  const text = header + rows;
  return Buffer.byteLength(text) % 2 === 0 ? text : `${text}\n`;
}

const SETTINGS = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: '会员' } };
const CLI_SEND = ['--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"会员"}', '--yes'];

describe('a list read in a wrong encoding: the refusal quotes a short excerpt, no number in it, and names what the caller sent', () => {
  const MAX_MESSAGE = 600;

  it('POST /v1/campaigns?encoding=utf-16le with a 5,000-row UTF-8 list (it answered 133 KB quoting every number)', async () => {
    const before = await keys();
    const res = await upload({ encoding: 'utf-16le' }, 'text/csv', bigList());
    expect(res.statusCode).toBe(400);
    expect(res.body.length).toBeLessThan(1000);
    const issue = res.json().error.issues[0];
    expect(issue.field).toBe('(body):1');
    expect(issue.message.length).toBeLessThan(MAX_MESSAGE);
    expect(hiddenDigits(res.body)).toBeUndefined();
    expect(issue.message).toMatch(/read as UTF-16LE, but the file reads as UTF-8 .*; `\?encoding=utf-16le` is likely wrong\. Fix: leave `\?encoding=` out or give `\?encoding=utf-8`$/);
    expect(await keys()).toEqual(before);
  });

  it('POST /v1/campaigns with Content-Type: text/csv; charset=utf-16le and no ?encoding=: the fix names the charset it sent', async () => {
    const before = await keys();
    const res = await upload({}, 'text/csv; charset=utf-16le', bigList());
    expect(res.statusCode).toBe(400);
    const issue = res.json().error.issues[0];
    expect(issue.message.length).toBeLessThan(MAX_MESSAGE);
    expect(hiddenDigits(res.body)).toBeUndefined();
    expect(issue.message).not.toContain('?encoding=utf-16le');
    expect(issue.message).toMatch(/`charset=utf-16le` \(of Content-Type\) is likely wrong\. Fix: leave the charset out of Content-Type or give `charset=utf-8`$/);
    expect(await keys()).toEqual(before);
  });

  it('a list of numbers without a header, named UTF-16LE: the same, through REST, the CLI and the producer API', async () => {
    const before = await keys();
    const text = Array.from({ length: 5000 }, (_, i) => `${13900000000 + i}\n`).join('');
    const res = await upload({ encoding: 'utf-16le' }, 'text/csv', text);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.issues[0].message.length).toBeLessThan(MAX_MESSAGE);
    expect(hiddenDigits(res.body)).toBeUndefined();
    expect(res.json().error.issues[0].message).toMatch(/the file reads as UTF-8 \(a list of numbers without a header\)/);

    const path = join(dir, 'numbers.csv');
    writeFileSync(path, text);
    const r = await cli(['campaign', '--file', path, '--encoding', 'utf-16le', ...CLI_SEND]);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr.length).toBeLessThan(MAX_MESSAGE + 200);
    expect(hiddenDigits(r.stderr), r.stderr).toBeUndefined();
    expect(r.stderr).toMatch(/`--encoding utf-16le` is likely wrong/);

    const err = await h.producer.campaign(readRecipientsFile(path, { encoding: 'utf-16le' }), SETTINGS, { sourceField: 'file' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(hiddenDigits((err as ValidationError).issues[0]!.message)).toBeUndefined();
    expect(await keys()).toEqual(before);
  });

  it('smsq campaign --file --encoding utf-16le with the 5,000-row list: a short excerpt, no number', async () => {
    const before = await keys();
    const path = join(dir, 'big.csv');
    writeFileSync(path, bigList());
    const r = await cli(['campaign', '--file', path, '--encoding', 'utf-16le', ...CLI_SEND]);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr.length).toBeLessThan(MAX_MESSAGE + 200);
    expect(hiddenDigits(r.stderr), r.stderr).toBeUndefined();
    expect(r.stderr).toMatch(/file:1: the header .* read as UTF-16LE, but the file reads as UTF-8/);
    expect(await keys()).toEqual(before);
  });

  it('a header naming no phone column whose names hold numbers, in full-width digits too, is quoted short and masked', async () => {
    const before = await keys();
    const long = `name,${'x'.repeat(300)},１３９００１３９０００,13800138000\n李,a,b,c\n`;
    const res = await upload({}, 'text/csv', long);
    expect(res.statusCode).toBe(400);
    const message = res.json().error.issues[0].message as string;
    expect(message).toMatch(/^the header \(".*…", \d[\d,]* characters\) names no phone column\. Fix:/);
    expect(message.length).toBeLessThan(MAX_MESSAGE);
    expect(message).not.toMatch(/[0-9０-９]{5,}/);
    expect(await keys()).toEqual(before);
  });
});

describe('a number with an invisible character (copy-paste residue)', () => {
  it('POST /v1/messages: one at either end is trimmed, as a no-break space is; one inside is refused by code point and name', async () => {
    const ok = await messagesTo(['13800138000\u200b', '\u200b\u00a013900139000', '\ufeff13700137000\u2060']);
    expect(ok.statusCode, ok.body).toBe(202);
    expect(ok.json()).toMatchObject({ recipients: 3, rejectedCount: 0 });

    const inside = await messagesTo(['138001\u200b38000', '13900139001']);
    expect(inside.statusCode, inside.body).toBe(202);
    const rejected = inside.json().rejected as { input: string; reason: string }[];
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toContain('U+200B ZERO WIDTH SPACE');
    expect(rejected[0]!.reason).not.toContain('"\u200b"');
  });

  it('the rejected rows echo the input with its invisible characters shown by code point, not as an invisible character after the digits', async () => {
    const messages = await messagesTo(['1380013800\u200b', '138001\u200b38000', '13900139005']);
    expect(messages.statusCode, messages.body).toBe(202);
    expect((messages.json().rejected as { input: string }[]).map((r) => r.input)).toEqual(['1380013800<U+200B>', '138001<U+200B>38000']);
    const campaign = await upload({}, 'text/csv', 'phone,name\n139001\u200b39006,Li\n\ufeff1390013900\u2060,Wang\n13900139007,Zhao\n');
    expect(campaign.statusCode, campaign.body).toBe(202);
    expect((campaign.json().rejected as { input: string }[]).map((r) => r.input)).toEqual(['139001<U+200B>39006', '1390013900<U+2060>']);
    expect(campaign.body).not.toMatch(/[\u200b\u2060\ufeff]/);
  });

  it('smsq send --phones and a campaign row: the same reason', async () => {
    const r = await cli(['send', '--phones', '138001\u200b38000,13900139002', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Li","order":"A1"}', '--yes']);
    expect(r.stdout + r.stderr).toContain('U+200B ZERO WIDTH SPACE');
    const res = await upload({}, 'text/csv', 'phone,name\n139001\u200b39003,Li\n13900139004\u200b,Wang\n');
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ recipients: 1, rejectedCount: 1 });
    expect(res.json().rejected[0].reason).toContain('U+200B ZERO WIDTH SPACE');
  });
});

describe('an upload\'s deadline', () => {
  it('an unencoded + (read as a space) is named as such, with the value %2B-encoded (the fix repeated the fault)', async () => {
    const before = await keys();
    const q = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: '{"name":"会员"}' });
    const res = await app.inject({ method: 'POST', url: `/v1/campaigns?${q}&deadline=2027-01-01T00:00:00+08:00`, headers: { ...AUTH, 'content-type': 'text/csv' }, payload: 'phone\n13800138000\n' });
    expect(res.statusCode).toBe(400);
    const issue = res.json().error.issues[0];
    expect(issue.field).toBe('query.deadline');
    expect(issue.message).toMatch(/a \+ in a query string reads as a space/);
    expect(issue.message).toContain('2027-01-01T00:00:00%2B08:00');
    expect(await keys()).toEqual(before);
  });

  it('a deadline without a zone, after 20:00 China time: the example is tomorrow at 20:00, not a time gone by', async () => {
    clock.set(LATE);
    const res = await upload({ deadline: '2026-11-26T10:00:00' }, 'text/csv', 'phone\n13800138000\n');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.issues[0].message).toContain('2026-11-26T20:00:00+08:00');
    const json = await app.inject({ method: 'POST', url: '/v1/messages', headers: AUTH, payload: { phones: ['13800138000'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Li', order: 'A1' }, deadline: '2026-11-26 10:00' } });
    expect(json.json().error.issues[0].message).toContain('2026-11-26T20:00:00+08:00');
    const api = await h.producer.send({ phones: ['13800138000'], ...SETTINGS, templateCode: N.notificationTemplate, templateParam: { name: 'Li', order: 'A1' }, deadline: '2026-11-26T10:00' }).catch((e: unknown) => e);
    expect((api as ValidationError).issues[0]!.message).toContain('2026-11-26T20:00:00+08:00');
    // Before 20:00 China time, today's.
    clock.set(Date.UTC(2026, 10, 25, 2, 0));
    const morning = await upload({ deadline: '2026-11-26T10:00:00' }, 'text/csv', 'phone\n13800138000\n');
    expect(morning.json().error.issues[0].message).toContain('2026-11-25T20:00:00+08:00');
    clock.set(LATE);
  });
});
