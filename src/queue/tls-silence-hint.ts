/**
 * What the silence of a TLS `REDIS_URL` may be, said after "does not answer". A TLS handshake
 * that a plain Redis never answers looks like silence. Through Sentinel, so does a refused one:
 * ioredis tries each sentinel and keeps none of their TLS errors (an untrusted CA, a client
 * certificate required), so the settings TLS needs are named. A Cluster's refused certificate is
 * said (droppable-cluster.ts), followed by the same settings: a node's certificate must also name
 * the address the node is reached at, which for most nodes is the one the Cluster announces, not
 * one REDIS_URL names. Empty for a URL without TLS.
 */
export function tlsSilenceHint(redactedUrl: string): string {
  if (redactedUrl.startsWith('rediss://')) return '; rediss:// speaks TLS, and a Redis without TLS never answers it: redis:// if this one has none';
  const trust = "this process trusts its CA (Node's CA store, or NODE_EXTRA_CA_CERTS=/path/to/ca.crt for a private CA)";
  const noClientCertificate = 'ask no client certificate (tls-auth-clients optional, or no), or are given one they trust (SMSQ_REDIS_TLS_CERT and SMSQ_REDIS_TLS_KEY)';
  if (redactedUrl.startsWith('rediss+cluster://')) {
    return (
      '; rediss+cluster:// speaks TLS to every node of the Cluster: a Cluster without TLS never answers it (redis+cluster:// if so), ' +
      `and one in TLS answers only when ${trust}, each node's certificate names the address it is reached at ` +
      `(the host REDIS_URL names for a seed, the address the Cluster announces for every node: CLUSTER SLOTS), and its nodes ${noClientCertificate}`
    );
  }
  if (!redactedUrl.startsWith('rediss+sentinel://')) return '';
  return (
    '; rediss+sentinel:// speaks TLS to the sentinels and to the primary and replicas they name: a deployment without TLS never answers it (redis+sentinel:// if so), ' +
    `and one in TLS answers only when ${trust} and its sentinels and nodes ${noClientCertificate}`
  );
}

/**
 * What a refused server certificate needs, said after the refusal (a CA not trusted, a certificate
 * not naming the address dialled): what `REDIS_URL`'s TLS trusts and checks. Empty for a URL
 * without TLS.
 */
export function certificateHint(redactedUrl: string): string {
  const scheme = /^rediss(\+sentinel|\+cluster)?:\/\//.exec(redactedUrl)?.[0];
  if (scheme === undefined) return '';
  const against = scheme === 'rediss+cluster://' ? "each node's against the address it is reached at: the host REDIS_URL names for a seed, the address the Cluster announces (CLUSTER SLOTS) for every node" : 'each against the host dialled';
  return `; ${scheme} trusts the CAs of Node's CA store and of NODE_EXTRA_CA_CERTS=/path/to/ca.crt (a private CA's), and checks certificates, ${against}`;
}
