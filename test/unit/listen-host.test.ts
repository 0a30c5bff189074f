import { describe, expect, it } from 'vitest';
import { isEveryInterface, isListenHost, localUrlHost } from '../../src/listen-host.js';

describe('isListenHost: what --host and SMSQ_SERVER_HOST take', () => {
  it('takes IP addresses and host names', () => {
    for (const host of ['127.0.0.1', '0.0.0.0', '::', '::1', 'fe80::1', 'localhost', 'smsq-1.internal', 'example.com.']) expect(isListenHost(host), host).toBe(true);
  });

  it('refuses what no listen can take: spaces, dotted digits that are no IPv4 address, URLs, bad labels', () => {
    for (const host of ['not a host', '999.1.1.1', '1.2.3', '256.0.0.1', 'http://127.0.0.1', '127.0.0.1:8080', '-x.example', 'a..b', 'x_y', '']) expect(isListenHost(host), host).toBe(false);
  });
});

describe('where a server bound to an address is reached from this machine', () => {
  it('knows the wildcard addresses, in any IPv6 spelling', () => {
    for (const address of ['0.0.0.0', '::', '::0', '0:0:0:0:0:0:0:0']) expect(isEveryInterface(address), address).toBe(true);
    for (const address of ['127.0.0.1', '::1', '10.0.0.0', 'localhost', '0.0.0.1', 'fe80::']) expect(isEveryInterface(address), address).toBe(false);
  });

  it('gives loopback of the same family for a wildcard, IPv6 in brackets, anything else as it is', () => {
    expect(localUrlHost('0.0.0.0')).toBe('127.0.0.1');
    expect(localUrlHost('::')).toBe('[::1]');
    expect(localUrlHost('::1')).toBe('[::1]');
    expect(localUrlHost('fe80::1')).toBe('[fe80::1]');
    expect(localUrlHost('10.1.2.3')).toBe('10.1.2.3');
    expect(localUrlHost('localhost')).toBe('localhost');
  });
});
