import { describe, expect, it } from 'vitest';
import { canonicalJson, requestFingerprint } from '../../producers/request-fingerprint.js';

const REQ = { phones: ['13800138000'], signName: 'Shop', templateCode: 'SMS_123456', templateParam: { b: '2', a: '1' } };

describe('request fingerprints', () => {
  it('prints equal values equally whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: undefined, c: 'x' }] })).toBe('{"a":[1,{"c":"x"}],"b":1}');
  });

  it('is the same for the same request written differently, and different for another request', () => {
    const f = requestFingerprint('send', REQ);
    expect(requestFingerprint('send', { ...REQ, templateParam: { a: '1', b: '2' }, phones: ['+86 138-0013-8000'], signName: ' Shop ', idempotencyKey: 'k' })).toBe(f);
    expect(requestFingerprint('send', { ...REQ, kind: 'notification' })).toBe(f); // the default, spelled out
    expect(requestFingerprint('send', { ...REQ, phones: ['13900139000'] })).not.toBe(f);
    expect(requestFingerprint('send', { ...REQ, kind: 'marketing' })).not.toBe(f);
    expect(requestFingerprint('campaign', { signName: 'Shop', templateCode: 'SMS_123456' })).not.toBe(requestFingerprint('campaign', { signName: 'Shop', templateCode: 'SMS_123457' }));
  });
});
