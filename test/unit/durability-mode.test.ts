import { describe, expect, it } from 'vitest';
import { DEFAULT_DURABILITY, judgeDurability, resolveDurability, type DurabilityOptions, type RedisDurabilityFacts } from '../../src/durability/mode.js';
import { parseInfo } from '../../src/durability/probe.js';
import { inEnvironmentTerms } from '../../src/setting-mention.js';
import { createClaimJournal } from '../../workers/claim-journal.js';
import { isOutIdOf, parseOutId } from '../../src/queue/out-id.js';

const SOUND: RedisDurabilityFacts = {
  version: '7.0.15',
  runId: 'r1',
  role: 'master',
  aofEnabled: true,
  appendfsync: 'always',
  noFsyncDuringSaves: false,
  connectedReplicas: 0,
  maxmemoryPolicy: 'noeviction',
};
const mode = (m: DurabilityOptions['mode'], replicas: number | 'all' = 1): DurabilityOptions => ({ ...DEFAULT_DURABILITY, mode: m, replicas });
const refused = (opts: DurabilityOptions, facts: Partial<RedisDurabilityFacts>) =>
  judgeDurability(opts, { ...SOUND, ...facts }).filter((p) => p.severity === 'refuse').map((p) => p.what);

describe('the durability option, per mode', () => {
  it('takes the mode alone where nothing waits on a replica (replicas and timeoutMs were required for every mode), and defaults them where something does', () => {
    const none: DurabilityOptions = { mode: 'none' };
    expect(resolveDurability(none)).toEqual({ mode: 'none', replicas: 1, timeoutMs: 1000 });
    expect(resolveDurability({ mode: 'waitaof', replicas: 2 })).toEqual({ mode: 'waitaof', replicas: 2, timeoutMs: 1000 });
    // @ts-expect-error fsync waits on no replica: a replica count there would be read as meaning something
    const fsyncWithReplicas: DurabilityOptions = { mode: 'fsync', replicas: 2 };
    expect(resolveDurability(fsyncWithReplicas).mode).toBe('fsync');
    // The default count is what a check judges by (it read `undefined` and let it pass).
    expect(refused({ mode: 'replicas' }, { connectedReplicas: 0 })).toEqual([expect.stringContaining('`durability.mode: "replicas"` waits for 1')]);
  });
});

describe('durability modes against what Redis offers', () => {
  it('fsync (the default) holds on AOF with appendfsync always and noeviction, and only there', () => {
    expect(DEFAULT_DURABILITY.mode).toBe('fsync');
    expect(judgeDurability(DEFAULT_DURABILITY, SOUND)).toEqual([]);
    expect(refused(DEFAULT_DURABILITY, { appendfsync: 'everysec' })).toEqual([expect.stringContaining('appendfsync is everysec')]);
    expect(refused(DEFAULT_DURABILITY, { aofEnabled: false })).toEqual([expect.stringContaining('appendonly is off')]);
    // The refusal names the mode once, at its start (RedisNotDurableError), not again in each problem.
    expect(refused(DEFAULT_DURABILITY, { aofEnabled: false })[0]).not.toContain('SMSQ_DURABILITY');
    expect(refused(DEFAULT_DURABILITY, { maxmemoryPolicy: 'allkeys-lru' })).toEqual([expect.stringContaining('maxmemory-policy is allkeys-lru')]);
    expect(refused(DEFAULT_DURABILITY, { role: 'slave' })).toEqual([expect.stringContaining('not a primary')]);
  });

  it('a Redis that refuses CONFIG (managed) is warned about, not refused', () => {
    const problems = judgeDurability(DEFAULT_DURABILITY, { ...SOUND, appendfsync: undefined, noFsyncDuringSaves: undefined });
    expect(problems).toEqual([expect.objectContaining({ severity: 'warn', what: expect.stringContaining('CONFIG GET appendfsync is refused') })]);
  });

  it('a Redis that does not fsync while it saves in the background is refused where a reply must mean "on disk"; waitaof is warned (it waits the save out)', () => {
    const onRewrite = { noFsyncDuringSaves: true };
    expect(refused(DEFAULT_DURABILITY, onRewrite)).toEqual([expect.stringMatching(/^no-appendfsync-on-rewrite is yes: while Redis saves in the background .* a host crash then loses acknowledged writes/)]);
    expect(refused(mode('fsync+replicas'), { ...onRewrite, connectedReplicas: 1 })).toEqual([expect.stringContaining('no-appendfsync-on-rewrite is yes')]);
    expect(judgeDurability(DEFAULT_DURABILITY, { ...SOUND, ...onRewrite })[0]?.fix).toMatch(/^CONFIG SET no-appendfsync-on-rewrite no/);
    // WAIT alone does not read the primary's disk at all.
    expect(judgeDurability(mode('replicas'), { ...SOUND, ...onRewrite, connectedReplicas: 1 })).toEqual([]);
    const waitaof = judgeDurability(mode('waitaof', 0), { ...SOUND, ...onRewrite, version: '7.2.4' });
    expect(waitaof).toEqual([expect.objectContaining({ severity: 'warn', what: expect.stringContaining('WAITAOF waits until the save ends') })]);
    expect(judgeDurability(mode('none'), { ...SOUND, ...onRewrite }).every((p) => p.severity === 'warn')).toBe(true);
  });

  it('replicas needs connected replicas and an AOF on the primary, not appendfsync always', () => {
    expect(refused(mode('replicas'), { appendfsync: 'everysec', connectedReplicas: 1 })).toEqual([]);
    // A primary restarted without one comes back empty, and its replicas copy it (replicas-primary-restart.test.ts).
    expect(refused(mode('replicas'), { aofEnabled: false, connectedReplicas: 1 })).toEqual([expect.stringMatching(/^appendonly is off on the primary: restarted before a failover .* its replicas copy the empty dataset/)]);
    expect(refused(mode('replicas', 2), { connectedReplicas: 1 })).toEqual([expect.stringContaining('1 replica(s) connected')]);
    expect(refused(mode('fsync+replicas'), { appendfsync: 'everysec', connectedReplicas: 1 })).toEqual([expect.stringContaining('appendfsync is everysec')]);
  });

  it('replicas warns (does not refuse) when the primary may not fsync each write: restarted before a failover it lost 4 of 5 confirmed sends', () => {
    const hazard = /^appendfsync is everysec on the primary: if it is restarted before Sentinel fails over .* sends the replicas confirmed may be lost$/;
    const twoFixes = /^`durability\.mode: "fsync\+replicas"` \(appendfsync always on the primary\), or no automatic restart of the primary \(or a restart delay longer than Sentinel's down-after-milliseconds\)$/;
    expect(judgeDurability(mode('replicas'), { ...SOUND, appendfsync: 'everysec', connectedReplicas: 1 })).toEqual([{ severity: 'warn', what: expect.stringMatching(hazard), fix: expect.stringMatching(twoFixes) }]);
    expect(judgeDurability(mode('replicas'), { ...SOUND, appendfsync: 'no', connectedReplicas: 1 })).toEqual([expect.objectContaining({ severity: 'warn', what: expect.stringContaining('appendfsync is no on the primary') })]);
    expect(judgeDurability(mode('replicas'), { ...SOUND, appendfsync: undefined, connectedReplicas: 1 })).toEqual([expect.objectContaining({ severity: 'warn', what: expect.stringMatching(/^CONFIG GET appendfsync is refused here, so smsq cannot check that the primary fsyncs every write: if it is restarted/) })]);
    expect(judgeDurability(mode('replicas'), { ...SOUND, connectedReplicas: 1 })).toEqual([]);
    // Its own mode fsyncs every write: refused rather than warned when it cannot.
    expect(judgeDurability(mode('fsync+replicas'), { ...SOUND, connectedReplicas: 1 })).toEqual([]);
  });

  it('waitaof needs Redis 7.2 and AOF', () => {
    expect(refused(mode('waitaof', 0), {})).toEqual([expect.stringContaining('WAITAOF needs Redis 7.2')]);
    expect(refused(mode('waitaof', 0), { version: '7.2.4' })).toEqual([]);
    expect(refused(mode('waitaof', 0), { version: '7.2.4', aofEnabled: false })).toEqual([expect.stringContaining('appendonly is off')]);
    // WAITAOF's local count is not trusted under everysec (test/integration/durability-waitaof.test.ts shows why).
    expect(refused(mode('waitaof', 0), { version: '7.2.4', appendfsync: 'everysec' })).toEqual([expect.stringMatching(/appendfsync is everysec: under it, WAITAOF may answer .*before the fsync/)]);
    // Where CONFIG is refused it cannot be checked: refused, not only warned.
    expect(refused(mode('waitaof', 0), { version: '7.2.4', appendfsync: undefined })).toEqual([expect.stringContaining('can be trusted only with appendfsync always')]);
  });

  it('fsync is refused where a failover promotes a replica on its own (Sentinel, a Cluster master with replicas), and said loudly on a plain primary with replicas: the replica may lack the last acknowledged writes', () => {
    const failover = /promoted replica may lack the last writes this (primary|master) acknowledged: acknowledged sends vanish, and SMS claimed in the meantime are sent again/;
    expect(refused(mode('fsync'), { failover: 'sentinel', connectedReplicas: 1 })).toEqual([expect.stringMatching(/^smsq reaches Redis through Sentinel, which fails over on its own: .*/)]);
    expect(refused(mode('fsync'), { failover: 'sentinel', connectedReplicas: 1 })[0]).toMatch(failover);
    // Sentinel may promote a replica that is disconnected now: refused whatever connected_slaves says.
    expect(refused(mode('fsync'), { failover: 'sentinel', connectedReplicas: 0 })).toHaveLength(1);
    expect(refused(mode('fsync'), { failover: 'cluster', connectedReplicas: 1 })).toEqual([expect.stringMatching(/^this Redis Cluster master has 1 replica\(s\) \(connected_slaves:1\), which the Cluster promotes on its own/)]);
    // A Cluster master without a replica has nothing to fail over to: a restart keeps its fsynced AOF.
    expect(judgeDurability(mode('fsync'), { ...SOUND, failover: 'cluster' })).toEqual([]);
    const plain = judgeDurability(mode('fsync'), { ...SOUND, connectedReplicas: 2 });
    expect(plain).toEqual([{ severity: 'warn', what: expect.stringMatching(failover), fix: expect.stringMatching(/^`durability\.mode: "fsync\+replicas"`, which also waits for `durability\.replicas` \(default 1; 2 connected now\)/) }]);
    expect(plain[0]?.what).toMatch(/^this Redis primary has 2 replica\(s\) connected \(INFO replication connected_slaves:2\)/);
    expect(judgeDurability(mode('fsync'), SOUND)).toEqual([]);
    // The modes that wait for a replica carry each acknowledged write to it.
    for (const m of ['fsync+replicas', 'replicas'] as const) expect(refused(mode(m), { failover: 'sentinel', connectedReplicas: 1 })).toEqual([]);
    expect(refused(mode('fsync+replicas'), { failover: 'cluster', connectedReplicas: 1 })).toEqual([]);
    // Unless told to wait for none (the Node API's replicas: 0; the environment refuses it): then as fsync.
    expect(refused(mode('fsync+replicas', 0), { failover: 'sentinel', connectedReplicas: 1 })).toEqual([
      expect.stringMatching(/^smsq reaches Redis through Sentinel, which fails over on its own: `durability\.mode: "fsync\+replicas"` with `durability\.replicas: 0` puts each write/),
    ]);
  });

  it('replicas "all" is judged as the count it stands for now, and only through Sentinel', () => {
    const said = (opts: DurabilityOptions, facts: Partial<RedisDurabilityFacts>) => judgeDurability(opts, { ...SOUND, ...facts }).map((p) => `${p.what}. Fix: ${p.fix}`);
    const all = mode('fsync+replicas', 'all');
    expect(refused(all, { failover: 'sentinel', connectedReplicas: 2, replicasToConfirm: { count: 2, leftOut: 0, replicas: ['10.0.0.1:6379', '10.0.0.2:6379'] } })).toEqual([]);
    // Never refused as below the replicas up (it counts them), where a number is.
    const promotion = { replicas: [1, 2, 3].map((i) => ({ address: `10.0.0.${i}:6379`, priority: 100, down: false })) };
    expect(refused(all, { failover: 'sentinel', connectedReplicas: 3, replicasToConfirm: { count: 3, leftOut: 0, replicas: ['10.0.0.1:6379', '10.0.0.2:6379', '10.0.0.3:6379'] }, promotion })).toEqual([]);
    expect(refused(mode('fsync+replicas', 1), { failover: 'sentinel', connectedReplicas: 3, promotion })).toEqual([expect.stringMatching(/waits for 1 replica\(s\), and 3 replicas are up/)]);
    expect(said(all, { failover: undefined, connectedReplicas: 2 })).toEqual([
      '`durability.replicas: "all"` counts the replicas up as a majority of the sentinels sees them, and smsq does not reach this Redis through Sentinel. Fix: give `redis` as a redis+sentinel:// URL, or a number: `durability.replicas: 2` (the replicas connected now, INFO connected_slaves:2)',
    ]);
    expect(said(all, { failover: 'sentinel', connectedReplicas: 0, replicasToConfirm: { count: 0, leftOut: 0, replicas: [] } }).map(inEnvironmentTerms)).toEqual([
      'no replica is up to confirm a write (SMSQ_DURABILITY=fsync+replicas with SMSQ_DURABILITY_REPLICAS=all; INFO connected_slaves:0, and the sentinels list none up). Fix: bring a replica back (REPLICAOF the primary); calls wait meanwhile',
    ]);
    // REDIS_URL listing fewer sentinels than the deployment has: warned (the count stands), with both numbers.
    const counted = { count: 2, leftOut: 0, replicas: ['10.0.0.1:6379', '10.0.0.2:6379'] };
    const fewerListed = judgeDurability(all, { ...SOUND, failover: 'sentinel', connectedReplicas: 2, replicasToConfirm: { ...counted, sentinels: { listed: 1, known: 3 } } });
    expect(fewerListed.map((p) => p.severity)).toEqual(['warn']);
    expect(fewerListed[0]?.what).toMatch(/^`redis` lists 1 sentinel\(s\), and the deployment has 3 /);
    expect(judgeDurability(all, { ...SOUND, failover: 'sentinel', connectedReplicas: 2, replicasToConfirm: { ...counted, sentinels: { listed: 3, known: 3 } } })).toEqual([]);
    // A replica listed up, not attached (resyncing, or down and not yet flagged by a majority): held, with why and how long.
    expect(refused(all, { failover: 'sentinel', connectedReplicas: 1, replicasToConfirm: { count: 2, leftOut: 0, replicas: ['10.0.0.1:6379', '10.0.0.2:6379'] } })).toEqual([
      expect.stringMatching(/^2 replica\(s\) are up as the sentinels list them, but 1 connected to the primary .* until a majority of the sentinels flag the others down/),
    ]);
  });

  it('none starts anywhere but says loudly what it risks', () => {
    const problems = judgeDurability(mode('none'), { ...SOUND, aofEnabled: false, appendfsync: 'everysec', maxmemoryPolicy: 'allkeys-lru' });
    expect(problems.every((p) => p.severity === 'warn')).toBe(true);
    expect(problems.map((p) => p.what).join('\n')).toMatch(/SMS twice/);
  });

  it('parses INFO', () => {
    const info = parseInfo('# Server\r\nredis_version:7.0.15\r\nrun_id:abc\r\n# Persistence\r\naof_enabled:1\r\n');
    expect(info.get('redis_version')).toBe('7.0.15');
    expect(info.get('aof_enabled')).toBe('1');
  });
});

describe('the problems in each caller\'s words', () => {
  const said = (opts: DurabilityOptions, facts: Partial<RedisDurabilityFacts>) => judgeDurability(opts, { ...SOUND, ...facts }).map((p) => `${p.what}. Fix: ${p.fix}`);
  it('name the option to a Node caller (it was told SMSQ_DURABILITY, which it never reads), and the environment the variables as smsq always said them', () => {
    const cases: [DurabilityOptions, Partial<RedisDurabilityFacts>, string][] = [
      [mode('none'), {}, 'SMSQ_DURABILITY=none: a host crash or a failover may lose the last writes; a recipient may then get an SMS twice and an acknowledged send may vanish. Fix: use SMSQ_DURABILITY=fsync (appendfsync always) or replicas (WAIT) in production'],
      [mode('fsync'), { appendfsync: 'everysec' }, 'appendfsync is everysec: a host crash loses up to a second of acknowledged writes (SMSQ_DURABILITY=fsync needs always). Fix: CONFIG SET appendfsync always (and in redis.conf), or SMSQ_DURABILITY=replicas with replicas'],
      [mode('replicas', 2), { connectedReplicas: 1 }, '1 replica(s) connected, but SMSQ_DURABILITY=replicas waits for 2: every write would time out. Fix: connect 2 replica(s), or lower SMSQ_DURABILITY_REPLICAS'],
      [mode('waitaof'), { appendfsync: undefined, connectedReplicas: 1, version: '7.2.4' }, 'CONFIG GET appendfsync is refused here, and SMSQ_DURABILITY=waitaof can be trusted only with appendfsync always (under everysec WAITAOF may answer before the fsync). Fix: use SMSQ_DURABILITY=fsync if your provider runs appendfsync always, or replicas (WAIT), which smsq can check'],
      [
        mode('fsync'),
        { failover: 'sentinel', connectedReplicas: 1 },
        "smsq reaches Redis through Sentinel, which fails over on its own: SMSQ_DURABILITY=fsync puts each write on the primary's disk, not on a replica, and replication is asynchronous, so the promoted replica may lack the last writes this primary acknowledged: acknowledged sends vanish, and SMS claimed in the meantime are sent again. Fix: SMSQ_DURABILITY=fsync+replicas, which also waits for SMSQ_DURABILITY_REPLICAS (default 1; 1 connected now) to hold each write before it is acknowledged",
      ],
      [mode('fsync'), { role: 'slave' }, "this Redis is a slave, not a primary: smsq's writes would be refused. Fix: point REDIS_URL at the primary (or use Sentinel so smsq follows it)"],
    ];
    for (const [opts, facts, environment] of cases) {
      const lines = said(opts, facts);
      expect(lines.map(inEnvironmentTerms), opts.mode).toEqual([environment]);
      expect(lines.join(' '), opts.mode).not.toMatch(/SMSQ_DURABILITY|REDIS_URL/);
    }
    expect(said(mode('none'), {})[0]).toMatch(/^`durability\.mode: "none"`: .* Fix: use `durability\.mode: "fsync"` \(appendfsync always\)/);
    expect(said(mode('replicas', 2), { connectedReplicas: 1 })[0]).toMatch(/or lower `durability\.replicas`$/);
  });
});

describe('OutIds', () => {
  it('carry a nonce, and parse with or without it', () => {
    expect(parseOutId('s1x.4-2.3-0af39c2e1b')).toEqual({ sendId: 's1x', index: '4-2', chunkId: 's1x.4-2', attempt: 3 });
    expect(parseOutId('s1x.4.3')).toEqual({ sendId: 's1x', index: '4', chunkId: 's1x.4', attempt: 3 });
    expect(isOutIdOf('s1x.4.3-ab', 's1x.4')).toBe(true);
    expect(isOutIdOf('s1x.40.3-ab', 's1x.4')).toBe(false);
    expect(isOutIdOf('order-7', 's1x.4')).toBe(false);
  });
});

describe('claim journal', () => {
  it('keeps the claims of the last horizon only', () => {
    let now = 1000;
    const journal = createClaimJournal({ clock: { now: () => now }, horizonMs: 100 });
    const claim = (chunkId: string) => ({ sendId: 's1', chunkId, kind: 'notification' as const, attempt: 1, outId: `${chunkId}.1-a`, sentAt: now });
    journal.record(claim('s1.0'));
    now += 60;
    journal.record(claim('s1.1'));
    now += 60;
    expect(journal.recent().map((c) => c.chunkId)).toEqual(['s1.1']);
  });
});
