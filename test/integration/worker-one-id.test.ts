/**
 * One worker process has one id on /metrics: its heartbeat (smsq_worker_last_seen_timestamp_seconds,
 * the metrics recorder's writers set) and its clock skew (smsq_worker_clock_skew_seconds, the
 * worker's measure) were written under two ids made apart (`vm:27098:b84e1a` and `vm:27098:24689b`),
 * so the two series of one process could not be joined.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCallMetricsRecorder } from '../../src/metrics/call-metrics.js';
import { metricKeys } from '../../src/metrics/metric-keys.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('a worker given a metrics recorder', () => {
  it('writes its heartbeat and its clock skew under one id', async () => {
    h = await createHarness({ label: 'one-id' });
    const metrics = createCallMetricsRecorder({ redis: h.redis, prefix: h.prefix, flushIntervalMs: 100 });
    try {
      await h.startWorker({ metrics });
      const keys = metricKeys(h.prefix);
      const ids = await waitFor(async () => {
        const writers = await h!.redis.zrange(keys.writers, 0, -1);
        const skews = await h!.redis.hkeys(keys.clockSkews);
        return writers.length && skews.length ? { writers, skews } : undefined;
      }, 'the heartbeat and the clock skew written', 10_000);
      expect(ids.skews).toEqual(ids.writers);
    } finally {
      await metrics.close();
    }
  }, 30_000);
});
