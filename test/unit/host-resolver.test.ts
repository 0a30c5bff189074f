import { describe, expect, it } from 'vitest';
import { createHostResolver, namesLink } from '../../src/durability/node-address.js';

/** A lookup the test answers by hand, counting the questions it was asked. */
function heldLookup() {
  const asked: string[] = [];
  const answers: Array<(addresses: { address: string }[]) => void> = [];
  return {
    asked,
    answer: (address: string) => answers.shift()?.([{ address }]),
    lookup: (host: string) => {
      asked.push(host);
      return new Promise<{ address: string }[]>((resolve) => answers.push(resolve));
    },
  };
}

describe('createHostResolver (a sentinel\'s host name)', () => {
  it('gives up on a look-up that does not answer within its wait, and asks for one name once at a time (getaddrinfo holds a thread until it ends)', async () => {
    const dns = heldLookup();
    const resolver = createHostResolver({ lookup: dns.lookup, waitMs: 50 });
    const on = { address: '10.0.0.5', port: 6379 };
    // Before: the look-up was awaited for as long as getaddrinfo took; each check asked again.
    expect(await namesLink('redis-0.redis', 6379, on, resolver)).toBeUndefined();
    expect(await resolver.addressesOf('redis-0.redis')).toEqual([]);
    expect(dns.asked).toEqual(['redis-0.redis']);
    // Another name is its own question.
    expect(await resolver.addressesOf('redis-1.redis')).toEqual([]);
    expect(dns.asked).toEqual(['redis-0.redis', 'redis-1.redis']);

    // A question asked while the look-up is out gets its answer when it comes within the wait.
    const waiting = namesLink('redis-0.redis', 6379, on, resolver);
    dns.answer('::ffff:10.0.0.5');
    expect(await waiting).toBe(true);
    expect(dns.asked).toHaveLength(2);

    // Once answered, the next question is a new look-up (no answer is kept: a pod's address changes).
    const again = resolver.addressesOf('redis-0.redis');
    expect(dns.asked).toEqual(['redis-0.redis', 'redis-1.redis', 'redis-0.redis']);
    dns.answer('10.0.0.5'); // redis-1.redis's
    dns.answer('10.0.0.9');
    expect(await again).toEqual(['10.0.0.9']);
  });

  it('answers an address as itself, and a name that does not resolve as none', async () => {
    const asked: string[] = [];
    const resolver = createHostResolver({
      lookup: async (host) => {
        asked.push(host);
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      },
    });
    expect(await resolver.addressesOf('127.0.0.1')).toEqual(['127.0.0.1']);
    expect(await resolver.addressesOf('::1')).toEqual(['::1']);
    expect(asked).toEqual([]);
    expect(await resolver.addressesOf('nowhere.invalid')).toEqual([]);
    expect(await namesLink('nowhere.invalid', 6379, { address: '127.0.0.1', port: 6379 }, resolver)).toBeUndefined();
  });
});
