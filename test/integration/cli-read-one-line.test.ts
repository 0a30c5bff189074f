/**
 * A read command (`smsq signs`, `stats`, `sends`, ...) that meets a DNS server that did not answer
 * (EAI_AGAIN) or a connection reset, at SMS_ENDPOINT or at REDIS_URL, says it in one line naming
 * where, that nothing was changed, and the fix, as it says every other failure to reach either.
 * The Dysmsapi calls go through the real SDK; Redis is a real connection; the DNS server that
 * does not answer is test/support/dns-try-again-hook.mjs in a spawned smsq.
 */
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/errors.js';
import { spawnSmsq, SPAWNED_MS, type CliProcess } from '../support/cli-process.js';
import { runSmsqInProcess } from '../support/cli-run.js';
import { testRedisUrl } from '../support/redis.js';

/** A TCP server that resets each connection: at once, or once the request came (`afterRequest`). */
async function resettingServer(afterRequest: boolean): Promise<{ address: string; close: () => Promise<unknown> }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    if (afterRequest) socket.once('data', () => socket.resetAndDestroy());
    else socket.resetAndDestroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

/** stderr lines that are not JSON log lines (what a person reads). */
const plainLines = (stderr: string) => stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));

const env = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ REDIS_URL: testRedisUrl(), SMS_MODE: 'sandbox', SMS_PROTOCOL: 'http', LOG_LEVEL: 'warn', SMSQ_REDIS_CONNECT_TIMEOUT_MS: '1000', ...extra });

const children: CliProcess[] = [];
afterAll(() => {
  for (const c of children) c.child.kill('SIGKILL');
});

async function spawnedWithDnsDown(args: string[], extra: NodeJS.ProcessEnv): Promise<{ code: number | string; stderr: string }> {
  const p = spawnSmsq(args, env(extra), ['--import', './test/support/dns-try-again-hook.mjs']);
  children.push(p);
  return { code: await p.exited, stderr: p.stderr };
}

describe('Dysmsapi, from a read command', () => {
  let reset: Awaited<ReturnType<typeof resettingServer>>;
  beforeAll(async () => {
    reset = await resettingServer(true);
  });
  afterAll(() => reset.close());

  it.each([[['signs']], [['stats', '--start', '20260101', '--end', '20260101']]])(
    'smsq %s against an endpoint that resets the connection: one line naming SMS_ENDPOINT, nothing changed, and the fix (it printed three: the meaning, "detail:", "what to do:")',
    async (args) => {
      const r = await runSmsqInProcess(args, { env: env({ SMS_ENDPOINT: reset.address }) });
      expect(r.code, r.stderr).toBe(EXIT.dependency);
      expect(plainLines(r.stderr)).toEqual([expect.stringMatching(new RegExp(`^error ConnectionReset: the connection to SMS_ENDPOINT=${reset.address} was reset or hung up \\(ECONNRESET\\); nothing was changed\\. Fix: run it again; if it keeps failing, check SMS_ENDPOINT`))]);
    },
  );

  it(
    'smsq signs whose DNS server does not answer: one line naming SMS_ENDPOINT, nothing changed, and the fix (it printed three)',
    async () => {
      const r = await spawnedWithDnsDown(['signs'], { SMS_ENDPOINT: 'dysmsapi.try-again.test:80' });
      expect(r.code, r.stderr).toBe(EXIT.dependency);
      expect(plainLines(r.stderr)).toEqual([
        expect.stringMatching(/^error DnsTemporaryFailure: the host of SMS_ENDPOINT=dysmsapi\.try-again\.test:80 could not be resolved just now \(EAI_AGAIN\); nothing was changed\. Fix: run it again in a moment; if it keeps failing, check this machine's DNS servers and network, and SMS_ENDPOINT$/),
      ]);
    },
    SPAWNED_MS,
  );
});

describe('Redis, from a read command (one line already: kept so)', () => {
  it('smsq sends against a REDIS_URL whose port resets every connection', async () => {
    const reset = await resettingServer(false);
    try {
      const r = await runSmsqInProcess(['sends'], { env: env({ REDIS_URL: `redis://${reset.address}` }) });
      expect(r.code, r.stderr).toBe(EXIT.dependency);
      expect(plainLines(r.stderr)).toEqual([expect.stringMatching(/^error SMSQ_REDIS_UNAVAILABLE: Redis at REDIS_URL=redis:\/\/127\.0\.0\.1:\d+ does not answer \(connect ECONNRESET .*\); nothing was changed; run it again once Redis answers\. Fix: /)]);
    } finally {
      await reset.close();
    }
  });

  it(
    'smsq sends whose DNS server does not answer for the REDIS_URL host',
    async () => {
      const r = await spawnedWithDnsDown(['sends'], { REDIS_URL: 'redis://redis.try-again.test:6379' });
      expect(r.code, r.stderr).toBe(EXIT.dependency);
      expect(plainLines(r.stderr)).toEqual([expect.stringMatching(/^error SMSQ_REDIS_UNAVAILABLE: Redis at REDIS_URL=redis:\/\/redis\.try-again\.test:6379 does not answer \(getaddrinfo EAI_AGAIN redis\.try-again\.test\); nothing was changed; run it again once Redis answers\. Fix: /)]);
    },
    SPAWNED_MS,
  );
});
