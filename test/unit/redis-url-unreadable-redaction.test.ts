/**
 * An unreadable Redis URL's message must not show its password (RedisUrlError echoes the URL since
 * ad4cffe): an unencoded / ? # or @ in the password is what makes it unreadable, and a redaction
 * stopping at the first of them left the rest of the password in the message.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseRedisUrl, redactRedisUrl } from '../../src/queue/redis-url.js';

const SECRETS = ['s3cr', 'pa#ss', 'pa?ss', 'se/cret', 'et@host', 'cret@', 'a/b', 'c@d'];
const UNREADABLE = [
  'redis://:s3cr/et@host:6379',
  'redis://user:pa#ss@host:6379/0',
  'redis://:pa?ss@host:6379',
  'redis+sentinel://:se/cret@10.0.0.1:26379/mymaster',
  'redis+cluster://:a/b@10.0.0.1:7000',
  'redis://:c@d/e@host:6379',
];

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

describe('RedisUrlError redacts the password of a URL it cannot read', () => {
  for (const url of UNREADABLE) {
    it(url, () => {
      const message = messageOf(() => parseRedisUrl(url));
      expect(message).toMatch(/has a \/ \? # or @ in its user name or password .*percent-encoded/);
      for (const secret of SECRETS) expect(message).not.toContain(secret);
    });
  }

  it('the environment check says the same of REDIS_URL', () => {
    for (const url of UNREADABLE) {
      let err: unknown;
      try {
        loadConfig({ REDIS_URL: url });
      } catch (e) {
        err = e;
      }
      expect(err, url).toBeInstanceOf(ConfigError);
      for (const secret of SECRETS) expect((err as Error).message, url).not.toContain(secret);
    }
  });
});

describe('redactRedisUrl', () => {
  it('takes everything between scheme:// and the last @ for the user part, and keeps the user name only when it holds none of the password', () => {
    expect(redactRedisUrl('redis://user:pa#ss@host:6379/0')).toBe('redis://user:<redacted>@host:6379/0');
    expect(redactRedisUrl('redis+sentinel://:se/cret@10.0.0.1:26379/mymaster')).toBe('redis+sentinel://:<redacted>@10.0.0.1:26379/mymaster');
    expect(redactRedisUrl('redis://us/er:pw@host')).toBe('redis://<redacted>@host');
    expect(redactRedisUrl('redis://user@host:6379')).toBe('redis://user@host:6379');
  });

  it('reads a sentinel URL whose last @ is in its query (an @ a sentinelPassword may hold unencoded) as the parser does: the user part ends at its first @, and the hosts stay', () => {
    // Pinned as 'redis+sentinel://:<redacted>' until now: the user part was taken up to that @, hiding the sentinels and the master too.
    expect(redactRedisUrl('redis+sentinel://:pw@h1:26379/m?sentinelPassword=p@ss')).toBe('redis+sentinel://:<redacted>@h1:26379/m?sentinelPassword=<redacted>');
    expect(redactRedisUrl('redis+sentinel://app:pw@h1,h2:26380/m/2?sentinelPassword=p@ss&sentinelUsername=sen')).toBe('redis+sentinel://app:<redacted>@h1,h2:26380/m/2?sentinelPassword=<redacted>&sentinelUsername=sen');
    expect(parseRedisUrl('redis+sentinel://:pw@h1:26379/m?sentinelPassword=p@ss')).toMatchObject({ password: 'pw', sentinelPassword: 'p@ss', sentinels: [{ host: 'h1', port: 26379 }], masterName: 'm' });
  });

  it('hides through the last @ where no user part comes before the hosts: what reads as a host:port may be a user and password whose ? started the "query"', () => {
    // "1234?sentinelUsername=" is the password; 8887081 read u:1234 as a sentinel and showed it whole.
    const url = 'redis+sentinel://u:1234?sentinelUsername=@h1:26379/mymaster';
    expect(redactRedisUrl(url)).toBe('redis+sentinel://u:<redacted>@h1:26379/mymaster');
    expect(messageOf(() => parseRedisUrl(url))).toContain('"redis+sentinel://u:<redacted>@h1:26379/mymaster"');
    expect(messageOf(() => parseRedisUrl(url))).not.toContain('1234');
    expect(redactRedisUrl('redis+sentinel://u:1234/m?sentinelUsername=@h1:26379/mymaster')).not.toContain('1234');
    // A URL without a user whose sentinelPassword holds an @ is hidden further than it need be: safe, not wrong.
    expect(redactRedisUrl('redis+sentinel://h1:26379/m?sentinelPassword=@p@ss@')).toBe('redis+sentinel://h1:<redacted>');
  });

  it('still hides through the last @ where the user part may hold / ? # (the URL read otherwise): no part of a password is shown', () => {
    const cases = [
      ['redis+sentinel://:se/cret@h1:26379/m?sentinelPassword=p@ss', ['se/cret', 'cret', 'p@ss']],
      ['redis+sentinel://:se?cret@h1:26379/m?sentinelPassword=p@ss', ['se?cret', 'cret', 'p@ss']],
      ['redis+sentinel://:s@cret@h1:26379/m?sentinelPassword=p@ss', ['s@cret', 'cret', 'p@ss']],
      ['redis+sentinel://:pw@h1:26379/m?sentinelUsername=a#b@c', ['pw']],
      // A password's unencoded ? taken for the query's start: what follows it is no query the parser reads.
      ['redis+sentinel://se?:cret@h1:26379/m?sentinelPassword=p@ss', ['cret', 'p@ss']],
      ['redis+sentinel://:se?sentinelPassword=x@h1:26379/m', ['se?', 'x@h1']],
    ] as const;
    for (const [url, secrets] of cases) {
      const redacted = redactRedisUrl(url);
      expect(redacted, url).toContain('<redacted>');
      for (const secret of secrets) expect(redacted, url).not.toContain(secret);
    }
  });
});
