/**
 * `smsq server` told to stop (real processes, a private redis-server): it finishes requests in
 * flight for at most SMSQ_SHUTDOWN_GRACE_MS, then cuts what is left, lets the calls those requests
 * had under way end (a campaign still reading its list is held paused) before it lets Redis go,
 * says what it cut and exits 3, as the worker does; a signal during start-up is answered with a
 * line and exit 0, not Node's silent 143.
 */
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLS_LIMIT_MS } from '../../cli/commands/server-run.js';
import { createProducer, type Producer } from '../../producers/producer.js';
import { createRedisConnection, type RedisConnection } from '../../src/queue/connection.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { EXIT } from '../../src/errors.js';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { spawnSmsq, type CliProcess } from '../support/cli-process.js';
import { uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const GRACE_MS = 1500;
let redis: PrivateRedis;
let emulator: Emulator;
let env: NodeJS.ProcessEnv;
/** The test's own view of the server's sends, on its own connection. */
let observer: RedisConnection;
let producer: Producer;
const children: CliProcess[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  redis = await startPrivateRedis();
  emulator = createEmulator({ delivery: { delayMs: 0 } });
  const { endpoint } = await emulator.listen();
  const prefix = uniquePrefix('stop');
  env = { REDIS_URL: redis.url, SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: endpoint, LOG_LEVEL: 'info', SMSQ_SHUTDOWN_GRACE_MS: String(GRACE_MS) };
  observer = createRedisConnection(redis.url, { role: 'client' });
  producer = createProducer({ redis: observer, prefix });
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const c of children) c.child.kill('SIGKILL');
  await producer?.close();
  observer?.disconnect();
  redis?.process.kill('SIGCONT');
  await redis?.stop();
  await emulator?.close();
});

function spawn(extraEnv: NodeJS.ProcessEnv = {}): CliProcess {
  const p = spawnSmsq(['server', '--port', '0', '--json', '--insecure'], { ...env, ...extraEnv });
  children.push(p);
  return p;
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}
/** stderr as JSON log lines; throws on any line that is not one (a raw stack, a warning). */
function logLines(p: CliProcess): LogLine[] {
  return p.stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        throw new Error(`not a JSON log line: ${l}`);
      }
    });
}
const line = (p: CliProcess, re: RegExp) => logLines(p).find((l) => re.test(l.msg));

async function listening(p: CliProcess): Promise<URL> {
  const { url } = await waitFor(() => (p.stdout.includes('\n') ? (JSON.parse(p.stdout.split('\n')[0]!) as { url: string }) : undefined), 'the server address', 30_000);
  return new URL(url);
}

/** A client that sends the headers of a POST and then its body one byte at a time, never finishing in time. */
function trickle(url: URL, path: string): Socket {
  const socket = connect(Number(url.port), url.hostname);
  sockets.push(socket);
  socket.on('error', () => {});
  socket.write(`POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{`);
  const timer = setInterval(() => socket.write(' '), 200);
  socket.on('close', () => clearInterval(timer));
  return socket;
}

/** Sends the headers of a POST of `body` as CSV to /v1/campaigns, then the body in 64 KiB slices as the socket takes them. */
async function uploadCsv(url: URL, query: string, body: Buffer, headers = ''): Promise<Socket> {
  const socket = connect(Number(url.port), url.hostname);
  sockets.push(socket);
  socket.on('error', () => {});
  socket.write(`POST /v1/campaigns${query} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: text/csv\r\nContent-Length: ${body.length}\r\n${headers}\r\n`);
  for (let at = 0; at < body.length; at += 64 * 1024) {
    if (!socket.write(body.subarray(at, at + 64 * 1024))) await once(socket, 'drain');
  }
  return socket;
}

const MESSAGE = JSON.stringify({ phones: ['13800138000'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } });

describe('smsq server told to stop', () => {
  it('with nothing in flight: stops at once, says so with how long it took, exit 0', async () => {
    const server = spawn();
    await listening(server);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(EXIT.ok);
    expect(line(server, /^stopping/)).toMatchObject({ signal: 'SIGTERM', graceMs: GRACE_MS });
    const stopped = line(server, /^server stopped/);
    expect(stopped).toMatchObject({ graceOver: false });
    expect(stopped!.ms).toBeLessThan(GRACE_MS);
  });

  it('a body trickling in one byte at a time is cut when the grace runs out: the log says what was cut, exit 3', async () => {
    const server = spawn();
    const url = await listening(server);
    const client = trickle(url, '/v1/messages');
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    // The request has reached the server once its first bytes are read: give it a moment.
    await new Promise((r) => setTimeout(r, 500));
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(EXIT.dependency);
    expect(Date.now() - signalledAt).toBeLessThan(GRACE_MS + 5000);
    await closed;
    const over = line(server, /^grace period over/);
    expect(over, server.stderr).toBeDefined();
    expect(over!.msg).toMatch(/1 request cut/);
    expect(over!.cut).toEqual([expect.stringMatching(/^POST \/v1\/messages \(body still arriving: nothing done\)$/)]);
    const stopped = line(server, /^server stopped/);
    expect(stopped).toMatchObject({ graceOver: true, cut: 1 });
    expect(stopped!.ms).toBeGreaterThanOrEqual(GRACE_MS);
    expect(logLines(server).filter((l) => l.level >= 50)).toEqual([]);
  }, 60_000);

  it('a request cut in its handler (Redis frozen mid-request) is named as possibly partly enqueued, with what to do', async () => {
    const server = spawn({ SMSQ_REDIS_CONNECT_TIMEOUT_MS: '30000' });
    const url = await listening(server);
    await waitFor(async () => (await fetch(new URL('/v1/messages', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: MESSAGE })).status === 202, 'a first send to be accepted', 30_000);
    redis.process.kill('SIGSTOP');
    try {
      const pending = fetch(new URL('/v1/messages', url), { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'cut-mid-enqueue' }, body: MESSAGE }).catch((err: unknown) => err);
      await new Promise((r) => setTimeout(r, 500));
      const signalledAt = Date.now();
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(EXIT.dependency);
      // The wait for the send under way to end is bounded: a Redis that hangs does not hold the exit.
      expect(Date.now() - signalledAt).toBeLessThan(GRACE_MS + CALLS_LIMIT_MS + 5000);
      expect(await pending).toBeInstanceOf(Error); // its connection was closed without an answer
      const over = line(server, /^grace period over/);
      expect(over, server.stderr).toBeDefined();
      expect(over!.cut).toEqual([expect.stringMatching(/^POST \/v1\/messages \(in its handler: may be partly done\)$/)]);
      expect(over!.msg).toMatch(/retry with the same Idempotency-Key/);
      const unanswered = line(server, /^Redis did not answer/);
      expect(unanswered, server.stderr).toMatchObject({ level: 40, callsLimitMs: CALLS_LIMIT_MS });
      expect(unanswered!.msg).toContain(`(${CALLS_LIMIT_MS} ms)`);
      expect(unanswered!.msg).toMatch(/smsq repair/);
      expect(unanswered!.msg).toMatch(/retry with the same Idempotency-Key/);
      const stopped = line(server, /^server stopped/);
      expect(stopped!.ms).toBeGreaterThanOrEqual(GRACE_MS + CALLS_LIMIT_MS);
    } finally {
      redis.process.kill('SIGCONT');
    }
  }, 60_000);

  it('a campaign whose list is being enqueued when the grace runs out is held paused with the rows read, its enqueue ended, and the log names it with how to resume or cancel it; exit 3', async () => {
    const grace = 300;
    const server = spawn({ SMSQ_SHUTDOWN_GRACE_MS: String(grace) });
    const url = await listening(server);
    const base = 13850000000;
    const rows = 1_000_000;
    const name = 'cut-at-grace';
    const settings = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: JSON.stringify({ name: 'Ada', order: 'A1' }), kind: 'notification', name };
    const body = Buffer.from(`phone\n${Array.from({ length: rows }, (_, i) => String(base + i)).join('\n')}\n`);
    await uploadCsv(url, `?${new URLSearchParams(settings)}`, body);
    const sendId = await waitFor(async () => {
      const send = (await producer.listSends({ limit: 50 })).sends.find((s) => s.send.name === name)?.send;
      return send !== undefined && send.recipients >= 1000 ? send.sendId : undefined;
    }, 'the send to be enqueuing, a chunk written', 30_000, 5);
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(EXIT.dependency);
    expect(Date.now() - signalledAt).toBeLessThan(grace + 8000);

    // Held, not left `enqueuing` for the repair sweep to fail while workers send the chunks written.
    const status = await producer.getStatus(sendId);
    expect(status.send.state, server.stderr).toBe('paused');
    expect(status.send.enqueuedAt).toBeDefined();
    const held = status.send.recipients;
    expect(held).toBeGreaterThanOrEqual(1000);
    expect(held).toBeLessThan(rows);
    expect(status.counts.queued).toBe(held);
    // Stopped by the server's stop, and said so: its client did not go, it was cut off.
    expect(status.send.controlReason).toBe(`its enqueue was stopped (server stopped after its ${grace} ms grace) after line ${held + 1}`);

    const over = line(server, /^grace period over/);
    expect(over, server.stderr).toMatchObject({ cut: ['POST /v1/campaigns (in its handler: may be partly done, without an Idempotency-Key)'] });
    const stops = logLines(server).filter((l) => l.code === 'SMSQ_CAMPAIGN_STOPPED');
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatchObject({ level: 40, sendId, recipients: held });
    expect(stops[0]!.msg).toContain(`the campaign was stopped (server stopped after its ${grace} ms grace) after line ${held + 1}: the ${held} recipients read before it were enqueued as send ${sendId}, now paused`);
    expect(stops[0]!.msg).toContain(`POST /v1/sends/${sendId}/resume`);
    expect(stops[0]!.msg).toContain(`POST /v1/sends/${sendId}/cancel`);
    expect(line(server, /^Redis did not answer/)).toBeUndefined();
    expect(logLines(server).filter((l) => l.level >= 50)).toEqual([]);
  }, 90_000);

  it('a campaign under an Idempotency-Key whose client left, still enqueuing when the grace runs out: waited for within the grace, then held paused as a request cut; exit 3 (the server stopped at once, and the enqueue held the process past its grace, a SIGKILL away from a send left enqueuing)', async () => {
    const grace = 300;
    const server = spawn({ SMSQ_SHUTDOWN_GRACE_MS: String(grace) });
    const url = await listening(server);
    const base = 13870000000;
    const rows = 1_000_000;
    const name = 'keyed-left-at-grace';
    const settings = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: JSON.stringify({ name: 'Ada', order: 'A1' }), kind: 'notification', name };
    const body = Buffer.from(`phone\n${Array.from({ length: rows }, (_, i) => String(base + i)).join('\n')}\n`);
    const socket = await uploadCsv(url, `?${new URLSearchParams(settings)}`, body, 'Idempotency-Key: keyed-left-at-grace-1\r\n');
    const sendId = await waitFor(async () => {
      const send = (await producer.listSends({ limit: 50 })).sends.find((s) => s.send.name === name)?.send;
      return send !== undefined && send.recipients >= 1000 ? send.sendId : undefined;
    }, 'the send to be enqueuing, a chunk written', 30_000, 5);
    socket.destroy();
    await waitFor(() => line(server, /client disconnected while its list was being enqueued/), 'the server to say its client left');
    server.child.kill('SIGTERM');
    expect(await server.exited, server.stderr).toBe(EXIT.dependency);

    const status = await producer.getStatus(sendId);
    expect(status.send.state, server.stderr).toBe('paused');
    expect(status.send.enqueuedAt).toBeDefined();
    expect(status.send.recipients).toBeLessThan(rows);
    expect(status.send.controlReason).toMatch(new RegExp(`^its enqueue was stopped \\(server stopped after its ${grace} ms grace\\) after line \\d+$`));
    expect(line(server, /^grace period over/), server.stderr).toBeDefined();
    const stops = logLines(server).filter((l) => l.code === 'SMSQ_CAMPAIGN_STOPPED');
    expect(stops).toHaveLength(1);
    expect(stops[0]).toMatchObject({ sendId });
    expect(logLines(server).filter((l) => l.level >= 50)).toEqual([]);
  }, 90_000);

  it('a second signal exits at once (130 for SIGINT) with one line naming the requests it cuts', async () => {
    const server = spawn({ SMSQ_SHUTDOWN_GRACE_MS: '60000' });
    const url = await listening(server);
    trickle(url, '/v1/messages');
    await new Promise((r) => setTimeout(r, 500));
    server.child.kill('SIGTERM');
    await waitFor(() => line(server, /^stopping/), 'the server to start stopping', 30_000);
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(130);
    const forced = line(server, /^forced exit/);
    expect(forced, server.stderr).toMatchObject({ signal: 'SIGINT', cut: ['POST /v1/messages (body still arriving: nothing done)'] });
    expect(forced!.msg).toMatch(/^forced exit: 1 request cut without an answer/);
  }, 60_000);

  it('a signal while it starts (Redis not answering yet) is answered with a line and exit 0, not a silent 143', async () => {
    // Takes connections and never answers: the server's start waits for Redis.
    const silent: Server = createServer((s) => {
      sockets.push(s);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      let connected = false;
      silent.on('connection', () => (connected = true));
      const server = spawn({ REDIS_URL: `redis://127.0.0.1:${port}`, SMSQ_REDIS_CONNECT_TIMEOUT_MS: '30000' });
      await waitFor(() => connected, 'the server to connect to Redis', 30_000);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(EXIT.ok);
      expect(line(server, /stopped while starting/), server.stderr).toMatchObject({ signal: 'SIGTERM' });
      expect(server.stdout).toBe('');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
