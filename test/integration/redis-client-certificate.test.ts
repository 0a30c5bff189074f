/**
 * A Redis in TLS that asks clients for a certificate (`tls-auth-clients yes`, Redis's own default):
 * smsq presented none, so every command, worker and server was refused at the handshake and said
 * only that Redis does not answer. SMSQ_REDIS_TLS_CERT and SMSQ_REDIS_TLS_KEY give it one. Real
 * processes (`smsq sends`, `smsq worker`, `smsq send --wait`), a real redis-server in TLS only,
 * the emulator through the SDK.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { EXIT } from '../../src/errors.js';
import { SPAWNED_MS, spawnSmsq, untilExited, type CliProcess } from '../support/cli-process.js';
import { startTlsRedis, type TlsRedis } from '../support/redis-topology.js';
import { makeTlsCertificates } from '../support/tls-certs.js';
import { waitFor } from '../support/wait.js';

let redis: TlsRedis;
let emulator: Emulator;
let endpoint: string;
const children: CliProcess[] = [];

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  ({ endpoint } = await emulator.listen());
  redis = await startTlsRedis('yes');
}, 60_000);

afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  await redis?.stop();
  await emulator?.close();
});

function smsq(args: string[], certificate: boolean, extra: NodeJS.ProcessEnv = {}): CliProcess {
  const p = spawnSmsq(args, {
    REDIS_URL: redis.url,
    NODE_EXTRA_CA_CERTS: redis.caFile,
    SMSQ_PREFIX: '{client-cert}',
    SMS_MODE: 'sandbox',
    SMS_ENDPOINT: endpoint,
    LOG_LEVEL: 'warn',
    SMSQ_QUIET_HOURS: 'off',
    SMSQ_REDIS_CONNECT_TIMEOUT_MS: '2000',
    ...(certificate ? { SMSQ_REDIS_TLS_CERT: redis.certFile, SMSQ_REDIS_TLS_KEY: redis.keyFile } : {}),
    ...extra,
  });
  children.push(p);
  return p;
}

describe('REDIS_URL=rediss:// to a Redis whose tls-auth-clients is yes', () => {
  it('without a client certificate: refused at the handshake, exit 3 in one line saying so and naming the settings it needs (it said "does not answer" with OpenSSL\'s alert, a log line before it, and "Fix: start Redis there")', async () => {
    const sends = smsq(['sends'], false);
    expect(await sends.exited, sends.stderr).toBe(EXIT.dependency);
    const lines = sends.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines, sends.stderr).toHaveLength(1);
    expect(lines[0]).toBe(
      `error SMSQ_REDIS_UNAVAILABLE: Redis at REDIS_URL=${redis.url} refused the TLS handshake: it asks for a client certificate (tls-auth-clients yes) and none was presented (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED); nothing was changed. Fix: give SMSQ_REDIS_TLS_CERT and SMSQ_REDIS_TLS_KEY: a certificate signed by a CA the Redis trusts (its tls-ca-cert-file), with its key; or set tls-auth-clients optional (or no) on the Redis`,
    );
  }, SPAWNED_MS);

  it('a worker without one says the same once in its warning, and keeps retrying', async () => {
    const worker = smsq(['worker', '--concurrency', '2'], false);
    const warning = await untilExited(worker, waitFor(() => worker.stderr.split('\n').find((l) => l.includes('refused the TLS handshake')), 'the worker to say why', SPAWNED_MS));
    expect(warning).toContain('retrying with back-off');
    expect(warning).toContain('Fix: give SMSQ_REDIS_TLS_CERT and SMSQ_REDIS_TLS_KEY');
    expect(worker.stderr).not.toContain('does not answer');
    worker.child.kill('SIGTERM');
    await worker.exited;
  }, SPAWNED_MS);

  it('with SMSQ_REDIS_TLS_CERT and SMSQ_REDIS_TLS_KEY: smsq sends reads, and a worker and smsq send --wait get a code accepted once', async () => {
    const sends = smsq(['sends'], true);
    expect(await sends.exited, sends.stderr).toBe(EXIT.ok);

    const worker = smsq(['worker', '--concurrency', '2'], true, { LOG_LEVEL: 'info' });
    await untilExited(worker, waitFor(() => /smsq worker running/.test(worker.stderr), 'the worker to run', SPAWNED_MS));
    const phone = '13800138071';
    const sent = smsq(['send', '--phones', phone, '--sign', N.sign, '--template', N.verificationTemplate, '--param', '{"code":"123456"}', '--kind', 'verification', '--yes', '--wait', '--timeout', '60s'], true);
    expect(await sent.exited, sent.stderr).toBe(EXIT.ok);
    expect(emulator.accepted().filter((s) => s.phoneNumbers.includes(phone))).toHaveLength(1);
    worker.child.kill('SIGTERM');
    expect(await worker.exited, worker.stderr).toBe(EXIT.ok);
  }, 3 * SPAWNED_MS);

  it('a certificate of a CA the Redis does not trust: exit 3 saying so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smsq-other-ca-'));
    try {
      const { files } = await makeTlsCertificates(dir);
      const sends = smsq(['sends'], true, { SMSQ_REDIS_TLS_CERT: files.certFile, SMSQ_REDIS_TLS_KEY: files.keyFile });
      expect(await sends.exited, sends.stderr).toBe(EXIT.dependency);
      expect(sends.stderr).toContain(`Redis at REDIS_URL=${redis.url} refused the TLS handshake: it does not trust the CA of the client certificate presented (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, SPAWNED_MS);

  it('a key that is not the certificate\'s: exit 2 naming SMSQ_REDIS_TLS_KEY, before anything connects', async () => {
    const sends = smsq(['sends'], true, { SMSQ_REDIS_TLS_KEY: redis.caFile.replace(/ca\.crt$/, 'ca.key') });
    expect(await sends.exited, sends.stderr).toBe(EXIT.refused);
    expect(sends.stderr).toMatch(/SMSQ_REDIS_TLS_KEY=".*ca\.key" is not the key of the certificate in SMSQ_REDIS_TLS_CERT=/);
  }, SPAWNED_MS);
});
