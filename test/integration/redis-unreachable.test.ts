/**
 * Redis does not answer (nothing listens on its port): every command fails in bounded time with
 * one line naming REDIS_URL (password redacted), what happened and the fix, exit 3 ("a dependency
 * failed"), no stack trace; the server keeps running and answers 503 in the error shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { EXIT } from '../../src/errors.js';
import { spawnSmsq } from '../support/cli-process.js';
import { waitFor } from '../support/wait.js';
import { steadyPort } from '../support/steady-port.js';
import { collector } from '../support/text-collector.js';



/** stderr lines that are not JSON log lines (what a person reads). */
const plainLines = (stderr: string) => stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));

let emulator: Emulator;
let env: NodeJS.ProcessEnv;
let redisUrl: string;

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  const { endpoint } = await emulator.listen();
  redisUrl = `redis://:hunter2-secret@127.0.0.1:${await steadyPort()}`;
  env = { REDIS_URL: redisUrl, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'warn', SMSQ_REDIS_CONNECT_TIMEOUT_MS: '1500' };
});

afterAll(async () => {
  await emulator.close();
});

const send = ['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes'];

describe('CLI commands when nothing listens on REDIS_URL', () => {
  it.each([
    ['send', send],
    ['status', ['status', '20260101-abc']],
    ['resume', ['resume']],
    ['campaign (dry run reads the opt-out list)', ['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"Ada"}', '--kind', 'marketing', '--dry-run']],
  ])('%s fails with one line naming REDIS_URL and the fix, exit 3', async (_name, argv) => {
    const stdout = collector();
    const stderr = collector();
    const code = await runCli(argv, { stdout, stderr, env });
    expect(code).toBe(EXIT.dependency);
    const lines = plainLines(stderr.text);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/SMSQ_REDIS_UNAVAILABLE/);
    expect(lines[0]).toContain('REDIS_URL=redis://:<redacted>@127.0.0.1:');
    expect(lines[0]).toMatch(/Fix: /);
    expect(stderr.text).not.toContain('hunter2-secret');
    expect(stderr.text).not.toMatch(/\n\s+at /);
  });

  it('a read says nothing was changed, not that nothing was enqueued; a send still says nothing was enqueued', async () => {
    const read = collector();
    expect(await runCli(['status', '20260101-abc'], { stdout: collector(), stderr: read, env })).toBe(EXIT.dependency);
    expect(plainLines(read.text)[0]).toMatch(/does not answer \(.*\); nothing was changed; run it again once Redis answers\. Fix: /);
    const sent = collector();
    expect(await runCli(send, { stdout: collector(), stderr: sent, env })).toBe(EXIT.dependency);
    expect(plainLines(sent.text)[0]).toMatch(/; nothing was enqueued\. Fix: /);
  });

  it('--json puts the error with its code and exit code on stdout', async () => {
    const stdout = collector();
    const stderr = collector();
    const code = await runCli(['status', '20260101-abc', '--json'], { stdout, stderr, env });
    expect(code).toBe(EXIT.dependency);
    expect(JSON.parse(stdout.text)).toMatchObject({ error: { code: 'SMSQ_REDIS_UNAVAILABLE', errorClass: 'dependency' } });
  });

  it('as a real process: exits 3 with one line and no raw connection errors on stderr', async () => {
    const cli = spawnSmsq(send, env);
    expect(await cli.exited).toBe(EXIT.dependency);
    const lines = plainLines(cli.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/SMSQ_REDIS_UNAVAILABLE.*REDIS_URL=redis:\/\/:<redacted>@127\.0\.0\.1:\d+.*Fix: /);
    expect(cli.stderr).not.toMatch(/ECONNREFUSED\n|\n\s+at /);
  });

  it('a connect that never completes (an address that drops packets) is bounded by SMSQ_REDIS_CONNECT_TIMEOUT_MS', async () => {
    const stdout = collector();
    const stderr = collector();
    // TEST-NET-1 (RFC 5737): routed nowhere, so the TCP connect hangs rather than being refused.
    const code = await runCli(['status', '20260101-abc'], { stdout, stderr, env: { ...env, REDIS_URL: 'redis://192.0.2.1:6379', SMSQ_REDIS_CONNECT_TIMEOUT_MS: '500' } });
    expect(code).toBe(EXIT.dependency);
    expect(plainLines(stderr.text)).toEqual([expect.stringMatching(/SMSQ_REDIS_UNAVAILABLE.*REDIS_URL=redis:\/\/192\.0\.2\.1:6379/)]);
  });
});

describe('smsq server when nothing listens on REDIS_URL', () => {
  it('keeps running: /readyz and /v1 answer 503 in the error shape', async () => {
    const server = spawnSmsq(['server', '--port', '0', '--json', '--insecure'], env);
    try {
      const info = await waitFor(() => (server.stdout.includes('\n') ? (JSON.parse(server.stdout.split('\n')[0]!) as { url: string }) : undefined), 'the server address', 30_000);
      const ready = await fetch(`${info.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ error: { code: 'SMSQ_NOT_READY', issues: [{ field: 'redis' }] } });
      const post = await fetch(`${info.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phones: ['13800138000'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } }),
      });
      expect(post.status).toBe(503);
      const body = (await post.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('SMSQ_REDIS_UNAVAILABLE');
      expect(body.error.message).toContain('REDIS_URL');
      expect(body.error.message).not.toContain('hunter2-secret');
      expect(body.error.message).toContain('nothing was enqueued');
      // A read says it in a read's terms (it said "nothing was enqueued" to a GET too).
      const get = await fetch(`${info.url}/v1/sends/smx0000000000000000000`);
      expect(get.status).toBe(503);
      const read = (await get.json()) as { error: { code: string; message: string } };
      expect(read.error).toMatchObject({ code: 'SMSQ_REDIS_UNAVAILABLE', message: expect.stringContaining('nothing was changed; run it again once Redis answers') });
      expect(read.error.message).not.toContain('nothing was enqueued');
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(server.stderr).not.toMatch(/\n\s+at /);
      expect(plainLines(server.stderr)).toEqual([]);
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});
