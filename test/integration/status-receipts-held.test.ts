/**
 * A send past the API whose receipts the workers look up (QuerySendDetails), and no worker runs:
 * its status said "waiting for receipts of 2 recipients, looked up (QuerySendDetails; ...)" while
 * no look-up could happen (readyz 503, SmsqNoWorker firing): the reasons that stop the workers'
 * calls were weighed only while something was left to send. The wait now names what holds the
 * look-ups first, by every door: `smsq status`, its `--json`, `GET /v1/sends/:id` and the
 * campaigns page; and says nothing of it once a worker runs again.
 *
 * A real worker sending through the emulator with the real SDK, then stopped as SIGTERM stops it
 * (its close), the suite's Redis, the CLI's own code run in this process, and the server through inject().
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { DEFAULT_RECEIPT_POLICIES } from '../../src/queue/receipt-policy.js';
import { startStatusServer } from '../support/status-server.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { runSmsqInProcess } from '../support/cli-run.js';

const WINDOW_MS = 72 * 3_600_000;
const TOKEN = 'receipts-held-api-token-0123456789ab';
const LOGIN = { user: 'ops', password: 'receipts-held-password-1' };
const NOTICE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' }, kind: 'notification' as const, phones: ['13854100001', '13854100002'] };
const HELD = 'no receipt is looked up (QuerySendDetails) now: no worker serves its SMSQ_PREFIX: none is connected to its queue or beat in the last 3 s; start one: smsq worker. ';
const LOOKED_UP = String.raw`waiting for receipts of 2 recipients, looked up \(QuerySendDetails; SMSQ_RECEIPT_LOOKUPS notification=all\), at the latest until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00`;
const escape = (text: string) => text.replace(/[().]/g, '\\$&');

const harnesses = harnessPerTest();

async function cli(h: Harness, argv: string[]) {
  const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off' };
  return runSmsqInProcess(argv, { env });
}

describe('a notification past the API waiting for its looked-up receipts', () => {
  it('names no worker as what holds the look-ups once its worker stopped, by every door, and only receipts once one runs again', async () => {
    const h = await harnesses.create({ label: 'receipts-held', emulator: { delivery: { delayMs: 0, failureRatio: 0 } } });
    // The first look an hour after acceptance: none is made during the test, the receipts stay pending.
    const worker = await h.startWorker({ receiptSchedule: { lookDelaysMs: [3_600_000], windowMs: WINDOW_MS } });
    const { sendId } = await h.producer.send(NOTICE);
    const reached = await h.producer.waitFor(sendId, { timeoutMs: 20_000, pollMs: 50 });
    expect(reached.status.send.state).toBe('sent');
    const { producer, views } = await startStatusServer(h, (close) => harnesses.defer(close), { receiptWindowMs: WINDOW_MS, receiptLookups: DEFAULT_RECEIPT_POLICIES, apiToken: TOKEN, basicAuth: LOGIN });

    // While the worker runs: receipts, looked up, nothing holding them.
    const running = await producer.getStatus(sendId);
    expect(running.wait).toMatchObject({ reason: 'receipts', pending: 2, lookedUp: 2, pushedOnly: 0 });
    expect(running.wait).not.toHaveProperty('lookupsHeld');

    // Stopped as SIGTERM stops it: no worker serves the prefix once its last beat is 3 s old.
    await worker.close();
    const stopped = await waitFor(async () => {
      const status = await producer.getStatus(sendId);
      return status.wait?.reason === 'receipts' && status.wait.lookupsHeld ? status : undefined;
    }, 'the look-ups to be said held', 15_000);
    const wait = { reason: 'receipts', pending: 2, lookups: 'notification=all', lookedUp: 2, pushedOnly: 0, lookupsHeld: { reason: 'no-worker' } };
    expect(stopped.wait).toMatchObject(wait);

    const text = await cli(h, ['status', sendId]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^waiting\\s+${escape(HELD)}Meanwhile ${LOOKED_UP}$`, 'm'));
    const json = await cli(h, ['status', sendId, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { wait: unknown }).wait).toMatchObject(wait);
    const seen = await views(sendId);
    expect(seen.wait).toMatchObject(wait);
    expect(seen.page).toContain('no receipt is looked up (QuerySendDetails) now: no worker serves its SMSQ_PREFIX');

    // A worker again: the look-ups go on, the wait is receipts alone.
    await h.startWorker({ receiptSchedule: { lookDelaysMs: [3_600_000], windowMs: WINDOW_MS } });
    const served = await waitFor(async () => {
      const status = await producer.getStatus(sendId);
      return status.wait?.reason === 'receipts' && !status.wait.lookupsHeld ? status : undefined;
    }, 'the hold to be gone', 15_000);
    expect(served.wait).toMatchObject({ reason: 'receipts', pending: 2, lookedUp: 2 });
    const again = await cli(h, ['status', sendId]);
    expect(again.stdout).toMatch(new RegExp(`^waiting\\s+${LOOKED_UP}$`, 'm'));
  }, 60_000);
});
