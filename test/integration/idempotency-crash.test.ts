/**
 * Idempotency keys across a host crash of Redis in the default mode (`fsync`: appendfsync always),
 * produced for real: a redis-server SIGKILLed and its AOF cut back to what it had fsynced
 * (test/support/crashable-redis.ts), each fsync taking a few ms so that the cut takes a written
 * tail; or killed at an exact command of an enqueue (test/support/command-trap.ts). A retry under
 * the same key, through the producer API and REST, must answer the same send and nothing may be
 * sent twice (SendSms counted per number at the emulator).
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { luaSource } from '../../src/queue/lua-source.js';
import { createProducer, type Producer } from '../../producers/producer.js';
import { buildServer } from '../../server/build-server.js';
import { startCommandTrap } from '../support/command-trap.js';
import { startCrashableRedis, type CrashableRedis } from '../support/crashable-redis.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';
import { createProducerConnection } from '../support/redis.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const TOKEN = 'test-api-token-0123456789';
/** The lease of the caller that dies with Redis (the producer's default is 15 s). */
const DEAD_CALLER_LEASE_MS = 4000;
const scriptCall = (script: string) => {
  const { lua } = luaSource(script);
  return [createHash('sha1').update(lua).digest('hex'), lua.slice(0, 120)];
};

let nextPhone = 13866000000;
const phones = (n: number) => Array.from({ length: n }, () => String(nextPhone++));

async function setUp(label: string): Promise<{ redisServer: CrashableRedis; h: Harness }> {
  // 8 ms per fsync: a crash right after an answer still finds a later write waiting for its fsync.
  const redisServer = await startCrashableRedis({ appendfsync: 'always', fsyncDelayMs: 8 });
  closers.push(() => redisServer.stop());
  const h = await createHarness({ label, redisUrl: redisServer.url });
  closers.push(() => h.close());
  await h.startWorker();
  return { redisServer, h };
}

function sendSmsPerPhone(h: Harness): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of h.emulator.calls()) if (c.action === 'SendSms' && c.code === 'OK') for (const p of c.phones) m.set(p, (m.get(p) ?? 0) + 1);
  return m;
}

async function sentOnceEach(h: Harness, sendId: string, numbers: readonly string[]): Promise<void> {
  await waitFor(async () => ['sent', 'completed'].includes((await h.producer.getStatus(sendId)).send.state), `send ${sendId} sent`, 30_000);
  // Later calls of a resend would come within the worker's next jobs.
  await new Promise((r) => setTimeout(r, 500));
  const per = sendSmsPerPhone(h);
  expect(numbers.filter((p) => per.get(p) !== 1), JSON.stringify(numbers.map((p) => per.get(p) ?? 0))).toEqual([]);
  const { counts } = await h.producer.getStatus(sendId);
  expect(counts).toMatchObject({ queued: 0, sending: 0, unknown: 0, failed: 0 });
  expect(counts.accepted + counts.delivered).toBe(numbers.length);
}

/** Keeps Redis writing (a send without a key) so that the crash finds a tail not yet fsynced. */
async function crashFsynced(redisServer: CrashableRedis, producer: Producer): Promise<number> {
  const busy = producer.send({ phones: phones(40), signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' }).catch(() => undefined);
  await waitFor(() => redisServer.unsyncedBytes() > 0, 'a write waiting for its fsync', 2000, 0).catch(() => {});
  const { bytesLost } = await redisServer.crash('fsynced');
  await redisServer.start();
  await busy;
  return bytesLost;
}

describe('an idempotency key across a host crash of Redis (mode fsync)', () => {
  it('a send acknowledged, then Redis cut back to what it fsynced: the retry (API and REST) answers the same send as a duplicate, nothing sent twice', async () => {
    const { redisServer, h } = await setUp('idem-crash-acked');
    const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'dashboard-token-0123456789' } });
    closers.push(() => app.close());
    let lost = 0;

    const viaApi = { phones: phones(30), signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' as const, idempotencyKey: 'crash-api' };
    const first = await h.producer.send(viaApi);
    lost += await crashFsynced(redisServer, h.producer);
    const again = await waitFor(() => h.producer.send(viaApi).catch(() => undefined), 'the retry answered', 15_000);
    expect(again).toMatchObject({ sendId: first.sendId, duplicate: true });

    const body = { phones: phones(30), signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' };
    const post = () => app.inject({ method: 'POST', url: '/v1/messages', headers: { authorization: `Bearer ${TOKEN}`, 'idempotency-key': 'crash-rest' }, payload: body });
    const posted = await post();
    expect(posted.statusCode, posted.body).toBe(202);
    lost += await crashFsynced(redisServer, h.producer);
    const reposted = await waitFor(async () => {
      const r = await post();
      return r.statusCode === 202 ? r : undefined;
    }, 'the REST retry answered', 15_000);
    expect(reposted.json()).toMatchObject({ sendId: (posted.json() as { sendId: string }).sendId, duplicate: true });

    await sentOnceEach(h, first.sendId, viaApi.phones);
    await sentOnceEach(h, (posted.json() as { sendId: string }).sendId, body.phones);
    console.info(`idempotency across fsynced cuts: ${lost} bytes cut in two crashes; 60 recipients, SendSms per number ${[...new Set([...viaApi.phones, ...body.phones].map((p) => sendSmsPerPhone(h).get(p)))].join(',')}`);
    expect(lost).toBeGreaterThan(0);
  }, 90_000);

  // Killed where the chunk records are written (the send record with them or just before), or
  // where the send, records and jobs all written, is marked enqueued. Each way in and each place
  // once: every case waits out the dead caller's lease (all four ran and held, 4eb047b, a315955),
  // 4 s here instead of the default 15 s (the producer's idempotencyLeaseMs): the retry comes
  // after it ran out all the same, and the retrying producer keeps the default.
  for (const [via, script] of [['rest', 'create-chunks'], ['api', 'mark-enqueued-3']] as const) {
    it(`${via}: Redis killed at ${script} of a 3-chunk send, the caller gone: the retry under the key completes that send, each recipient accepted once`, async () => {
      const { redisServer, h } = await setUp(`idem-crash-trap-${via}-${script}`);
      const trap = await startCommandTrap({ port: redisServer.port });
      closers.push(() => trap.close());
      // The first caller's connection runs through the trap (its process dies with Redis).
      const trapped = createProducerConnection(`redis://127.0.0.1:${trap.port}`);
      closers.push(() => void trapped.disconnect());
      const dying = createProducer({ redis: trapped, prefix: h.prefix, logger: h.logger, idempotencyLeaseMs: DEAD_CALLER_LEASE_MS });
      closers.push(() => dying.close().catch(() => undefined));
      const numbers = phones(2100);
      const request = { phones: numbers, signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' as const, idempotencyKey: `trap-${via}-${script}` };
      const headers = { authorization: `Bearer ${TOKEN}`, 'idempotency-key': request.idempotencyKey };
      const { idempotencyKey: _k, ...body } = request;
      const dyingApp = via === 'rest' ? await buildServer({ redis: trapped, prefix: h.prefix, producer: dying, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'dashboard-token-0123456789' } }) : undefined;
      if (dyingApp) closers.push(() => dyingApp.close().catch(() => undefined));

      trap.arm(scriptCall(script), () => redisServer.crash('fsynced').then(() => undefined));
      const firstTry = (dyingApp ? dyingApp.inject({ method: 'POST', url: '/v1/messages', headers, payload: body }).then((r) => r.statusCode) : dying.send(request).then(() => 202)).catch((e: unknown) => e);
      await trap.sprung();
      trapped.disconnect();
      expect(await firstTry).not.toBe(202);
      await redisServer.start();

      const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'dashboard-token-0123456789' } });
      closers.push(() => app.close());
      // The dead caller's lease holds the key until it expires: retry as told.
      const retry = async (): Promise<{ sendId: string; duplicate: boolean; completedEarlier?: boolean }> => {
        for (;;) {
          if (via === 'rest') {
            const r = await app.inject({ method: 'POST', url: '/v1/messages', headers, payload: body });
            if (r.statusCode === 202) return r.json();
            expect([409, 503], r.body).toContain(r.statusCode);
          } else {
            const got = await h.producer.send(request).catch((e: unknown) => e);
            if (!(got instanceof Error)) return got as { sendId: string; duplicate: boolean };
            expect(['SMSQ_IDEMPOTENCY_IN_PROGRESS', 'SMSQ_REDIS_UNAVAILABLE', undefined]).toContain((got as { code?: string }).code);
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      };
      const done = await retry();
      expect(done).toMatchObject({ duplicate: false, completedEarlier: true });
      expect(await h.redis.keys(`${h.prefix}:send:*:counts`)).toHaveLength(1);
      await sentOnceEach(h, done.sendId, numbers);
      // And once more: now a duplicate.
      expect(await retry()).toMatchObject({ sendId: done.sendId, duplicate: true });
    }, 90_000);
  }
});
