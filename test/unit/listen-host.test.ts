import { describe, expect, it } from 'vitest';
import { isListenHost } from '../../src/listen-host.js';

describe('isListenHost: what --host and SMSQ_SERVER_HOST take', () => {
  it('takes IP addresses and host names', () => {
    for (const host of ['127.0.0.1', '0.0.0.0', '::', '::1', 'fe80::1', 'localhost', 'smsq-1.internal', 'example.com.']) expect(isListenHost(host), host).toBe(true);
  });

  it('refuses what no listen can take: spaces, dotted digits that are no IPv4 address, URLs, bad labels', () => {
    for (const host of ['not a host', '999.1.1.1', '1.2.3', '256.0.0.1', 'http://127.0.0.1', '127.0.0.1:8080', '-x.example', 'a..b', 'x_y', '']) expect(isListenHost(host), host).toBe(false);
  });
});
