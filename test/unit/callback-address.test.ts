import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ipOfHost, isForbiddenCallbackAddress } from '../../src/callback-address.js';
import { ForbiddenCallbackAddressError, guardedLookup } from '../../workers/callback-post.js';

describe('callback addresses', () => {
  it('forbids link-local and metadata addresses in every form, and nothing else', () => {
    for (const a of ['169.254.169.254', '169.254.0.1', '100.100.100.200', '0.0.0.0', '0.1.2.3', '::', 'fe80::1', 'fd00:ec2::254', '::ffff:a9fe:a9fe', '::ffff:100.100.100.200', '::ffff:0:a9fe:a9fe', '::a9fe:a9fe', '64:ff9b::a9fe:a9fe', '64:ff9b::6464:64c8']) {
      expect(isForbiddenCallbackAddress(a), a).toBe(true);
    }
    for (const a of ['127.0.0.1', '::1', '::a00:5', '64:ff9b::a00:5', '10.0.0.5', '192.168.1.1', '100.100.100.201', '8.8.8.8', 'fd00::1', 'hooks.example.com']) {
      expect(isForbiddenCallbackAddress(a), a).toBe(false);
    }
  });

  it('reads a URL host as an address only when it is one', () => {
    expect(ipOfHost('[::ffff:a9fe:a9fe]')).toBe('::ffff:a9fe:a9fe');
    expect(ipOfHost('169.254.169.254')).toBe('169.254.169.254');
    expect(ipOfHost('metadata.example')).toBeUndefined();
  });
});

describe('the guarded look-up', () => {
  const resolver = (answer: LookupAddress[]): LookupFunction => (_host, options, callback) =>
    options.all ? callback(null, answer) : callback(null, answer[0]!.address, answer[0]!.family);
  const run = (lookup: LookupFunction, all: boolean) =>
    new Promise<{ err: Error | null; address: unknown }>((resolve) => guardedLookup(lookup)('cb.example', { all }, (err, address) => resolve({ err, address })));

  it('fails a name when any address it resolves to is forbidden, in both answer forms', async () => {
    const mixed = resolver([{ address: '10.0.0.5', family: 4 }, { address: '169.254.169.254', family: 4 }]);
    const all = await run(mixed, true);
    expect(all.err).toBeInstanceOf(ForbiddenCallbackAddressError);
    expect(all.err?.message).toContain('names cb.example, which resolves to 169.254.169.254');
    expect((await run(resolver([{ address: '100.100.100.200', family: 4 }]), false)).err).toBeInstanceOf(ForbiddenCallbackAddressError);
  });

  it('passes allowed answers and resolver errors through unchanged', async () => {
    expect(await run(resolver([{ address: '10.0.0.5', family: 4 }, { address: '::1', family: 6 }]), true)).toEqual({ err: null, address: [{ address: '10.0.0.5', family: 4 }, { address: '::1', family: 6 }] });
    const notFound = Object.assign(new Error('getaddrinfo ENOTFOUND cb.example'), { code: 'ENOTFOUND' });
    const failing: LookupFunction = (_h, _o, callback) => callback(notFound, '', 4);
    expect((await run(failing, false)).err).toBe(notFound);
  });
});
