import { describe, expect, it } from 'vitest';
import { attachedReplicas, notThisNode, replicasToConfirm, sentinelsListed, type ListedReplica, type SentinelView } from '../../src/durability/replica-count.js';

const replica = (address: string, down = false, priority = 100): ListedReplica => ({ address, down, priority });
let ids = 0;
/** A sentinel naming the node the connection is on (or not), knowing `known` sentinels in all. */
const view = (namesNode: boolean | undefined, replicas: readonly ListedReplica[], known = 3, id = `s${++ids}`): SentinelView => ({ id, namesNode, sentinelsKnown: known, replicas, configEpoch: 0n });
/** `v` as a sentinel at config epoch `epoch` answers it. */
const at = (v: SentinelView, epoch: number): SentinelView => ({ ...v, configEpoch: BigInt(epoch) });
const R1 = '10.0.0.2:6379';
const R2 = '10.0.0.3:6379';
const OLD = '10.0.0.1:6379';

describe('SMSQ_DURABILITY_REPLICAS=all: the replicas a confirmation counts', () => {
  it('leaves out the old primary once a majority of the sentinels flag it down (its host died, a replica was promoted)', () => {
    const listed = [replica(R2), replica(OLD, true)];
    expect(replicasToConfirm({ listed: 3, views: [view(true, listed), view(true, listed), view(true, listed)], attached: [R2], previous: 2 })).toEqual({ count: 1, leftOut: 1, replicas: [R2] });
    // Two of three are a majority: the third sentinel unreachable changes nothing.
    expect(replicasToConfirm({ listed: 3, views: [view(true, listed), view(true, listed)], attached: [R2], previous: 2 })).toEqual({ count: 1, leftOut: 1, replicas: [R2] });
  });

  it('counts replicas by address, attached or listed: one attached but held down by the sentinels and another up for them but cut from the primary are two (review31: they were counted max(1, 1) = 1, and WAIT 1 met by the first while the second was promoted)', () => {
    const listed = [replica(R1, true), replica(R2)];
    expect(replicasToConfirm({ listed: 3, views: [view(true, listed), view(true, listed), view(true, listed)], attached: [R1], previous: 2 })).toEqual({ count: 2, leftOut: 0, replicas: [R1, R2] });
  });

  it('counts every replica any sentinel lists when fewer than a majority name this node, however they are flagged (the old primary partitioned with one replica and one sentinel)', () => {
    const minority = [replica(R1, true), replica(R2)];
    expect(replicasToConfirm({ listed: 3, views: [view(true, minority)], attached: [R2], previous: 2 })).toEqual({ count: 2, leftOut: 0, replicas: [R2, R1] });
    // A connection listing one sentinel of three: the sentinel's own count of the others decides the majority.
    expect(replicasToConfirm({ listed: 1, views: [view(true, minority, 3)], attached: [R2], previous: undefined })).toEqual({ count: 2, leftOut: 0, replicas: [R2, R1] });
    // Nor below the count before, when no sentinel answers.
    expect(replicasToConfirm({ listed: 3, views: [], attached: [R2], previous: 2 })).toEqual({ count: 2, leftOut: 0, replicas: [R2] });
  });

  it('the sentinels listed and the most any answering one knows (each sentinel once): the deployment is the larger', () => {
    const listed = [replica(R1, true), replica(R2)];
    // REDIS_URL lists one of three: the count is of three, and the one listed is not a majority.
    const oneOfThree = { listed: 1, views: [view(true, listed, 3)], attached: [R2], previous: undefined };
    expect(sentinelsListed(oneOfThree)).toEqual({ listed: 1, known: 3 });
    expect(replicasToConfirm(oneOfThree)).toEqual({ count: 2, leftOut: 0, replicas: [R2, R1] });
    // Three of five, all answering and all flagging R1 down: a majority of five, so it is left out.
    const threeOfFive = { listed: 3, views: [view(true, listed, 5), view(true, listed, 5), view(true, listed, 4)], attached: [R2], previous: 2 };
    expect(sentinelsListed(threeOfFive)).toEqual({ listed: 3, known: 5 });
    expect(replicasToConfirm(threeOfFive)).toEqual({ count: 1, leftOut: 1, replicas: [R2] });
    // One of the three not answering: two of five is no majority, R1 counts.
    expect(replicasToConfirm({ ...threeOfFive, views: threeOfFive.views.slice(1) })).toEqual({ count: 2, leftOut: 0, replicas: [R2, R1] });
    // None answering: nothing known.
    expect(sentinelsListed({ listed: 3, views: [], attached: [], previous: undefined })).toEqual({ listed: 3, known: 0 });
  });

  it('a sentinel listed twice is one vote (review31: 3 of 5 entries the same sentinel made a minority look like a majority)', () => {
    const listed = [replica(R1, true), replica(R2)];
    const same = view(true, listed, 5, 'one');
    expect(replicasToConfirm({ listed: 5, views: [same, same, same], attached: [R2], previous: 2 })).toEqual({ count: 2, leftOut: 0, replicas: [R2, R1] });
  });

  it('never leaves out a replica Sentinel would promote before every one counted (part31b: back before it resynced, it was promoted without the sends confirmed while it was away)', () => {
    const preferredGone = [replica(R1), replica(R2, true, 10)];
    expect(replicasToConfirm({ listed: 3, views: [view(true, preferredGone), view(true, preferredGone), view(true, preferredGone)], attached: [R1], previous: 2 })).toEqual({ count: 2, leftOut: 0, replicas: [R1, R2] });
    // One that Sentinel never promotes (priority 0), or promotes after the counted ones, is left out.
    for (const priority of [0, 100, 150]) {
      const gone = [replica(R1), replica(R2, true, priority)];
      expect(replicasToConfirm({ listed: 3, views: [view(true, gone), view(true, gone), view(true, gone)], attached: [R1], previous: 2 })).toEqual({ count: 1, leftOut: 1, replicas: [R1] });
    }
  });

  it('a replica held down by fewer than a majority still counts', () => {
    const oneSays = [replica(R1, true), replica(R2)];
    const othersSay = [replica(R1), replica(R2)];
    expect(replicasToConfirm({ listed: 3, views: [view(true, oneSays), view(true, othersSay), view(true, othersSay)], attached: [R2], previous: undefined })).toEqual({ count: 2, leftOut: 0, replicas: [R2, R1] });
  });

  it('confirms nothing here when a majority names another primary (a failover, or a partition that left this node writable)', () => {
    const promoteds = [replica(R2), replica(OLD)];
    expect(replicasToConfirm({ listed: 3, views: [view(false, promoteds), view(false, promoteds), view(true, [replica(R1), replica(R2)])], attached: [R1], previous: 2 })).toEqual({ elsewhere: true });
    // One sentinel naming another is not a majority: nothing is left out, all it lists counts.
    expect(replicasToConfirm({ listed: 3, views: [view(false, promoteds), view(true, [replica(R1), replica(R2)])], attached: [R1], previous: 1 })).toEqual({ count: 3, leftOut: 0, replicas: [R1, R2, OLD] });
  });

  it('decides where the primary is as a confirmation that falls short does (primary-moved.ts): by the newest config epoch, then a majority', () => {
    // On the old primary: two sentinels cut off through a failover they voted in still name it (at
    // epoch 0) and hold the promoted node down; the third names the promoted node at epoch 1. Counted
    // by a plain majority, the attached replica met WAIT 1 here, and the newest epoch wins once
    // they meet: every write confirmed meanwhile was lost (review32).
    const stale = [replica(R1), replica(R2, true)];
    expect(replicasToConfirm({ listed: 3, views: [at(view(true, stale), 0), at(view(true, stale), 0), at(view(false, [replica(R1), replica(OLD)]), 1)], attached: [R1], previous: 2 })).toEqual({ elsewhere: true });
    // On the promoted node, the other way round: the newest names it; the stale majority does not move it.
    const newest = [replica(R1), replica(OLD, true)];
    expect(replicasToConfirm({ listed: 3, views: [at(view(false, stale), 0), at(view(false, stale), 0), at(view(true, newest), 1)], attached: [R1], previous: 1 })).not.toEqual({ elsewhere: true });
  });

  it('leaves a replica out only on the newest configuration\'s word, never on votes at an older epoch (review32b)', () => {
    // The newest sentinel (epoch 2) sees R2 up; two at epoch 0 hold it down: R2 counts.
    const stale = [replica(R1), replica(R2, true)];
    const newest = [replica(R1), replica(R2)];
    expect(replicasToConfirm({ listed: 3, views: [at(view(true, stale), 0), at(view(true, stale), 0), at(view(true, newest), 2)], attached: [R1], previous: 2 })).toEqual({ count: 2, leftOut: 0, replicas: [R1, R2] });
    // The newest names a host not resolved here: the older ones do not decide alone what is left out.
    expect(replicasToConfirm({ listed: 3, views: [at(view(true, stale), 0), at(view(true, stale), 0), at(view(undefined, newest), 1)], attached: [R1], previous: 2 })).toEqual({ count: 2, leftOut: 0, replicas: [R1, R2] });
  });

  it("counts a replica attached that the sentinels have not found yet", () => {
    expect(replicasToConfirm({ listed: 3, views: [view(true, [replica(R1)]), view(true, [replica(R1)])], attached: [R1, R2], previous: 1 })).toEqual({ count: 2, leftOut: 0, replicas: [R1, R2] });
  });

  it('is 0 with no replica up: nothing can confirm a write', () => {
    const gone = [replica(R1, true)];
    expect(replicasToConfirm({ listed: 3, views: [view(true, gone), view(true, gone), view(true, gone)], attached: [], previous: 1 })).toEqual({ count: 0, leftOut: 1, replicas: [] });
    expect(replicasToConfirm({ listed: 3, views: [], attached: [], previous: undefined })).toEqual({ count: 0, leftOut: 0, replicas: [] });
  });

  it("reads the primary's attached replicas from INFO replication", () => {
    const info = '# Replication\r\nrole:master\r\nconnected_slaves:2\r\nslave0:ip=10.0.0.2,port=6379,state=online,offset=100,lag=0\r\nslave1:ip=10.0.0.3,port=6380,state=wait_bgsave,offset=0,lag=0\r\nmaster_repl_offset:100\r\n';
    expect(attachedReplicas(info)).toEqual(['10.0.0.2:6379', '10.0.0.3:6380']);
  });
});

describe('SMSQ_DURABILITY_REPLICAS=all: the node the connection is on, listed as a replica by a sentinel that missed its promotion', () => {
  const on = { address: '10.0.0.2', port: 6379 };
  const THIS_RUN = 'a'.repeat(40);
  // Sentinels that announce host names; the resolver is out (a DNS outage): no name resolves.
  const dnsDown = async () => undefined;
  const named = (address: string, runId?: string): ListedReplica => ({ ...replica(address), runId });

  it('is told by its run id when its host name does not resolve: it can never confirm to itself', async () => {
    const listed = [named('p.example:6379', THIS_RUN), named('r.example:6379', 'b'.repeat(40))];
    expect(await notThisNode(listed, on, THIS_RUN, dnsDown)).toEqual([listed[1]]);
    // Counted, it asked every call for a replica that does not exist: the stale sentinel's list
    // counts where no majority names this node (every name unresolved), and WAIT 2 never met.
    const views = [view(undefined, await notThisNode(listed, on, THIS_RUN, dnsDown))];
    expect(replicasToConfirm({ listed: 3, views, attached: ['r.example:6379'], previous: 1 })).toEqual({ count: 1, leftOut: 0, replicas: ['r.example:6379'] });
  });

  it('a name that does not resolve and is not its run id stays counted: it may be a replica cut off from the primary that the sentinels could promote', async () => {
    const listed = [named('r.example:6379', 'b'.repeat(40)), named('q.example:6379'), named('s.example:6379', '')];
    expect(await notThisNode(listed, on, THIS_RUN, dnsDown)).toEqual(listed);
    // Nor is anything dropped when this node's run id is unknown (INFO without it).
    expect(await notThisNode([named('p.example:6379', '')], on, undefined, dnsDown)).toHaveLength(1);
  });

  it('by address as before, when the name resolves to the link', async () => {
    const resolves = async (host: string) => host === 'p.example';
    expect(await notThisNode([named('p.example:6379'), named('r.example:6379')], on, THIS_RUN, resolves)).toEqual([named('r.example:6379')]);
  });
});
