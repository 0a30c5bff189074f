/**
 * What a send `sent` and waiting for receipts says of how they come. A trial's `smsq status` said
 * "waiting for receipts of 2 recipients, at the latest until <3 days on>" of two marketing
 * recipients that would never be looked up: marketing receipts are sampled (SMSQ_RECEIPT_LOOKUPS,
 * `marketing=sample:0.05` by default), and those out of the sample settle only by a pushed report,
 * or expire when the receipt window ends. The wait now says how many of those still waiting are
 * looked up and how many wait only for a pushed report, with the setting, in `smsq status`, its
 * `--json`, `GET /v1/sends/:id` and the campaigns page alike.
 *
 * A real worker sending through the emulator with the real SDK, the suite's Redis, the CLI's own
 * code run in this process, and the server through inject().
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { isLookedUp, type ReceiptPolicies, type ReceiptSchedule } from '../../src/queue/receipt-policy.js';
import { startStatusServer } from '../support/status-server.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { everyKind } from '../support/receipt-policies.js';
import { testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { runSmsqInProcess } from '../support/cli-run.js';

const SAMPLE = { mode: 'sample', sampleRate: 0.5 } as const;
const POLICIES: ReceiptPolicies = { ...everyKind('all'), marketing: SAMPLE };
const LOOKUPS_ENV = 'verification=all,notification=all,marketing=sample:0.5';
const WINDOW_MS = 72 * 3_600_000;
const TOKEN = 'receipt-lookups-api-token-0123456789';
const LOGIN = { user: 'ops', password: 'receipt-lookups-password-1' };
const BASIC = { authorization: `Basic ${Buffer.from(`${LOGIN.user}:${LOGIN.password}`).toString('base64')}` };
/** Enough numbers that the 50% sample holds some and leaves some (all or none: 1 in 32,768). */
const PHONES = Array.from({ length: 16 }, (_, i) => String(13854000001 + i));
const CAMPAIGN = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'marketing' as const, phones: PHONES };
const TIME = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00`;

const harnesses = harnessPerTest();

async function cli(h: Harness, argv: string[]) {
  const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off', SMSQ_RECEIPT_LOOKUPS: LOOKUPS_ENV };
  return runSmsqInProcess(argv, { env });
}

/** A worker sampling marketing at 50%, the campaign sent, and a server whose producer has the same setting. */
async function sentCampaign(label: string, receiptSchedule: ReceiptSchedule) {
  const h = await harnesses.create({ label, emulator: { delivery: { delayMs: 0, failureRatio: 0 } } });
  await h.startWorker({ receiptPolicies: POLICIES, receiptSchedule });
  const { sendId } = await h.producer.send(CAMPAIGN);
  const reached = await h.producer.waitFor(sendId, { timeoutMs: 20_000, pollMs: 50 });
  expect(reached.status.send.state).toBe('sent');
  const { producer, app } = await startStatusServer(h, (close) => harnesses.defer(close), { receiptWindowMs: WINDOW_MS, receiptLookups: POLICIES, apiToken: TOKEN, basicAuth: LOGIN });
  const sampled = PHONES.filter((p) => isLookedUp(SAMPLE, sendId, p)).length;
  return { h, app, producer, sendId, sampled };
}

describe('a marketing send waiting for receipts, sampled at 50%', () => {
  it('before any look-up: how many are looked up and how many wait only for a pushed report, by every door', async () => {
    // The first look an hour after acceptance: none is made during the test.
    const { h, app, producer, sendId, sampled } = await sentCampaign('lookups-before', { lookDelaysMs: [3_600_000], windowMs: WINDOW_MS });
    const rest = PHONES.length - sampled;
    const words = `waiting for receipts of 16 recipients: ${sampled} looked up (QuerySendDetails), ${rest} not (SMSQ_RECEIPT_LOOKUPS marketing=sample:0.5): only a pushed report settles those, or they expire at ${TIME}`;

    const text = await cli(h, ['status', sendId]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^waiting\\s+${words.replace(/[()]/g, '\\$&')}$`, 'm'));

    const json = await cli(h, ['status', sendId, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const wait = { reason: 'receipts', pending: 16, lookups: 'marketing=sample:0.5', lookedUp: sampled, pushedOnly: rest };
    expect((JSON.parse(json.stdout) as { wait: unknown }).wait).toMatchObject(wait);

    expect((await producer.getStatus(sendId)).wait).toMatchObject(wait);
    const view = await app.inject({ url: `/v1/sends/${sendId}`, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(view.statusCode, view.body).toBe(200);
    expect((view.json() as { wait: unknown }).wait).toMatchObject(wait);
    const page = await app.inject({ url: `/admin/campaigns/${sendId}`, headers: BASIC });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`${sampled} looked up (QuerySendDetails), ${rest} not (SMSQ_RECEIPT_LOOKUPS marketing=sample:0.5): only a pushed report settles those`);
  });

  it('after the look-ups settled the sample: the rest are said to wait for a pushed report only (it said "waiting for receipts of N recipients")', async () => {
    const { h, sendId, sampled } = await sentCampaign('lookups-after', { lookDelaysMs: [100, 300], windowMs: WINDOW_MS });
    const rest = PHONES.length - sampled;
    // The emulator delivers at once: each look-up of the sample finds its receipt.
    await waitFor(async () => {
      const { counts } = await h.producer.getStatus(sendId);
      return counts.delivered === sampled && counts.accepted === rest;
    }, 'the sample to be looked up and delivered');

    const text = await cli(h, ['status', sendId]);
    expect(text.code, text.stderr).toBe(0);
    const words = `waiting for receipts of ${rest} recipients, not looked up (SMSQ_RECEIPT_LOOKUPS marketing=sample:0.5): only a pushed report settles them, or they expire at ${TIME}`;
    expect(text.stdout).toMatch(new RegExp(`^waiting\\s+${words.replace(/[()]/g, '\\$&')}$`, 'm'));
    const json = await cli(h, ['status', sendId, '--json']);
    expect((JSON.parse(json.stdout) as { wait: unknown }).wait).toMatchObject({ reason: 'receipts', pending: rest, lookups: 'marketing=sample:0.5', lookedUp: 0, pushedOnly: rest });
  });
});
