import { describe, expect, it } from 'vitest';
import { replicasToConfirm, type SentinelView } from '../../src/durability/replica-count.js';

const replica = (address: string, down = false) => ({ address, priority: 100, down });
/** A sentinel naming the node the connection is on (or not), knowing `known` sentinels in all. */
const view = (namesNode: boolean | undefined, replicas: SentinelView['replicas'], known = 3): SentinelView => ({ namesNode, sentinelsKnown: known, replicas });

describe('SMSQ_DURABILITY_REPLICAS=all: the replicas a confirmation counts', () => {
  it('leaves out the old primary once a majority of the sentinels flag it down (its host died, a replica was promoted)', () => {
    const replicas = [replica('10.0.0.3:6379'), replica('10.0.0.1:6379', true)];
    expect(replicasToConfirm({ listed: 3, views: [view(true, replicas), view(true, replicas), view(true, replicas)], connectedReplicas: 1, previous: 2 })).toBe(1);
    // Two of three are a majority: the third sentinel unreachable changes nothing.
    expect(replicasToConfirm({ listed: 3, views: [view(true, replicas), view(true, replicas)], connectedReplicas: 1, previous: 2 })).toBe(1);
  });

  it('counts every replica listed when only a minority answers, however they are flagged (the old primary partitioned with one replica and one sentinel)', () => {
    const minority = [replica('10.0.0.2:6379', true), replica('10.0.0.3:6379')];
    expect(replicasToConfirm({ listed: 3, views: [view(true, minority)], connectedReplicas: 1, previous: 2 })).toBe(2);
    // A connection listing one sentinel of three: the sentinel's own count of the others decides the majority.
    expect(replicasToConfirm({ listed: 1, views: [view(true, minority, 3)], connectedReplicas: 1, previous: undefined })).toBe(2);
  });

  it('a replica flagged down by fewer than a majority still counts', () => {
    const oneSays = [replica('a:1', true), replica('b:1')];
    const othersSay = [replica('a:1'), replica('b:1')];
    expect(replicasToConfirm({ listed: 3, views: [view(true, oneSays), view(true, othersSay), view(true, othersSay)], connectedReplicas: 1, previous: undefined })).toBe(2);
  });

  it('never falls below the count before while the majority names another primary (a manual failover under way)', () => {
    const promotedsReplicas = [replica('10.0.0.3:6379'), replica('10.0.0.1:6379')];
    expect(replicasToConfirm({ listed: 3, views: [view(false, promotedsReplicas), view(false, promotedsReplicas), view(false, promotedsReplicas)], connectedReplicas: 1, previous: 2 })).toBe(2);
    // Nor when no sentinel answers.
    expect(replicasToConfirm({ listed: 3, views: [], connectedReplicas: 1, previous: 2 })).toBe(2);
  });

  it("takes the primary's connected_slaves when it counts more (a replica the sentinels have not found yet)", () => {
    expect(replicasToConfirm({ listed: 3, views: [view(true, [replica('a:1')]), view(true, [replica('a:1')])], connectedReplicas: 2, previous: 1 })).toBe(2);
  });

  it('is 0 with no replica up: nothing can confirm a write', () => {
    const gone = [replica('a:1', true)];
    expect(replicasToConfirm({ listed: 3, views: [view(true, gone), view(true, gone), view(true, gone)], connectedReplicas: 0, previous: 1 })).toBe(0);
    expect(replicasToConfirm({ listed: 3, views: [], connectedReplicas: 0, previous: undefined })).toBe(0);
  });
});
