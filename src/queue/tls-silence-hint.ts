/**
 * What the silence of a TLS `REDIS_URL` may be, said after "does not answer". A TLS handshake
 * that a plain Redis never answers looks like silence. Through Sentinel, so does a refused one:
 * ioredis tries each sentinel and keeps none of their TLS errors (an untrusted CA, a client
 * certificate required), so the two settings TLS needs are named. Empty for a URL without TLS.
 */
export function tlsSilenceHint(redactedUrl: string): string {
  if (redactedUrl.startsWith('rediss://')) return '; rediss:// speaks TLS, and a Redis without TLS never answers it: redis:// if this one has none';
  if (!redactedUrl.startsWith('rediss+sentinel://')) return '';
  return (
    '; rediss+sentinel:// speaks TLS to the sentinels and to the primary and replicas they name: a deployment without TLS never answers it (redis+sentinel:// if so), ' +
    "and one in TLS answers only when this process trusts its CA (Node's CA store, or NODE_EXTRA_CA_CERTS=/path/to/ca.crt for a private CA) " +
    'and its sentinels and nodes ask no client certificate, which smsq does not present (tls-auth-clients optional, or no)'
  );
}
