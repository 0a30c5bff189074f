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
 */
export interface MetricKeys {
  calls: string;
  latency: string;
  waits: string;
  writers: string;
  recipients: string;
}

export function metricKeys(prefix: string): MetricKeys {
  return {
    calls: `${prefix}:metrics:calls`,
    latency: `${prefix}:metrics:latency`,
    waits: `${prefix}:metrics:waits`,
    writers: `${prefix}:metrics:writers`,
    recipients: createKeys(prefix).recipientTotals(),
  };
}

/** Separates the parts of a hash field; never part of an operation, outcome or reason. */
export const FIELD_SEP = '|';
