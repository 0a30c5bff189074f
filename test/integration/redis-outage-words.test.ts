/**
 * What a producer call says when Redis does not answer, in smsq's words: a real private
 * redis-server, SIGSTOPped (its connections stay open). The first call fails at the command
 * timeout, which drops the link; the calls after it, refused by ioredis until the link is made
 * again, said "Stream isn't writeable and enableOfflineQueue options is false", and a read said it
 * "may be partly done: retry it with the same idempotency key".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { RedisUnavailableError } from '../../src/errors.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import { createProducer } from '../../producers/producer.js';

const closers: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const request = (phone: string) => ({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' as const });

async function failure(p: Promise<unknown>): Promise<RedisUnavailableError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RedisUnavailableError);
  return err as RedisUnavailableError;
}

/** A producer (500 ms timeouts) on a private Redis of its own, closed after the test; `pid`: the Redis's, to SIGSTOP. */
async function producerOnPrivateRedis(prefix: string) {
  const server = await startPrivateRedis({ appendfsync: 'always' });
  closers.push(() => server.stop());
  const redis = createRedisConnection(server.url, { role: 'client', connectTimeoutMs: 500 });
  redis.on('error', () => {});
  closers.push(() => redis.disconnect());
  const producer = createProducer({ redis, prefix, connectTimeoutMs: 500, redactedRedisUrl: server.url });
  closers.push(() => producer.close());
  return { server, pid: server.process.pid as number, producer };
}

describe('producer calls against a frozen Redis', () => {
  it('name the timeout, never ioredis\'s "Stream isn\'t writeable ..."; a read says nothing was changed', async () => {
    const { server, pid, producer } = await producerOnPrivateRedis('{words}');
    const first = await producer.send(request('13800138000'));

    process.kill(pid, 'SIGSTOP');
    closers.push(() => process.kill(pid, 'SIGCONT'));
    const timedOut = await failure(producer.send(request('13800138001')));
    expect(timedOut.message).toContain(`Redis at \`redis: "${server.url}"\` does not answer (no answer within 500 ms)`);
    expect(timedOut.message).toMatch(/may be partly done: retry it with the same idempotency key/);
    // Right after: the link is being dropped and made again.
    const read = await failure(producer.getStatus(first.sendId));
    const write = await failure(producer.send(request('13800138002')));
    const list = await failure(producer.listSends({ limit: 5 }));
    for (const err of [read, write, list]) {
      expect(err.message).toContain(`Redis at \`redis: "${server.url}"\` does not answer (no answer within 500 ms)`);
      expect(err.message).not.toMatch(/enableOfflineQueue|Stream isn't writeable/);
    }
    for (const err of [read, list]) expect(err.message).toMatch(/nothing was changed; run it again once Redis answers/);
  });
});

describe("an events consumer's calls while Redis is gone", () => {
  it('fail with SMSQ_REDIS_UNAVAILABLE naming the Redis (its redis option) and saying nothing was changed (read, pending and ack threw ioredis\'s "Stream isn\'t writeable ..." with no code)', async () => {
    const server = await startPrivateRedis({ appendfsync: 'always' });
    closers.push(() => server.stop());
    const redis = createRedisConnection(server.url, { role: 'client', connectTimeoutMs: 500 });
    redis.on('error', () => {});
    closers.push(() => redis.disconnect());
    const producer = createProducer({ redis, prefix: '{words-events}', connectTimeoutMs: 500, redactedRedisUrl: server.url });
    closers.push(() => producer.close());
    await producer.send(request('13800138000'));
    const consumer = await producer.events({ group: 'g', consumer: 'c', startAt: '0' });
    expect((await consumer.read({ blockMs: 100 })).length).toBeGreaterThan(0);

    // Until a reconnect attempt has been refused the connection knows only that the link closed:
    // under load that can outlast the server's stop, so wait for the refusal itself.
    const refused = new Promise((resolve) => redis.on('error', (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED' && resolve(err)));
    await server.stop();
    await refused;
    for (const call of [() => consumer.read(), () => consumer.pending(), () => consumer.ack(['0-1'])]) {
      const err = await failure(call());
      expect(err.message).toContain(`Redis at \`redis: "${server.url}"\` does not answer (connect ECONNREFUSED`);
      expect(err.message).toMatch(/nothing was changed; run it again once Redis answers/);
    }
    // A blocking read waits on a connection of its own, whose first reconnect may not have been
    // refused yet (under load it was not, in CI): it says the link was lost, never ioredis's words.
    const blocking = await failure(consumer.read({ blockMs: 100 }));
    expect(blocking.message).toMatch(new RegExp(`^Redis at \`redis: "${server.url.replace(/[.]/g, '\\.')}"\` does not answer \\((connect ECONNREFUSED|the connection was lost; reconnecting)`));
    expect(blocking.message).not.toMatch(/enableOfflineQueue|Stream isn't writeable|connection reconnecting/);
    expect(blocking.message).toMatch(/nothing was changed; run it again once Redis answers/);
  });
});

describe('creating an events consumer against a frozen Redis', () => {
  it('says the consumer was not made (or may have been) and to call events() again, not an enqueue\'s "retry it with the same idempotency key" (events() takes no key)', async () => {
    const { server, pid, producer } = await producerOnPrivateRedis('{words-events-create}');
    await producer.send(request('13800138000'));

    process.kill(pid, 'SIGSTOP');
    closers.push(() => process.kill(pid, 'SIGCONT'));
    // The first call meets the timeout mid-call; the one after it, the link being made again.
    for (const group of ['g1', 'g2']) {
      const err = await failure(producer.events({ group, consumer: 'c' }));
      expect(err.message).toContain(`Redis at \`redis: "${server.url}"\` does not answer`);
      expect(err.message).not.toMatch(/idempotency key|nothing was enqueued/);
      expect(err.message).toMatch(new RegExp(`the creation of the events consumer c of group ${group} (was not done|may or may not have been done)`));
      expect(err.message).toMatch(/call events\(\) again/);
    }
  });
});

describe('a campaign whose Redis is killed while it writes', () => {
  it("fails naming the connection's own failure, not ioredis's \"Reached the max retries per request limit ... Refer to maxRetriesPerRequest\"", async () => {
    const server = await startPrivateRedis({ appendfsync: 'always' });
    closers.push(() => server.stop());
    const redis = createRedisConnection(server.url, { role: 'client', connectTimeoutMs: 500 });
    redis.on('error', () => {});
    closers.push(() => redis.disconnect());
    const producer = createProducer({ redis, prefix: '{words-kill}', connectTimeoutMs: 500, redactedRedisUrl: server.url });
    closers.push(() => producer.close());
    async function* endless() {
      for (let i = 0; ; i++) yield { phone: String(13000000000 + (i % 900_000_000)) };
    }
    let written = 0;
    const campaign = producer.campaign(endless(), { signName: N.sign, templateCode: N.plainTemplate }, { onProgress: (p) => void (written = p.written) });
    const failed = failure(campaign);
    while (written < 5000) await new Promise((r) => setTimeout(r, 5));
    server.process.kill('SIGKILL');
    const err = await failed;
    expect(err.message).toContain(`Redis at \`redis: "${server.url}"\` does not answer (`);
    expect(err.reason).not.toMatch(/max retries|maxRetriesPerRequest|Stream isn't writeable/);
  });
});

describe("the call metrics' flush against a frozen Redis", () => {
  it('logs why in one line without a stack (the warning carried ioredis\'s "Command timed out" stack inside its JSON)', async () => {
    const { createCallMetricsRecorder } = await import('../../src/metrics/call-metrics.js');
    const { createLogger } = await import('../../src/logger.js');
    const { collector } = await import('../support/text-collector.js');
    const server = await startPrivateRedis({ appendfsync: 'always' });
    const pid = server.process.pid as number;
    closers.push(() => server.stop());
    const redis = createRedisConnection(server.url, { role: 'client', connectTimeoutMs: 300 });
    redis.on('error', () => {});
    closers.push(() => redis.disconnect());
    await new Promise((resolve) => redis.once('ready', resolve));
    const log = collector();
    // As the server's recorder of pushed receipts: no heartbeat, a flush every interval all the same.
    const metrics = createCallMetricsRecorder({ redis, prefix: '{words-metrics}', heartbeat: false, flushIntervalMs: 100, logger: createLogger({ level: 'info' }, log) });
    closers.push(() => void metrics.close().catch(() => {}));
    metrics.recordReceipt('report', 1);
    await metrics.flush();

    process.kill(pid, 'SIGSTOP');
    closers.push(() => process.kill(pid, 'SIGCONT'));
    metrics.recordReceipt('report', 2);
    const { waitFor } = await import('../support/wait.js');
    await waitFor(() => /could not flush call metrics/.test(log.text), 'the flush to fail', 10_000);
    const line = JSON.parse(log.text.split('\n').find((l) => /could not flush call metrics/.test(l))!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, reason: expect.any(String) });
    expect(line).not.toHaveProperty('err');
    expect(log.text).not.toMatch(/\\n\s+at /);
  });
});

describe("the Redis watch's probe in a busy process", () => {
  it('does not take an answer that a blocked event loop has not read yet for Redis gone (it logged "does not answer", then "answers again", with Redis up)', async () => {
    const { watchRedis } = await import('../../src/queue/redis-watch.js');
    const { createLogger } = await import('../../src/logger.js');
    const { collector } = await import('../support/text-collector.js');
    const server = await startPrivateRedis({ appendfsync: 'off' });
    closers.push(() => server.stop());
    const redis = createRedisConnection(server.url, { role: 'worker' });
    redis.on('error', () => {});
    closers.push(() => redis.disconnect());
    await new Promise((resolve) => redis.once('ready', resolve));
    const log = collector();
    const watch = watchRedis({ redis, logger: createLogger({ level: 'info' }, log), probeMs: 200 });
    closers.push(() => watch.stop());
    // A process busy for longer than the probe's wait, again and again (a large file parsed, say).
    for (let i = 0; i < 12; i++) {
      const until = performance.now() + 350;
      while (performance.now() < until) {
        // busy
      }
      await new Promise((r) => setTimeout(r, 1 + (i % 4) * 60));
    }
    expect(log.text).not.toMatch(/does not answer/);
  });
});

describe('a control (pause, resume, cancel) while Redis does not answer', () => {
  // A control enqueues nothing, and takes no idempotency key: it was told "nothing was enqueued", or
  // (cut during its write) to "retry it with the same idempotency key".
  it('gone before it: says the control was not applied, through the producer, REST and the CLI', async () => {
    const { buildServer } = await import('../../server/build-server.js');
    const { runCli } = await import('../../cli/program.js');
    const { collector } = await import('../support/text-collector.js');
    const server = await startPrivateRedis({ appendfsync: 'always' });
    closers.push(() => server.stop());
    const prefix = '{words-control}';
    const redis = createRedisConnection(server.url, { role: 'client', connectTimeoutMs: 500 });
    redis.on('error', () => {});
    closers.push(() => redis.disconnect());
    const producer = createProducer({ redis, prefix, connectTimeoutMs: 500, redactedRedisUrl: server.url });
    closers.push(() => producer.close());
    const app = await buildServer({ redis, prefix, producer, logger: (await import('../../src/logger.js')).createLogger({ level: 'silent' }), apiToken: 'test-api-token-0123456789', dashboard: { token: 'dashboard-token-0123456789' } });
    closers.push(() => app.close());
    const { sendId } = await producer.send(request('13800138000'));

    // Until a reconnect has been refused: right after 'reconnecting' the cause known is still the
    // lost connection (CI D read "the connection was lost; reconnecting" there).
    const refused = new Promise<void>((resolve) => {
      const onError = (err: unknown) => {
        if (!/ECONNREFUSED/.test(String((err as Error | undefined)?.message))) return;
        redis.off('error', onError);
        resolve();
      };
      redis.on('error', onError);
    });
    await server.stop();
    await refused;
    for (const action of ['pause', 'resume', 'cancel'] as const) {
      const err = await failure(producer[action](sendId));
      expect(err.message).toContain(`Redis at \`redis: "${server.url}"\` does not answer (connect ECONNREFUSED`);
      expect(err.message).toMatch(new RegExp(`the ${action} was not applied: the send is as it was\\. Fix: start Redis there or point \`redis\` at a running one, then give the ${action} again`));
      expect(err.message).not.toMatch(/enqueued|idempotency key/);
    }
    const rest = await app.inject({ method: 'POST', url: `/v1/sends/${sendId}/pause`, headers: { authorization: 'Bearer test-api-token-0123456789' } });
    expect(rest.statusCode).toBe(503);
    expect(rest.json().error).toMatchObject({ code: 'SMSQ_REDIS_UNAVAILABLE', message: expect.stringMatching(/the pause was not applied: the send is as it was/) });
    expect(rest.json().error.message).not.toMatch(/enqueued|idempotency key/);

    const stdout = collector();
    const stderr = collector();
    const code = await runCli(['campaign', 'cancel', sendId], { stdout, stderr, env: { REDIS_URL: server.url, SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: '127.0.0.1:9', SMSQ_REDIS_CONNECT_TIMEOUT_MS: '500', LOG_LEVEL: 'error' } });
    expect(code).toBe(3);
    expect(stderr.text).toMatch(/error SMSQ_REDIS_UNAVAILABLE: Redis at REDIS_URL=.* does not answer \(.*\); the cancel was not applied: the send is as it was/);
    expect(stderr.text).not.toMatch(/enqueued|idempotency key/);
  });

  it('gone during it: says the control may have been applied, and that giving it again is safe', async () => {
    const server = await startPrivateRedis({ appendfsync: 'always' });
    const pid = server.process.pid as number;
    closers.push(() => server.stop());
    const redis = createRedisConnection(server.url, { role: 'client', connectTimeoutMs: 500 });
    redis.on('error', () => {});
    closers.push(() => redis.disconnect());
    const producer = createProducer({ redis, prefix: '{words-control-mid}', connectTimeoutMs: 500, redactedRedisUrl: server.url });
    closers.push(() => producer.close());
    const { sendId } = await producer.send(request('13800138000'));

    process.kill(pid, 'SIGSTOP');
    closers.push(() => process.kill(pid, 'SIGCONT'));
    const err = await failure(producer.pause(sendId));
    expect(err.message).toContain(`Redis at \`redis: "${server.url}"\` does not answer (no answer within 500 ms)`);
    expect(err.message).toMatch(/the pause may or may not have been applied \(Redis went away during it\)\. Fix: once Redis answers, give the pause again: given again it changes nothing if it was; `producer\.getStatus\("smx\w+"\)` shows the send's control/);
    expect(err.message).not.toMatch(/enqueued|idempotency key|partly done/);
    // The timeout dropped the link, and a frozen Redis never closes its end: ioredis still says
    // `ready` while it refuses every command unwritten. A control given then was not applied (it
    // said "may or may not have been applied", refused within a millisecond).
    const again = await failure(producer.pause(sendId));
    expect(again.message).toMatch(/the pause was not applied: the send is as it was/);
    const status = await failure(producer.getStatus(sendId));
    expect(status.message).toMatch(/nothing was changed/);
    const send = await failure(producer.send(request('13800138001')));
    expect(send.message).toMatch(/nothing was enqueued/);
    expect(send.message).not.toMatch(/partly done/);
  });
});
