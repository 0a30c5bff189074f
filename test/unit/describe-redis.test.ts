import { describe, expect, it } from 'vitest';
import { createRedisConnection, describeRedis } from '../../src/queue/connection.js';

describe('describeRedis: REDIS_URL as messages name it, password redacted', () => {
  it('names the sentinels and the master, not the default host ioredis keeps for a Sentinel connection', () => {
    const redis = createRedisConnection('redis+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2:26380/mymaster/2', { lazyConnect: true });
    try {
      expect(describeRedis(redis)).toBe('redis+sentinel://:<redacted>@10.0.0.1:26379,10.0.0.2:26380/mymaster/2');
    } finally {
      redis.disconnect();
    }
  });

  it('names a Sentinel deployment in TLS rediss+sentinel://, as REDIS_URL names it', () => {
    const redis = createRedisConnection('rediss+sentinel://:s3cret@10.0.0.1:26379,10.0.0.2:26380/mymaster', { lazyConnect: true });
    try {
      expect(describeRedis(redis)).toBe('rediss+sentinel://:<redacted>@10.0.0.1:26379,10.0.0.2:26380/mymaster');
    } finally {
      redis.disconnect();
    }
  });

  it('names one Redis by its host, port and database', () => {
    const redis = createRedisConnection('redis://user:s3cret@10.0.0.9:6390/3', { lazyConnect: true });
    try {
      expect(describeRedis(redis)).toBe('redis://user:<redacted>@10.0.0.9:6390/3');
    } finally {
      redis.disconnect();
    }
  });
});
