import { describe, expect, it } from 'vitest';
import { canonicalJson, differingFields, requestFingerprint as fingerprintOf } from '../../producers/request-fingerprint.js';

const requestFingerprint = (...args: Parameters<typeof fingerprintOf>) => fingerprintOf(...args).digest;

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

  it('keeps the digest that keys claimed by earlier versions hold', () => {
    expect(requestFingerprint('send', REQ)).toBe('1db361a4e386115f08a6e63725b13ff06df2873f1a2ae6a97605f0e8c51bd8fe');
    expect(requestFingerprint('sendBatch', { templateCode: 'SMS_1', messages: [{ phone: '13800138000', signName: 'Shop', templateParam: { a: '1' } }] })).toBe('d17031d67cb9e0775af9a586eb68b04d851d64674e77f8f3afde3718f23ef325');
    expect(requestFingerprint('campaign', { signName: 'Shop', templateCode: 'SMS_123456', name: 'spring' })).toBe('a2e068492525e87dfb9c9cdf0e961ee6b46fa018db8c092dcd9b932d85dee441');
  });

  it('says which fields differ between two requests', () => {
    const first = fingerprintOf('send', REQ).fields;
    expect(differingFields(first, fingerprintOf('send', { ...REQ, phones: ['+86 138-0013-8000'] }).fields)).toEqual([]);
    expect(differingFields(first, fingerprintOf('send', { ...REQ, kind: 'verification', phones: ['13900139000'] }).fields)).toEqual(['kind', 'phones']);
    expect(differingFields(first, fingerprintOf('send', { ...REQ, name: 'spring' }).fields)).toEqual(['name']);
    expect(differingFields(fingerprintOf('send', { ...REQ, name: 'spring' }).fields, first)).toEqual(['name']);
  });

  it('says when the call differs (a campaign\'s key under a send), not when a key claimed before the call was kept says none', () => {
    const campaign = fingerprintOf('campaign', { signName: 'Shop', templateCode: 'SMS_123456' }).fields;
    const send = fingerprintOf('send', { ...REQ, templateCode: 'SMS_123456' }).fields;
    expect(differingFields(campaign, send)).toContain('call');
    const older = campaign.split(',').filter((f) => !f.startsWith('call=')).join(',');
    expect(differingFields(older, send)).not.toContain('call');
    expect(differingFields(send, fingerprintOf('send', { ...REQ, templateCode: 'SMS_123456', name: 'x' }).fields)).toEqual(['name']);
  });

  it('knows what a request without a kind counts as, per call, for the refusal that names a differing kind', async () => {
    const { IdempotencyKeyReusedError } = await import('../../src/errors.js');
    expect(fingerprintOf('send', REQ).defaultKind).toBe('notification');
    const campaign = fingerprintOf('campaign', { signName: 'Shop', templateCode: 'SMS_123456' });
    expect(campaign.defaultKind).toBe('marketing');
    expect(new IdempotencyKeyReusedError('k', ['kind'], campaign.defaultKind).message).toContain('whose `kind` was different (a request without `kind` counts as `kind: "marketing"`)');
    // Two fields, and one no surface spells its own way.
    expect(new IdempotencyKeyReusedError('k', ['phones', 'future']).message).toContain('whose `phones` and `future` were different; nothing was enqueued. Fix: to repeat that request, give it the same `phones` and `future` as the first');
  });
});
