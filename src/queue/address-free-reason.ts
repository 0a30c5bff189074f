/**
 * Why Redis does not answer, in words that name nothing of where it is: for an HTTP answer, whose
 * reader cannot act on the deployment's layout. ioredis's own words do name it (`connect
 * ECONNREFUSED 10.0.0.5:6379`, `getaddrinfo ENOTFOUND redis.internal`), so they are never passed
 * through: each reason is matched to one of a few fixed phrases, and what matches none is said as
 * a failed connection. The operator's log keeps the reason as it was.
 */

const PHRASES: readonly (readonly [RegExp, (m: RegExpExecArray) => string])[] = [
  // A port where something else answers (redis-errors.ts, NOT_REDIS): the operator's to fix, not an outage.
  [/^answered, but not as Redis\b/, () => 'something other than Redis answers where this server looks for it'],
  // A refused certificate (redis-errors.ts, CERTIFICATE_REFUSED) names the node and what it names.
  [/^the TLS certificate\b.*\bwas refused\b/, () => "Redis's TLS certificate was refused"],
  // smsq's own timeouts (the gate's, a readiness check's): the number is a setting, not an address.
  [/\b(?:no answer|did not answer) within (\d+) ms\b/, (m) => `no answer within ${m[1]} ms`],
  [/\bECONNREFUSED\b/, () => 'connection refused'],
  [/\b(?:ENOTFOUND|EAI_AGAIN)\b/, () => 'its host name does not resolve'],
  [/\b(?:EHOSTUNREACH|ENETUNREACH)\b/, () => 'its host cannot be reached'],
  [/\bETIMEDOUT\b|Command timed out/i, () => 'no answer in time'],
  [/None of startup nodes|slots cache/i, () => 'no Cluster node answers'],
  [/\b(?:ECONNRESET|EPIPE|ECONNABORTED)\b|connection was lost|Connection is closed|Socket closed|^connection (?:end|close)$/i, () => 'the connection was lost'],
];

/** `reason` (a RedisUnavailableError's, ioredis's first line) as one of a few fixed phrases. */
export function addressFreeReason(reason: string): string {
  for (const [pattern, phrase] of PHRASES) {
    const m = pattern.exec(reason);
    if (m) return phrase(m);
  }
  return 'the connection failed';
}
