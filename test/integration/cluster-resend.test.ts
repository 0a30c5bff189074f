/**
 * A write that ioredis's Cluster client sends again after its node's link closed. A command on
 * the wire when the link closes fails with "Connection is closed."; while the Cluster is ready,
 * ioredis retries it every `retryDelayOnFailover` (200 ms) on the slot's master once its slots are
 * read again, until its redirections run out (node_modules/ioredis/built/cluster/index.js,
 * handleError). A master that ran the write and replicated it, and died before its answer
 * reached smsq, thus has it run a second time: on its replica once promoted (or on the master
 * itself, when only the link reset).
 *
 * Produced for real: a Cluster whose master serving smsq's slot is reached through a TCP front
 * (announced as its address, `cluster-announce-port`: clients and its replica reach it there)
 * that lets the write through and loses Redis's answer, as a network loses the bytes of a host
 * that dies; the master is then SIGKILLed and its replica promoted (CLUSTER FAILOVER TAKEOVER:
 * the resend lands on it within ioredis's retries). Real redis-server processes
 * (test/support/redis-topology.ts), the emulator through the real SDK.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { luaSource } from '../../src/queue/lua-source.js';
import { uniformRetention } from '../../src/queue/retention.js';
import { openReportIngest, type ReportIngestResult } from '../../src/receipts/report-ingest.js';
import { systemClock } from '../../src/clock.js';
import { createHarness, FAST_TIMING, type Harness } from '../support/pipeline.js';
import { everyKind } from '../support/receipt-policies.js';
import { startClusterDeployment, type ClusterDeployment, type RedisNode } from '../support/redis-topology.js';
import { startReplyLosingFront, type ReplyLosingFront } from '../support/reply-losing-front.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

/** What a script's call looks like on the wire: EVAL with its body on a link's first use, EVALSHA after. */
function onTheWire(file: string): string[] {
  const { lua } = luaSource(file);
  return [createHash('sha1').update(lua).digest('hex'), lua.slice(0, 80)];
}

interface Failover {
  cluster: ClusterDeployment;
  prefix: string;
  front: ReplyLosingFront;
  replica: RedisNode;
  h: Harness;
  /** Loses the answer of the next request holding one of `markers`, then SIGKILLs the master and promotes its replica. */
  loseAnswerThenFailOver(markers: string[]): Promise<void>;
}

/** One command on `node`'s own short-lived admin link. */
async function ask(node: RedisNode, ...args: (string | number)[]): Promise<unknown> {
  const admin = node.admin();
  try {
    await admin.connect();
    return await admin.call(String(args[0]), ...args.slice(1));
  } finally {
    admin.disconnect();
  }
}

async function failoverCluster(): Promise<Failover> {
  const cluster = await startClusterDeployment({ nodeTimeoutMs: 1000 });
  closers.push(() => cluster.stop());
  // Not the first master: portServing asks it, and this one dies.
  const serving = cluster.masters[1]!;
  let prefix = '{cluster-resend-0}';
  for (let i = 1; (await cluster.portServing(prefix)) !== serving.port; i++) prefix = `{cluster-resend-${i}}`;
  const front = await startReplyLosingFront(serving);
  closers.push(() => front.close());
  const admin = serving.admin();
  await admin.connect();
  await admin.config('SET', 'cluster-announce-port', String(front.port));
  admin.disconnect();
  await waitFor(async () => (await cluster.portServing(prefix)) === front.port, 'the Cluster to name the master at its front');
  const replica = await cluster.addReplica(serving);
  const survivors = cluster.masters.filter((m) => m !== serving);
  const slot = Number(await ask(serving, 'CLUSTER', 'KEYSLOT', prefix));
  /** Undefined once every node of `nodes` says cluster_state:ok and names `ownerPort` for the slot (and knows the replica); else what one says. */
  const everyNodeSays = async (nodes: RedisNode[], ownerPort: number): Promise<string | undefined> => {
    const replicaId = String(await ask(replica, 'CLUSTER', 'MYID'));
    for (const node of nodes) {
      const state = /cluster_state:(\w+)/.exec(String(await ask(node, 'CLUSTER', 'INFO')))?.[1];
      const owner = ((await ask(node, 'CLUSTER', 'SLOTS')) as [number, number, [string, number]][]).find(([from, to]) => slot >= from && slot <= to)?.[2][1];
      const knowsReplica = String(await ask(node, 'CLUSTER', 'NODES')).split('\n').some((line) => line.startsWith(replicaId) && line.includes(' connected'));
      if (state !== 'ok' || owner !== ownerPort || !knowsReplica) return `port ${node.port}: cluster_state:${state}, slot ${slot} on port ${owner}, knows the replica: ${knowsReplica}`;
    }
    return undefined;
  };
  // Every node agreeing before the master dies: a master that had not yet heard of the replica
  // (gossip, slower under load) kept the slot on the dead master and answered CLUSTERDOWN.
  await waitFor(async () => (await everyNodeSays([...cluster.masters, replica], front.port)) === undefined, 'every node cluster_state:ok, naming the front for the slot and knowing the replica', 20_000, 100);
  // `none`: after the kill the promoted replica has no replica for WAIT.
  const h = await createHarness({ redisUrl: cluster.url, prefix, durability: { mode: 'none' } });
  closers.push(() => h.close());
  return {
    cluster,
    prefix,
    front,
    replica,
    h,
    async loseAnswerThenFailOver(markers) {
      await front.loseReplyTo(...markers);
      // Replicated by then: the replica's stream goes out with the answer, and through the front unheld.
      await new Promise((r) => setTimeout(r, 20));
      await serving.kill();
      // TAKEOVER's OK says only that it began: sent again while the replica is still one, and done once
      // it and the surviving masters name it for the slot (the tests read the promoted replica).
      await waitFor(
        async () => {
          if (((await ask(replica, 'ROLE')) as string[])[0] !== 'master') {
            await ask(replica, 'CLUSTER', 'FAILOVER', 'TAKEOVER');
            await new Promise((r) => setTimeout(r, 500));
          }
          return (await everyNodeSays([replica, ...survivors], replica.port)) === undefined;
        },
        'the promoted replica named for the slot by every surviving node, each cluster_state:ok',
        20_000,
        100,
      );
    },
  };
}

const PHONES = ['13800138001', '13800138002', '13800138003'];
const RECEIPT_SCHEDULE = { lookDelaysMs: [200, 500, 900], windowMs: 15_000 };
const acceptedTimes = (h: Harness, phone: string) => h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone)).length;

/** Every recipient's receipt delivered once its window could end them (an accepted chunk never looked up ends `expired`), each sent once. */
async function expectDeliveredOnce(h: Harness, sendId: string): Promise<void> {
  // Past the tests' 15 s window (before the fixes every recipient expires only when it ends): at
  // 6 s, look-ups slowed by a loaded machine and the failover let two of three expire.
  const counts = await waitFor(async () => {
    const { counts } = await h.producer.getStatus(sendId);
    return counts.delivered + counts.expired === PHONES.length ? counts : undefined;
  }, 'every recipient delivered or expired', 30_000);
  expect({ delivered: counts.delivered, expired: counts.expired }).toEqual({ delivered: 3, expired: 0 });
  // Sent once: the write was run twice, the call made once.
  for (const phone of PHONES) expect(acceptedTimes(h, phone)).toBe(1);
}

describe("Redis Cluster: a write sent again to the slot's promoted replica after its answer was lost", () => {
  it("a worker's transition of an accepted chunk, run on the master and again on the promoted replica: its receipts are still looked up, every recipient delivered (before: none looked up, all expired)", async () => {
    const f = await failoverCluster();
    const sent = await f.h.producer.send({ phones: PHONES, signName: N.sign, templateCode: N.plainTemplate });
    const failedOver = f.loseAnswerThenFailOver(onTheWire('transition-7'));
    await f.h.startWorker({ receiptPolicies: everyKind('all'), receiptSchedule: RECEIPT_SCHEDULE });
    await failedOver;
    await waitFor(async () => (await f.cluster.portServing(f.prefix)) === f.replica.port, 'the replica to serve the slot');
    await expectDeliveredOnce(f.h, sent.sendId);
  }, 60_000);

  it("a worker's look-up that finds an unknown attempt accepted, its transition run on the master and again on the promoted replica: the receipts are still looked up, every recipient delivered (before: none looked up, all expired)", async () => {
    const f = await failoverCluster();
    // The call's answer lost: the chunk is `unknown` until a look-up finds it accepted.
    f.h.emulator.addFault({ kind: 'lost-answer', actions: ['SendSms'], delayMs: 5000 });
    const sent = await f.h.producer.send({ phones: PHONES, signName: N.sign, templateCode: N.plainTemplate });
    // The trigger as the transition's argument: the script's body (its first EVAL) names it too.
    const failedOver = f.loseAnswerThenFailOver(['\r\n$12\r\nlookup-found\r\n']);
    await f.h.startWorker({ receiptPolicies: everyKind('all'), receiptSchedule: RECEIPT_SCHEDULE });
    await failedOver;
    await expectDeliveredOnce(f.h, sent.sendId);
  }, 60_000);

  it("a worker's claim, run on the master and again on the promoted replica: its call goes out on it, the chunk never taken for a lost worker nor looked up (before: `unknown`, looked up, sent a settling window late)", async () => {
    const f = await failoverCluster();
    const sent = await f.h.producer.send({ phones: PHONES, signName: N.sign, templateCode: N.plainTemplate });
    const failedOver = f.loseAnswerThenFailOver(onTheWire('claim-6'));
    await f.h.startWorker({ receiptPolicies: everyKind('none') });
    await failedOver;
    const { counts } = await waitFor(async () => {
      const status = await f.h.producer.getStatus(sent.sendId);
      return status.counts.accepted === PHONES.length ? status : undefined;
    }, 'the recipients accepted');
    expect(counts.unknown).toBe(0);
    expect(f.h.emulator.calls().filter((c) => c.action === 'QuerySendDetails')).toEqual([]);
    for (const phone of PHONES) expect(acceptedTimes(f.h, phone)).toBe(1);
  }, 60_000);

  it('an idempotency key claimed on the master and again on the promoted replica, under the same lease: the send is enqueued and sent once (before: refused after 10 s as "still being enqueued" by an earlier request)', async () => {
    const f = await failoverCluster();
    await f.h.startWorker();
    const failedOver = f.loseAnswerThenFailOver(onTheWire('claim-idempotency-key-4'));
    const startedAt = Date.now();
    const sent = await f.h.producer.send({ phones: PHONES, signName: N.sign, templateCode: N.plainTemplate, idempotencyKey: 'order-7' }).catch((err: unknown) => err);
    await failedOver;
    expect(sent, String(sent)).toMatchObject({ sendId: expect.any(String), duplicate: false });
    expect(Date.now() - startedAt).toBeLessThan(5000);
    const { sendId } = sent as { sendId: string };
    await waitFor(async () => (await f.h.producer.getStatus(sendId)).counts.accepted === PHONES.length, 'the recipients accepted');
    for (const phone of PHONES) expect(acceptedTimes(f.h, phone)).toBe(1);
    // The retry under the key answers that send.
    expect(await f.h.producer.send({ phones: PHONES, signName: N.sign, templateCode: N.plainTemplate, idempotencyKey: 'order-7' })).toMatchObject({ sendId, duplicate: true });
  }, 60_000);

  it("a pushed report resolving an unknown attempt, its report-accepted transition run on the master and again on the promoted replica: the chunk's other receipts are still looked up, every recipient delivered (before: the push's own recipient only, the others expired)", async () => {
    const f = await failoverCluster();
    const { chunkId, sendId, push } = await unknownAttempt(f);
    const failedOver = f.loseAnswerThenFailOver(['\r\n$15\r\nreport-accepted\r\n']);
    // The attempt's own report, as Alibaba pushes it: its OutId and BizId.
    const outId = await f.h.redis.hget(`${f.h.prefix}:chunk:${chunkId}`, 'outId');
    const pushed = await push([{ phone_number: PHONES[0], success: true, err_code: 'DELIVERED', biz_id: f.h.emulator.accepted()[0]?.bizId, out_id: outId }]);
    await failedOver;
    await expectDeliveredOnce(f.h, sendId);
    expect(pushed).toMatchObject({ resolved: 1, applied: 1 });
  }, 60_000);

  it("a pushed report naming an attempt the record lost, its report-lost-attempt transition run on the master and again on the promoted replica: the adopted attempt is still looked up, found, every recipient delivered (before: left `unknown`, no look-up)", async () => {
    const f = await failoverCluster();
    const { chunkId, sendId, push } = await unknownAttempt(f);
    const failedOver = f.loseAnswerThenFailOver(['\r\n$19\r\nreport-lost-attempt\r\n']);
    // Attempt 2, which the record never had: a claim Redis lost, or a forged push.
    const pushed = await push([{ phone_number: PHONES[0], success: true, err_code: 'DELIVERED', biz_id: 'x^0', out_id: `${chunkId}.2-0123456789` }]);
    await failedOver;
    await expectDeliveredOnce(f.h, sendId);
    expect(pushed).toMatchObject({ adopted: 1 });
  }, 60_000);
});

/**
 * A send of PHONES whose call Dysmsapi accepted and whose answer the worker lost: `unknown` at
 * attempt 1, its look-up a minute away (the push decides it first). `push` applies pushed reports
 * through the server's ingest, on the producer's connection (role `client`, as `smsq server`'s).
 */
async function unknownAttempt(f: Failover): Promise<{ chunkId: string; sendId: string; push(reports: unknown[]): Promise<ReportIngestResult | unknown> }> {
  f.h.emulator.addFault({ kind: 'lost-answer', actions: ['SendSms'], delayMs: 5000 });
  const { ingest, close } = openReportIngest({
    redis: f.h.producerRedis,
    prefix: f.h.prefix,
    clock: systemClock,
    logger: f.h.logger,
    retention: uniformRetention(86_400),
    receiptPolicies: everyKind('all'),
    receiptSchedule: RECEIPT_SCHEDULE,
    durability: { mode: 'none' },
  });
  closers.push(close);
  const { sendId } = await f.h.producer.send({ phones: PHONES, signName: N.sign, templateCode: N.plainTemplate });
  const chunkId = `${sendId}.0`;
  await f.h.startWorker({ receiptPolicies: everyKind('all'), receiptSchedule: RECEIPT_SCHEDULE, reconcile: { ...FAST_TIMING.reconcile, firstLookAfterMs: 60_000 } });
  await waitFor(async () => ((await f.h.redis.hget(`${f.h.prefix}:chunk:${chunkId}`, 'state')) === 'unknown' ? true : undefined), 'the call\'s answer lost: unknown');
  return { chunkId, sendId, push: (reports) => ingest.applyReports(reports).catch((err: unknown) => err) };
}
