import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createProducer } from '../../producers/producer.js';
import { createSmsWorker } from '../../workers/sms-worker.js';
import { ConfigError } from '../../src/errors.js';

// Never connected: the options are refused before a connection is used.
const redis = new Redis({ lazyConnect: true });
afterAll(() => redis.disconnect());

function refusalOf(make: () => unknown): string {
  try {
    make();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('not refused');
}

describe('a prefix without a hash tag', () => {
  it("names the peers whose prefix it must match with one apostrophe (createProducer printed \"the same as the workers''\")", () => {
    const message = refusalOf(() => createProducer({ redis, prefix: 'smsq' }));
    expect(message).toContain("got \"smsq\". Fix: leave it out ({smsq}) or give one such as prefix: '{smsq-staging}', the same as the workers' (SMSQ_PREFIX)");
    expect(message).not.toContain("''");
  });

  it("says the producers' for a worker", () => {
    const message = refusalOf(() => createSmsWorker({ connection: redis, qps: 50, prefix: 'smsq' } as Parameters<typeof createSmsWorker>[0]));
    expect(message).toContain("the same as the producers' (SMSQ_PREFIX)");
    expect(message).not.toContain("''");
  });
});

describe('durability.replicas from a Node caller', () => {
  it("is refused unless a whole number from 0 to 16 or 'all' (review31: -1 had every WAIT answer at once with no replica, 'ALL' every WAIT fail)", () => {
    for (const replicas of [-1, 2.5, 17, 'ALL', '2']) {
      const durability = { mode: 'fsync+replicas', replicas } as unknown as NonNullable<Parameters<typeof createProducer>[0]['durability']>;
      const fix = "Fix: leave it out (1), or give the replicas that must confirm a write, e.g. replicas: 2, or replicas: 'all' through Sentinel (as SMSQ_DURABILITY_REPLICAS)";
      expect(refusalOf(() => createProducer({ redis, durability }))).toContain(`createProducer options: durability.replicas must be a whole number from 0 to 16 or 'all', got ${JSON.stringify(replicas)}. ${fix}`);
      expect(refusalOf(() => createSmsWorker({ connection: redis, qps: 50, durability } as Parameters<typeof createSmsWorker>[0]))).toContain(`durability.replicas must be a whole number from 0 to 16 or 'all', got ${JSON.stringify(replicas)}.`);
    }
  });
});
