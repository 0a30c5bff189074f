/**
 * A cancel of a send with nothing left to send. A trial user cancelled a send that was `sent`
 * (every recipient past the API, its receipts still coming in): it became `cancelled`, and `smsq
 * sends` listed it `cancelled` beside its delivered count, as if nothing had gone out, though the
 * cancel itself said nothing was left to cancel. Such a cancel is now refused, by every door
 * (`producer.cancel()`, `smsq campaign cancel`, `POST /v1/sends/{id}/cancel` and the campaigns
 * page's button), with SMSQ_SEND_ALREADY_SENT (REST 409, CLI exit 2), and nothing is written to
 * Redis: the send stays `sent` and completes as its receipts come. The refusal is made by the
 * script that moves the send's state (set-control-5.lua), so a send that goes `sent` while a
 * cancel runs comes out one way or the other, never cancelled after it went out in full.
 *
 * A private Redis (its count of writes is the test's alone), a real worker, the emulator through
 * the real SDK, the CLI's own code run in this process, and the server through inject().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, SendAlreadySentError } from '../../src/errors.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createHarness, FAST_TIMING, harnessPerTest, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { printedByCli, runSmsqInProcess } from '../support/cli-run.js';

/** The refusal's words after "Fix: " as the CLI and REST say them (the command, then the route). */
const cliFix = (sendId: string) => `Fix: smsq status ${sendId} --recipients (GET /v1/sends/${sendId}/recipients) shows who got it; to reach them again (a correction), enqueue a new send`;
/** The whole refusal of a send that is sent, as the CLI and REST say it. */
const refusedWords = (sendId: string, action: 'cancel' | 'pause' = 'cancel') =>
  `send ${sendId} is sent: every recipient was already sent (none is queued or in a call: each went past the API, or ended without a call), and its receipts are being collected (it becomes completed once every one is in, or its receipt window ends); a ${action} stops nothing now, and nothing was changed. ${cliFix(sendId)}`;

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, kind: 'notification' as const };
const TOKEN = 'cancel-sent-api-token-0123456789';
const LOGIN = { user: 'ops', password: 'cancel-sent-password-1' };
const BASIC = { authorization: `Basic ${Buffer.from(`${LOGIN.user}:${LOGIN.password}`).toString('base64')}` };
/** Receipts an hour away: a send that is `sent` stays so for the whole test. */
const RECEIPTS_LATE = { delivery: { delayMs: 3_600_000, failureRatio: 0 } };

let server: PrivateRedis;
let h: Harness;
let app: SmsqServer;
/** One send for each door and control, every one `sent` with its receipts pending. */
const sent = { node: '', cli: '', rest: '', pauseNode: '', pauseCli: '', pauseRest: '' };

/** Writes the private Redis has taken since it started (every command that changed a key counts). */
async function writes(): Promise<number> {
  return Number(/rdb_changes_since_last_save:(\d+)/.exec(await h.redis.info('persistence'))?.[1]);
}

async function cli(argv: string[]) {
  const env = { REDIS_URL: server.url, SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off' };
  return runSmsqInProcess(argv, { env });
}

/** The send as it must stay after a refused cancel: sent, never cancelled, in its history or its control. */
async function expectStillSent(sendId: string) {
  const { send } = await h.producer.getStatus(sendId);
  expect(send.state).toBe('sent');
  expect(send.control).toBe('active');
  expect(send.history.map((c) => c.state)).toEqual(['enqueuing', 'active', 'sent']);
}

beforeAll(async () => {
  server = await startPrivateRedis();
  h = await createHarness({ label: 'cancel-sent', redisUrl: server.url, emulator: RECEIPTS_LATE });
  app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { basicAuth: LOGIN, readOnly: false }, checkResponses: true });
  const worker = await h.startWorker();
  let phone = 13852000001;
  for (const door of Object.keys(sent) as (keyof typeof sent)[]) {
    sent[door] = (await h.producer.send({ ...NOTE, phones: [String(phone++), String(phone++), String(phone++)] })).sendId;
  }
  for (const sendId of Object.values(sent)) {
    const reached = await h.producer.waitFor(sendId, { timeoutMs: 20_000, pollMs: 50 });
    expect(reached.status.send.state).toBe('sent');
  }
  // Nothing else writes while the doors are tried: the count of writes is the cancels' alone.
  await worker.close();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await h?.close();
  await server?.stop();
});

describe('a cancel of a send that is sent (receipts pending)', () => {
  it('producer.cancel() throws SendAlreadySentError (SMSQ_SEND_ALREADY_SENT) and writes nothing', async () => {
    const sentId = sent.node;
    const before = await writes();
    const refused = await h.producer.cancel(sentId).catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: 'SMSQ_SEND_ALREADY_SENT', sendId: sentId, state: 'sent' });
    expect(refused).toBeInstanceOf(SendAlreadySentError);
    expect((refused as Error).message).toMatch(new RegExp(`^send ${sentId} is sent: every recipient was already sent \\(none is queued or in a call: each went past the API, or ended without a call\\), and its receipts are being collected \\(.*\\); a cancel stops nothing now, and nothing was changed\\. Fix: `));
    // A Node caller is told the producer's call that lists the recipients, not a command it never installed.
    expect((refused as Error).message).toContain(`Fix: \`producer.recipientPage("${sentId}")\` (GET /v1/sends/${sentId}/recipients) shows who got it`);
    expect((refused as Error).message).not.toMatch(/smsq |SMSQ_|REDIS_URL/);
    // The CLI prints the command, as it did.
    expect(printedByCli(refused).stderr).toBe(`error SMSQ_SEND_ALREADY_SENT: ${refusedWords(sentId)}\n`);
    expect(await writes()).toBe(before);
    await expectStillSent(sentId);
  });

  it('smsq campaign cancel refuses it with exit 2, and smsq sends still lists it sent', async () => {
    const sentId = sent.cli;
    const before = await writes();
    const text = await cli(['campaign', 'cancel', sentId]);
    expect(text.code, text.stdout).toBe(EXIT.refused);
    expect(text.stderr).toBe(`error SMSQ_SEND_ALREADY_SENT: ${refusedWords(sentId)}\n`);
    expect(text.stdout).toBe('');
    const json = await cli(['campaign', 'cancel', sentId, '--json']);
    expect(json.code).toBe(EXIT.refused);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'SMSQ_SEND_ALREADY_SENT', meaning: refusedWords(sentId) } });
    expect(await writes()).toBe(before);
    const listed = JSON.parse((await cli(['sends', '--json'])).stdout) as { sends: { send: { sendId: string; state: string; control: string } }[] };
    expect(listed.sends.find((s) => s.send.sendId === sentId)?.send).toMatchObject({ state: 'sent', control: 'active' });
    await expectStillSent(sentId);
  });

  it('POST /v1/sends/{id}/cancel and the campaigns page answer 409 SMSQ_SEND_ALREADY_SENT, and write nothing', async () => {
    const sentId = sent.rest;
    const before = await writes();
    const rest = await app.inject({ method: 'POST', url: `/v1/sends/${sentId}/cancel`, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(rest.statusCode, rest.body).toBe(409);
    // The server, configured by the environment, says the command, as it did.
    expect(rest.json()).toEqual({ error: { code: 'SMSQ_SEND_ALREADY_SENT', message: refusedWords(sentId) } });
    const page = await app.inject({ method: 'POST', url: `/admin/campaigns/${sentId}/cancel`, headers: { ...BASIC, 'x-smsq-control': '1' } });
    expect(page.statusCode, page.body).toBe(409);
    expect(page.json()).toMatchObject({ error: { code: 'SMSQ_SEND_ALREADY_SENT', message: refusedWords(sentId) } });
    expect(await writes()).toBe(before);
    await expectStillSent(sentId);
    // Nor does the page offer a cancel it would refuse, nor a pause (refused too: it changed nothing).
    const shown = await app.inject({ url: `/admin/campaigns/${sentId}`, headers: BASIC });
    expect(shown.statusCode).toBe(200);
    expect(shown.body).not.toContain('data-action="pause"');
    expect(shown.body).not.toContain('data-action="cancel"');
  });
});

/**
 * A pause of a send that is sent stops nothing either. `POST /v1/sends/{id}/pause` answered 200 with
 * the send as it was (its control still `active`), `smsq campaign pause` printed "nothing changed:
 * the send was already sent" and exited 0, and `producer.pause()` returned its status, while the
 * campaigns page's pause was refused 409: now every door refuses it as a cancel is, from the move's
 * own script (no pause from `sent` in the table), and nothing is written.
 */
describe('a pause of a send that is sent (receipts pending)', () => {
  it('producer.pause() throws SendAlreadySentError (SMSQ_SEND_ALREADY_SENT) and writes nothing', async () => {
    const sentId = sent.pauseNode;
    const before = await writes();
    const refused = await h.producer.pause(sentId).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(SendAlreadySentError);
    expect(refused).toMatchObject({ code: 'SMSQ_SEND_ALREADY_SENT', sendId: sentId, state: 'sent', action: 'pause' });
    expect(printedByCli(refused).stderr).toBe(`error SMSQ_SEND_ALREADY_SENT: ${refusedWords(sentId, 'pause')}\n`);
    expect(await writes()).toBe(before);
    await expectStillSent(sentId);
  });

  it('smsq campaign pause refuses it with exit 2, as its cancel', async () => {
    const sentId = sent.pauseCli;
    const before = await writes();
    const text = await cli(['campaign', 'pause', sentId]);
    expect(text.code, text.stdout).toBe(EXIT.refused);
    expect(text.stderr).toBe(`error SMSQ_SEND_ALREADY_SENT: ${refusedWords(sentId, 'pause')}\n`);
    expect(text.stdout).toBe('');
    const json = await cli(['campaign', 'pause', sentId, '--json']);
    expect(json.code).toBe(EXIT.refused);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'SMSQ_SEND_ALREADY_SENT', meaning: refusedWords(sentId, 'pause') } });
    expect(await writes()).toBe(before);
    await expectStillSent(sentId);
  });

  it('POST /v1/sends/{id}/pause answers 409 SMSQ_SEND_ALREADY_SENT as the campaigns page does, and writes nothing', async () => {
    const sentId = sent.pauseRest;
    const before = await writes();
    const rest = await app.inject({ method: 'POST', url: `/v1/sends/${sentId}/pause`, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(rest.statusCode, rest.body).toBe(409);
    expect(rest.json()).toEqual({ error: { code: 'SMSQ_SEND_ALREADY_SENT', message: refusedWords(sentId, 'pause') } });
    const page = await app.inject({ method: 'POST', url: `/admin/campaigns/${sentId}/pause`, headers: { ...BASIC, 'x-smsq-control': '1' } });
    expect(page.statusCode, page.body).toBe(409);
    expect(page.json()).toEqual(rest.json());
    expect(await writes()).toBe(before);
    await expectStillSent(sentId);
  });
});

describe('a cancel racing the answer that sends the last recipients', () => {
  const harnesses = harnessPerTest();

  it('a cancel made while the last chunk is in its call cancels the send; the answer then records its recipients accepted, and the send stays cancelled', async () => {
    // Every answer comes 4 s after its call (the client waits up to 10 s): time for the cancel to run while the call is out.
    const race = await harnesses.create({ label: 'cancel-race', readTimeoutMs: 10_000, emulator: { ...RECEIPTS_LATE, latencyMs: 4000 } });
    const { sendId } = await race.producer.send({ ...NOTE, phones: ['13852000101', '13852000102'] });
    // The settling window must outlast a call that may take the whole read timeout (sms-worker.ts).
    await race.startWorker({ reconcile: { ...FAST_TIMING.reconcile, settleMs: 25_000 } });
    await waitFor(async () => (await race.producer.getStatus(sendId)).counts.sending === 2, 'the chunk in its call');
    const cancelled = await race.producer.cancel(sendId);
    expect(cancelled.send.state).toBe('cancelled');
    expect(cancelled.counts).toMatchObject({ queued: 0, sending: 2, cancelled: 0 });
    const answered = await waitFor(async () => {
      const status = await race.producer.getStatus(sendId);
      return status.counts.accepted === 2 ? status : undefined;
    }, 'the answer of the call in flight', 20_000);
    // The send went out in full after its cancel: it is not moved to `sent` for it, and a cancel again changes nothing.
    expect(answered.send.state).toBe('cancelled');
    expect(answered.send.history.map((c) => c.state)).toEqual(['enqueuing', 'active', 'cancelled']);
    expect((await race.producer.cancel(sendId)).send.state).toBe('cancelled');
  }, 40_000);
});
