import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { maxInSlidingWindow } from '../../src/queue/rate-window.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { workerProcesses } from '../support/worker-processes.js';
import type { WorkerProcessConfig } from '../support/worker-process.js';

let h: Harness | undefined;
const processes = workerProcesses();
afterEach(async () => {
  processes.killAll();
  await h?.close();
  h = undefined;
});


const startChild = (harness: Harness, over: Partial<WorkerProcessConfig> = {}) =>
  processes.start({ redisUrl: testRedisUrl(), prefix: harness.prefix, endpoint: harness.endpoint }, over);

function perPhone(harness: Harness): Map<string, number> {
  const m = new Map<string, number>();
  for (const a of harness.emulator.accepted()) for (const p of a.phoneNumbers) m.set(p, (m.get(p) ?? 0) + 1);
  return m;
}

describe('worker processes', () => {
  it('SIGKILL mid-send, several times: every recipient accepted exactly once, none lost', async () => {
    // Answers take 120 ms, so a kill almost always lands while calls are in flight.
    h = await createHarness({ label: 'kill', emulator: { latencyMs: 120 } });
    const phones = Array.from({ length: 80 }, (_, i) => String(13810000000 + i));
    const res = await h.producer.send({ phones, signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1' }, kind: 'verification' });
    const harness = h;
    for (let round = 0; round < 4; round++) {
      const child = await startChild(h);
      const before = h.emulator.accepted().length;
      await waitFor(() => harness.emulator.accepted().length >= before + 3, 'some sends in this round', 20_000);
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    const killedMidCall = (await h.producer.getStatus(res.sendId)).counts;
    expect(killedMidCall.sending + killedMidCall.unknown).toBeGreaterThan(0);
    await startChild(h);
    const status = await waitFor(async () => {
      const s = await harness.producer.getStatus(res.sendId);
      return s.counts.accepted === phones.length ? s : undefined;
    }, 'every recipient accepted', 60_000);
    expect(status.counts.failed).toBe(0);
    const per = perPhone(h);
    expect(per.size).toBe(phones.length);
    expect([...per.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  }, 120_000);

  it('two worker processes sharing a 40 QPS cap: at most 40 requests leave them in any second, each number sent once', async () => {
    // The cap is counted where smsq controls it, on the two processes' own request stamps. The
    // emulator, capped too, counts arrivals when this test process's busy event loop reads them,
    // in bunches that are the machine's, not the pacer's (docs/benchmarks.md, session 16).
    h = await createHarness({ label: 'cap', emulator: { qps: 40 } });
    const phones = Array.from({ length: 120 }, (_, i) => String(13820000000 + i));
    const res = await h.producer.send({ phones, signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1' }, kind: 'verification' });
    const child = { qps: 40, concurrency: 8, stampRequests: true };
    await Promise.all([startChild(h, child), startChild(h, child)]);
    const harness = h;
    await waitFor(async () => (await harness.producer.getStatus(res.sendId)).counts.accepted === phones.length, 'all accepted', 60_000);
    const sent = processes.requestTimes();
    expect(sent.length).toBeGreaterThanOrEqual(phones.length);
    expect(maxInSlidingWindow(sent, 1000)).toBeLessThanOrEqual(40);
    expect([...perPhone(h).values()].every((n) => n === 1)).toBe(true);
    expect(perPhone(h).size).toBe(phones.length);
  }, 90_000);

  it('SIGTERM: jobs the worker already fetched make no call; their chunks go back and another worker sends each exactly once', async () => {
    h = await createHarness({ label: 'term' });
    const phones = Array.from({ length: 40 }, (_, i) => String(13830000000 + i));
    const res = await h.producer.send({ phones, signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1' }, kind: 'verification' });
    // At 4 calls a second, 16 fetched jobs wait seconds for their pacer slots.
    const child = await startChild(h, { qps: 4, concurrency: 16 });
    const harness = h;
    await waitFor(() => harness.emulator.accepted().length >= 1, 'the first call', 30_000);
    child.kill('SIGTERM');
    const atSignal = h.emulator.accepted().length;
    await once(child, 'exit');
    expect(child.exitCode).toBe(0);
    // At most the call in flight when the signal came; before, every fetched job still called.
    expect(h.emulator.accepted().length - atSignal).toBeLessThanOrEqual(1);
    const afterExit = (await h.producer.getStatus(res.sendId)).counts;
    expect(afterExit.sending + afterExit.unknown).toBe(0);
    await h.startWorker();
    await waitFor(async () => (await harness.producer.getStatus(res.sendId)).counts.accepted === phones.length, 'every recipient accepted', 30_000);
    const per = perPhone(h);
    expect(per.size).toBe(phones.length);
    expect([...per.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  }, 60_000);
});
