/** An unreadable Redis URL's message must not show its password (RedisUrlError echoes the URL since ad4cffe). */
import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../src/queue/redis-url.js';

describe('RedisUrlError redacts the password of a URL it cannot read', () => {
  for (const url of ['redis://:s3cr/et@host:6379', 'redis://user:pa#ss@host:6379/0', 'redis://:pa?ss@host:6379', 'redis+sentinel://:se/cret@10.0.0.1:26379/mymaster']) {
    it(url, () => {
      let message = '';
      try {
        parseRedisUrl(url);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).not.toBe('');
      for (const secret of ['s3cr', 'pa#ss', 'pa?ss', 'se/cret', 'et@host', 'cret@']) expect(message).not.toContain(secret);
    });
  }
});
