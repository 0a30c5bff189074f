/**
 * A worker held up between its claim and its call (here SIGSTOPped; in production a Redis outage
 * that stalls its job, a paused VM, a long GC) while another worker takes its job over, looks the
 * attempt up, finds nothing and resends. When it wakes, its claim is older than the call deadline:
 * it must not call (src/queue/call-deadline.ts), or the recipient gets the SMS twice.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { workerProcesses } from '../support/worker-processes.js';

let h: Harness | undefined;
const processes = workerProcesses();
afterEach(async () => {
  processes.killAll();
  await h?.close();
  h = undefined;
});

describe('a worker held up between claim and call', () => {
  it('does not call once its claim is past the call deadline: the recipient gets one SMS', async () => {
    h = await createHarness({ label: 'held-up' });
    const harness = h;
    const base = { redisUrl: testRedisUrl(), prefix: harness.prefix, endpoint: harness.endpoint };
    const phones = ['13830000001', '13830000002'];
    const sendSmsCalls = (phone: string) => harness.emulator.calls().filter((c) => c.action === 'SendSms' && c.phones.includes(phone));
    const { sendId } = await harness.producer.send({ phones, signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1' }, kind: 'verification' });

    // At 2 calls/s the pacer spaces calls ~1 s apart: the first code goes at once, the second is
    // claimed together with it and waits for its slot. Stop the worker during that wait.
    const held = await processes.start(base, { qps: 2, concurrency: 2 });
    const [first, second] = await waitFor(async () => {
      const accepted = phones.filter((p) => harness.emulator.accepted().some((a) => a.phoneNumbers.includes(p)));
      if (accepted.length !== 1) return undefined;
      // The other code is claimed (`sending`), waiting for its slot.
      if ((await harness.producer.getStatus(sendId)).counts.sending !== 1) return undefined;
      return [accepted[0] as string, phones.find((p) => p !== accepted[0]) as string];
    }, 'the first code sent', 30_000, 2);
    held.kill('SIGSTOP');
    expect(sendSmsCalls(second)).toHaveLength(0);

    // Another worker takes the stalled job over, finds the attempt `sending`, looks it up, finds
    // nothing after the settling window, and resends with a new attempt.
    await processes.start(base, { qps: 2, concurrency: 2 });
    await waitFor(() => sendSmsCalls(second).length === 1, 'the second code resent by the other worker', 30_000);

    // The held-up worker wakes. Its slot is long past: it takes a new one (at most the pacer's
    // 2 s ahead) and would call then. Give it the time to, then stop it gracefully (close() waits
    // for the job it holds).
    held.kill('SIGCONT');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    held.kill('SIGTERM');
    await once(held, 'exit');

    expect(sendSmsCalls(first)).toHaveLength(1);
    expect(sendSmsCalls(second)).toHaveLength(1);
  }, 90_000);

  it('a worker whose settling window a held-up call could outlast is refused when it is built', async () => {
    h = await createHarness({ label: 'held-up-options' });
    // Read timeout 1000 ms (connect the same), deadline 2100 ms (the least the pacer's reach allows): the window needs 4100 ms.
    await expect(h.startWorker({ reconcile: { settleMs: 4099, callDeadlineMs: 2100 } })).rejects.toThrow(
      /settling window \(4099 ms\) is shorter than the call deadline \(2100 ms\) \+ connect timeout \(1000 ms\) \+ read timeout \(1000 ms\) = 4100 ms.*Fix: a longer reconcile.settleMs/,
    );
    await expect(h.startWorker({ reconcile: { settleMs: 4100, callDeadlineMs: 2100 } })).resolves.toBeDefined();
  });

  it('a worker built without a read timeout (from JavaScript) is refused with that option named, not with NaN', async () => {
    h = await createHarness({ label: 'held-up-timeout' });
    const refusal = await h.startWorker({ readTimeoutMs: undefined as unknown as number, connectTimeoutMs: -1 }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as ConfigError).lines).toEqual([
      expect.stringMatching(/^`createSmsWorker` options: readTimeoutMs is undefined\. Fix: pass the SMS client's read timeout in ms, a number above 0/),
      expect.stringMatching(/^`createSmsWorker` options: connectTimeoutMs is -1\. Fix: pass the SMS client's connect timeout in ms/),
    ]);
    expect(String(refusal)).not.toMatch(/NaN/);
  });
});
