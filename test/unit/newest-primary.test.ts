import { describe, expect, it } from 'vitest';
import { namedElsewhere, newestNaming, type PrimaryNamed } from '../../src/durability/newest-primary.js';

let ids = 0;
/** A sentinel naming the connection's node (true), another (false), or a host not resolved here (undefined), at `epoch`. */
const said = (namesNode: boolean | undefined, epoch = 0, known = 3, id = `s${++ids}`): PrimaryNamed => ({ id, namesNode, configEpoch: BigInt(epoch), sentinelsKnown: known });

describe('whether the sentinels, together, name another primary than the connection is on', () => {
  it('the newest epoch wins: the first sentinel cut off through a failover names the old primary at an older one', () => {
    expect(namedElsewhere(3, [said(true, 0), said(false, 1), said(false, 1)])).toBe(true);
    // Alone among those that answer with the newest, it is heard alone too.
    expect(namedElsewhere(3, [said(true, 0), said(false, 1)])).toBe(true);
    // And the other way round: the sentinels at an older epoch name another node, the newest names this one.
    expect(namedElsewhere(3, [said(false, 4), said(false, 4), said(true, 5)])).toBe(false);
  });

  it('epochs beyond 2^53 are compared exactly', () => {
    expect(namedElsewhere(3, [said(true, 0), { ...said(false), configEpoch: 9007199254740993n }, { ...said(true), configEpoch: 9007199254740992n }])).toBe(true);
  });

  it('among equal epochs, a majority of the deployment naming another node moves it, fewer do not', () => {
    expect(namedElsewhere(3, [said(true), said(false), said(false)])).toBe(true);
    expect(namedElsewhere(3, [said(true), said(true), said(false)])).toBe(false);
    // One of three unreachable: one against one is no majority.
    expect(namedElsewhere(3, [said(true), said(false)])).toBe(false);
    // A tie of four: two of four is no majority (three are).
    expect(namedElsewhere(4, [said(true), said(true), said(false), said(false)])).toBe(false);
    // Fewer listed than the deployment has: its size is the sentinels' own count.
    expect(namedElsewhere(2, [said(true, 0, 5), said(false, 0, 5)])).toBe(false);
  });

  it('a sentinel listed twice is one voice', () => {
    expect(namedElsewhere(3, [said(true, 0, 3, 'a'), said(false, 0, 3, 'b'), said(false, 0, 3, 'b')])).toBe(false);
  });

  it('one sentinel answering alone, naming another node, moves it, as its answer did before', () => {
    expect(namedElsewhere(3, [said(false)])).toBe(true);
    expect(namedElsewhere(3, [said(false, 2)])).toBe(true);
  });

  it('stays when nothing names another node: none answered, every one names this node, or a host not resolved here', () => {
    expect(namedElsewhere(3, [])).toBe(false);
    expect(namedElsewhere(3, [said(true), said(true, 0), said(true)])).toBe(false);
    expect(namedElsewhere(3, [said(undefined, 1), said(true, 0)])).toBe(false);
    // A host not resolved here is neither side: the others decide.
    expect(namedElsewhere(3, [said(undefined, 1), said(false, 1)])).toBe(true);
  });
});

describe('which sentinel describes the deployment (its replicas, its quorum)', () => {
  it('one of the newest epoch, the first naming the connection\'s node: not the first listed, cut off at an older epoch', () => {
    const stale = said(true, 0);
    const [far, near] = [said(undefined, 1), said(true, 1)];
    expect(newestNaming([stale, far, near])).toBe(near);
    // The connection on the old primary: the newest configuration describes the promoted one.
    const promoted = said(false, 1);
    expect(newestNaming([stale, promoted])).toBe(promoted);
    // Equal epochs: the first naming this node.
    const [a, b] = [said(false), said(true)];
    expect(newestNaming([a, b])).toBe(b);
  });

  it('none answered: none', () => {
    expect(newestNaming([])).toBeUndefined();
  });
});
