/**
 * An enqueue that the replica does not confirm in time, in SMSQ_DURABILITY=replicas, produced for
 * real: the replication stream held in test/support/stallable-proxy.ts, as in the first seconds
 * of a failover to a replica that lags. The request is refused 503 SMSQ_NOT_DURABLE and its send
 * withdrawn (cancelled); the refusal tells the caller to retry with the same idempotency key: "it
 * returns this send if it survived, and sends nothing twice". The replica then catches up (no
 * failover: the most common way this ends), and the caller retries as told.
 *
 * KNOWN FAULT, left failing (`it.fails`): the retry answers 202 `"duplicate": true` with the send
 * smsq itself cancelled, and the verification code never goes out: the caller did what it was told
 * and was told "queued" for a message nobody sends. The same happens after a failover whose
 * promoted replica got the cancel; only a replica promoted with the send and without the cancel
 * sends it.
 *
 * The fix is a change of what a withdrawal is, not a line: hold the unconfirmed send (pause it,
 * control reason "not confirmed durable at enqueue") instead of cancelling it, and have a request
 * under the same key and body that finds its send held so resume it and confirm that (withdrawing
 * it again if that confirmation fails too) before answering; the repair sweep ends a send still
 * held so after SMSQ_REPAIR_ENQUEUE_GRACE_MS (abandoned, as an enqueue its producer never
 * acknowledged), so that a caller who never retries leaves nothing waiting. docs/durability.md
 * ("When a confirmation does not come") and the lifecycle's `cancel` row then say so. Remove
 * `.fails` once it is made.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { buildServer } from '../../server/build-server.js';
import { createHarness } from '../support/pipeline.js';
import { followPrimary } from '../support/replicated-redis.js';
import { startStallableProxy } from '../support/stallable-proxy.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const DURABILITY: DurabilityOptions = { mode: 'replicas', replicas: 1, timeoutMs: 300 };
const API_TOKEN = 'test-api-token-0123456789';

async function redisServer(): Promise<PrivateRedis> {
  const r = await startPrivateRedis({ appendfsync: 'everysec' });
  closers.push(() => r.stop());
  return r;
}

describe('a send refused as not durable while the replica lagged, retried under its Idempotency-Key once the replica caught up (SMSQ_DURABILITY=replicas)', () => {
  it.fails('is sent once when the retry answers it as queued (today: answered 202 duplicate, the send cancelled, the code never sent)', async () => {
    const primary = await redisServer();
    const replica = await redisServer();
    const link = await startStallableProxy({ port: primary.port });
    closers.push(() => link.close());
    await followPrimary(replica, link.port);
    const h = await createHarness({ label: 'withdrawn-retry', redisUrl: primary.url, durability: DURABILITY });
    closers.push(() => h.close());
    await h.startWorker();
    const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: API_TOKEN, dashboard: { token: 'dashboard-token-0123456789' } });
    closers.push(() => app.close());
    const post = (phone: string, key: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: { authorization: `Bearer ${API_TOKEN}`, 'idempotency-key': key },
        payload: { phones: [phone], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '4711' }, kind: 'verification' },
      });
    // The whole pipeline once, the replica following.
    expect((await post('13848100000', 'order-warm')).statusCode).toBe(202);
    await waitFor(() => h.emulator.accepted().length === 1, 'the first code sent');

    link.stall();
    const phone = '13848100001';
    const refused = await post(phone, 'order-4711');
    expect(link.heldBytes()).toBeGreaterThan(0);
    expect({ status: refused.statusCode, code: refused.json().error?.code }, refused.body).toEqual({ status: 503, code: 'SMSQ_NOT_DURABLE' });
    expect(refused.json().error.message).toContain('retry with the same idempotency key (it returns this send if it survived, and sends nothing twice)');

    // The replica catches up; the caller retries as told.
    link.resume();
    const offset = async (url: string) => {
      const admin = new Redis(url);
      try {
        return Number(/master_repl_offset:(\d+)/.exec(await admin.info('replication'))?.[1]);
      } finally {
        admin.disconnect();
      }
    };
    const primaryOffset = await offset(primary.url);
    await waitFor(async () => (await offset(replica.url)) >= primaryOffset, 'the replica to catch up');
    const retried = await post(phone, 'order-4711');
    const answer = retried.json() as { sendId?: string; duplicate?: boolean; error?: { code: string } };
    const state = answer.sendId ? (await h.producer.getStatus(answer.sendId)).send.state : undefined;
    // Told "queued": the code must go out, once.
    if (retried.statusCode === 202) {
      await waitFor(() => h.emulator.accepted().some((a) => a.phoneNumbers.includes(phone)), `the retried code sent (the retry answered ${retried.statusCode} ${retried.body}; its send is ${state})`, 10_000);
    }
    await new Promise((r) => setTimeout(r, 500));
    const sent = h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone)).length;
    expect({ status: retried.statusCode, sent }, `the retry answered ${retried.body}; its send is ${state}`).toEqual({ status: 202, sent: 1 });
  }, 60_000);
});
