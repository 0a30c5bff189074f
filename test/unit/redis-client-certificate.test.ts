import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { readRedisClientCertificate } from '../../src/queue/redis-client-certificate.js';
import { makeTlsCertificates, type TlsFiles } from '../support/tls-certs.js';

let dir: string;
let files: TlsFiles;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smsq-client-cert-'));
  ({ files } = await makeTlsCertificates(dir));
}, 30_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configProblems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return '';
}

function readProblems(certFile: string, keyFile: string): string {
  try {
    readRedisClientCertificate({ certFile, keyFile });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return '';
}

describe('SMSQ_REDIS_TLS_CERT and SMSQ_REDIS_TLS_KEY (a client certificate for Redis\'s default tls-auth-clients yes)', () => {
  it('are taken together, for a URL in TLS only', () => {
    const config = loadConfig({ REDIS_URL: 'rediss://redis.internal:6380', SMSQ_REDIS_TLS_CERT: ' /etc/smsq/c.crt ', SMSQ_REDIS_TLS_KEY: '/etc/smsq/c.key' });
    expect(config.redisClientCertificate).toEqual({ certFile: '/etc/smsq/c.crt', keyFile: '/etc/smsq/c.key' });
    expect(loadConfig({}).redisClientCertificate).toBeUndefined();
    expect(configProblems({ REDIS_URL: 'rediss://redis.internal:6380', SMSQ_REDIS_TLS_CERT: '/etc/smsq/c.crt' })).toContain('SMSQ_REDIS_TLS_KEY is missing while its partner is set. Fix: set both SMSQ_REDIS_TLS_CERT and SMSQ_REDIS_TLS_KEY');
    expect(configProblems({ REDIS_URL: 'redis://127.0.0.1:6379', SMSQ_REDIS_TLS_CERT: '/a', SMSQ_REDIS_TLS_KEY: '/b' })).toContain('REDIS_URL does not speak TLS. Fix: REDIS_URL=rediss://');
    expect(configProblems({ REDIS_URL: 'rediss+sentinel://s1:26379/mymaster', SMSQ_REDIS_TLS_CERT: '/a', SMSQ_REDIS_TLS_KEY: '/b' })).toBe('');
    expect(configProblems({ REDIS_URL: 'rediss://r:6380', SMSQ_REDIS_TLS_CERT: '  ', SMSQ_REDIS_TLS_KEY: '/b' })).toMatch(/SMSQ_REDIS_TLS_CERT.*is set but empty/);
  });

  it('reads a certificate and its key; refuses, naming the variable, a path that cannot be read, a file that is no PEM certificate or key, an encrypted key, and a key that is not the certificate\'s', () => {
    expect(readRedisClientCertificate({ certFile: files.certFile, keyFile: files.keyFile })).toEqual({ cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) });

    expect(readProblems(join(dir, 'nope.crt'), files.keyFile)).toMatch(/SMSQ_REDIS_TLS_CERT=".*nope\.crt" cannot be read \(ENOENT\)\. Fix: /);
    expect(readProblems(files.keyFile, files.keyFile)).toContain('holds no PEM certificate');
    expect(readProblems(files.certFile, files.certFile)).toContain('SMSQ_REDIS_TLS_KEY=');
    expect(readProblems(files.certFile, files.certFile)).toContain('holds no PEM private key');
    const encrypted = join(dir, 'encrypted.key');
    writeFileSync(encrypted, '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n');
    expect(readProblems(files.certFile, encrypted)).toContain('is encrypted with a passphrase');
    // The CA's key with the node's certificate: what a handshake would fail on, said before it.
    expect(readProblems(files.certFile, join(dir, 'ca.key'))).toMatch(/SMSQ_REDIS_TLS_KEY=".*ca\.key" is not the key of the certificate in SMSQ_REDIS_TLS_CERT=/);
  });
});

describe('createRedisConnection clientCertificate', () => {
  it('is refused for a URL without TLS, and when it is not PEM text', () => {
    const cert = readFileSync(files.certFile);
    const key = readFileSync(files.keyFile);
    expect(() => createRedisConnection('redis://127.0.0.1:1', { lazyConnect: true, clientCertificate: { cert, key } })).toThrow(/clientCertificate is presented in TLS only/);
    expect(() => createRedisConnection('rediss://127.0.0.1:1', { lazyConnect: true, clientCertificate: { cert: 42 as unknown as string, key } })).toThrow(/clientCertificate must be \{ cert, key \}/);
    // Found at the handshake it read as Redis not answering ("Fix: start Redis there").
    expect(() => createRedisConnection('rediss://127.0.0.1:1', { lazyConnect: true, clientCertificate: { cert, key: readFileSync(join(dir, 'ca.key')) } })).toThrow(/clientCertificate's key is not the key of its cert/);
    expect(() => createRedisConnection('rediss://127.0.0.1:1', { lazyConnect: true, clientCertificate: { cert: 'not a certificate', key } })).toThrow(/clientCertificate was refused by Node's TLS/);
  });

  it('goes to every socket: one Redis, a Sentinel deployment\'s sentinels and nodes, a Cluster\'s nodes', () => {
    const certificate = { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
    const one = createRedisConnection('rediss://127.0.0.1:1', { lazyConnect: true, clientCertificate: certificate });
    expect(one.options).toMatchObject({ tls: certificate });
    const sentinel = createRedisConnection('rediss+sentinel://127.0.0.1:1/mymaster', { lazyConnect: true, clientCertificate: certificate });
    expect(sentinel.options).toMatchObject({ tls: certificate, sentinelTLS: certificate, enableTLSForSentinelMode: true });
    const cluster = createRedisConnection('rediss+cluster://127.0.0.1:1', { lazyConnect: true, clientCertificate: certificate });
    expect(cluster.options).toMatchObject({ redisOptions: { tls: certificate } });
    for (const c of [one, sentinel, cluster]) c.disconnect();
  });
});
