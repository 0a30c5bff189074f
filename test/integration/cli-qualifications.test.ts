/**
 * `smsq qualifications` and `smsq qualification GROUP_ID` as a new operator met them:
 * - an unknown group id got Dysmsapi's generic "parameter invalid": it names the id and the
 *   command that lists the group ids;
 * - QuerySmsQualificationRecord's `UseBySelf` filter had no flag (`--use-by-self`), and `--json`
 *   gave the state only as the console's words (`stateName`): it adds `state`, the code `--state` takes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, DEFAULT_FIXTURES, type Emulator } from '../../src/emulator/index.js';
import { runSmsqInProcess, type CliRun } from '../support/cli-run.js';

let emulator: Emulator;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  const { endpoint } = await emulator.listen();
  env = { SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'error' };
});

afterAll(async () => {
  await emulator?.close();
});

const run = (argv: string[]): Promise<CliRun> => runSmsqInProcess(argv, { env });

interface Listed {
  items: { groupId: number; useBySelf: string; state: string; stateName: string }[];
  totalCount: number;
}

describe('smsq qualification with a group id the account does not have', () => {
  it('names the id and the command that lists them (text and --json); the exit stays a refusal', async () => {
    const r = await run(['qualification', '99999']);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error isv\.INVALID_PARAMETERS: the account has no qualification group 99999 \(or Dysmsapi refused the id\)\.\n/);
    expect(r.stderr).toMatch(/^what to do: Nothing was changed: check the group id against smsq qualifications, which lists them \(--name, --company, --state narrow it\); then smsq qualification GROUP_ID$/m);
    const json = await run(['qualification', '99999', '--json']);
    expect(json.code).toBe(EXIT.refused);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'isv.INVALID_PARAMETERS', meaning: expect.stringContaining('qualification group 99999'), action: expect.stringContaining('smsq qualifications') } });
  });

  it('a known id is shown as before', async () => {
    expect(await run(['qualification', String(N.approvedQualification)])).toMatchObject({ code: EXIT.ok, stderr: '' });
  });
});

describe('smsq qualifications --use-by-self and the state code', () => {
  const own = DEFAULT_FIXTURES.qualifications.filter((q) => q.useBySelf).map((q) => q.groupId);
  const others = DEFAULT_FIXTURES.qualifications.filter((q) => !q.useBySelf).map((q) => q.groupId);

  it.each([
    ['true', own],
    ['false', others],
    ['YES', own],
    ['no', others],
  ])('--use-by-self %s: the emulator filters, the CLI passes it', async (value, ids) => {
    expect(ids.length).toBeGreaterThan(0);
    const r = await run(['qualifications', '--use-by-self', value, '--json']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const listed = JSON.parse(r.stdout) as Listed;
    expect(listed.items.map((q) => q.groupId).sort()).toEqual([...ids].sort());
    expect(listed.totalCount).toBe(ids.length);
  });

  it('a value that is no yes or no is refused before any call', async () => {
    const before = emulator.calls().length;
    const r = await run(['qualifications', '--use-by-self', 'maybe']);
    expect(r).toEqual({ code: EXIT.refused, stdout: '', stderr: 'error: --use-by-self "maybe" must be true or false (yes or no). Fix: --use-by-self true (qualifications for your own use), or false (for use by others)\n' });
    expect(emulator.calls().length).toBe(before);
  });

  it('--json gives each record its state code beside the console words', async () => {
    const listed = JSON.parse((await run(['qualifications', '--json'])).stdout) as Listed;
    for (const item of listed.items) {
      const fixture = DEFAULT_FIXTURES.qualifications.find((q) => q.groupId === item.groupId);
      expect(item.state).toBe(fixture?.state);
      expect(item.stateName).toEqual(expect.any(String));
    }
  });
});

describe('a refused qualification says why in the table, and a time not yet given is null in --json', () => {
  const refusedRecord = {
    groupId: 10000009,
    qualificationGroupName: 'smsq退回有限公司钱七',
    companyName: 'smsq退回有限公司',
    legalPersonName: '钱七',
    state: 'NOT_PASS' as const,
    useBySelf: true,
    workOrderId: 20010009,
    createDate: '2025-04-01 08:00:00',
    auditTime: '2025-04-02 10:00:00',
    auditRemark: '营业执照照片模糊，请重新上传',
  };
  let rejecting: Emulator;
  let rejectingEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    rejecting = createEmulator({ delivery: { delayMs: 0 }, fixtures: { ...DEFAULT_FIXTURES, qualifications: [...DEFAULT_FIXTURES.qualifications, refusedRecord] } });
    rejectingEnv = { SMS_MODE: 'sandbox', SMS_ENDPOINT: (await rejecting.listen()).endpoint, LOG_LEVEL: 'error' };
  });

  afterAll(async () => {
    await rejecting?.close();
  });

  it('the table has the audit remark (it was in --json only)', async () => {
    const r = await runSmsqInProcess(['qualifications'], { env: rejectingEnv });
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/\sremark$/);
    expect(lines.find((l) => l.startsWith(String(refusedRecord.groupId)))).toMatch(/NOT_PASS 审核未通过\s.*\s营业执照照片模糊，请重新上传$/);
  });

  it('--json: auditTime is null where no audit was made (it was ""), an ISO time where one was', async () => {
    const r = await runSmsqInProcess(['qualifications', '--json'], { env: rejectingEnv });
    const items = (JSON.parse(r.stdout) as { items: { groupId: number; auditTime: string | null }[] }).items;
    expect(items.find((q) => q.groupId === N.reviewingQualification)?.auditTime).toBeNull();
    expect(items.find((q) => q.groupId === refusedRecord.groupId)?.auditTime).toBe('2025-04-02T10:00:00.000+08:00');
  });
});

describe('smsq qualification --order-id (QuerySingleSmsQualification OrderId, refused as "drop --order-id" before)', () => {
  const approved = DEFAULT_FIXTURES.qualifications.find((q) => q.groupId === N.approvedQualification)!;

  it('the record of that group and work order', async () => {
    const r = await run(['qualification', String(approved.groupId), '--order-id', String(approved.workOrderId), '--json']);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(JSON.parse(r.stdout)).toMatchObject({ qualificationGroupId: approved.groupId, workOrderId: approved.workOrderId });
  });

  it('a work order the group does not have (so OrderId went with the call): named with the group, and where both are listed', async () => {
    const r = await run(['qualification', String(approved.groupId), '--order-id', '20099999']);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toMatch(new RegExp(`^error isv\\.INVALID_PARAMETERS: the account has no qualification group ${approved.groupId} with work order 20099999 \\(or Dysmsapi refused the ids\\)\\.\n`));
    expect(r.stderr).toMatch(/^what to do: .*smsq qualifications.*work order/m);
  });

  it('an order id that is no whole number is refused before any call', async () => {
    const before = emulator.calls().length;
    const r = await run(['qualification', String(approved.groupId), '--order-id', 'abc']);
    expect(r).toEqual({ code: EXIT.refused, stdout: '', stderr: expect.stringMatching(/^error: --order-id "abc" must be a whole number from 1 to \d+\. Fix: --order-id 20010001 /) });
    expect(emulator.calls().length).toBe(before);
  });
});
