/**
 * Read-only commands (the catalog, a send's status) give a query's advice when they fail: asking
 * again sends nothing, so the send path's "never resend blindly", "fail these recipients" and
 * "fail the whole send" do not apply. Exit codes stay those of the error class.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { EXIT } from '../../src/errors.js';
import { runSmsqInProcess } from '../support/cli-run.js';

let emulator: Emulator;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  const { endpoint } = await emulator.listen();
  env = { SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn', SMS_READ_TIMEOUT_MS: '500' };
});

afterAll(async () => {
  await emulator.close();
});

async function run(argv: string[]): Promise<{ code: number; advice: string | undefined; stderr: string }> {
  const { code, stderr } = await runSmsqInProcess(argv, { env });
  // A failure told in one line (a reset names SMS_ENDPOINT) ends with its advice: "nothing was changed. Fix: ...".
  return { code, advice: /^what to do: (.*)$/m.exec(stderr)?.[1] ?? /; (nothing was changed\. Fix: .*)$/m.exec(stderr)?.[1], stderr };
}

describe('read-only commands advise in their own terms', () => {
  it.each([
    ['HTTP 500 on GetSmsTemplate', ['template', 'SMS_900000001'], { kind: 'server-error' as const, httpStatus: 500 as const, actions: ['GetSmsTemplate'] }],
    ['HTTP 503 on GetSmsSign', ['sign', 'smsq沙箱'], { kind: 'server-error' as const, httpStatus: 503 as const, actions: ['GetSmsSign'] }],
    ['a reset connection on QuerySendStatistics', ['stats', '--start', '20260101', '--end', '20260101'], { kind: 'reset' as const, actions: ['QuerySendStatistics'] }],
  ])('%s: the meaning is a look-up\'s, not a send\'s (it said "the message may or may not have been accepted")', async (_name, argv, fault) => {
    emulator.setFaults([fault]);
    const r = await run(argv);
    expect(r.code).toBe(EXIT.dependency);
    const meaning = /^error \S+: (.*)$/m.exec(r.stderr)?.[1];
    expect(meaning, r.stderr).toBeDefined();
    expect(meaning).not.toMatch(/message|accepted|may have been (processed|written)|request may/);
    expect(r.advice).toMatch(/^Nothing was changed/i);
  });

  it.each([
    ['HTTP 500', { kind: 'server-error' as const, httpStatus: 500 as const }],
    ['HTTP 503', { kind: 'server-error' as const, httpStatus: 503 as const }],
    ['a reset connection', { kind: 'reset' as const }],
  ])('signs on %s: run it again, nothing about resending', async (_name, fault) => {
    emulator.setFaults([{ ...fault, actions: ['QuerySmsSignList'] }]);
    const r = await run(['signs']);
    expect(r.code).toBe(EXIT.dependency);
    expect(r.advice).toMatch(/^Nothing was changed(?: \(a query sends nothing\):|\. Fix:) run it again/i);
    expect(r.advice).not.toMatch(/resend|OutId|QuerySendDetails/);
  });

  it.each([
    ['signs', ['signs'], 'QuerySmsSignList'],
    ['templates', ['templates'], 'QuerySmsTemplateList'],
  ])('%s on a timeout: one line naming SMS_ENDPOINT and SMS_READ_TIMEOUT_MS, a look-up\'s words and fix, nothing about resending', async (_name, argv, action) => {
    emulator.setFaults([{ kind: 'lost-answer', delayMs: 2000, actions: [action] }]);
    const r = await run(argv);
    expect(r.code).toBe(EXIT.dependency);
    const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'));
    expect(lines, r.stderr).toEqual([expect.stringMatching(/^error RequestTimeout: no answer from SMS_ENDPOINT=\S+ within SMS_READ_TIMEOUT_MS=500; nothing was changed\. Fix: run it again/)]);
    expect(r.stderr).not.toMatch(/message|accepted|may have been (processed|written)|request may|resend|OutId|QuerySendDetails/);
  });

  it('qualification that does not exist: check the id, nothing about recipients or OutId', async () => {
    emulator.setFaults([]);
    const r = await run(['qualification', '99999999']);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toContain('99999999');
    expect(r.advice).toMatch(/^Nothing was changed: check the group id against smsq qualifications/);
    expect(r.advice).not.toMatch(/recipients|OutId/);
  });

  it('sign that does not exist: check the name against smsq signs, not "fail the whole send"', async () => {
    emulator.setFaults([]);
    const r = await run(['sign', 'nosuch']);
    expect(r.code).toBe(EXIT.refused);
    expect(r.advice).toBe('Nothing was changed: check the signature name given against what the account has.');
    expect(r.stderr).toMatch(/^see what the account has: smsq signs$/m);
  });
});
