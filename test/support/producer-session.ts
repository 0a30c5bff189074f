/**
 * A producer for the length of a test's steps, on a connection the test made (to a deployment of
 * test/support/redis-topology.ts, say), and what the Sentinel tests ask of it.
 */
import type { Clock } from '../../src/clock.js';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger, type Logger } from '../../src/logger.js';
import type { RedisConnection } from '../../src/queue/connection.js';
import { createProducer, type Producer } from '../../producers/producer.js';

export interface ProducerSessionOptions {
  prefix: string;
  durability: DurabilityOptions;
  /** Default silent. */
  logger?: Logger;
  clock?: Clock;
}

/** A producer on `redis`, closed once `use` ends, and `redis` disconnected after it. */
export async function withProducerOn(redis: RedisConnection, opts: ProducerSessionOptions, use: (producer: Producer) => Promise<void>): Promise<void> {
  const { prefix, durability, clock } = opts;
  const producer = createProducer({ redis, prefix, logger: opts.logger ?? createLogger({ level: 'silent' }), durability, ...(clock ? { clock } : {}) });
  try {
    await use(producer);
  } finally {
    await producer.close();
    redis.disconnect();
  }
}

/** One notification to `phone`, with the emulator's sign and template. */
export const sendNotification = (producer: Producer, phone: string) => producer.send({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });

/** What refused a request, or undefined if it was accepted. */
export const refusalOf = (request: Promise<unknown>) =>
  request.then(
    () => undefined,
    (err: unknown) => err as { code?: string; message: string },
  );

/**
 * `found`, or the code `getStatus` refused `sendId` with (SMSQ_NOT_FOUND: a send lost), read as a
 * caller does after a failover: again while the connection follows the sentinels to the new primary.
 */
export async function statusAfterFailover(producer: Producer, sendId: string): Promise<string> {
  for (let tries = 0; ; tries++) {
    const outcome = await producer.getStatus(sendId).then(
      () => 'found',
      (err: unknown) => (err as { code?: string }).code ?? String(err),
    );
    if (outcome !== 'SMSQ_REDIS_UNAVAILABLE' || tries === 50) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
