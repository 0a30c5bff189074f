/**
 * `smsq stats --json` sums the rows it shows. Over one page of several, that sum is the page's, not
 * the range's: it is `pageTotals`, never `totals`, which a script reads beside `totalSize` (the
 * range's day count) as the range's sums. It was `totals` either way: 1 of a range that held 3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { EXIT } from '../../src/errors.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { createSmsClient } from '../../src/sms/client.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { runSmsqInProcess } from '../support/cli-run.js';

// 2026-03-25 10:00 China Standard Time: one message that day, two the next.
const DAY1 = '20260325';
const DAY2 = '20260326';
const clock = createManualClock(Date.UTC(2026, 2, 25, 2, 0, 0));
let emulator: Emulator;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  emulator = createEmulator({ clock, delivery: { delayMs: 0 } });
  const { endpoint } = await emulator.listen();
  env = { SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn' };
  const client = createSmsClient({ endpoint, protocol: 'http', credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
  const send = (phones: string[]) => client.sendSms({ phoneNumbers: phones, signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1234' } });
  expect((await send(['13800138000'])).ok).toBe(true);
  clock.advance(86_400_000);
  expect((await send(['13800138000', '13900139000'])).ok).toBe(true);
  clock.advance(2000);
});

afterAll(async () => {
  await emulator?.close();
});

async function stats(extra: string[]): Promise<Record<string, unknown>> {
  const r = await runSmsqInProcess(['stats', '--start', DAY1, '--end', DAY2, '--json', ...extra], { env, clock });
  expect(r.code, r.stderr).toBe(EXIT.ok);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('smsq stats --json: the sums say what they cover', () => {
  it('one page of several: pageTotals, the sums of its rows, and no totals', async () => {
    const page = await stats(['--page-size', '1']);
    expect(page).toMatchObject({ all: false, totalSize: 2, rows: [expect.anything()] });
    expect(page).not.toHaveProperty('totals');
    expect(page.pageTotals).toEqual({ totalCount: (page.rows as { totalCount: number }[])[0]!.totalCount, respondedSuccessCount: expect.any(Number), respondedFailCount: expect.any(Number), noRespondedCount: expect.any(Number) });
  });

  it('--all: totals, the whole range, as before', async () => {
    const all = await stats(['--page-size', '1', '--all']);
    expect(all).toMatchObject({ all: true, totalSize: 2, totals: { totalCount: 3 } });
    expect(all).not.toHaveProperty('pageTotals');
  });

  it('one page that holds every day of the range: totals, as its text says "total"', async () => {
    const one = await stats([]);
    expect(one).toMatchObject({ all: false, totalSize: 2, totals: { totalCount: 3 } });
    expect(one).not.toHaveProperty('pageTotals');
  });
});
