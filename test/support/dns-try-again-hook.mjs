/**
 * `node --import test/support/dns-try-again-hook.mjs`: a host name ending in `.try-again.test` is
 * answered as a DNS server that did not answer in time answers getaddrinfo (EAI_AGAIN), the
 * transient failure no real name can be made to give on demand. Every other name resolves as usual.
 */
import dns from 'node:dns';
import process from 'node:process';

const lookup = dns.lookup;
dns.lookup = function lookupTryingAgain(hostname, options, callback) {
  if (typeof hostname === 'string' && hostname.endsWith('.try-again.test')) {
    const done = typeof options === 'function' ? options : callback;
    const err = Object.assign(new Error(`getaddrinfo EAI_AGAIN ${hostname}`), { code: 'EAI_AGAIN', errno: -3001, syscall: 'getaddrinfo', hostname });
    process.nextTick(() => done(err));
    return {};
  }
  return Reflect.apply(lookup, this, [hostname, options, callback]);
};
