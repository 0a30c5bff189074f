import { Writable } from 'node:stream';
import * as $Dysmsapi from '@alicloud/dysmsapi20170525';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import {
  createEmulator,
  createEmulatorSdkClient,
  DEFAULT_FIXTURE_NAMES as N,
  runEmulatorStandalone,
  type Emulator,
} from '../../src/emulator/index.js';
import { isLoopback } from '../../src/emulator/http-server.js';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const send = (phone: string) => new $Dysmsapi.SendSmsRequest({ phoneNumbers: phone, signName: N.sign, templateCode: N.plainTemplate });

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}

describe('emulator control endpoint', () => {
  it('serves records, faults, config and reset as JSON on 127.0.0.1', async () => {
    emulator = createEmulator({ flowControl: false });
    const { endpoint } = await emulator.listen();
    const { url, port } = await emulator.listenControl();
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const client = createEmulatorSdkClient(endpoint);

    expect(await json(`${url}/healthz`)).toEqual({ status: 200, body: { ok: true } });
    const bizId = (await client.sendSms(send('13800138000'))).body?.bizId;
    expect((await json(`${url}/accepted`)).body).toEqual([expect.objectContaining({ bizId, phoneNumbers: ['13800138000'] })]);
    expect((await json(`${url}/recipients`)).body).toEqual([expect.objectContaining({ phone: '13800138000', bizId, sendStatus: 1 })]);
    expect((await json(`${url}/calls`)).body).toEqual([expect.objectContaining({ action: 'SendSms', code: 'OK', httpStatus: 200 })]);

    const put = await json(`${url}/faults`, {
      method: 'PUT',
      body: JSON.stringify([{ kind: 'server-error', phones: ['13900139000'], times: 'Infinity' }]),
    });
    expect(put).toEqual({ status: 200, body: { ok: true, faults: 1 } });
    await expect(client.sendSms(send('13900139000'))).rejects.toMatchObject({ statusCode: 500 });
    await expect(client.sendSms(send('13900139000'))).rejects.toMatchObject({ statusCode: 500 });
    expect((await json(`${url}/faults`, { method: 'DELETE' })).status).toBe(200);
    expect((await client.sendSms(send('13900139000'))).body?.code).toBe('OK');

    expect((await json(`${url}/config`, { method: 'PATCH', body: JSON.stringify({ qps: 1, delivery: { delayMs: 0 } }) })).status).toBe(200);
    // A new cap starts with an empty window: one call fits, the next is throttled.
    expect((await client.sendSms(send('13700137000'))).body?.code).toBe('OK');
    await expect(client.sendSms(send('13700137001'))).rejects.toMatchObject({ code: 'Throttling.User' });

    expect((await json(`${url}/reset`, { method: 'POST' })).status).toBe(200);
    expect((await json(`${url}/accepted`)).body).toEqual([]);
    expect((await json(`${url}/calls`)).body).toEqual([]);
  });

  it('answers 400 with the reason for a bad body, 404 for an unknown route', async () => {
    emulator = createEmulator();
    const { url } = await emulator.listenControl();
    const bad = await json(`${url}/faults`, { method: 'PUT', body: JSON.stringify([{ kind: 'explode' }]) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('kind');
    expect((await json(`${url}/config`, { method: 'PATCH', body: '{not json' })).status).toBe(400);
    expect((await json(`${url}/config`, { method: 'PATCH', body: JSON.stringify({ qps: -1 }) })).status).toBe(400);
    expect((await json(`${url}/nope`)).status).toBe(404);
  });

  it('only loopback peers are served', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('10.0.0.7')).toBe(false);
    expect(isLoopback('::ffff:192.168.1.2')).toBe(false);
    expect(isLoopback(undefined)).toBe(false);
  });
});

describe('runEmulatorStandalone', () => {
  it('listens, logs the endpoint and the AccessKey ID but never the secret, and closes', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    const accessKey = { accessKeyId: 'standalone-id', accessKeySecret: 'standalone-very-secret' };
    const running = await runEmulatorStandalone({
      port: 0,
      host: '127.0.0.1',
      controlPort: 0,
      accessKey,
      logger: createLogger({ level: 'info' }, sink),
      handleSignals: false,
    });
    try {
      expect(running.endpoint).toBe(`127.0.0.1:${running.port}`);
      expect(running.control?.endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
      const res = await createEmulatorSdkClient(running.endpoint, { accessKey }).sendSms(send('13800138000'));
      expect(res.body?.code).toBe('OK');
      expect((await json(`${running.control?.url}/accepted`)).body).toHaveLength(1);
    } finally {
      await running.close();
      await running.close();
    }
    await running.closed;
    const log = lines.join('');
    expect(log).toContain(running.endpoint);
    expect(log).toContain('standalone-id');
    expect(log).not.toContain('standalone-very-secret');
  });
});
