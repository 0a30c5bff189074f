/**
 * Several bad flags with `--json`: the error lists them in `issues`, one per flag with its field
 * and its fix, as the send commands list the fields they refuse and as the text lists them one a
 * line. It was one `meaning` string holding every line, which a script had to split. `meaning`
 * stays, for scripts that read it.
 */
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { runSmsqInProcess } from '../support/cli-run.js';

// Flags are checked before the environment is read and before anything is called: no emulator.
const env = { SMS_MODE: 'sandbox', LOG_LEVEL: 'error' };

describe('bad flags in --json', () => {
  it('one issue per flag, with the field and the fix; the text one line each; meaning kept', async () => {
    const r = await runSmsqInProcess(['stats', '--start', '2026-13-01', '--end', 'x', '--page-size', '60', '--globe', '3', '--json'], { env });
    expect(r.code).toBe(EXIT.refused);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    const { error } = JSON.parse(r.stdout) as { error: { code: string; meaning: string; issues: { field: string; message: string; fix: string }[] } };
    expect(error.code).toBe('SMSQ_BAD_FLAG');
    expect(error.meaning).toBe(lines.map((l) => l.replace(/^error: /, '')).join('\n'));
    expect(error.issues.map((i) => i.field)).toEqual(['--start', '--end', '--globe', '--page-size']);
    expect(error.issues).toContainEqual({ field: '--page-size', message: '"60" must be a whole number from 1 to 50. Fix: --page-size 20', fix: '--page-size 20' });
    expect(error.issues).toContainEqual({ field: '--globe', message: expect.stringMatching(/^"3" must be .* Fix: --globe 1 \(domestic\) or --globe 2/), fix: expect.stringMatching(/^--globe 1 \(domestic\) or --globe 2/) });
    for (const issue of error.issues) expect(lines).toContain(`error: ${issue.field} ${issue.message}`);
  });

  it('a positional argument is named as the help names it; one bad flag is one issue', async () => {
    const r = await runSmsqInProcess(['status', 'bad id!', '--json'], { env });
    const { error } = JSON.parse(r.stdout) as { error: { issues: { field: string; fix: string }[] } };
    expect(error.issues).toEqual([{ field: 'SEND_ID', message: expect.stringMatching(/^"bad id!" is not a send id/), fix: expect.stringMatching(/^smsq status smx/) }]);
  });
});
