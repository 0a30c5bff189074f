/**
 * The commands that page by number (signs, templates, qualifications, stats, details).
 *
 * A `--page` past the last page is a refusal of that flag: on stderr, with a Fix line naming the
 * pages there are, exit 2 (the exit-code table's "refused: bad flags"), and with `--json` the usual
 * `{ error }` document. It was one line on stdout with exit 0, read by a script as a page with
 * nothing on it (an operator trial).
 *
 * `details --all` walks every page of a number's day, as the other lists' `--all` does, in pages of
 * 50 (QuerySendDetails's most) unless `--page-size` says otherwise, its progress on stderr. It had
 * no `--all`: a busy number's day was one `--page` at a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { DEFAULT_FIXTURE_NAMES as N, DEFAULT_FIXTURES, type Emulator } from '../../src/emulator/index.js';
import { runSmsqInProcess, type CliRun } from '../support/cli-run.js';
import { startHistoryEmulator, type HistoryEmulator } from '../support/history-emulator.js';

// 2026-03-26 10:00 China Standard Time: two verification codes to PHONE that day, twelve notifications to BUSY.
const DAY = '20260326';
const PHONE = '13800138000';
const BUSY = '13700137000';
const NOTIFICATIONS = 12;
let history: HistoryEmulator;
let emulator: Emulator;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  history = await startHistoryEmulator(Date.UTC(2026, 2, 26, 2, 0, 0));
  ({ emulator, env } = history);
  const { client, clock } = history;
  for (const code of ['1234', '5678']) {
    expect((await client.sendSms({ phoneNumbers: [PHONE], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code } })).ok).toBe(true);
    clock.advance(61_000); // one verification code a minute to one number
  }
  for (let i = 0; i < NOTIFICATIONS; i++) {
    expect((await client.sendSms({ phoneNumbers: [BUSY], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'A', order: String(i) } })).ok).toBe(true);
  }
  clock.advance(2000);
});

afterAll(async () => {
  await emulator?.close();
});

const run = (argv: string[]): Promise<CliRun> => runSmsqInProcess(argv, { env, clock: history.clock });

const signs = DEFAULT_FIXTURES.signs.length;
const templates = DEFAULT_FIXTURES.templates.length;
const qualifications = DEFAULT_FIXTURES.qualifications.length;

describe('a --page past the last page is refused, on stderr, exit 2', () => {
  it.each([
    ['signs', ['signs', '--page', '9', '--page-size', '2'], `--page 9 is past the last page: ${signs} signatures fill ${Math.ceil(signs / 2)} pages of 2.`, `Fix: --page 1 to ${Math.ceil(signs / 2)}, or --all`],
    ['templates', ['templates', '--page', '9', '--page-size', '5'], `--page 9 is past the last page: ${templates} templates fill ${Math.ceil(templates / 5)} pages of 5.`, `Fix: --page 1 to ${Math.ceil(templates / 5)}, or --all`],
    ['qualifications', ['qualifications', '--page', '3'], `--page 3 is past the last page: ${qualifications} qualification records fill 1 page of 20.`, 'Fix: --page 1 (the only page), or --all'],
    ['stats', ['stats', '--start', DAY, '--end', DAY, '--page', '2'], '--page 2 is past the last page: 1 day fills 1 page of 20.', 'Fix: --page 1 (the only page), or --all'],
    ['details', ['details', '--phone', PHONE, '--date', DAY, '--page', '3', '--page-size', '1'], '--page 3 is past the last page: 2 records fill 2 pages of 1.', 'Fix: --page 1 to 2, or --all'],
  ])('%s', async (_name, argv, line, fix) => {
    const r = await run(argv);
    expect(r).toEqual({ code: EXIT.refused, stdout: '', stderr: `error: ${line}\n${fix}\n` });
    const json = await run([...argv, '--json']);
    expect(json.code).toBe(EXIT.refused);
    expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'SMSQ_BAD_FLAG', errorClass: 'usage', meaning: line, action: fix, issues: [{ field: '--page', message: `${line} ${fix}`, fix: fix.replace(/^Fix: /, '') }] } });
  });

  it('the last page itself, and a list with nothing in it, are answers (exit 0)', async () => {
    expect(await run(['details', '--phone', PHONE, '--date', DAY, '--page', '2', '--page-size', '1'])).toMatchObject({ code: EXIT.ok, stderr: '' });
    const none = await run(['details', '--phone', '13900139000', '--date', DAY]);
    expect(none).toEqual({ code: EXIT.ok, stdout: `No messages to 13900139000 on ${DAY} (dates are China Standard Time).\n`, stderr: '' });
  });
});

describe('details --all', () => {
  const calls = () => emulator.calls().filter((c) => c.action === 'QuerySendDetails').length;

  it('walks every page, saying how far on stderr; the table and footer as the other lists', async () => {
    const before = calls();
    const r = await run(['details', '--phone', BUSY, '--date', DAY, '--all', '--page-size', '5']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(calls() - before).toBe(3);
    expect(r.stderr).toBe(`details: page 1 of 3, 5 of ${NOTIFICATIONS} records\ndetails: page 2 of 3, 10 of ${NOTIFICATIONS} records\ndetails: page 3 of 3, ${NOTIFICATIONS} of ${NOTIFICATIONS} records\n`);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1 + NOTIFICATIONS + 1);
    expect(r.stdout).toMatch(new RegExp(`\n${NOTIFICATIONS} records in all\\.\n$`));
  });

  it('in pages of 50 unless told otherwise: one call, no progress; --json says all', async () => {
    const before = calls();
    const r = await run(['details', '--phone', BUSY, '--date', DAY, '--all', '--json']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(calls() - before).toBe(1);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ page: 1, pageSize: 50, all: true, totalCount: NOTIFICATIONS, details: expect.any(Array) });
    expect((JSON.parse(r.stdout) as { details: unknown[] }).details).toHaveLength(NOTIFICATIONS);
  });

  it('one page says how to see the rest; --all beside --page is refused before any call', async () => {
    const page = await run(['details', '--phone', BUSY, '--date', DAY]);
    expect(page.stdout).toMatch(new RegExp(`\nPage 1 of 2: 10 of ${NOTIFICATIONS} records\\. Next: --page 2, or --all\\.\n$`));
    const before = calls();
    const both = await run(['details', '--phone', BUSY, '--date', DAY, '--all', '--page', '2']);
    expect(both).toMatchObject({ code: EXIT.refused, stdout: '' });
    expect(both.stderr).toMatch(/^error: --all walks every page from the first, so --page 2 would be ignored\. Fix: /);
    // With --json the refusal places itself at the flag, as every other bad flag does.
    const json = await run(['details', '--phone', BUSY, '--date', DAY, '--all', '--page', '2', '--json']);
    expect(json.code).toBe(EXIT.refused);
    const line = '--all walks every page from the first, so --page 2 would be ignored.';
    const fix = 'drop --page, or drop --all to see page 2';
    expect(JSON.parse(json.stdout)).toEqual({
      error: { code: 'SMSQ_BAD_FLAG', errorClass: 'usage', meaning: `${line} Fix: ${fix}`, action: 'fix the flag as shown', issues: [{ field: '--page', message: `${line} Fix: ${fix}`, fix }] },
    });
    expect(calls() - before).toBe(0);
  });
});
