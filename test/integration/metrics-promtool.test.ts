/**
 * `curl /metrics | promtool check metrics` passes: Prometheus's own linter over a real scrape (real
 * Redis, a worker that made a call). It exited 3: prom-client's default gauges
 * `smsq_server_nodejs_active_{handles,requests,resources}_total` end in `_total`, which
 * Prometheus keeps for counters.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createCallMetricsRecorder, type CallMetricsRecorder } from '../../src/metrics/call-metrics.js';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const havePromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
const inCi = process.env.CI === 'true';

let h: Harness | undefined;
let app: SmsqServer | undefined;
let recorder: CallMetricsRecorder | undefined;
afterEach(async () => {
  await app?.close();
  await h?.close();
  await recorder?.close();
  h = app = recorder = undefined;
});

describe.skipIf(!havePromtool && !inCi)('/metrics through promtool check metrics', () => {
  it('has no lint problem, the server process metrics included', async () => {
    expect(havePromtool, 'promtool is missing. Fix: apt-get install -y prometheus (in .ci/run)').toBe(true);
    h = await createHarness({ label: 'promtool' });
    app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, insecure: true, queueNames: ['calls', 'housekeeping'], settings: { qps: 500, reconcileSettleMs: 600 } });
    recorder = createCallMetricsRecorder({ redis: h.redis, prefix: h.prefix, flushIntervalMs: 50 });
    await h.startWorker({ metrics: recorder });
    const sent = await h.producer.send({ phones: ['13800138000'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } });
    await waitFor(async () => ((await h!.producer.getStatus(sent.sendId)).counts.accepted + (await h!.producer.getStatus(sent.sendId)).counts.delivered === 1 ? true : undefined), 'the send accepted');
    const body = await waitFor(async () => {
      const res = await app!.inject({ method: 'GET', url: '/metrics' });
      return res.statusCode === 200 && /^smsq_worker_last_seen_timestamp_seconds/m.test(res.body) ? res.body : undefined;
    }, 'the heartbeat flushed');
    expect(body).toMatch(/^smsq_server_nodejs_active_handles\{/m);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
    expect(lint.status).toBe(0);
  }, 30_000);
});
