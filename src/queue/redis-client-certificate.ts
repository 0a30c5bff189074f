/**
 * The TLS client certificate smsq's commands present to Redis (SMSQ_REDIS_TLS_CERT and
 * SMSQ_REDIS_TLS_KEY: two PEM files), read and checked when a command starts: a path that cannot
 * be read, a file that holds no certificate or no unencrypted key, or a key that is not the
 * certificate's, is said naming the variable and the fix, before anything connects. Found only at
 * the handshake, each read as Redis not answering (a node refusing the handshake closes the link;
 * through Sentinel nothing is said at all).
 */
import { readFileSync } from 'node:fs';
import { keyPairFault } from './tls-key-pair.js';
import { ConfigError } from '../errors.js';
import type { RedisClientCertificate } from './connection.js';

/** The two files, as the configuration names them. */
export interface RedisClientCertificateFiles {
  certFile: string;
  keyFile: string;
}

const CERT = 'SMSQ_REDIS_TLS_CERT';
const KEY = 'SMSQ_REDIS_TLS_KEY';

/** Reads and checks the certificate and key; throws ConfigError naming the variable at fault. */
export function readRedisClientCertificate(files: RedisClientCertificateFiles, read: (path: string) => Buffer = readFileSync): RedisClientCertificate {
  const problems: string[] = [];
  const readVar = (name: string, path: string, example: string): Buffer | undefined => {
    try {
      return read(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      problems.push(`${name}=${JSON.stringify(path)} cannot be read (${code}). Fix: ${name}=<path of a readable PEM file>, e.g. ${name}=${example}, readable by the user smsq runs as`);
      return undefined;
    }
  };
  const cert = readVar(CERT, files.certFile, '/etc/smsq/redis-client.crt');
  const key = readVar(KEY, files.keyFile, '/etc/smsq/redis-client.key');
  if (cert !== undefined && !cert.includes('-----BEGIN CERTIFICATE-----')) {
    problems.push(`${CERT}=${JSON.stringify(files.certFile)} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line). Fix: the client certificate in PEM (openssl x509 -in client.der -inform der -out client.crt)`);
  }
  if (key !== undefined && /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(key.toString('latin1'))) {
    problems.push(`${KEY}=${JSON.stringify(files.keyFile)} is encrypted with a passphrase, which smsq has no setting for. Fix: an unencrypted copy readable only by smsq's user (openssl pkey -in client.key -out client-plain.key)`);
  } else if (key !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1'))) {
    problems.push(`${KEY}=${JSON.stringify(files.keyFile)} holds no PEM private key (no "-----BEGIN ... PRIVATE KEY-----" line). Fix: the key of the client certificate, in PEM`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const certificate = { cert: cert as Buffer, key: key as Buffer };
  const fault = keyPairFault(certificate);
  if (fault !== undefined) {
    throw new ConfigError([
      fault.kind === 'mismatch'
        ? `${KEY}=${JSON.stringify(files.keyFile)} is not the key of the certificate in ${CERT}=${JSON.stringify(files.certFile)}. Fix: the key the certificate was made with (openssl x509 -noout -pubkey -in cert and openssl pkey -pubout -in key print the same)`
        : `${CERT} and ${KEY} were refused by Node's TLS (${fault.reason}). Fix: a PEM certificate and its unencrypted PEM key`,
    ]);
  }
  return certificate;
}
