/**
 * `POST /v1/campaigns` whose client goes away before it is answered. The body of an upload is read
 * whole before the handler runs, so a client that drops while its body still arrives leaves
 * nothing; but one that drops while the list is being enqueued (a large list takes seconds, a proxy
 * or client timeout cuts it) left the campaign running to its end: every row enqueued and sent, the
 * send id answered to nobody, nothing logged. Now the disconnect stops the campaign as Ctrl-C stops
 * `smsq campaign`: the send is paused holding what was read, nothing more is read, its enqueue is
 * ended, and one log line names the send and how to resume or cancel it. A client that drops after
 * its answer changes nothing. A real server on a port, raw sockets, real Redis, a real worker
 * against the emulator.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createKeys } from '../../src/queue/keys.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'disconnect-test-api-token';
const MiB = 1024 * 1024;
let h: Harness;
let app: SmsqServer;
let port: number;
const log = collector();
const sockets: Socket[] = [];

beforeAll(async () => {
  h = await createHarness({ label: 'cdisc' });
  // A JSON body may be raised to 64 MiB (SMSQ_SERVER_BODY_LIMIT): large enough to take seconds.
  app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: createLogger({ level: 'info' }, log), apiToken: TOKEN, dashboard: { token: 'disconnect-test-dashboard' }, bodyLimit: 32 * MiB });
  port = Number(new URL(await app.listen({ host: '127.0.0.1', port: 0 })).port);
});

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

afterAll(async () => {
  await app?.close();
  await h?.close();
});

const SETTINGS = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: JSON.stringify({ name: 'Ada', order: 'A1' }), kind: 'notification' };

function csvOf(base: number, rows: number): Buffer {
  return Buffer.from(`phone\n${Array.from({ length: rows }, (_, i) => String(base + i)).join('\n')}\n`);
}

interface Upload {
  socket: Socket;
  /** Everything the server wrote back. */
  answer: () => string;
  /** The server has the request (its headers). */
  served: Promise<void>;
  /** The server's response closed: answered, or its connection gone. */
  closed: Promise<void>;
}

/** Opens a connection and sends the request line and headers of a POST to /v1/campaigns. */
function startUpload(query: string, type: string, length: number, headers = ''): Upload {
  let closed!: Promise<void>;
  const served = new Promise<void>((resolve) => {
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      if (!req.url?.startsWith('/v1/campaigns')) return;
      app.server.off('request', onRequest);
      closed = once(res, 'close').then(() => undefined);
      resolve();
    };
    app.server.on('request', onRequest);
  });
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString()));
  socket.write(`POST /v1/campaigns${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n${headers}\r\n`);
  return { socket, answer: () => text, served, get closed() { return closed; } };
}

/** Writes `body` in 64 KiB slices, each after the one before was taken by the socket: a body streamed, not handed over at once. */
async function stream(socket: Socket, body: Buffer): Promise<void> {
  for (let at = 0; at < body.length; at += 64 * 1024) {
    if (!socket.write(body.subarray(at, at + 64 * 1024))) await once(socket, 'drain');
  }
}

async function sendNamed(name: string) {
  return (await h.producer.listSends({ limit: 200 })).sends.find((s) => s.send.name === name)?.send;
}

/** Calls the emulator took for numbers from `base` (a million up). */
function callsFor(base: number): number {
  return h.emulator.calls().filter((c) => c.phones.some((p) => Number(p) >= base && Number(p) < base + 1_000_000)).length;
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}
function logLines(): LogLine[] {
  return log.text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LogLine);
}
const stopLines = (sendId: string | undefined) => logLines().filter((l) => l.code === 'SMSQ_CAMPAIGN_STOPPED' && (sendId === undefined || l.sendId === sendId));

/**
 * Streams `body`, waits until its send exists and has a first chunk written (the list is being
 * enqueued), then drops the connection. Returns the send's id.
 */
async function dropWhileEnqueuing(name: string, query: string, type: string, body: Buffer, headers = ''): Promise<{ sendId: string; upload: Upload }> {
  const upload = startUpload(query, type, body.length, headers);
  await stream(upload.socket, body);
  const sendId = await waitFor(async () => {
    const send = await sendNamed(name);
    return send !== undefined && send.recipients >= 1000 ? send.sendId : undefined;
  }, 'the send to be enqueuing, a chunk written', 30_000, 5);
  upload.socket.destroy();
  return { sendId, upload };
}

/** The send's status once its enqueue has ended (stopped or not). */
async function enqueueEnded(sendId: string) {
  await waitFor(async () => (await h.producer.getStatus(sendId)).send.enqueuedAt !== undefined, 'its enqueue to end', 60_000);
  return h.producer.getStatus(sendId);
}

/** The one log line of the stop of `sendId` (written once the campaign call has returned). */
async function stopLogged(sendId: string): Promise<LogLine> {
  const [line] = await waitFor(() => (stopLines(sendId).length ? stopLines(sendId) : undefined), 'the stop to be logged');
  return line!;
}

/** A worker started now sends a send queued behind, and parks the held send's jobs: none of its numbers is called. */
async function expectNothingSent(sendId: string, base: number): Promise<void> {
  const worker = await h.startWorker();
  try {
    const marker = await h.producer.send({ ...SETTINGS, templateParam: { name: 'Ada', order: 'A1' }, kind: 'notification', phones: ['13919000001'] });
    await waitFor(async () => (await h.producer.getStatus(marker.sendId)).counts.accepted === 1, 'a send behind it to go out');
    const { chunks } = (await h.producer.getStatus(sendId)).send;
    await waitFor(async () => (await h.redis.scard(createKeys(h.prefix).sendParked(sendId))) === chunks, 'its jobs to be parked', 30_000);
    expect(callsFor(base)).toBe(0);
  } finally {
    await worker.close();
  }
}

describe('POST /v1/campaigns whose client disconnects', () => {
  it('dropped while its body still arrives: nothing is enqueued, nothing logged as a stop', async () => {
    const base = 13830000000;
    const name = 'dropped-body';
    const body = csvOf(base, 50_000);
    const upload = startUpload(`?${new URLSearchParams({ ...SETTINGS, name })}`, 'text/csv', body.length);
    await upload.served;
    await stream(upload.socket, body.subarray(0, body.length / 2));
    upload.socket.destroy();
    await upload.closed;
    expect(await sendNamed(name)).toBeUndefined();
    expect(stopLines(undefined).filter((l) => l.msg.includes('before its send was created'))).toEqual([]);
    expect(callsFor(base)).toBe(0);
  });

  it('dropped after its answer: nothing changes; the send goes out whole', async () => {
    const base = 13840000000;
    const rows = 3000;
    const name = 'answered';
    const body = csvOf(base, rows);
    const stopsBefore = stopLines(undefined).length;
    const upload = startUpload(`?${new URLSearchParams({ ...SETTINGS, name })}`, 'text/csv', body.length);
    await stream(upload.socket, body);
    const answer = await waitFor(() => /\r\n\r\n(\{.*\})$/s.exec(upload.answer())?.[1], 'the answer');
    expect(upload.answer()).toMatch(/^HTTP\/1\.1 202 /);
    const { sendId, recipients } = JSON.parse(answer) as { sendId: string; recipients: number };
    expect(recipients).toBe(rows);
    upload.socket.destroy();
    await new Promise<void>((resolve) => upload.socket.once('close', () => resolve()));

    expect(stopLines(undefined)).toHaveLength(stopsBefore);
    const status = await h.producer.getStatus(sendId);
    expect(status.send.control).toBe('active');
    expect(status.send.recipients).toBe(rows);
    const worker = await h.startWorker();
    try {
      await waitFor(async () => (await h.producer.getStatus(sendId)).counts.accepted === rows, 'the whole send to go out', 30_000);
    } finally {
      await worker.close();
    }
  }, 60_000);

  it('a CSV upload without an Idempotency-Key, dropped while its list is enqueued: the send is paused with the rows read, nothing more is read, a worker sends none of it, one log line says how to resume or cancel it', async () => {
    const base = 13810000000;
    const rows = 1_000_000;
    const name = 'dropped-csv';
    const query = `?${new URLSearchParams({ ...SETTINGS, name })}`;
    const body = csvOf(base, rows);
    const { sendId, upload } = await dropWhileEnqueuing(name, query, 'text/csv', body);

    const status = await enqueueEnded(sendId);
    expect(status.send.state).toBe('paused');
    expect(status.send.enqueuedAt).toBeDefined(); // the repair sweep leaves it be
    const held = status.send.recipients;
    expect(held).toBeGreaterThanOrEqual(1000);
    expect(held).toBeLessThan(rows);
    expect(status.counts.queued).toBe(held);
    // One number a row after the header: the last line read is the last recipient held.
    expect(status.send.controlReason).toBe(`its enqueue was stopped (client disconnected) after line ${held + 1}`);

    // The handler ends once the campaign has stopped: nothing is written after its log line.
    const line = await stopLogged(sendId);
    expect(line).toMatchObject({ level: 40, sendId, recipients: held, rowsRead: held, afterLine: held + 1 });
    expect(line!.msg).toContain(`the campaign was stopped (client disconnected) after line ${held + 1}: the ${held} recipients read before it were enqueued as send ${sendId}, now paused`);
    expect(line!.msg).toContain(`POST /v1/sends/${sendId}/resume`);
    expect(line!.msg).toContain(`POST /v1/sends/${sendId}/cancel`);
    expect(stopLines(undefined)).toHaveLength(1);
    expect(upload.answer()).toBe(''); // nobody was there to answer

    await expectNothingSent(sendId, base);
  }, 120_000);

  it('a CSV upload under an Idempotency-Key, dropped while its list is enqueued (a client or proxy timeout): the list is enqueued whole, and the retry under the key is answered with that send (it was stopped and held, and the retry refused SMSQ_IDEMPOTENCY_KEY_CUT_SHORT)', async () => {
    const base = 13860000000;
    const rows = 300_000;
    const name = 'dropped-keyed-csv';
    const query = `?${new URLSearchParams({ ...SETTINGS, name })}`;
    const body = csvOf(base, rows);
    const key = 'dropped-keyed-csv-1';
    const stopsBefore = stopLines(undefined).length;
    const { sendId, upload } = await dropWhileEnqueuing(name, query, 'text/csv', body, `Idempotency-Key: ${key}\r\n`);
    try {
      const status = await enqueueEnded(sendId);
      expect(status.send.state, status.send.controlReason).not.toBe('paused');
      expect(status.send.control).toBe('active');
      expect(status.send.recipients).toBe(rows);
      expect(stopLines(undefined)).toHaveLength(stopsBefore);
      // Nobody heard its id: the server says so once, with what a retry under the key gets.
      const [gone] = await waitFor(() => {
        const lines = logLines().filter((l) => l.sendId === sendId && String(l.msg).includes('its client was gone before the answer'));
        return lines.length ? lines : undefined;
      }, 'the warning naming the send');
      expect(gone).toMatchObject({ level: 40, sendId, recipients: rows });
      expect(gone!.msg).toContain('A retry with the same Idempotency-Key is answered with it');
      expect(upload.answer()).toBe('');

      // The client's retry under its key learns the send it lost the answer of, and enqueues nothing.
      const retry = await fetch(`http://127.0.0.1:${port}/v1/campaigns${query}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/csv', 'idempotency-key': key }, body });
      const answered = (await retry.json()) as { sendId: string; duplicate: boolean; recipients: number };
      expect(retry.status, JSON.stringify(answered)).toBe(202);
      expect(answered).toMatchObject({ sendId, duplicate: true, recipients: rows });
      expect((await h.producer.getStatus(sendId)).send.recipients).toBe(rows);
    } finally {
      // Not sent by the later tests' workers: 300,000 calls' worth.
      await h.producer.cancel(sendId).catch(() => {});
    }
  }, 120_000);

  it('a JSON body (SMSQ_SERVER_BODY_LIMIT raised), dropped while its list is enqueued: held the same way, counted in rows', async () => {
    const base = 13820000000;
    const rows = 600_000;
    const name = 'dropped-json';
    const body = Buffer.from(
      JSON.stringify({ ...SETTINGS, templateParam: { name: 'Ada', order: 'A1' }, name, recipients: Array.from({ length: rows }, (_, i) => ({ phone: String(base + i) })) }),
    );
    const { sendId } = await dropWhileEnqueuing(name, '', 'application/json', body);

    const status = await enqueueEnded(sendId);
    expect(status.send.state).toBe('paused');
    expect(status.send.enqueuedAt).toBeDefined();
    const held = status.send.recipients;
    expect(held).toBeLessThan(rows);
    expect(status.send.controlReason).toBe(`its enqueue was stopped (client disconnected) after ${held} rows`);
    expect(await stopLogged(sendId)).toMatchObject({ level: 40, sendId, recipients: held, rowsRead: held });
    await expectNothingSent(sendId, base);
  }, 120_000);
});
