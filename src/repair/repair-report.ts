/** What one run of the repair sweep found and did (CLI output, the periodic log line). */

export const REPAIR_CATEGORIES = [
  'queuedWithoutJob',
  'queuedOfEndedSend',
  'sendingWithoutJob',
  'unknownWithoutJob',
  'attemptNotOurs',
  'chunksOfMissingSend',
  'jobsWithoutChunkOrSend',
  'enqueuingFinished',
  'enqueuingAbandoned',
  'withdrawnNotRetried',
  'cancelledMidEnqueue',
  'parkedOfEndedSend',
  'pausedPastRetention',
  'sendsNotSettled',
  'sendsNotCompacted',
] as const;
export type RepairCategory = (typeof REPAIR_CATEGORIES)[number];

/** What each category means and what the sweep does about it (dry runs only report). */
export const REPAIR_ACTIONS: Readonly<Record<RepairCategory, string>> = Object.freeze({
  queuedWithoutJob: 'chunk queued with no job (none, or only finished ones: a job BullMQ failed without smsq recording it is logged with its reason), its send going on: marked unknown (SMSQ_ORPHANED) and looked up before any resend (a failed, cancelled or late send\'s: queuedOfEndedSend)',
  queuedOfEndedSend: 'chunk queued with no job, its send failed, cancelled or past its deadline: ended as its claim would end it (failed with the send\'s code, cancelled, or expired SMSQ_DEADLINE), without a look-up or any call',
  sendingWithoutJob: 'chunk sending with no job: marked unknown (SMSQ_ORPHANED) and looked up',
  unknownWithoutJob: 'chunk unknown with no look-up: look-up scheduled',
  attemptNotOurs: 'chunk queued, sending or unknown with no job whose recorded attempt is none smsq makes (adopted from a forged pushed report by a version before the bound, as `1e+20`): no look-up can name it, so it is ended without one or any call, expired as unknown (SMSQ_OUTCOME_UNKNOWN; a queued one failed SMSQ_GAVE_UP), the reason on the chunk and said once at error',
  chunksOfMissingSend: 'chunk whose send record is gone: ended without another call (SMSQ_SEND_MISSING)',
  jobsWithoutChunkOrSend: 'job whose chunk or send is gone: removed',
  enqueuingFinished: 'send stuck enqueuing with every chunk written: enqueue finished',
  enqueuingAbandoned: 'send stuck enqueuing, its producer gone (or failed so with its enqueue not ended): failed (SMSQ_ENQUEUE_ABANDONED), its enqueue ended at the chunks written, unsent chunks never sent',
  withdrawnNotRetried: 'send withdrawn at enqueue (not confirmed durable, refused SMSQ_NOT_DURABLE) that no retry of its request took back within the grace: cancelled, its queued chunks never sent',
  cancelledMidEnqueue: 'send cancelled before its enqueue ended (its producer killed mid-list) and never ended since (a cancel cut off, or made by an older smsq): its enqueue ended at the chunks written (SMSQ_ENQUEUE_CUT_SHORT), any still queued cancelled, its end announced',
  parkedOfEndedSend: 'send ended (failed, cancelled, expired, completed) with jobs still parked (delayed) from a pause, which what ended it was cut off before waking: woken, each ends its chunk as its claim would instead of waiting out its park (30 min). Ids left in the set of jobs that ran since (woken at the send\'s deadline or their park\'s end) are dropped without a report',
  pausedPastRetention: 'send still paused with less than two sweep intervals left of its retention: cancelled (its queued chunks cancelled, its parked jobs woken, its callback sent), so that its queued recipients leave the totals across sends (smsq_recipients) before its records expire, rather than stay counted queued for good',
  sendsNotSettled: 'send whose recipients moved on without it (nothing left to send or every receipt in, or an end without its callback): settled, its callback sent',
  sendsNotCompacted: 'send ended and announced with nothing pending, not compacted (its compaction was cut off): compacted',
});

export interface RepairReport {
  dryRun: boolean;
  startedAt: number;
  durationMs: number;
  /** False when the sweep stopped before the end of the scan (lease lost, stop requested). */
  complete: boolean;
  scanned: { keys: number; chunks: number; sends: number; jobs: number };
  /** Per category: found (and, unless a dry run, resolved). */
  found: Record<RepairCategory, number>;
  /** Per category: the first few chunk, send or job ids. */
  samples: Record<RepairCategory, string[]>;
  /** Found, but the record moved on before the sweep acted (someone else resolved it): nothing done. */
  movedOn: number;
}

export interface RepairProgress {
  scannedKeys: number;
  found: number;
}

export function emptyRepairReport(dryRun: boolean, startedAt: number): RepairReport {
  const zero = () => Object.fromEntries(REPAIR_CATEGORIES.map((c) => [c, 0])) as Record<RepairCategory, number>;
  return {
    dryRun,
    startedAt,
    durationMs: 0,
    complete: true,
    scanned: { keys: 0, chunks: 0, sends: 0, jobs: 0 },
    found: zero(),
    samples: Object.fromEntries(REPAIR_CATEGORIES.map((c) => [c, [] as string[]])) as Record<RepairCategory, string[]>,
    movedOn: 0,
  };
}

export function totalFound(report: Pick<RepairReport, 'found'>): number {
  return REPAIR_CATEGORIES.reduce((n, c) => n + report.found[c], 0);
}

/** The report for a person: one line per category that found something. */
export function renderRepairReport(report: RepairReport): string {
  const lines = [
    `${report.dryRun ? 'Dry run (nothing written): ' : ''}scanned ${report.scanned.keys} keys (${report.scanned.chunks} chunks, ${report.scanned.sends} sends, ${report.scanned.jobs} jobs) in ${report.durationMs} ms${report.complete ? '' : ', stopped early'}.`,
  ];
  const total = totalFound(report);
  if (total === 0) lines.push('Nothing orphaned.');
  for (const c of REPAIR_CATEGORIES) {
    if (report.found[c] === 0) continue;
    const sample = report.samples[c].join(', ');
    lines.push(`  ${c}: ${report.found[c]}  (${REPAIR_ACTIONS[c]}${report.dryRun ? ' — would be done' : ''})${sample ? `  e.g. ${sample}` : ''}`);
  }
  if (report.movedOn > 0) lines.push(`  ${report.movedOn} record(s) moved on while the sweep looked at them: left alone.`);
  return lines.join('\n');
}
