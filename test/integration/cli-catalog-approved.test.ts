/**
 * `smsq signs --approved` and `smsq templates --approved`: only what can send now (AuditStatus
 * AUDIT_STATE_PASS). QuerySmsSignList and QuerySmsTemplateList take no state filter (SDK 4.6.0:
 * PageIndex and PageSize only), so smsq filters after the call; a filtered page would show some of
 * a page and say nothing of the rest, so --approved reads every page, its progress on stderr, and
 * says how many of how many are approved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, DEFAULT_FIXTURES, type Emulator } from '../../src/emulator/index.js';
import { runSmsqInProcess, type CliRun } from '../support/cli-run.js';

let emulator: Emulator;
let reviewing: Emulator;
let env: NodeJS.ProcessEnv;
let reviewingEnv: NodeJS.ProcessEnv;

const approvedSigns = DEFAULT_FIXTURES.signs.filter((s) => s.status === 1).map((s) => s.signName);
const approvedTemplates = DEFAULT_FIXTURES.templates.filter((t) => t.status === 1).map((t) => t.templateCode);
const signs = DEFAULT_FIXTURES.signs.length;
const templates = DEFAULT_FIXTURES.templates.length;

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  env = { SMS_MODE: 'sandbox', SMS_ENDPOINT: (await emulator.listen()).endpoint, LOG_LEVEL: 'error' };
  // An account whose every signature is still under review.
  reviewing = createEmulator({ delivery: { delayMs: 0 }, fixtures: { ...DEFAULT_FIXTURES, signs: DEFAULT_FIXTURES.signs.map((s) => ({ ...s, status: 0 as const })) } });
  reviewingEnv = { ...env, SMS_ENDPOINT: (await reviewing.listen()).endpoint };
});

afterAll(async () => {
  await emulator?.close();
  await reviewing?.close();
});

const run = (argv: string[], e = env): Promise<CliRun> => runSmsqInProcess(argv, { env: e });
const calls = (action: string) => emulator.calls().filter((c) => c.action === action).length;

describe('--approved lists only what can send now, from every page', () => {
  it('signs: the approved ones, numbered from 1, and how many of how many', async () => {
    const r = await run(['signs', '--approved']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + approvedSigns.length + 1);
    expect(lines[1]).toMatch(new RegExp(`^1\\s+${N.sign}\\s+approved ✓`));
    expect(r.stdout).not.toContain(N.reviewingSign);
    expect(r.stdout).not.toContain(N.rejectedSign);
    expect(lines.at(-1)).toBe(`${approvedSigns.length} approved of ${signs} signatures (✓ = usable for sending); --approved read every page.`);
  });

  it('templates in pages of 3: every page read, its progress on stderr, the rows across pages', async () => {
    const before = calls('QuerySmsTemplateList');
    const r = await run(['templates', '--approved', '--page-size', '3']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(calls('QuerySmsTemplateList') - before).toBe(3);
    expect(r.stderr).toBe(`templates: page 1 of 3, 3 of ${templates} templates\ntemplates: page 2 of 3, 6 of ${templates} templates\ntemplates: page 3 of 3, ${templates} of ${templates} templates\n`);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(1, -1).map((l) => /SMS_\d+/.exec(l)?.[0])).toEqual(approvedTemplates);
    expect(lines.at(-2)).toMatch(new RegExp(`^${approvedTemplates.length}\\s+${N.aliyunTestTemplate}\\s`));
    expect(lines.at(-1)).toBe(`${approvedTemplates.length} approved of ${templates} templates (✓ = usable for sending); --approved read every page. Details: smsq template CODE`);
  });

  it('--json: the approved items only, totalCount every entry the account has, approvedOnly', async () => {
    const r = await run(['templates', '--approved', '--json']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const body = JSON.parse(r.stdout) as { page: number; all: boolean; approvedOnly: boolean; totalCount: number; items: { templateCode: string; approved: boolean; status: string }[] };
    expect(body).toMatchObject({ page: 1, all: true, approvedOnly: true, totalCount: templates });
    expect(body.items.map((t) => t.templateCode)).toEqual(approvedTemplates);
    expect(body.items.every((t) => t.approved && t.status === 'approved')).toBe(true);
    const plain = JSON.parse((await run(['signs', '--json'])).stdout) as { approvedOnly: boolean; items: unknown[] };
    expect(plain.approvedOnly).toBe(false);
    expect(plain.items).toHaveLength(signs);
  });

  it('none approved: said so, exit 0; --json an empty items', async () => {
    const r = await run(['signs', '--approved'], reviewingEnv);
    expect(r).toEqual({ code: EXIT.ok, stdout: `No approved signatures: none of the ${signs} is approved yet. smsq signs shows each one's state.\n`, stderr: '' });
    const json = JSON.parse((await run(['signs', '--approved', '--json'], reviewingEnv)).stdout) as { items: unknown[]; totalCount: number };
    expect(json).toMatchObject({ items: [], totalCount: signs });
  });
});

describe('--approved beside --page is refused, exit 2, before any call', () => {
  it.each([['signs'], ['templates']])("%s: --page 1, where every walk starts, is taken beside --approved and --all (docs/cli.md said any --page was refused)", async (command) => {
    const approved = await run([command, '--approved', '--page', '1']);
    expect(approved.code, approved.stderr).toBe(EXIT.ok);
    expect(approved.stdout).toBe((await run([command, '--approved'])).stdout);
    const all = await run([command, '--all', '--page', '1']);
    expect(all.code, all.stderr).toBe(EXIT.ok);
    expect(all.stdout).toBe((await run([command, '--all'])).stdout);
  });

  it.each([['signs'], ['templates']])('%s', async (command) => {
    const before = emulator.calls().length;
    const line = '--page "2" cannot go with --approved: --approved reads every page, so a page of it would show only part. Fix: drop --page (or drop --approved to see page 2 with every state)';
    expect(await run([command, '--approved', '--page', '2'])).toEqual({ code: EXIT.refused, stdout: '', stderr: `error: ${line}\n` });
    const json = await run([command, '--approved', '--page', '2', '--json']);
    expect(json.code).toBe(EXIT.refused);
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: { code: 'SMSQ_BAD_FLAG', issues: [{ field: '--page', message: line.replace(/^--page /, ''), fix: 'drop --page (or drop --approved to see page 2 with every state)' }] },
    });
    expect(emulator.calls().length).toBe(before);
  });
});
