import { describe, expect, it } from 'vitest';
import { sentinelsListedProblem } from '../../src/durability/sentinels-listed.js';
import { inEnvironmentTerms } from '../../src/setting-mention.js';

describe('SMSQ_DURABILITY_REPLICAS=all: REDIS_URL listing fewer sentinels than the deployment has', () => {
  it('says nothing when every sentinel is listed (or more addresses than the sentinels know, or none answered)', () => {
    expect(sentinelsListedProblem({ listed: 3, known: 3 })).toBeUndefined();
    expect(sentinelsListedProblem({ listed: 3, known: 2 })).toBeUndefined();
    expect(sentinelsListedProblem({ listed: 3, known: 0 })).toBeUndefined();
  });

  it('fewer listed than a majority: warns that no replica is ever left out, naming both numbers and the fix', () => {
    const problem = sentinelsListedProblem({ listed: 1, known: 3 });
    expect(problem?.severity).toBe('warn');
    expect(inEnvironmentTerms(`${problem?.what}. Fix: ${problem?.fix}`)).toBe(
      "REDIS_URL lists 1 sentinel(s), and the deployment has 3 (SENTINEL MASTER's num-other-sentinels + 1): with SMSQ_DURABILITY_REPLICAS=all a replica stops counting only once a majority of the 3 flag it down, and smsq asks only the 1 listed, fewer than a majority (2), so no replica is ever left out: a replica lost (its host dead, or cut off) holds every call until it is back. Fix: list every sentinel in REDIS_URL, e.g. REDIS_URL=redis+sentinel://host1:26379,host2:26379,host3:26379/name",
    );
    expect(sentinelsListedProblem({ listed: 2, known: 5 })?.what).toMatch(/listed, fewer than a majority \(3\), so no replica is ever left out/);
  });

  it('a majority listed but not all: warns how few down listed sentinels then hold every call', () => {
    const problem = sentinelsListedProblem({ listed: 3, known: 5 });
    expect(problem?.severity).toBe('warn');
    expect(problem?.what).toMatch(/lists 3 sentinel\(s\), and the deployment has 5 .* a replica is left out only when 3 of the 3 listed answer and flag it down: with 1 of them down or cut off, a replica lost holds every call/);
    expect(sentinelsListedProblem({ listed: 4, known: 5 })?.what).toMatch(/3 of the 4 listed .* with 2 of them down or cut off/);
  });
});
