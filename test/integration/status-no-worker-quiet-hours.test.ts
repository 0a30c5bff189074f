/**
 * An active marketing send at 03:30 China time, inside the default quiet hours (21:00-08:00), and
 * no worker runs: its status said `marketing quiet hours until 08:00 China time` and nothing of the
 * missing worker, so an operator waited until 08:00 and nothing went out. No worker holds longer
 * than quiet hours (nothing moves when they end): it is named first, and the quiet hours with it,
 * which still hold the send once a worker starts. By every door: `smsq status`, its `--json`,
 * `GET /v1/sends/:id` and the campaigns page.
 *
 * No worker has spoken, so the quiet hours are the asker's own (docs/receipts-and-controls.md),
 * judged on a clock the test sets to 03:30 China time, whatever the hour it runs at. The suite's
 * Redis, the producer and the server (inject()) in this process, the CLI's own code in this process.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { DEFAULT_RECEIPT_POLICIES } from '../../src/queue/receipt-policy.js';
import { DEFAULT_QUIET_HOURS } from '../../src/queue/quiet-hours.js';
import { startStatusServer } from '../support/status-server.js';
import { controllableClock } from '../support/china-clock.js';
import { harnessPerTest } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { runSmsqInProcess } from '../support/cli-run.js';

const TOKEN = 'no-worker-quiet-api-token-0123456789';
const LOGIN = { user: 'ops', password: 'no-worker-quiet-password-1' };
const MKT = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'marketing' as const, phones: ['13870000031', '13870000032'] };
const NO_WORKER = 'no worker serves its SMSQ_PREFIX: none is connected to its queue or beat in the last 3 s; nothing is sent until one starts: smsq worker';
const QUIET = 'then marketing quiet hours hold it until 08:00 China time (2026-12-08 08:00:00 +08:00)';

const harnesses = harnessPerTest();

describe('a marketing send inside quiet hours with no worker running', () => {
  it('names the missing worker first, and the quiet hours after it, by every door', async () => {
    const clock = controllableClock('2026-12-08T03:30:00');
    const h = await harnesses.create({ label: 'no-worker-quiet', clock });
    const { sendId } = await h.producer.send(MKT);
    const { producer, views } = await startStatusServer(h, (close) => harnesses.defer(close), {
      receiptWindowMs: 3_600_000,
      receiptLookups: DEFAULT_RECEIPT_POLICIES,
      apiToken: TOKEN,
      basicAuth: LOGIN,
      quietHours: DEFAULT_QUIET_HOURS,
      clock,
    });

    const wait = { reason: 'no-worker', quietUntil: Date.parse('2026-12-08T08:00:00+08:00') };
    const status = await producer.getStatus(sendId);
    expect(status.send.state).toBe('active');
    expect(status.counts.queued).toBe(2);
    expect(status.wait).toEqual(wait);

    // The CLI with its own environment's quiet hours (the default), on the same clock.
    const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: h.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'warn' };
    const text = await runSmsqInProcess(['status', sendId], { env, clock });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^waiting\s+(.*)$/m);
    expect(/^waiting\s+(.*)$/m.exec(text.stdout)?.[1]).toBe(`${NO_WORKER}; ${QUIET}`);
    const json = await runSmsqInProcess(['status', sendId, '--json'], { env, clock });
    expect(json.code, json.stderr).toBe(0);
    // --json and the API give times as ISO text in China time, as every time they print.
    const printed = { reason: 'no-worker', quietUntil: '2026-12-08T08:00:00.000+08:00' };
    expect((JSON.parse(json.stdout) as { wait: unknown }).wait).toEqual(printed);

    const seen = await views(sendId);
    expect(seen.wait).toEqual(printed);
    expect(seen.page).toContain(`${NO_WORKER}; ${QUIET}`);
  }, 30_000);
});
