/**
 * Whether a TLS certificate and key can be presented, judged as `tls.connect` judges them (Node's
 * own secure context), before any handshake: found there, a key that is not the certificate's
 * read as Redis not answering. One judgement for the environment's files
 * (redis-client-certificate.ts) and a library caller's `clientCertificate` (connection.ts), each
 * saying it in its own terms.
 */
import { createSecureContext } from 'node:tls';

/** `mismatch`: the key is not the certificate's; `refused`: Node refused them otherwise, with its reason. */
export type KeyPairFault = { kind: 'mismatch' } | { kind: 'refused'; reason: string };

export function keyPairFault(pair: { cert: string | Buffer; key: string | Buffer }): KeyPairFault | undefined {
  try {
    createSecureContext({ cert: pair.cert, key: pair.key });
    return undefined;
  } catch (err) {
    const reason = (err as Error).message;
    return /key values mismatch/i.test(reason) ? { kind: 'mismatch' } : { kind: 'refused', reason };
  }
}
