import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { LIVE_ENDPOINT, SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { SMS_CLIENT_DEFAULTS, SmsClientOptionsError, createSmsClient, resolveClientOptions } from '../../src/sms/client.js';
import { clientOptionsFromConfig } from '../../src/runtime/sms-client-options.js';

const base: Config = {
  redisUrl: 'redis://127.0.0.1:6379',
  mode: 'sandbox',
  endpoint: '127.0.0.1:9999',
  protocol: 'http',
  qps: 4500,
  readTimeoutMs: 2500,
  logLevel: 'info',
  accessKey: undefined,
} as Config;

describe('resolveClientOptions', () => {
  it('applies the defaults; connectTimeoutMs follows readTimeoutMs', () => {
    const o = resolveClientOptions({ credential: { kind: 'default-chain' } });
    expect(o).toEqual({
      endpoint: LIVE_ENDPOINT,
      protocol: 'https',
      readTimeoutMs: SMS_CLIENT_DEFAULTS.readTimeoutMs,
      connectTimeoutMs: SMS_CLIENT_DEFAULTS.readTimeoutMs,
      credential: { kind: 'default-chain' },
      userAgent: SMS_CLIENT_DEFAULTS.userAgent,
    });
    expect(o.userAgent).toMatch(/^smsq\//);
    expect(resolveClientOptions({ credential: { kind: 'default-chain' }, readTimeoutMs: 1000 }).connectTimeoutMs).toBe(1000);
  });

  it('refuses options that cannot work', () => {
    const cred = { kind: 'default-chain' } as const;
    expect(() => resolveClientOptions({ credential: cred, endpoint: 'http://x' })).toThrow(SmsClientOptionsError);
    expect(() => resolveClientOptions({ credential: cred, readTimeoutMs: 0 })).toThrow(SmsClientOptionsError);
    expect(() => resolveClientOptions({ credential: { kind: 'access-key', accessKeyId: '', accessKeySecret: 's' } })).toThrow(SmsClientOptionsError);
    expect(() => resolveClientOptions({ credential: {} as never })).toThrow(SmsClientOptionsError);
    expect(() => createSmsClient({ credential: cred, protocol: 'ftp' as never })).toThrow(SmsClientOptionsError);
  });
});

describe('clientOptionsFromConfig', () => {
  it('signs live calls with the default credential chain', () => {
    const o = clientOptionsFromConfig({ ...base, mode: 'live', endpoint: LIVE_ENDPOINT, protocol: 'https', accessKey: { accessKeyId: 'a', accessKeySecret: 'b' } });
    expect(o).toMatchObject({ endpoint: LIVE_ENDPOINT, protocol: 'https', readTimeoutMs: 2500, credential: { kind: 'default-chain' } });
  });

  it('signs sandbox calls with the configured key, else the sandbox key', () => {
    expect(clientOptionsFromConfig(base).credential).toEqual({ kind: 'access-key', ...SANDBOX_ACCESS_KEY });
    const own = clientOptionsFromConfig({ ...base, accessKey: { accessKeyId: 'id', accessKeySecret: 'secret' } });
    expect(own).toMatchObject({ endpoint: '127.0.0.1:9999', protocol: 'http', credential: { kind: 'access-key', accessKeyId: 'id', accessKeySecret: 'secret' } });
  });

  it('needs an endpoint in sandbox mode', () => {
    expect(() => clientOptionsFromConfig({ ...base, endpoint: undefined })).toThrow(/emulator/);
    try {
      clientOptionsFromConfig({ ...base, endpoint: undefined });
    } catch (e) {
      expect((e as SmsClientOptionsError).code).toBe('SMSQ_SMS_CLIENT_OPTIONS');
    }
  });
});
