import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseRedisUrl, redactRedisUrl, RedisUrlError } from '../../src/queue/redis-url.js';
import { createRedisConnection } from '../../src/queue/connection.js';

function problemOf(url: string): RedisUrlError {
  try {
    parseRedisUrl(url);
  } catch (err) {
    if (err instanceof RedisUrlError) return err;
    throw err;
  }
  throw new Error(`expected ${url} to be refused`);
}

describe('parseRedisUrl', () => {
  it('keeps redis:// and rediss:// as one Redis', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ kind: 'standalone', url: 'redis://127.0.0.1:6379' });
    expect(parseRedisUrl('rediss://u:p@host:6380/2')).toEqual({ kind: 'standalone', url: 'rediss://u:p@host:6380/2' });
  });

  it('reads sentinels, the master name, the db and both sets of credentials', () => {
    expect(parseRedisUrl('redis+sentinel://app:p%40ss@h1:26379,10.0.0.2,[::1]:26380/mymaster/3?sentinelPassword=s3&sentinelUsername=sen')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 'h1', port: 26379 },
        { host: '10.0.0.2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      masterName: 'mymaster',
      db: 3,
      username: 'app',
      password: 'p@ss',
      sentinelUsername: 'sen',
      sentinelPassword: 's3',
      tls: false,
    });
    expect(parseRedisUrl('redis+sentinel://:pw@h1:26379/m')).toMatchObject({ username: undefined, password: 'pw', db: 0, sentinelPassword: undefined });
  });

  it('reads rediss+sentinel:// as the same deployment in TLS (sentinels, primary and replicas)', () => {
    expect(parseRedisUrl('rediss+sentinel://app:p%40ss@h1:26379,h2/mymaster/3?sentinelPassword=s3')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 'h1', port: 26379 },
        { host: 'h2', port: 26379 },
      ],
      masterName: 'mymaster',
      db: 3,
      username: 'app',
      password: 'p@ss',
      sentinelUsername: undefined,
      sentinelPassword: 's3',
      tls: true,
    });
  });

  it('reads cluster seed nodes, with 6379 as the default port', () => {
    expect(parseRedisUrl('redis+cluster://h1:7000,h2')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'h1', port: 7000 },
        { host: 'h2', port: 6379 },
      ],
      username: undefined,
      password: undefined,
      tls: false,
    });
    expect(parseRedisUrl('redis+cluster://:pw@h1:7000/')).toMatchObject({ kind: 'cluster', password: 'pw' });
  });

  // It was refused ("TLS to a Cluster is not supported yet"): managed Clusters with encryption in
  // transit (ElastiCache, Alibaba Cloud's direct connection) could not be named at all.
  it('reads rediss+cluster:// as the same Cluster in TLS (every node, seed or announced)', () => {
    expect(parseRedisUrl('rediss+cluster://app:p%40ss@h1:7000,10.0.0.2')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'h1', port: 7000 },
        { host: '10.0.0.2', port: 6379 },
      ],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
  });

  it('refuses what it cannot read, with a fix', () => {
    expect(problemOf('redis+sentinel://h1:26379').message).toMatch(/must name the master group.*Fix: give one such as redis\+sentinel:\/\//);
    expect(problemOf('redis+sentinel://h1:26379,,h2/m').message).toMatch(/must list the sentinels as host:port/);
    expect(problemOf('redis+sentinel://h1:99999/m').message).toMatch(/"h1:99999", which is not host:port/);
    expect(problemOf('redis+sentinel://h1/m/x').message).toMatch(/not \/<masterName> or \/<masterName>\/<db>/);
    expect(problemOf('redis+sentinel://h1/m?password=x').message).toMatch(/option "password"/);
    expect(problemOf('redis+cluster://h1:7000/0').message).toMatch(/a Cluster has no master name and only database 0/);
    expect(problemOf('redis+cluster://').message).toMatch(/must list the cluster nodes/);
    expect(problemOf('http://h1').message).toMatch(/must start with redis:\/\/, rediss:\/\/, redis\+sentinel:\/\/, rediss\+sentinel:\/\/, redis\+cluster:\/\/ or rediss\+cluster:\/\//);
    expect(problemOf('redis://exa mple').code).toBe('SMSQ_CONFIG_INVALID');
    // ioredis read these as SELECT NaN and crashed the command with a stack trace.
    for (const url of ['redis://127.0.0.1:6379/abc', 'redis://127.0.0.1:6379/-1', 'redis://h/1/2', 'rediss://h/0x1']) {
      expect(problemOf(url).message, url).toMatch(/has the path "[^"]+", which is not a database number \(\/0 to \/15 .*\)\. Fix: give one such as rediss?:\/\/user:pass@host:6379\/0/);
    }
    expect(parseRedisUrl('redis://h:6379/').kind).toBe('standalone');
    expect(parseRedisUrl('redis://h:6379/15').kind).toBe('standalone');
  });

  // ioredis reads every option of a redis:// URL's query as a connection option: a password there
  // logged in, then was printed in clear by every message naming the URL; a keyPrefix or an
  // enableOfflineQueue there changed what smsq's connections do under its own settings.
  it('refuses a redis:// or rediss:// URL with options in its query, its values redacted, with the fix', () => {
    const password = problemOf('redis://127.0.0.1:6379/0?password=hunter22');
    expect(password.message).toMatch(/^the Redis URL "redis:\/\/127\.0\.0\.1:6379\/0\?password=<redacted>" has the password in its query \(\?password=\); smsq reads the user name and password only before the host, percent-encoded\. Fix: give one such as redis:\/\/user:pass@host:6379\/0$/);
    expect(password.message).not.toContain('hunter22');
    expect(problemOf('rediss://h:6380?username=app&password=hunter22').message).toMatch(/^the Redis URL "rediss:\/\/h:6380\?username=app&password=<redacted>" has the user name in its query \(\?username=\)/);
    expect(problemOf('redis://h:6379/0?keyPrefix=x:').message).toMatch(/has the option "keyPrefix" in its query; smsq sets a connection's options itself and a redis:\/\/ URL takes none\. Fix: give one such as redis:\/\/user:pass@host:6379\/0$/);
    expect(problemOf('redis://h:6379?enableOfflineQueue=false').message).toMatch(/has the option "enableOfflineQueue" in its query/);
    // Followed as written, a redis:// example would drop the TLS.
    expect(problemOf('rediss://h:6380?tls=x').message).toMatch(/a rediss:\/\/ URL takes none\. Fix: give one such as rediss:\/\/user:pass@host:6379\/0$/);
    expect(parseRedisUrl('redis://h:6379/0?').kind).toBe('standalone');
  });

  it('shows a rediss+sentinel URL its fix in rediss+sentinel://: followed as written, a redis+sentinel:// one dropped the TLS', () => {
    expect(problemOf('rediss+sentinel://h1:26379').message).toMatch(/must name the master group.*Fix: give one such as rediss\+sentinel:\/\/:password@10\.0\.0\.1:26379,/);
    expect(problemOf('rediss+sentinel://h1/m?tls=yes').message).toMatch(/has the option "tls"; rediss\+sentinel:\/\/ knows sentinelPassword and sentinelUsername\. Fix: give one such as rediss\+sentinel:\/\/.*\?sentinelPassword=secret$/);
    expect(problemOf('rediss+sentinel://h1/m/x').fix).toMatch(/^rediss\+sentinel:\/\//);
  });

  it('shows a rediss+cluster URL its fix in rediss+cluster://, and names the scheme it was given', () => {
    expect(problemOf('rediss+cluster://h1:7000/0').message).toMatch(/a Cluster has no master name and only database 0\. Fix: give one such as rediss\+cluster:\/\/:password@10\.0\.0\.1:7000,/);
    expect(problemOf('rediss+cluster://h1:7000?tls=yes').message).toMatch(/has the option "tls", which rediss\+cluster:\/\/ does not know\. Fix: give one such as rediss\+cluster:\/\//);
    expect(problemOf('redis+cluster://h1:7000?tls=yes').message).toMatch(/has the option "tls", which redis\+cluster:\/\/ does not know\. Fix: give one such as redis\+cluster:\/\//);
  });

  it('redacts passwords for logs', () => {
    expect(redactRedisUrl('redis+sentinel://app:secret@h1/m?sentinelPassword=s3')).toBe('redis+sentinel://app:<redacted>@h1/m?sentinelPassword=<redacted>');
    expect(redactRedisUrl('rediss+sentinel://app:secret@h1,h2/m/1?sentinelUsername=sen&sentinelPassword=s@3')).toBe('rediss+sentinel://app:<redacted>@h1,h2/m/1?sentinelUsername=sen&sentinelPassword=<redacted>');
    expect(redactRedisUrl('rediss+sentinel://:se/cret@h1/m')).toBe('rediss+sentinel://:<redacted>@h1/m');
    expect(redactRedisUrl('rediss+sentinel://ap/p:secret@h1/m')).toBe('rediss+sentinel://<redacted>@h1/m');
    expect(redactRedisUrl('rediss+cluster://app:secret@h1:7000')).toBe('rediss+cluster://app:<redacted>@h1:7000');
    expect(redactRedisUrl('redis://h1:6379')).toBe('redis://h1:6379');
    expect(redactRedisUrl('redis://h1:6379/0?password=hunter22')).toBe('redis://h1:6379/0?password=<redacted>');
    expect(redactRedisUrl('redis+sentinel://h1/m?Password=a&sentinelPassword=b')).toBe('redis+sentinel://h1/m?Password=<redacted>&sentinelPassword=<redacted>');
  });
});

describe('REDIS_URL in loadConfig', () => {
  it('accepts the Sentinel and Cluster forms, both in TLS too', () => {
    expect(loadConfig({ REDIS_URL: 'rediss+sentinel://h1:26379/mymaster' }).redisUrl).toBe('rediss+sentinel://h1:26379/mymaster');
    expect(loadConfig({ REDIS_URL: 'rediss+cluster://h1:7000,h2:7001' }).redisUrl).toBe('rediss+cluster://h1:7000,h2:7001');
    expect(loadConfig({ REDIS_URL: 'redis+cluster://h1:7000,h2:7001' }).redisUrl).toBe('redis+cluster://h1:7000,h2:7001');
    expect(loadConfig({ REDIS_URL: 'redis+sentinel://h1:26379/mymaster' }).redisUrl).toBe('redis+sentinel://h1:26379/mymaster');
  });

  it('names REDIS_URL, the problem and the fix, without the password', () => {
    let err: unknown;
    try {
      loadConfig({ REDIS_URL: 'redis+sentinel://:hunter22@h1:26379' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    expect(message).toMatch(/^REDIS_URL="redis\+sentinel:\/\/:<redacted>@h1:26379" must name the master group .*\. Fix: /);
    expect(message).not.toContain('hunter22');
  });
});

describe('a URL given to createRedisConnection', () => {
  // A library caller saw "must start with redis://, ... Fix: REDIS_URL=..." with no word of what it
  // had passed (a URL read from its own settings, perhaps not the one it thought) and a variable it never set.
  it('is shown as given, its passwords redacted as the auth error redacts them, and the fix names a URL, not REDIS_URL', () => {
    const cases = [
      ['http://app:hunter22@h1:6379', /^the Redis URL "http:\/\/app:<redacted>@h1:6379" must start with redis:\/\/, .*\. Fix: give one such as redis:\/\/user:pass@host:6379\/0$/],
      ['redis+sentinel://:hunter22@h1:26379?sentinelPassword=hunter23', /^the Redis URL "redis\+sentinel:\/\/:<redacted>@h1:26379\?sentinelPassword=<redacted>" must name the master group .*\. Fix: give one such as redis\+sentinel:\/\//],
      ['rediss+sentinel://:hunter22@h1:26379/m/x?sentinelPassword=hunter23', /^the Redis URL "rediss\+sentinel:\/\/:<redacted>@h1:26379\/m\/x\?sentinelPassword=<redacted>" has the path "\/m\/x", .*\. Fix: give one such as rediss\+sentinel:\/\//],
      ['rediss+cluster://:hunter22@h1:7000/0', /^the Redis URL "rediss\+cluster:\/\/:<redacted>@h1:7000\/0" has the path "\/0", but a Cluster has no master name .*\. Fix: give one such as rediss\+cluster:\/\//],
      ['redis://u:hunter22@h1:6379/abc', /^the Redis URL "redis:\/\/u:<redacted>@h1:6379\/abc" has the path "\/abc", which is not a database number/],
    ] as const;
    for (const [url, said] of cases) {
      let err: unknown;
      try {
        createRedisConnection(url, { lazyConnect: true });
      } catch (e) {
        err = e;
      }
      expect(err, url).toBeInstanceOf(RedisUrlError);
      expect((err as RedisUrlError).code).toBe('SMSQ_CONFIG_INVALID');
      expect((err as RedisUrlError).message, url).toMatch(said);
      expect((err as RedisUrlError).message).not.toMatch(/hunter2|REDIS_URL/);
      expect((err as RedisUrlError).redactedUrl).toBe(redactRedisUrl(url));
    }
  });
});
