import { describe, expect, it } from 'vitest';
import { addressFreeReason } from '../../src/queue/address-free-reason.js';

describe('addressFreeReason: why Redis does not answer, without where it is', () => {
  it.each([
    ['connect ECONNREFUSED 10.0.0.5:6379', 'connection refused'],
    ['connect ECONNREFUSED ::1:6379', 'connection refused'],
    ['getaddrinfo ENOTFOUND redis.internal', 'its host name does not resolve'],
    ['getaddrinfo EAI_AGAIN redis.internal', 'its host name does not resolve'],
    ['connect EHOSTUNREACH 10.0.0.5:6379', 'its host cannot be reached'],
    ['connect ETIMEDOUT', 'no answer in time'],
    ['Command timed out', 'no answer in time'],
    ['no answer within 5000 ms', 'no answer within 5000 ms'],
    ['no answer within 800 ms; rediss:// speaks TLS, and a Redis without TLS never answers it: redis:// if this one has none', 'no answer within 800 ms'],
    ['the readiness check did not answer within 2000 ms', 'no answer within 2000 ms'],
    ['read ECONNRESET', 'the connection was lost'],
    ['the connection was lost; reconnecting', 'the connection was lost'],
    ['Connection is closed.', 'the connection was lost'],
    ['connection end', 'the connection was lost'],
    ['None of startup nodes is available', 'no Cluster node answers'],
    ['Failed to refresh slots cache.', 'no Cluster node answers'],
    ['the TLS certificate of 10.0.0.7:6380 was refused: Hostname/IP does not match certificate\'s altnames: IP: 10.0.0.7 is not in the cert\'s list: DNS:redis.internal', "Redis's TLS certificate was refused"],
    // Anything else might name the address: said as what it is at least.
    ['WRONGPASS invalid username-password pair or user is disabled. (user opsuser at 10.0.0.5:6379)', 'the connection failed'],
  ])('%s → %s', (reason, words) => {
    expect(addressFreeReason(reason)).toBe(words);
  });
});
