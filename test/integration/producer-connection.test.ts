/**
 * What connection a producer may write on, shown with real redis-servers.
 *
 * A campaign stops writing once the connection it began on has been lost
 * (producers/one-connection-enqueuer.ts): the server the connection comes back to may lack what
 * the campaign wrote before (a replica promoted while it lagged). That check sees a drop only once
 * it has happened. A write already handed to the connection is beyond it: on a connection that
 * keeps its writes to send again (ioredis's defaults, and smsq's `worker` role: commands queued
 * while Redis is down, those on the wire when the link dropped resent after the reconnect), that
 * write goes to whichever server the connection reaches next, before any check of the producer's.
 *
 * The fault: the primary frozen (SIGSTOP) while a write of the campaign is on the wire, then
 * killed, and a new, empty redis-server started on its port: a host replaced, or a replica
 * promoted that lacks everything the campaign wrote. Whatever lands on it is a part of a send
 * that the server holds no record of.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createRedisConnection, type RedisConnection } from '../../src/queue/connection.js';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import { createProducer, type Producer } from '../../producers/producer.js';
import { startReplicatedRedis } from '../support/replicated-redis.js';
import { uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const logger = createLogger({ level: 'silent' });
const DURABILITY = { mode: 'replicas', replicas: 1, timeoutMs: 300 } as const satisfies DurabilityOptions;
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** How the caller made the connection it hands createProducer. */
type Made = 'role worker' | 'new Redis(url)' | 'role client';

function connect(made: Made, url: string): RedisConnection {
  if (made === 'role client') return createRedisConnection(url, { role: 'client', commandTimeoutMs: 2000 });
  if (made === 'role worker') return createRedisConnection(url, { role: 'worker' });
  return new Redis(url);
}

/** Commands written to the connection and not yet answered (ioredis's command queue). */
const unanswered = (redis: RedisConnection) => (redis as unknown as { commandQueue: { length: number } }).commandQueue.length;

interface Outcome {
  /** What createProducer threw, if it refused the connection. */
  refusal?: unknown;
  /** What the campaign ended with. */
  ended?: unknown;
  /** The keys of the campaign's prefix on the server started in the dead one's place. */
  landed: string[];
}

async function campaignAcrossReplacement(made: Made): Promise<Outcome> {
  const pair = await startReplicatedRedis({ appendfsync: 'everysec' }, (close) => void closers.push(close));
  const redis = connect(made, pair.primary.url);
  redis.on('error', () => {});
  closers.push(() => void redis.disconnect());
  let producer: Producer;
  try {
    producer = createProducer({ redis, prefix: uniquePrefix('pconn'), logger, durability: DURABILITY });
  } catch (refusal) {
    return { refusal, landed: [] };
  }
  closers.push(() => producer.close());

  // A long list that streams as fast as it is written: a write of it is almost always out.
  async function* rows() {
    for (let i = 0; i < 200_000; i++) yield { phone: String(13848300000 + i) };
  }
  let written = 0;
  const campaign = producer
    .campaign(rows(), { signName: N.sign, templateCode: N.plainTemplate, kind: 'notification', idempotencyKey: 'spring-list' }, { onProgress: (p) => (written = p.written) })
    .then(
      () => 'enqueued whole',
      (err: unknown) => err,
    );
  await waitFor(() => written >= 3000, 'the campaign writing its list');
  const primary = pair.primary.process;
  primary.kill('SIGSTOP');
  // Frozen, the primary takes a write into its socket and never answers it.
  await waitFor(() => unanswered(redis) > 0, 'a write of the campaign on the wire');
  await new Promise((r) => setTimeout(r, 100));
  const dead = new Promise((r) => primary.once('exit', r));
  primary.kill('SIGKILL');
  await dead;
  const replacement = await startPrivateRedis({ port: pair.primary.port, appendfsync: 'off' });
  closers.push(() => replacement.stop());

  const ended = await campaign;
  const look = new Redis(replacement.url);
  closers.push(() => void look.disconnect());
  // Anything resent is sent right after the reconnect; give a straggler a moment.
  await new Promise((r) => setTimeout(r, 300));
  const landed = (await look.keys('*')).sort();
  return { ended, landed };
}

describe('a campaign whose Redis is replaced by an empty one while a write of it is on the wire (SMSQ_DURABILITY=replicas)', () => {
  for (const made of ['role worker', 'new Redis(url)'] as const) {
    it(`a connection that keeps writes to send again (${made}): nothing of the campaign reaches the new server, because createProducer refuses the connection, naming the option and the fix`, async () => {
      const outcome = await campaignAcrossReplacement(made);
      // Before, the producer took the connection, and the write on the wire went to the new server.
      expect(outcome.landed, `the campaign ended with: ${String(outcome.ended)}`).toEqual([]);
      expect(outcome.refusal).toMatchObject({ code: 'SMSQ_PRODUCER_CONNECTION', options: ['enableOfflineQueue', 'autoResendUnfulfilledCommands'] });
      expect(String((outcome.refusal as Error).message)).toMatch(
        /^createProducer: the Redis connection would send a write later than the producer gave it: enableOfflineQueue is on .*; autoResendUnfulfilledCommands is on .*Fix: give the producer a connection of its own made with createRedisConnection\(url, \{ role: 'client' \}\)/,
      );
    }, 60_000);
  }

  it("a connection made with role 'client': the write on the wire fails, nothing is sent again, and the campaign is refused with nothing on the new server", async () => {
    const outcome = await campaignAcrossReplacement('role client');
    expect(outcome.refusal).toBeUndefined();
    expect(outcome.landed).toEqual([]);
    expect(outcome.ended).toMatchObject({ code: expect.stringMatching(/^SMSQ_(NOT_DURABLE|REDIS_UNAVAILABLE)$/) });
  }, 60_000);
});
