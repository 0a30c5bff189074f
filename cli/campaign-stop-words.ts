/**
 * What `smsq campaign` says of a stop that came before its send was created. Its own module, light
 * (no producer, no SDK): the executable says it too, for a signal that comes before the command
 * watches for one (cli/main.ts), while the command's modules are still loading.
 */
import { CampaignStoppedError } from '../src/errors.js';
import { jsonText } from './json-layout.js';
import type { WaitStop } from './wait-stop.js';

/** The `--json` document of a stopped campaign (docs/cli.md, "Stopping a campaign"). */
export function stoppedJson(err: CampaignStoppedError, why: WaitStop) {
  const { sendId, recipients, rowsRead, afterLine, wholeList } = err.stopped;
  const commands = sendId === undefined ? {} : { resumeCommand: `smsq campaign resume ${sendId}`, cancelCommand: `smsq campaign cancel ${sendId}`, statusCommand: `smsq status ${sendId}` };
  return { sendId: sendId ?? null, recipients, stopped: { ...why, code: err.code, sendPaused: sendId !== undefined, rowsRead, afterLine: afterLine ?? null, wholeList: wholeList === true, ...commands } };
}

/**
 * An enqueue (`smsq campaign --file ...`, not pause / resume / cancel): a signal before it watches
 * for one is said, not met by Node's silent exit. Read from the words themselves, as commander has
 * not parsed them yet.
 */
export function isCampaignEnqueue(argv: readonly string[]): boolean {
  return argv[0] === 'campaign' && argv.some((arg) => arg === '--file' || arg.startsWith('--file='));
}

/** What a campaign stopped by `signal` before its send was created prints: stdout (with `--json`) and stderr. */
export function stoppedBeforeSendText(argv: readonly string[], signal: string): { stdout: string; stderr: string } {
  const err = new CampaignStoppedError({ sendId: undefined, recipients: 0, rowsRead: 0, afterLine: undefined, by: signal, idempotencyKey: undefined });
  const json = argv.includes('--json') ? `${jsonText(stoppedJson(err, { reason: 'interrupted', signal }), 'document')}\n` : '';
  return { stdout: json, stderr: `${err.code}: ${err.message}\n` };
}
