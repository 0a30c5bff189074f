import { createKeys } from '../queue/keys.js';

/**
 * Redis keys of the metrics that worker processes (and, for pushed receipts, `smsq server`) write
 * and `smsq server` reads. They share the deployment's hash-tagged prefix, so they live on the same
 * Cluster slot as the queue.
 *
 * Hash fields (written with HINCRBY / HINCRBYFLOAT, never reset; Prometheus handles restarts):
 * - `calls`:   `<Operation>|<outcome>|calls`, `<Operation>|<outcome>|recipients`
 * - `latency`: `<Operation>|le=<seconds>` (NOT cumulative: calls whose latency fell in that
 *              bucket only; `le=+Inf` for the rest), `<Operation>|sum` (seconds), `<Operation>|count`;
 *              receipt latency by source the same way, with `receipt.<source>` as the operation
 *              (`receipt.query|le=60`, `receipt.report|sum`, ...; receipt bucket bounds)
 * - `waits`:   `<reason>|count`, `<reason>|seconds`
 * Sorted set `writers`: one member per recorder with a heartbeat (worker processes; not the
 * server's), scored with its last flush (ms).
 * Hash `recipients`: recipients per chunk state across every send (see docs/server.md "Metrics").
 * Sorted set `unknown`: `<chunkId>|<attempt>` of attempts whose outcome is unknown (a look-up was
 * scheduled), scored with when that was first recorded (ms); `/metrics` drops those it finds resolved.
 * Sorted set `auto-paused`: send ids auto-paused, scored with when (ms); trimmed by the writers.
 * Hash `housekeeping-failures`: `<job name>|<outcome>` (outcome `retried`, `given-up` or
 * `deferred`, call-metrics.ts), failed attempts of housekeeping jobs (callbacks), written as they
 * fail (rare: no batching).
 * Hash `reconcile-results`: `<result>` (`found`, `not-found`, `gave-up`, call-metrics.ts) → reconcile
 * look-ups that decided an unknown attempt so, written as they decide (rare: no batching).
 * Hash `clock-skew`: `<worker id>` → the worker's last measure of its clock against Redis's, as
 * JSON (src/metrics/clock-skews.ts); written by each worker at start and every 20 s.
 * Sorted set `withdrawn`: send ids withdrawn at enqueue and held, scored with when (ms), and hash
 * `withdrawals`: withdrawals by outcome (src/queue/withdrawal.ts). Both written by set-control-5.lua
 * with the move itself, so their keys are src/queue/keys.ts's; `/metrics` drops the sends it finds
 * no longer held.
 * The account block and the refused pushed reports are read from their own keys (src/queue/keys.ts).
 */
export interface MetricKeys {
  calls: string;
  latency: string;
  waits: string;
  writers: string;
  recipients: string;
  unknownOutcomes: string;
  autoPaused: string;
  withdrawn: string;
  withdrawals: string;
  account: string;
  refusedReceipts: string;
  housekeepingFailures: string;
  clockSkews: string;
  reconcileResults: string;
}

export function metricKeys(prefix: string): MetricKeys {
  const keys = createKeys(prefix);
  return {
    calls: `${prefix}:metrics:calls`,
    latency: `${prefix}:metrics:latency`,
    waits: `${prefix}:metrics:waits`,
    writers: `${prefix}:metrics:writers`,
    recipients: keys.recipientTotals(),
    unknownOutcomes: `${prefix}:metrics:unknown`,
    autoPaused: `${prefix}:metrics:auto-paused`,
    withdrawn: keys.withdrawnSends(),
    withdrawals: keys.withdrawals(),
    account: keys.account(),
    refusedReceipts: keys.refusedReceipts(),
    housekeepingFailures: `${prefix}:metrics:housekeeping-failures`,
    clockSkews: `${prefix}:metrics:clock-skew`,
    reconcileResults: `${prefix}:metrics:reconcile-results`,
  };
}

/** Separates the parts of a hash field; never part of an operation, outcome or reason. */
export const FIELD_SEP = '|';

/** The `unknown` set's member for one attempt: attempts never repeat, so a resolved one may be dropped safely. */
export function unknownOutcomeMember(chunkId: string, attempt: number): string {
  return `${chunkId}${FIELD_SEP}${attempt}`;
}

/** The chunk id and attempt of an `unknown` member; undefined for anything else. */
export function parseUnknownOutcomeMember(member: string): { chunkId: string; attempt: number } | undefined {
  const at = member.lastIndexOf(FIELD_SEP);
  const attempt = Number(member.slice(at + 1));
  return at > 0 && Number.isInteger(attempt) ? { chunkId: member.slice(0, at), attempt } : undefined;
}
