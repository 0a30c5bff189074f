/**
 * A certificate authority of its own and one certificate it signed for 127.0.0.1, made with the
 * openssl command in a folder the caller owns: what a Redis deployment that speaks only TLS needs
 * (each server presents the certificate, and uses it as a client towards the others), and what a
 * client must be given to reach it (the CA to trust, the certificate and key to present: Redis
 * asks clients for one by default, `tls-auth-clients yes`).
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The files a TLS Redis is configured with. */
export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** What a Node client (an ioredis `tls` option) is given to reach that Redis. */
export interface TlsClientOptions {
  ca: string;
  cert: string;
  key: string;
}

/** Writes ca.crt, node.crt and node.key into `dir` (P-256 keys, valid a day). */
export async function makeTlsCertificates(dir: string): Promise<{ files: TlsFiles; client: TlsClientOptions }> {
  const file = (name: string) => join(dir, name);
  const openssl = (args: string[]) =>
    run('openssl', args, { timeout: 20_000 }).catch((err: Error & { code?: string }) => {
      throw new Error(err.code === 'ENOENT' ? 'openssl is missing. Fix: apt-get install openssl' : `openssl ${args[0]} failed: ${err.message}`);
    });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', '-new', ...ecKey, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '1', '-subj', '/CN=smsq test CA']);
  await openssl(['req', '-new', ...ecKey, '-keyout', file('node.key'), '-out', file('node.csr'), '-subj', '/CN=127.0.0.1']);
  // Node checks the address it dialled against the subjectAltName, not the CN.
  writeFileSync(file('node.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await openssl(['x509', '-req', '-in', file('node.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file('node.crt'), '-days', '1', '-extfile', file('node.ext')]);
  const files = { caFile: file('ca.crt'), certFile: file('node.crt'), keyFile: file('node.key') };
  return { files, client: { ca: readFileSync(files.caFile, 'utf8'), cert: readFileSync(files.certFile, 'utf8'), key: readFileSync(files.keyFile, 'utf8') } };
}
