import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, runningUnderVitest } from '../../src/config.js';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      mode: 'sandbox',
      endpoint: undefined,
      protocol: 'http',
      qps: 4500,
      readTimeoutMs: 3000,
      logLevel: undefined, // the command's own default (info; the sandbox's worker and producer: warn)
      accessKey: undefined,
      prefix: '{smsq}',
      concurrency: 64,
      reconcileSettleMs: 60_000,
      accountRecheckMs: 300_000,
      retention: { verification: 4 * 86_400, notification: 7 * 86_400, marketing: 30 * 86_400 },
      catalogCacheMs: 300_000,
    });
  });

  it('repair sweep: every 5 min with a 10 min enqueue grace by default; 0 turns it off; bad values named with the fix', () => {
    expect(loadConfig({}).repair).toEqual({ intervalMs: 300_000, enqueueGraceMs: 600_000 });
    expect(loadConfig({ SMSQ_REPAIR_INTERVAL_MS: '0' }).repair.intervalMs).toBeUndefined();
    expect(loadConfig({ SMSQ_REPAIR_INTERVAL_MS: '60000', SMSQ_REPAIR_ENQUEUE_GRACE_MS: '120000' }).repair).toEqual({ intervalMs: 60_000, enqueueGraceMs: 120_000 });
    const err = errorOf({ SMSQ_REPAIR_INTERVAL_MS: '500', SMSQ_REPAIR_ENQUEUE_GRACE_MS: 'soon' });
    expect(err.lines).toEqual([
      expect.stringMatching(/^SMSQ_REPAIR_INTERVAL_MS="500" must be 0 \(off\) or at least 10000\. Fix: /),
      expect.stringMatching(/^SMSQ_REPAIR_ENQUEUE_GRACE_MS="soon" must be a whole number from 60000 to 86400000\. Fix: /),
    ]);
  });

  it('opt-out words: TD, T, R and 退订 by default; SMSQ_OPT_OUT_WORDS replaces them; an empty or unreadable word is refused with the fix', () => {
    expect(loadConfig({}).optOutWords).toEqual(['TD', 'T', 'R', '退订']);
    expect(loadConfig({ SMSQ_OPT_OUT_WORDS: ' STOP , 退订' }).optOutWords).toEqual(['STOP', '退订']);
    expect(errorOf({ SMSQ_OPT_OUT_WORDS: 'STOP,,TD' }).lines).toEqual([
      expect.stringMatching(/^SMSQ_OPT_OUT_WORDS="STOP,,TD" has an empty word \(word 2 of 3\)\. Fix: SMSQ_OPT_OUT_WORDS=TD,T,R,退订 /),
    ]);
    expect(errorOf({ SMSQ_OPT_OUT_WORDS: 'STOP,!!' }).lines).toEqual([expect.stringMatching(/^SMSQ_OPT_OUT_WORDS="STOP,!!" has "!!", which is only punctuation or symbols and matches no reply/)]);
  });

  it('a number out of range or not a number says the range (SMSQ_SHUTDOWN_GRACE_MS=-1 said "must be a whole number", which -1 is)', () => {
    const ranges: Record<string, string> = {
      SMSQ_REDIS_CONNECT_TIMEOUT_MS: '100 to 120000',
      SMSQ_SHUTDOWN_GRACE_MS: '0 to 600000',
      SMS_QPS: '1 to 5000',
      SMS_READ_TIMEOUT_MS: '100 to 60000',
      SMSQ_CONCURRENCY: '1 to 1000',
      SMSQ_RECONCILE_SETTLE_MS: '1000 to 3600000',
      SMSQ_CLOCK_SKEW_WARN_MS: '100 to 3600000',
      SMSQ_ACCOUNT_RECHECK_MS: '0 to 86400000',
      SMSQ_DURABILITY_REPLICAS: '0 to 16, or all',
      SMSQ_DURABILITY_TIMEOUT_MS: '10 to 60000',
      SMSQ_CATALOG_CACHE_MS: '0 to 86400000',
      SMSQ_RECEIPT_WINDOW_HOURS: '1 to 720',
      SMSQ_REPAIR_INTERVAL_MS: '10000 to 86400000, or 0 (off)',
      SMSQ_REPAIR_ENQUEUE_GRACE_MS: '60000 to 86400000',
      SMSQ_SERVER_PORT: '0 to 65535',
      OTEL_EXPORTER_OTLP_TIMEOUT: '100 to 600000',
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '100 to 600000',
    };
    for (const [name, range] of Object.entries(ranges)) {
      for (const value of ['-1', '1.5', 'soon']) {
        const lines = errorOf({ [name]: value }).lines;
        expect(lines, `${name}=${value}`).toHaveLength(1);
        expect(lines[0]?.startsWith(`${name}="${value}" must be a whole number from ${range}. Fix: ${name}=`), lines[0]).toBe(true);
      }
    }
    expect(errorOf({ SMSQ_SHUTDOWN_GRACE_MS: '-1' }).lines).toEqual(['SMSQ_SHUTDOWN_GRACE_MS="-1" must be a whole number from 0 to 600000. Fix: SMSQ_SHUTDOWN_GRACE_MS=25000 (0..600000; below your orchestrator\'s kill timeout)']);
    // The other numbers in a variable say their ranges too.
    expect(errorOf({ SMSQ_AUTOPAUSE: '0:0.5' }).lines[0]).toMatch(/^SMSQ_AUTOPAUSE="0:0\.5" must be CHUNKS:RATIO \(CHUNKS 1\.\.9999, RATIO 0\.\.1\) or off\. Fix: /);
    expect(errorOf({ SMSQ_RECEIPT_LOOKUPS: 'marketing=sample:2' }).lines[0]).toMatch(/which is not kind=all\|none\|sample:RATE \(RATE 0\.\.1\)\. Fix: /);
  });

  it('SMSQ_DURABILITY_REPLICAS=all (any case) is taken through Sentinel and refused with another REDIS_URL, naming both fixes', () => {
    const sentinel = 'redis+sentinel://127.0.0.1:26379/mymaster';
    expect(loadConfig({ REDIS_URL: sentinel, SMSQ_DURABILITY: 'fsync+replicas', SMSQ_DURABILITY_REPLICAS: ' All ' }).durability).toEqual({ mode: 'fsync+replicas', replicas: 'all', timeoutMs: 1000 });
    expect(errorOf({ REDIS_URL: 'redis://127.0.0.1:6379', SMSQ_DURABILITY: 'waitaof', SMSQ_DURABILITY_REPLICAS: 'all' }).lines).toEqual([
      'SMSQ_DURABILITY_REPLICAS=all counts the replicas up as a majority of the sentinels sees them, and REDIS_URL does not name sentinels. Fix: REDIS_URL=redis+sentinel://… (rediss+sentinel:// in TLS), or SMSQ_DURABILITY_REPLICAS=<the number of replicas that must confirm>',
    ]);
    // Unused by fsync: not refused there.
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', SMSQ_DURABILITY_REPLICAS: 'all' }).durability.mode).toBe('fsync');
  });

  it('retention per kind: defaults, one number for every kind, kind=DAYS, and refusals that name the fix', () => {
    const DAY = 86_400;
    expect(loadConfig({ SMSQ_RETENTION_DAYS: '10' }).retention).toEqual({ verification: 10 * DAY, notification: 10 * DAY, marketing: 10 * DAY });
    expect(loadConfig({ SMSQ_RETENTION_DAYS: 'verification=5, marketing=60' }).retention).toEqual({ verification: 5 * DAY, notification: 7 * DAY, marketing: 60 * DAY });
    expect(errorOf({ SMSQ_RETENTION_DAYS: 'sms=3' }).lines).toEqual([expect.stringMatching(/^SMSQ_RETENTION_DAYS="sms=3" is not a number of days \(1\.\.365\) or kind=DAYS\. Fix: SMSQ_RETENTION_DAYS=30/)]);
    expect(errorOf({ SMSQ_RETENTION_DAYS: 'verification=4,sms=3' }).lines).toEqual([expect.stringMatching(/^SMSQ_RETENTION_DAYS="verification=4,sms=3" has "sms=3", which is not a number of days/)]);
    // The value is named once, by the line's prefix.
    expect(errorOf({ SMSQ_QUIET_HOURS: '25:00-08:00' }).lines).toEqual(['SMSQ_QUIET_HOURS="25:00-08:00" is not a window HH:MM-HH:MM (00:00 to 23:59). Fix: SMSQ_QUIET_HOURS=21:00-08:00 (China time) or off']);
    expect(errorOf({ SMSQ_RETENTION_DAYS: '0' }).lines).toEqual([expect.stringMatching(/^SMSQ_RETENTION_DAYS="0" is not a number of days/)]);
    expect(errorOf({ SMSQ_RETENTION_DAYS: '10,marketing=3' }).message).toMatch(/has "10"/);
    // A record must outlive its receipt window by a day.
    expect(errorOf({ SMSQ_RETENTION_DAYS: 'verification=2' }).lines).toEqual([
      'SMSQ_RETENTION_DAYS gives verification 2 days, shorter than the receipt window (SMSQ_RECEIPT_WINDOW_HOURS=72) plus a day: its records would expire before its last receipts. Fix: SMSQ_RETENTION_DAYS=verification=4 or more, or a shorter SMSQ_RECEIPT_WINDOW_HOURS',
    ]);
    expect(loadConfig({ SMSQ_RETENTION_DAYS: 'verification=2', SMSQ_RECEIPT_WINDOW_HOURS: '24' }).retention.verification).toBe(2 * DAY);
  });

  it('uses the live endpoint over https in live mode', () => {
    const c = loadConfig({ SMS_MODE: 'live' });
    expect(c.endpoint).toBe('dysmsapi.aliyuncs.com');
    expect(c.protocol).toBe('https');
  });

  it('takes SMS_PROTOCOL in any case (SMS_PROTOCOL=HTTP was refused with "Fix: SMS_PROTOCOL=https")', () => {
    for (const [value, protocol] of [['HTTP', 'http'], ['Http', 'http'], [' http ', 'http'], ['HTTPS', 'https']] as const) {
      expect(loadConfig({ SMS_MODE: 'live', SMS_PROTOCOL: value }).protocol, value).toBe(protocol);
    }
    expect(errorOf({ SMS_PROTOCOL: 'ftp' }).message).toMatch(/SMS_PROTOCOL="ftp" must be "https" or "http"\. Fix: /);
  });

  it('takes SMS_MODE and LOG_LEVEL in any case (LOG_LEVEL=DEBUG was told "Fix: LOG_LEVEL=info", SMS_MODE=LIVE to unset it for sandbox)', () => {
    expect(loadConfig({ SMS_MODE: 'LIVE' }).endpoint).toBe('dysmsapi.aliyuncs.com');
    expect(loadConfig({ LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
    expect(loadConfig({ LOG_LEVEL: ' Warn ' }).logLevel).toBe('warn');
    expect(errorOf({ LOG_LEVEL: 'verbose' }).message).toMatch(/LOG_LEVEL="verbose" must be one of fatal, error, warn, info, debug, trace, silent\. Fix: LOG_LEVEL=info/);
  });

  it('names each bad variable, the problem and the fix, one line each', () => {
    const err = errorOf({ SMS_QPS: '9000', SMS_MODE: 'prod', SMS_READ_TIMEOUT_MS: 'fast', SMS_ENDPOINT: 'https://x/' });
    expect(err.code).toBe('SMSQ_CONFIG_INVALID');
    expect(err.lines).toHaveLength(4);
    expect(err.message).toMatch(/SMS_QPS="9000" must be at most 5000 \(the account cap\)\. Fix: /);
    expect(err.message).toMatch(/SMS_MODE="prod" must be "sandbox" or "live"/);
    expect(err.message).toMatch(/SMS_READ_TIMEOUT_MS="fast" must be a whole number/);
    expect(err.message).toMatch(/SMS_ENDPOINT="https:\/\/x\/" must be host\[:port\]/);
  });

  it('refuses an SMS_ENDPOINT port no socket has (127.0.0.1:99999 was taken; every Dysmsapi call then failed as a network error, and smsq send skipped its account check and enqueued)', () => {
    for (const port of ['0', '65536', '99999']) {
      expect(errorOf({ SMS_ENDPOINT: `127.0.0.1:${port}` }).message).toMatch(new RegExp(`SMS_ENDPOINT="127\\.0\\.0\\.1:${port}" has port ${port}, which no socket has \\(1 to 65535\\)\\. Fix: `));
    }
    expect(loadConfig({ SMS_ENDPOINT: '127.0.0.1:65535' }).endpoint).toBe('127.0.0.1:65535');
  });

  it('refuses an SMS_ENDPOINT host no DNS name can be (taken, every call failed HostNotFound and blocked the account), by the client\'s own check', () => {
    for (const endpoint of ['dysmsapi..aliyuncs.com', '-dysmsapi.aliyuncs.com:443', 'dysmsapi-.aliyuncs.com', `${'a'.repeat(64)}.com`]) {
      expect(errorOf({ SMS_ENDPOINT: endpoint }).message, endpoint).toMatch(/SMS_ENDPOINT=".*" has a host no DNS name can be .*Fix: /);
    }
    expect(loadConfig({ SMS_ENDPOINT: 'dysmsapi.cn-hangzhou.aliyuncs.com' }).endpoint).toBe('dysmsapi.cn-hangzhou.aliyuncs.com');
  });

  it('refuses half an AccessKey pair and never prints the secret', () => {
    const err = errorOf({ ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'topsecret' });
    expect(err.message).toMatch(/ALIBABA_CLOUD_ACCESS_KEY_ID is missing/);
    expect(err.message).not.toContain('topsecret');
  });

  it('requires a hash-tagged prefix', () => {
    expect(errorOf({ SMSQ_PREFIX: 'smsq' }).message).toMatch(/SMSQ_PREFIX="smsq" must be a Redis hash tag/);
    // A hash tag with a space is told what may go between the braces, not shown the braces it has.
    expect(errorOf({ SMSQ_PREFIX: '{a b}' }).message).toMatch(/SMSQ_PREFIX="\{a b\}" must be a Redis hash tag, \{name\} with letters, digits, "_", "\." or "-" between the braces/);
    expect(loadConfig({ SMSQ_PREFIX: '{smsq-staging}' }).prefix).toBe('{smsq-staging}');
  });

  it('reads receipt look-up policies per kind and names a bad one', () => {
    const c = loadConfig({ SMSQ_RECEIPT_LOOKUPS: 'marketing=none, notification=sample:0.25' });
    expect(c.receiptLookups.marketing).toEqual({ mode: 'none', sampleRate: 0 });
    expect(c.receiptLookups.notification).toEqual({ mode: 'sample', sampleRate: 0.25 });
    expect(c.receiptLookups.verification).toEqual({ mode: 'all', sampleRate: 1 });
    expect(errorOf({ SMSQ_RECEIPT_LOOKUPS: 'marketing=some' }).message).toMatch(/SMSQ_RECEIPT_LOOKUPS=.*"marketing=some", which is not kind=all\|none\|sample:RATE/);
  });

  it('refuses a callback secret of spaces, or wrapped in quotes (an env file read without a shell keeps them, and receivers would check against another key)', () => {
    for (const secret of [' '.repeat(16), '"0123456789abcdef0123"', '  0123456789abcdef0123']) {
      const err = errorOf({ SMSQ_CALLBACK_SECRET: secret });
      expect(err.message).toMatch(/SMSQ_CALLBACK_SECRET=<redacted> .*Fix: SMSQ_CALLBACK_SECRET=\$\(openssl rand -hex 32\)/);
    }
    expect(loadConfig({ SMSQ_CALLBACK_SECRET: '0123456789abcdef0123' }).callbackSecret).toBe('0123456789abcdef0123');
  });

  it('refuses a variable a letter or two from a setting (SMSQ_PERFIX was ignored, and the send went into the default prefix: another deployment)', () => {
    expect(errorOf({ SMSQ_PERFIX: '{mine}' }).message).toMatch(/SMSQ_PERFIX is not a setting of smsq, and would be ignored\. Fix: rename it SMSQ_PREFIX/);
    expect(errorOf({ SMSQ_DURABLITY: 'none' }).message).toMatch(/SMSQ_DURABLITY .*Fix: rename it SMSQ_DURABILITY/);
    expect(errorOf({ SMS_MODEE: 'sandbox' }).message).toMatch(/SMS_MODEE .*Fix: rename it SMS_MODE/);
    // Names near none of smsq's are not its business (SMS_* is a common prefix; the tests' own flags).
    expect(() => loadConfig({ SMS_GATEWAY_URL: 'https://example.com', SMSQ_UPDATE_SCREENSHOT: '1' })).not.toThrow();
  });

  it('never prints the callback secret', () => {
    const err = errorOf({ SMSQ_CALLBACK_SECRET: 'short' });
    expect(err.message).toMatch(/SMSQ_CALLBACK_SECRET=<redacted> must be at least 16 characters/);
    expect(err.message).not.toContain('short');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ SMS_QPS: '', REDIS_URL: '' }).qps).toBe(4500);
  });

  describe('server settings', () => {
    it('defaults to a local, read-only, unauthenticated server that `smsq server` will refuse to start', () => {
      expect(loadConfig({}).server).toEqual({
        host: '127.0.0.1',
        port: 8080,
        apiToken: undefined,
        dashboard: { basicAuth: undefined, token: undefined, readOnly: true },
        bodyLimit: 1024 * 1024,
        csvBodyLimit: 64 * 1024 * 1024,
      });
    });

    it('reads host, port, tokens, basic auth, read-only mode and sizes', () => {
      const c = loadConfig({
        SMSQ_SERVER_HOST: '0.0.0.0',
        SMSQ_SERVER_PORT: '9090',
        SMSQ_API_TOKEN: 'a'.repeat(32),
        SMSQ_DASHBOARD_USER: 'ops',
        SMSQ_DASHBOARD_PASSWORD: 'correct-horse-battery',
        SMSQ_DASHBOARD_TOKEN: 'b'.repeat(16),
        SMSQ_DASHBOARD_READ_ONLY: 'false',
        SMSQ_SERVER_BODY_LIMIT: '512KiB',
        SMSQ_SERVER_CSV_LIMIT: '2mb',
      }).server;
      expect(c).toEqual({
        host: '0.0.0.0',
        port: 9090,
        apiToken: 'a'.repeat(32),
        dashboard: { basicAuth: { user: 'ops', password: 'correct-horse-battery' }, token: 'b'.repeat(16), readOnly: false },
        bodyLimit: 512 * 1024,
        csvBodyLimit: 2 * 1024 * 1024,
      });
      expect(loadConfig({ SMSQ_SERVER_BODY_LIMIT: '4096', SMSQ_DASHBOARD_READ_ONLY: '1' }).server).toMatchObject({ bodyLimit: 4096, dashboard: { readOnly: true } });
    });

    it('refuses SMSQ_REPORT_TOKEN equal to SMSQ_API_TOKEN or SMSQ_DASHBOARD_TOKEN, naming both and the fix, never the value (it started without a word, the API token in Alibaba\'s push URL)', () => {
      const token = 'c'.repeat(32);
      for (const other of ['SMSQ_API_TOKEN', 'SMSQ_DASHBOARD_TOKEN']) {
        const err = errorOf({ SMSQ_REPORT_TOKEN: token, [other]: token });
        expect(err.lines, other).toEqual([
          `SMSQ_REPORT_TOKEN is the same as ${other}: the report token sits in the push URL in Alibaba's console, so it would open what ${other} guards to whoever reads that URL. Fix: give SMSQ_REPORT_TOKEN a value of its own (SMSQ_REPORT_TOKEN=$(openssl rand -hex 24))`,
        ]);
        expect(err.message).not.toContain(token);
      }
      expect(loadConfig({ SMSQ_REPORT_TOKEN: token, SMSQ_API_TOKEN: 'd'.repeat(32), SMSQ_DASHBOARD_TOKEN: 'e'.repeat(32) }).reportToken).toBe(token);
    });

    it('names each bad server variable with its fix, and never prints tokens or passwords', () => {
      const err = errorOf({
        SMSQ_SERVER_PORT: '70000',
        SMSQ_SERVER_HOST: 'http://x',
        SMSQ_API_TOKEN: 'short-secret',
        SMSQ_DASHBOARD_TOKEN: 'has a space in it!',
        SMSQ_DASHBOARD_READ_ONLY: 'yes',
        SMSQ_SERVER_BODY_LIMIT: 'lots',
        SMSQ_SERVER_CSV_LIMIT: '10',
      });
      expect(err.lines).toHaveLength(7);
      expect(err.message).toMatch(/SMSQ_SERVER_PORT="70000" must be at most 65535\. Fix: SMSQ_SERVER_PORT=8080/);
      expect(err.message).toMatch(/SMSQ_SERVER_HOST="http:\/\/x" must be a host name or IP address/);
      expect(err.message).toMatch(/SMSQ_API_TOKEN=<redacted> must be at least 16 characters\. Fix: SMSQ_API_TOKEN=\$\(openssl rand -hex 32\)/);
      expect(err.message).toMatch(/SMSQ_DASHBOARD_TOKEN=<redacted> must not contain spaces/);
      expect(err.message).toMatch(/SMSQ_DASHBOARD_READ_ONLY="yes" must be true, false, 1 or 0\. Fix: /);
      expect(err.message).toMatch(/SMSQ_SERVER_BODY_LIMIT="lots" must be a size like 4MiB/);
      expect(err.message).toMatch(/SMSQ_SERVER_CSV_LIMIT="10" must be at least 1024 bytes/);
      expect(err.message).not.toContain('short-secret');
      expect(err.message).not.toContain('has a space');
    });

    it('compacts final sends unless SMSQ_COMPACT_FINISHED says false, and names a bad value with its fix', () => {
      expect(loadConfig({}).compactFinished).toBe(true);
      expect(loadConfig({ SMSQ_COMPACT_FINISHED: 'false' }).compactFinished).toBe(false);
      expect(loadConfig({ SMSQ_COMPACT_FINISHED: '0' }).compactFinished).toBe(false);
      expect(loadConfig({ SMSQ_COMPACT_FINISHED: '1' }).compactFinished).toBe(true);
      // The refusal names every value taken, 1 and 0 too, as docs/configuration.md does.
      for (const bad of ['no', 'yes']) {
        const err = errorOf({ SMSQ_COMPACT_FINISHED: bad });
        expect(err.lines).toEqual([`SMSQ_COMPACT_FINISHED="${bad}" must be true, false, 1 or 0. Fix: SMSQ_COMPACT_FINISHED=false to keep every record of a final send as it was`]);
      }
    });

    it('refuses half a dashboard login and never prints the password', () => {
      const err = errorOf({ SMSQ_DASHBOARD_PASSWORD: 'correct-horse-battery' });
      expect(err.lines).toEqual([
        'SMSQ_DASHBOARD_USER is missing while its partner is set. Fix: set both SMSQ_DASHBOARD_USER and SMSQ_DASHBOARD_PASSWORD, or neither',
      ]);
      expect(errorOf({ SMSQ_DASHBOARD_USER: 'ops', SMSQ_DASHBOARD_PASSWORD: 'short' }).message).toMatch(
        /SMSQ_DASHBOARD_PASSWORD=<redacted> must be at least 12 characters/,
      );
    });
  });
});

describe('runningUnderVitest', () => {
  it('is true here, so every server a test builds checks its answers, and false without VITEST', () => {
    expect(runningUnderVitest()).toBe(true);
    expect(runningUnderVitest({})).toBe(false);
  });
});
