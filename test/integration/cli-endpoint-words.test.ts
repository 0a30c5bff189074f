/**
 * What `smsq` says when a setting points at the wrong thing, as an operator's trial met it: an
 * SMS_ENDPOINT that answers HTTP but is not Dysmsapi (a 404, an HTML page), one that never answers,
 * live mode with no credential anywhere, and a REDIS_URL whose port is not Redis's. Each is one
 * line naming the setting, its value and the fix, in words that fit a command (not a worker), with
 * no `undefined`, no SDK option names and no raw dump; every wrong endpoint exits 3, as one that
 * refuses the connection does. Real processes, a real Redis, real servers started here.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { EXIT } from '../../src/errors.js';
import { spawnSmsq, type CliProcess } from '../support/cli-process.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';

/** A spawned smsq starts in about a second on an idle machine, far more on a loaded one. */
const SPAWNED_MS = 60_000;

const redis = createTestConnection();
const prefixes: string[] = [];
const children: CliProcess[] = [];
const closers: (() => Promise<unknown>)[] = [];
const homes: string[] = [];
/** Requests each HTTP server of this file was sent. */
const requests = new Map<string, number>();

/** An HTTP server answering every request with `status`, `type` and `body`; returns its host:port. */
async function httpServer(name: string, status: number, type: string, body: string): Promise<string> {
  requests.set(name, 0);
  const server = http.createServer((req, res) => {
    requests.set(name, (requests.get(name) ?? 0) + 1);
    req.resume();
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(r)));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let notFoundJson: string;
let notFoundText: string;
let htmlPage: string;
let silent: string;

beforeAll(async () => {
  // As the emulator's control port answers a Dysmsapi call.
  notFoundJson = await httpServer('notFoundJson', 404, 'application/json', JSON.stringify({ error: 'no route POST /', routes: ['GET /faults'] }));
  notFoundText = await httpServer('notFoundText', 404, 'text/plain', 'Not Found');
  // As `python3 -m http.server` answers a POST.
  htmlPage = await httpServer('htmlPage', 501, 'text/html', '<!DOCTYPE HTML><html><body><h1>Error response</h1><p>Error code: 501</p></body></html>');
  // Accepts the connection and never answers.
  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => tcp.close(r));
  });
  silent = `127.0.0.1:${(tcp.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  for (const close of closers) await close();
  for (const p of prefixes) await deleteKeys(redis, p);
  for (const h of homes) rmSync(h, { recursive: true, force: true });
  redis.disconnect();
});

function prefix(label: string): string {
  const p = uniquePrefix(label);
  prefixes.push(p);
  return p;
}

async function smsq(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const p = spawnSmsq(args, { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: prefix('words'), SMS_MODE: 'sandbox', LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off', ...env });
  children.push(p);
  const code = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/** stderr lines that are not JSON log lines (what a person reads). */
const plainLines = (stderr: string) => stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));

/** The one readable line of a failed command, checked to be the only one. */
function oneLine(r: { stderr: string }): string {
  const lines = plainLines(r.stderr);
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}

describe('an SMS_ENDPOINT that answers HTTP but is not Dysmsapi', () => {
  it.each([
    ['a 404 in JSON without a Dysmsapi code (the emulator\'s control port)', () => notFoundJson, 404],
    ['a 404 in plain text', () => notFoundText, 404],
    ['a 501 HTML page (python3 -m http.server)', () => htmlPage, 501],
  ])(
    'smsq signs against %s: exit 3 like a refused connection, one line naming SMS_ENDPOINT, its value, the status and the fix; --json carries the status (it printed "undefined: code: 404, undefined request id: undefined" with exit 2, or InvalidResponse with httpStatus null)',
    async (_what, endpoint, status) => {
      const text = await smsq(['signs'], { SMS_ENDPOINT: endpoint() });
      expect(text.code, text.stderr).toBe(EXIT.dependency);
      const line = oneLine(text);
      expect(line).toMatch(/^error \S+: /);
      expect(line).toContain(`SMS_ENDPOINT=${endpoint()} answered HTTP ${status}`);
      expect(line).toContain('not a Dysmsapi endpoint?');
      expect(line).toMatch(/nothing was changed\. Fix: .*SMS_ENDPOINT/);
      expect(text.stderr).not.toContain('undefined');

      const json = await smsq(['signs', '--json'], { SMS_ENDPOINT: endpoint() });
      expect(json.code, json.stderr).toBe(EXIT.dependency);
      const error = (JSON.parse(json.stdout) as { error: { code: string; httpStatus: number | null; message: string } }).error;
      expect(error.httpStatus).toBe(status);
      expect(error.message).toContain(`SMS_ENDPOINT=${endpoint()} answered HTTP ${status}`);
      expect(json.stdout).not.toContain('undefined');
    },
    SPAWNED_MS * 2,
  );

  it('smsq send at the door: exit 3 with one line naming SMS_ENDPOINT and "nothing was enqueued"; nothing written to Redis', async () => {
    const p = prefix('words-door');
    const r = await smsq(['send', '--phones', '13800138000', '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes'], {
      SMSQ_PREFIX: p,
      SMS_ENDPOINT: notFoundJson,
    });
    expect(r.code, r.stderr).toBe(EXIT.dependency);
    const line = oneLine(r);
    expect(line).toContain(`SMS_ENDPOINT=${notFoundJson} answered HTTP 404`);
    expect(line).toMatch(/nothing was enqueued\. Fix: /);
    expect(r.stdout).not.toMatch(/send id/);
    // The pacer's count of the look-up calls is the account's, as in door.test.ts.
    expect((await redis.keys(`${p}*`)).filter((k) => !k.endsWith(':pacer'))).toEqual([]);
  }, SPAWNED_MS);
});

describe('an SMS_ENDPOINT that never answers', () => {
  it('smsq signs: exit 3, one line naming SMS_ENDPOINT, its value and SMS_READ_TIMEOUT_MS with its value; no SDK option names (it named connectTimeoutMs and readTimeoutMs, not the endpoint)', async () => {
    const r = await smsq(['signs'], { SMS_ENDPOINT: silent, SMS_READ_TIMEOUT_MS: '1000' });
    expect(r.code, r.stderr).toBe(EXIT.dependency);
    const line = oneLine(r);
    expect(line).toMatch(/^error RequestTimeout: /);
    expect(line).toContain(`SMS_ENDPOINT=${silent}`);
    expect(line).toContain('SMS_READ_TIMEOUT_MS=1000');
    expect(line).toMatch(/nothing was changed\. Fix: /);
    expect(r.stderr).not.toMatch(/connectTimeoutMs|readTimeoutMs/);
  }, SPAWNED_MS);
});

describe('live mode with no credential anywhere', () => {
  /** A HOME of its own; `files` written under it. */
  function home(files: Record<string, string> = {}): string {
    const dir = mkdtempSync(join(tmpdir(), 'smsq-words-home-'));
    homes.push(dir);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  }
  /** Live mode, the ECS metadata service off so that nothing leaves the machine. */
  const live = (dir: string): NodeJS.ProcessEnv => ({ SMS_MODE: 'live', SMS_PROTOCOL: 'http', SMS_ENDPOINT: notFoundJson, HOME: dir, ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' });

  it('smsq signs: one line in a command\'s words naming the sources tried and the fix; no worker, no back-off, no raw chain dump (it said "on one worker ... other workers ... back-off" and passed on "https://undefined/")', async () => {
    const before = requests.get('notFoundJson');
    const r = await smsq(['signs'], live(home()));
    expect(r.code, r.stderr).toBe(EXIT.refused);
    const line = oneLine(r);
    expect(line).toMatch(/^error InvalidCredentials: no credentials/);
    expect(line).toContain('ALIBABA_CLOUD_ACCESS_KEY_ID is not set');
    expect(line).toMatch(/aliyun CLI/);
    expect(line).toMatch(/nothing was changed\. Fix: .*ALIBABA_CLOUD_ACCESS_KEY_ID.*ALIBABA_CLOUD_ACCESS_KEY_SECRET/);
    expect(r.stderr).not.toMatch(/worker|back-off|undefined|https?:\/\/|enviroment/);
    expect(requests.get('notFoundJson')).toBe(before);
  }, SPAWNED_MS);

  it('an aliyun CLI config that is not JSON: the line says so, and never quotes the file (the SDK puts its whole text, secret and all, in its message)', async () => {
    const secret = 'Zt9cLeakedSecretValue42';
    const dir = home({ '.aliyun/config.json': `{"profiles":[{"name":"default","access_key_id":"LTAIx","access_key_secret":"${secret}"` });
    const r = await smsq(['signs', '--json'], live(dir));
    expect(r.code, r.stderr).toBe(EXIT.refused);
    expect(r.stderr).toMatch(/not valid JSON/);
    expect(r.stderr + r.stdout).not.toContain(secret);
  }, SPAWNED_MS);
});

describe('a REDIS_URL whose port is not Redis\'s', () => {
  it('smsq sends: exit 3, one line saying something answered there but not as Redis, with the fix to check the port; no "Please report this", no error log line before it (it said "does not answer ... Please report this" and "start Redis there")', async () => {
    const port = htmlPage.split(':')[1];
    const r = await smsq(['sends'], { REDIS_URL: `redis://127.0.0.1:${port}`, SMS_ENDPOINT: notFoundJson, SMSQ_REDIS_CONNECT_TIMEOUT_MS: '3000' });
    expect(r.code, r.stderr).toBe(EXIT.dependency);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('{') && JSON.parse(l).level >= 50)).toEqual([]);
    const line = oneLine(r);
    expect(line).toMatch(/^error SMSQ_REDIS_UNAVAILABLE: /);
    expect(line).toContain(`127.0.0.1:${port}`);
    expect(line).toMatch(/answered, but not as Redis \(it speaks HTTP\?\)/);
    expect(line).toMatch(/Fix: check the port in REDIS_URL/);
    expect(line).not.toMatch(/Please report|start Redis there|does not answer/);
  }, SPAWNED_MS);
});
