/**
 * `smsq stats --template-type 3` (international / HK, Macao, Taiwan messages) with the default
 * `--globe 1` (domestic) can count nothing: QuerySendStatistics keeps the two apart. It said
 * "Nothing sent" and no more, and the operator took the account for idle; now a hint on stderr
 * says why and gives `--globe 2`. Output and exit code are unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { runSmsqInProcess, type CliRun } from '../support/cli-run.js';
import { startHistoryEmulator, type HistoryEmulator } from '../support/history-emulator.js';

// 2026-03-26 10:00 China Standard Time: one international message that day.
const DAY = '20260326';
let history: HistoryEmulator;

beforeAll(async () => {
  history = await startHistoryEmulator(Date.UTC(2026, 2, 26, 2, 0, 0));
  const { client, clock } = history;
  const sent = await client.sendSms({ phoneNumbers: ['85291234567'], signName: N.sign, templateCode: N.internationalTemplate, templateParam: { code: '1234' } });
  expect(sent.ok, JSON.stringify(sent)).toBe(true);
  clock.advance(2000);
});

afterAll(async () => {
  await history?.emulator.close();
});

const stats = (extra: string[]): Promise<CliRun> => runSmsqInProcess(['stats', '--start', DAY, '--end', DAY, ...extra], { env: history.env, clock: history.clock });
const HINT = 'hint: --template-type 3 counts international / HK, Macao, Taiwan messages, which --globe 1 (domestic, the default) leaves out. Fix: --globe 2 --template-type 3\n';

describe('stats: a --template-type that --globe leaves out', () => {
  it('--template-type 3 under the default --globe 1: nothing, and a hint on stderr with --globe 2', async () => {
    const r = await stats(['--template-type', '3']);
    expect(r).toEqual({ code: EXIT.ok, stdout: `Nothing sent from ${DAY} to ${DAY} (domestic).\n`, stderr: HINT });
    const json = await stats(['--template-type', '3', '--json']);
    expect(json.code).toBe(EXIT.ok);
    expect(json.stderr).toBe(HINT);
    expect(JSON.parse(json.stdout)).toMatchObject({ totalSize: 0, rows: [] });
  });

  it('--globe 2 finds what the hint points at; no hint where the combination can match', async () => {
    const r = await stats(['--globe', '2', '--template-type', '3']);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^total\s+1\s+/m);
    expect((await stats(['--template-type', '0'])).stderr).toBe('');
  });
});
