import { describe, expect, it } from 'vitest';
import { DEFAULT_DURABILITY, judgeDurability, type DurabilityOptions, type RedisDurabilityFacts } from '../../src/durability/mode.js';
import { judgeLeftWritable, judgePromotion, type SentinelReplica } from '../../src/durability/promotion.js';
import { inEnvironmentTerms } from '../../src/setting-mention.js';

const at = (port: number, priority: number, down = false): SentinelReplica => ({ address: `10.0.0.${port % 10}:${port}`, priority, down });
const judged = (waitFor: number, ...replicas: SentinelReplica[]) => judgePromotion('replicas', waitFor, { replicas });

describe('judgePromotion: whether the replicas confirming a WAIT include the one Sentinel promotes', () => {
  it('refuses WAIT n when n replicas Sentinel never promotes (replica-priority 0) could answer it, naming them and raising n past them', () => {
    // The deployment that lost 5 of 5 confirmed sends: a lagging promotable replica and a priority-0 backup.
    const problem = judged(1, at(6380, 100), at(6381, 0));
    expect(problem?.severity).toBe('refuse');
    // As `smsq` and `smsq server` say it; a Node caller reads its options (`durability.mode`, `durability.replicas`).
    expect(problem?.what).toMatch(/^`durability\.mode: "replicas"` waits for 1 replica\(s\)/);
    expect(problem?.fix).toMatch(/^`durability\.replicas: 2`, so that/);
    expect(inEnvironmentTerms(problem?.what ?? '')).toBe(
      'SMSQ_DURABILITY=replicas waits for 1 replica(s), and 1 of the replicas the sentinels list may answer without the one they would promote (10.0.0.0:6380 (replica-priority 100), 10.0.0.1:6381 (replica-priority 0)): Sentinel never promotes replica-priority 0 and takes the lowest other priority before it looks at which replica has the most, so a failover may promote a replica lacking sends the others confirmed',
    );
    expect(inEnvironmentTerms(problem?.fix ?? '')).toBe('SMSQ_DURABILITY_REPLICAS=2, so that every confirmation includes a replica Sentinel promotes first, or give the replicas one non-zero replica-priority (CONFIG SET replica-priority 100 on each, and in redis.conf)');
    expect(judged(2, at(6380, 100), at(6381, 0))).toBeUndefined();
    expect(judged(2, at(6380, 100), at(6381, 0), at(6382, 0))?.fix).toMatch(/^`durability\.replicas: 3`,/);
  });

  it('refuses when the promotable replicas differ in priority: Sentinel takes the lowest before the most up to date', () => {
    expect(judged(1, at(6380, 10), at(6381, 100))?.what).toContain('10.0.0.0:6380 (replica-priority 10), 10.0.0.1:6381 (replica-priority 100)');
    expect(judged(2, at(6380, 10), at(6381, 100))).toBeUndefined();
    // Two in the first group: any two of three include one of them.
    expect(judged(1, at(6380, 10), at(6381, 10), at(6382, 100))?.fix).toMatch(/^`durability\.replicas: 2`,/);
    expect(judged(2, at(6380, 10), at(6381, 10), at(6382, 100))).toBeUndefined();
  });

  it('accepts replicas sharing one non-zero priority, whatever n', () => {
    expect(judged(1, at(6380, 100))).toBeUndefined();
    expect(judged(1, at(6380, 100), at(6381, 100))).toBeUndefined();
    expect(judged(1, at(6380, 5), at(6381, 5), at(6382, 5))).toBeUndefined();
    expect(judged(1)).toBeUndefined();
    // waitaof's WAITAOF 1 0 waits for no replica at all.
    expect(judgePromotion('waitaof', 0, { replicas: [at(6380, 100), at(6381, 0)] })).toBeUndefined();
  });

  it('offers only the priority fix when Sentinel would promote none of them', () => {
    expect(judged(1, at(6380, 0))?.fix).toBe('give the replicas one non-zero replica-priority (CONFIG SET replica-priority 100 on each, and in redis.conf)');
  });

  it('warns, naming the sentinels that failed, when none answered', () => {
    expect(judgePromotion('replicas', 1, { unanswered: '127.0.0.1:26379: connect ECONNREFUSED' })).toEqual({
      severity: 'warn',
      what: expect.stringContaining('no sentinel answered SENTINEL REPLICAS (127.0.0.1:26379: connect ECONNREFUSED)'),
      fix: expect.stringContaining('let smsq reach a sentinel'),
    });
  });

  it('raises n to every replica up when the count a writable old primary needs is larger', () => {
    expect(judgePromotion('replicas', 1, { replicas: [at(6380, 100), at(6381, 0), at(6382, 100)] }, 3)?.fix).toMatch(/^`durability\.replicas: 3`,/);
  });

  it('is judged in the three modes that wait for replicas, not in fsync or none', () => {
    const facts: RedisDurabilityFacts = {
      version: '7.2.4', runId: 'r', role: 'master', aofEnabled: true, appendfsync: 'always', noFsyncDuringSaves: false, connectedReplicas: 2, maxmemoryPolicy: 'noeviction',
      promotion: { replicas: [at(6380, 100), at(6381, 0)] },
    };
    const refusedIn = (mode: DurabilityOptions['mode']) => judgeDurability({ ...DEFAULT_DURABILITY, mode }, facts).some((p) => p.severity === 'refuse' && p.what.includes('replica-priority 0'));
    expect((['replicas', 'fsync+replicas', 'waitaof'] as const).map(refusedIn)).toEqual([true, true, true]);
    expect((['fsync', 'none'] as const).map(refusedIn)).toEqual([false, false]);
  });
});

describe('judgeLeftWritable: a failover that leaves the old primary writable with replicas still attached', () => {
  const left = (waitFor: number, replicas: SentinelReplica[], connected = replicas.filter((r) => !r.down).length) => judgeLeftWritable('fsync+replicas', waitFor, { replicas }, connected);

  it('refuses WAIT n below the replicas up, naming them, why, and the count that holds', () => {
    const problem = left(1, [at(6380, 100), at(6381, 100)]);
    expect(problem?.severity).toBe('refuse');
    expect(inEnvironmentTerms(problem?.what ?? '')).toBe(
      'SMSQ_DURABILITY=fsync+replicas waits for 1 replica(s), and 2 replicas are up (the sentinels list 10.0.0.0:6380, 10.0.0.1:6381): a manual SENTINEL FAILOVER, or a network partition that leaves the old primary with some of its replicas, leaves the old primary writable with the replicas not promoted, and writes they confirm are lost when Sentinel points them at the promoted replica',
    );
    expect(inEnvironmentTerms(problem?.fix ?? '')).toBe('SMSQ_DURABILITY_REPLICAS=2, so that every confirmation includes the replica Sentinel promotes (a replica down then holds every call until it is back), or SMSQ_DURABILITY_REPLICAS=all (every replica up, one that a majority of the sentinels flag down left out)');
    expect(left(2, [at(6380, 100), at(6381, 100)])).toBeUndefined();
    expect(left(1, [at(6380, 100)])).toBeUndefined();
    expect(left(2, [at(6380, 100), at(6381, 100), at(6382, 0)])?.fix).toMatch(/^`durability\.replicas: 3`,/);
  });

  it('does not count a replica the sentinels flag down, which Sentinel lists until SENTINEL RESET', () => {
    // The old primary of a failover that killed it, listed as a replica of the new one.
    expect(left(1, [at(6380, 100), at(6381, 100, true)])).toBeUndefined();
    expect(left(1, [at(6380, 100), at(6381, 100, true), at(6382, 100)])?.what).toContain('2 replicas are up (the sentinels list 10.0.0.0:6380, 10.0.0.2:6382)');
  });

  it('counts the primary\'s connected replicas when the sentinels list fewer, or could not be asked', () => {
    expect(left(1, [at(6380, 100), at(6381, 100, true)], 2)?.what).toContain('2 replicas are up (the sentinels list 10.0.0.0:6380, and the primary has 2 connected (INFO connected_slaves:2))');
    expect(judgeLeftWritable('replicas', 1, { unanswered: 'no answer' }, 2)?.fix).toMatch(/^`durability\.replicas: 2`,/);
    expect(judgeLeftWritable('replicas', 1, { unanswered: 'no answer' }, 1)).toBeUndefined();
  });

  it('leaves a count of 0 to the refusal of a WAIT for no replica under Sentinel', () => {
    expect(judgeLeftWritable('waitaof', 0, { replicas: [at(6380, 100), at(6381, 100)] }, 2)).toBeUndefined();
  });

  it('is judged only through Sentinel, in the modes that wait for replicas', () => {
    const facts: RedisDurabilityFacts = {
      version: '7.2.4', runId: 'r', role: 'master', aofEnabled: true, appendfsync: 'always', noFsyncDuringSaves: false, connectedReplicas: 2, maxmemoryPolicy: 'noeviction',
      promotion: { replicas: [at(6380, 100), at(6381, 100)] },
    };
    const refusedIn = (mode: DurabilityOptions['mode'], f: RedisDurabilityFacts) => judgeDurability({ ...DEFAULT_DURABILITY, mode }, f).some((p) => p.severity === 'refuse' && p.what.includes('SENTINEL FAILOVER'));
    expect((['replicas', 'fsync+replicas', 'waitaof'] as const).map((m) => refusedIn(m, { ...facts, failover: 'sentinel' }))).toEqual([true, true, true]);
    expect(refusedIn('fsync+replicas', { ...facts, promotion: undefined })).toBe(false);
    expect(judgeDurability({ mode: 'fsync+replicas', replicas: 2 }, { ...facts, failover: 'sentinel' })).toEqual([]);
  });
});
