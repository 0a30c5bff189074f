/** Steps of a manual Sentinel failover under a producer's load, for the tests that run one. */
import type { Redis } from 'ioredis';
import type { Producer } from '../../producers/producer.js';
import { sendNotification } from './producer-session.js';
import type { RedisNode, SentinelDeployment } from './redis-topology.js';
import { waitFor } from './wait.js';

/** `use` on an admin connection to `node` (a data node or a sentinel), closed after. */
export async function onNode<T>(node: RedisNode, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = node.admin();
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** The role a data node answers (`master`, `slave`), or why it did not answer. */
export async function roleOf(node: RedisNode): Promise<string> {
  const client = node.admin();
  try {
    await client.connect();
    return ((await client.call('ROLE')) as [string])[0];
  } catch (err) {
    return String(err);
  } finally {
    client.disconnect();
  }
}

/**
 * Sends in a tight loop (`lanes` at a time) while a sentinel runs `SENTINEL FAILOVER`, until the old
 * primary has been converted to a replica; returns the sends acknowledged and the refusals' codes.
 */
export async function sendThroughManualFailover(d: SentinelDeployment, producer: Producer, lanes = 4): Promise<{ acked: string[]; refused: string[] }> {
  const acked: string[] = [];
  const refused: string[] = [];
  let stop = false;
  let n = 0;
  const lane = async () => {
    while (!stop) {
      const phone = String(13800000000 + n++);
      await sendNotification(producer, phone).then(
        (r) => void acked.push(r.sendId),
        async (err: unknown) => {
          refused.push((err as { code?: string }).code ?? String(err));
          // A refusal made without I/O (the link down, reconnecting) must not starve the reconnect's timer.
          await new Promise((r) => setTimeout(r, 10));
        },
      );
    }
  };
  const running = Array.from({ length: lanes }, lane);
  try {
    await waitFor(() => acked.length >= 20, 'sends acknowledged before the failover', 20_000);
    const old = d.primary;
    await manualFailover(d);
    await d.waitForPromotion(old.port, 20_000);
    // Sentinel converts the old primary some 8-18 s after it saw the promotion (4 hello periods and
    // an INFO): until then it takes writes.
    await waitFor(async () => (await roleOf(old)) === 'slave', 'the old primary converted to a replica', 30_000, 200);
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    stop = true;
  }
  await Promise.all(running);
  return { acked, refused };
}


/** `SENTINEL FAILOVER <name>` on the first sentinel: it promotes a replica it sees up at once. */
export async function manualFailover(d: SentinelDeployment): Promise<void> {
  const sentinel = d.sentinels[0]!.admin();
  try {
    await sentinel.connect();
    await sentinel.call('SENTINEL', 'FAILOVER', d.masterName);
  } finally {
    sentinel.disconnect();
  }
}

/** What {@link sendUntilAcknowledged} saw: each refusal's kind (code and reason, without the send's id), in order. */
export interface SendsUntilAcknowledged {
  refusals: string[];
  /** When the send that was acknowledged began (ms since the epoch). */
  acknowledgedAt: number;
}

/**
 * Sends one at a time (to `firstPhone`, then the numbers after it; 100 ms apart after a refusal)
 * until one is acknowledged, within `timeoutMs`. When none is, logs `said(refusals)` (what the
 * deployment looked like) and throws naming `what`.
 */
export async function sendUntilAcknowledged(producer: Producer, firstPhone: number, what: string, timeoutMs: number, said: (refusals: string[]) => Promise<string> | string): Promise<SendsUntilAcknowledged> {
  const refusals: string[] = [];
  let acknowledgedAt = 0;
  await waitFor(
    async () => {
      const startedAt = Date.now();
      const refusal = await sendNotification(producer, String(firstPhone + refusals.length)).then(
        () => undefined,
        // The reason, without the send's id: one line per kind of refusal.
        (err: unknown) => `${(err as { code?: string }).code ?? ''} (${(err as Error).message.replace(/^.*could not be made durable: ([^;]*);.*$/s, '$1')})`,
      );
      if (refusal === undefined) {
        acknowledgedAt = startedAt;
        return true;
      }
      refusals.push(refusal);
      await new Promise((r) => setTimeout(r, 100));
      return false;
    },
    what,
    timeoutMs,
    0,
  ).catch(async (err: unknown) => {
    console.log(await said(refusals));
    throw err;
  });
  return { refusals, acknowledgedAt };
}
