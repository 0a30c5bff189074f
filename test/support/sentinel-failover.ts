/** Steps of a manual Sentinel failover under a producer's load, for the tests that run one. */
import type { Producer } from '../../producers/producer.js';
import { sendNotification } from './producer-session.js';
import { startReplicatedPrimary, startSentinelDeployment, type RedisNode, type ReplicatedPrimary, type SentinelDeployment } from './redis-topology.js';
import { waitFor } from './wait.js';
import { onNode } from './node-admin.js';

export { onNode };

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

/** Each sentinel's timings, as a test's deployment was started with them. */
export interface SentinelTimings {
  downAfterMs: number;
  failoverTimeoutMs: number;
}

/** `SENTINEL MASTER <name>` of `sentinel` (the fields the split tests read), with the port it names now (GET-MASTER-ADDR-BY-NAME). */
export const sentinelView = (d: SentinelDeployment, sentinel: RedisNode) =>
  onNode(sentinel, async (c) => {
    const flat = (await c.call('SENTINEL', 'MASTER', d.masterName)) as string[];
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
    const [, port] = (await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', d.masterName)) as [string, string];
    return { port: Number(port), epoch: fields.get('config-epoch'), others: fields.get('num-other-sentinels'), replicas: fields.get('num-slaves') };
  });

/** Each sentinel's `port@epoch`, in the deployment's order. */
export const namedBy = async (d: SentinelDeployment) => (await Promise.all(d.sentinels.map((s) => sentinelView(d, s)))).map((v) => `${v.port}@${v.epoch}`);

/** `SENTINEL REMOVE` and `MONITOR` of `port` under the deployment's name, with its timings. */
export const monitorAfresh = (d: SentinelDeployment, sentinel: RedisNode, port: number, timings: SentinelTimings) =>
  onNode(sentinel, async (c) => {
    await c.call('SENTINEL', 'REMOVE', d.masterName);
    await c.call('SENTINEL', 'MONITOR', d.masterName, '127.0.0.1', port, 2);
    await c.call('SENTINEL', 'SET', d.masterName, 'down-after-milliseconds', timings.downAfterMs, 'failover-timeout', timings.failoverTimeoutMs, 'parallel-syncs', 1);
  });

/**
 * Splits `d`'s sentinels as a partition through a failover would, with real processes: s2 and s3
 * stop monitoring the primary X and monitor Y (`other`, a primary with its replica Y2) under the
 * same name; s1 monitors X afresh, forgetting s2 and s3 (it learns sentinels only from hellos on
 * X's channel, where no other sentinel publishes any more), and knows X's `xReplicas` replicas.
 * Then a real `SENTINEL FAILOVER` on s2 promotes Y2 and raises the epoch (s3 learns it from s2's
 * hellos), and Y is converted to Y2's replica. s1 names X at epoch 0 throughout.
 */
export async function failOverApart(d: SentinelDeployment, other: { primary: RedisNode; replica: RedisNode }, xReplicas: number, timings: SentinelTimings): Promise<void> {
  const [s1, s2, s3] = d.sentinels as [RedisNode, RedisNode, RedisNode];
  const { primary: y, replica: y2 } = other;
  for (const s of [s2, s3]) await monitorAfresh(d, s, y.port, timings);
  await monitorAfresh(d, s1, d.primary.port, timings);
  await waitFor(async () => (await Promise.all([s2, s3].map((s) => sentinelView(d, s)))).every((v) => v.replicas === '1' && v.others === '1'), "s2 and s3 to know Y's replica and each other", 20_000, 100);
  await waitFor(async () => (await sentinelView(d, s1)).replicas === String(xReplicas), "s1 to know X's replicas", 15_000, 100);
  await onNode(s2, (c) => c.call('SENTINEL', 'FAILOVER', d.masterName));
  await waitFor(async () => (await Promise.all([s2, s3].map((s) => sentinelView(d, s)))).every((v) => v.port === y2.port && Number(v.epoch) >= 1), 's2 and s3 to name Y2 at the raised epoch', 20_000, 100);
  await waitFor(async () => (await roleOf(y)) === 'slave' && (await onNode(y2, (c) => c.info('replication'))).includes('connected_slaves:1'), 'Y converted to a replica of Y2', 30_000, 200);
}

/** A deployment X (`timings`) and another primary Y with its replica, fresh for one test, for {@link failOverApart}. */
export async function withDeployments(timings: SentinelTimings, use: (d: SentinelDeployment, other: ReplicatedPrimary) => Promise<void>): Promise<void> {
  const [d, other] = await Promise.allSettled([startSentinelDeployment(timings), startReplicatedPrimary()]);
  try {
    if (d.status === 'rejected') throw d.reason;
    if (other.status === 'rejected') throw other.reason;
    await use(d.value, other.value);
  } finally {
    await Promise.all([d, other].map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
  }
}
