/**
 * What `smsq status --watch` prints as a send moves: a one-line bar on a terminal (redrawn in
 * place), plain lines otherwise, JSON lines with --json. Pure: lines in, text out.
 */
import { formatTime, isoTime } from '../src/china-time.js';
import type { SendStatus } from '../src/queue/send-store.js';
import { waitText } from '../src/queue/send-wait.js';
import { formatCounts } from './format.js';
import { waitJson } from './status-json.js';

/** Where `--watch` stops: `sent` (every recipient past the API) or `completed` (every one final). */
export type WatchEnd = 'sent' | 'completed';

/** Which kinds stop at `sent` by default: those whose receipts are sampled or not looked up at all. */
export function defaultWatchEnd(lookups: 'all' | 'sample' | 'none'): WatchEnd {
  return lookups === 'all' ? 'completed' : 'sent';
}

/** Whether the watch is over: the send reached `end`, or ended otherwise (cancelled, expired, failed). */
export function watchIsOver(state: SendStatus['send']['state'], end: WatchEnd): boolean {
  if (state === 'completed' || state === 'cancelled' || state === 'expired' || state === 'failed') return true;
  return end === 'sent' && state === 'sent';
}

const BAR = 24;

/** The share of recipients past the API (`sent`) or final (`completed`), 0..1. */
export function progressOf(status: SendStatus, end: WatchEnd): number {
  const c = status.counts;
  const total = status.send.recipients;
  if (total <= 0) return 1;
  const left = end === 'sent' ? c.queued + c.sending + c.unknown : c.queued + c.sending + c.unknown + c.accepted;
  return Math.min(1, Math.max(0, (total - left) / total));
}

function paceText(status: SendStatus): string {
  if (!status.pace) return '';
  const eta = status.pace.estimatedSentAt ? `, sent by ${formatTime(status.pace.estimatedSentAt)}` : '';
  return ` ${status.pace.rate}/s${eta}`;
}

/** One line for a terminal: `[#######.....]  42%  active  accepted 2100, queued 2900  7.6/s, sent by ...  (waiting: ...)`. */
export function barLine(status: SendStatus, end: WatchEnd): string {
  const share = progressOf(status, end);
  const filled = Math.round(share * BAR);
  const wait = status.wait ? `  (${waitText(status.wait, status.send.sendId)})` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${status.send.state}  ${formatCounts(status.counts)}${paceText(status)}${wait}`;
}

/** One plain line (stdout not a terminal): the time, the state, the counts, the pace, the wait. */
export function plainLine(status: SendStatus, now: number): string {
  const wait = status.wait ? `  waiting: ${waitText(status.wait, status.send.sendId)}` : '';
  return `${formatTime(now)}  ${status.send.state}  ${formatCounts(status.counts)}${paceText(status)}${wait}`;
}

/** One JSON line (--json): times in ISO 8601 with the China offset. */
export function jsonLine(status: SendStatus, now: number): string {
  return JSON.stringify({
    at: isoTime(now),
    sendId: status.send.sendId,
    state: status.send.state,
    stateChangedAt: isoTime(status.send.stateChangedAt),
    counts: status.counts,
    ...(status.wait ? { wait: { ...waitJson(status.wait), text: waitText(status.wait, status.send.sendId) } } : {}),
    ...(status.pace ? { pace: { rate: status.pace.rate, ...(status.pace.estimatedSentAt ? { estimatedSentAt: isoTime(status.pace.estimatedSentAt) } : {}) } } : {}),
  });
}
