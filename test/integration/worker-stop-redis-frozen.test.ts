/**
 * `smsq worker` told to stop (SIGTERM) while a send call is in flight and Redis is frozen
 * (SIGSTOP: its connections stay open), so the call's outcome cannot be recorded within the grace.
 * docs/operations.md ("Graceful shutdown"): it logs `grace period over` and exits 3 within the
 * grace; what was in flight is looked up, never resent blindly. Held to: the stop ends within the
 * grace and a few seconds, exit 3; once Redis is thawed and another worker runs, the send ends
 * `sent` or `completed` with its code accepted once by Dysmsapi.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createProducer } from '../../producers/producer.js';
import { spawnSmsq, SPAWNED_MS, type CliProcess } from '../support/cli-process.js';
import { startFreezableRedis } from '../support/freezable-redis.js';
import { createProducerConnection } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('smsq worker stopped with a call in flight while Redis is frozen', () => {
  it('exits 3 within its grace; the call is looked up, not sent again: the code is accepted once', async () => {
    const redis = await startFreezableRedis((close) => closers.push(close));
    // Each answer takes 800 ms (under the 1 s read timeout): the stop lands mid-call.
    const emulator = createEmulator({ delivery: { delayMs: 0 }, latencyMs: 800 });
    const { endpoint } = await emulator.listen();
    closers.push(() => emulator.close());
    const prefix = '{worker-stop-frozen}';
    const env = {
      REDIS_URL: redis.url,
      SMSQ_PREFIX: prefix,
      SMS_MODE: 'sandbox',
      SMS_ENDPOINT: endpoint,
      LOG_LEVEL: 'info',
      SMSQ_QUIET_HOURS: 'off',
      SMSQ_REDIS_CONNECT_TIMEOUT_MS: '1000',
      SMS_READ_TIMEOUT_MS: '1000',
      SMSQ_RECONCILE_SETTLE_MS: '5000',
      SMSQ_SHUTDOWN_GRACE_MS: '3000',
    };
    const start = (): CliProcess => {
      const p = spawnSmsq(['worker', '--concurrency', '2'], env);
      closers.push(() => void p.child.kill('SIGKILL'));
      return p;
    };
    const producerRedis = createProducerConnection(redis.url);
    closers.push(() => void producerRedis.disconnect());
    const producer = createProducer({ redis: producerRedis, prefix, logger: createLogger({ level: 'silent' }) });
    closers.push(() => producer.close());

    const first = start();
    await waitFor(() => /smsq worker running/.test(first.stderr), 'the worker to run', SPAWNED_MS);
    const phone = '13800138077';
    const { sendId } = await producer.send({ phones: [phone], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1234' }, kind: 'verification' });
    await waitFor(async () => (await producer.getStatus(sendId)).counts.sending === 1, 'the code claimed', 20_000, 20);
    await new Promise((resolve) => setTimeout(resolve, 200));

    redis.freeze();
    const from = performance.now();
    first.child.kill('SIGTERM');
    const code = await first.exited;
    const stopMs = performance.now() - from;
    redis.thaw();
    const said = first.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect({ code, within: stopMs < 3000 + 5000, graceOver: said.some((m) => /^grace period over/.test(m)) }, said.join('\n')).toEqual({ code: EXIT.dependency, within: true, graceOver: true });
    // The line counts the chunk it leaves `sending` and names it and its send, for `smsq status`.
    const over = said.find((m) => /^grace period over/.test(m)) ?? '';
    expect(over).toMatch(new RegExp(`1 chunk left sending: ${sendId.replace(/[.]/g, '\\.')}\\.\\d+ of send ${sendId} \\(smsq status ${sendId}\\)`));

    const second = start();
    // Two ways to the end, both right: the answer's write, already in the socket when the worker
    // exited, reaches Redis once it thaws (seconds); or, the answer later than the exit (a loaded
    // machine), the chunk waits for its job's lock to lapse (up to 30 s), the second worker's
    // stalled-job checks (30 s apart) to take the job back, and its look-up after the settle window:
    // over a minute, which a 60 s wait cut short in a loaded CI run.
    await waitFor(async () => ['sent', 'completed'].includes((await producer.getStatus(sendId)).send.state), 'the send to end', 120_000);
    const accepted = emulator.accepted().filter((a) => a.phoneNumbers.includes(phone)).length;
    const calls = emulator.calls().filter((c) => c.phones.includes(phone)).map((c) => `${c.action} ${c.code}`);
    expect({ accepted, calls: calls.filter((c) => c.startsWith('Send')).length }, JSON.stringify(calls)).toEqual({ accepted: 1, calls: 1 });
    second.child.kill('SIGTERM');
    await second.exited;
  }, 210_000);
});
