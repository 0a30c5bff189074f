import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

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
      logLevel: 'info',
      accessKey: undefined,
      prefix: '{smsq}',
      concurrency: 64,
      reconcileSettleMs: 60_000,
      accountRecheckMs: 300_000,
      retentionDays: 30,
    });
  });

  it('uses the live endpoint over https in live mode', () => {
    const c = loadConfig({ SMS_MODE: 'live' });
    expect(c.endpoint).toBe('dysmsapi.aliyuncs.com');
    expect(c.protocol).toBe('https');
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

  it('refuses half an AccessKey pair and never prints the secret', () => {
    const err = errorOf({ ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'topsecret' });
    expect(err.message).toMatch(/ALIBABA_CLOUD_ACCESS_KEY_ID is missing/);
    expect(err.message).not.toContain('topsecret');
  });

  it('requires a hash-tagged prefix', () => {
    expect(errorOf({ SMSQ_PREFIX: 'smsq' }).message).toMatch(/SMSQ_PREFIX="smsq" must be a Redis hash tag/);
    expect(loadConfig({ SMSQ_PREFIX: '{smsq-staging}' }).prefix).toBe('{smsq-staging}');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ SMS_QPS: '', REDIS_URL: '' }).qps).toBe(4500);
  });
});
