/**
 * The pause of a campaign whose enqueue was stopped by its caller (Ctrl-C or SIGTERM on
 * `smsq campaign`, a `POST /v1/campaigns` client gone, a `producer.campaign` signal): the reason
 * it records, and that reason in words for `smsq status`. Written and read here only, so the
 * words can tell it from an operator's pause; it read "paused by an operator (its enqueue was
 * stopped (SIGINT) after line 1001): resume to continue", with nobody having paused it.
 */

/** How every such recorded reason begins (`controlReason`). */
const ENQUEUE_STOPPED_REASON = 'its enqueue was stopped';

/**
 * The reason recorded: `by` the abort's reason when it is a string (`SIGINT`), `where` the last
 * place read (`after line 2931`, `after 2500 rows`), and whether the whole list had been read.
 */
export function enqueueStoppedReason(by: string | undefined, where: string, wholeList: boolean): string {
  return `${ENQUEUE_STOPPED_REASON}${by === undefined ? '' : ` (${by})`} ${wholeList ? `once its whole list was read (${where})` : where}`;
}

/** True when a paused send's reason is one {@link enqueueStoppedReason} recorded. */
export function isEnqueueStopped(controlReason: string): boolean {
  return controlReason.startsWith(`${ENQUEUE_STOPPED_REASON} `);
}

const RECORDED = /^its enqueue was stopped(?: \((.+?)\))? (after (?:line \d+|\d+ rows)|once its whole list was read \(.+\))$/;

/** Who stopped it, as the abort's reason names them. */
function stoppedBy(by: string | undefined): string {
  if (by === 'SIGINT') return 'its smsq campaign was interrupted (Ctrl-C, SIGINT)';
  if (by === 'SIGTERM') return 'its smsq campaign was stopped (SIGTERM)';
  // server/client-gone.ts
  if (by === 'client disconnected') return 'the client of its POST /v1/campaigns disconnected';
  return by === undefined ? ENQUEUE_STOPPED_REASON : `${ENQUEUE_STOPPED_REASON} (${by})`;
}

/**
 * The pause in words: why (who stopped its enqueue, where), what it holds, and the ways on, with
 * the send's id when known (`SEND_ID` otherwise).
 */
export function enqueueStoppedText(controlReason: string, sendId = 'SEND_ID'): string {
  const resume = `smsq campaign resume ${sendId}`;
  const cancel = `or cancel it (smsq campaign cancel ${sendId})`;
  const m = RECORDED.exec(controlReason);
  if (m === null) return `paused because ${controlReason}: resume it to send what it holds (${resume}), ${cancel}`;
  const [, by, where = ''] = m;
  if (where.startsWith('once')) return `paused because ${stoppedBy(by)} ${where}, holding the whole list: resume it to send it (${resume}), ${cancel}`;
  return `paused because ${stoppedBy(by)} ${where}, holding the rows read before the stop: resume it to send those (${resume}; the rest of the list is not in it), ${cancel}`;
}
