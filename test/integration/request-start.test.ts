/**
 * request-start.ts: Node's `http.client.request.start` tells a send call whose request started
 * from one whose request never did, by the OutId the SDK writes in the query string. Real
 * requests to a local server, and the real SDK against the emulator (no Redis).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { createSmsClient } from '../../src/sms/client.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { outIdInPath, watchRequest } from '../../src/sms/request-start.js';

let server: http.Server;
let port: number;
let emulator: Emulator;
let endpoint: string;

beforeAll(async () => {
  server = http.createServer((_req, res) => res.end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  emulator = createEmulator();
  ({ endpoint } = await emulator.listen());
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await emulator.close();
});

function get(path: string, headers: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('outIdInPath', () => {
  it('reads the OutId parameter, still escaped, and nothing that only looks like one', () => {
    expect(outIdInPath('/?OutId=s.0.1&PhoneNumbers=1')).toBe('s.0.1');
    expect(outIdInPath('/?PhoneNumbers=1&OutId=a%20b')).toBe('a%20b');
    expect(outIdInPath('/?XOutId=1&TemplateParam=%7B%22OutId%3D%22%7D')).toBeUndefined();
    expect(outIdInPath('/OutId=1')).toBeUndefined();
  });
});

describe('watchRequest', () => {
  it('started once a request carrying its OutId started; not for another OutId; not when the request could not even be made', async () => {
    const mine = watchRequest('s1.0.1')!;
    const other = watchRequest('s1.0.2')!;
    const odd = watchRequest('短信 1')!;
    expect(() => http.request({ host: '127.0.0.1', port, path: '/?OutId=s1.0.2', headers: { authorization: 'key\n' } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CHAR' }));
    expect(other.started).toBe(false);
    await get('/?OutId=s1.0.1&PhoneNumbers=13800138000');
    await get(`/?OutId=${encodeURIComponent('短信 1')}`);
    expect([mine.started, other.started, odd.started]).toEqual([true, false, true]);
    for (const w of [mine, other, odd]) w.end();
  });

  it('a send request whose OutId is not where it is looked for marks every watched call started: none may then be called unstarted', async () => {
    const w = watchRequest('s2.0.1')!;
    await get('/?PhoneNumbers=1', { 'x-acs-action': 'QuerySendDetails' });
    expect(w.started).toBe(false);
    await get('/?PhoneNumbers=1', { 'x-acs-action': 'SendSms' });
    expect(w.started).toBe(true);
    w.end();
  });

  it('the SDK writes the OutId of SendSms and SendBatchSms where it is looked for', async () => {
    const client = createSmsClient({ endpoint, protocol: 'http', credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
    const single = watchRequest('sdk.0.1')!;
    const batch = watchRequest('sdk.1.1')!;
    const sent = await client.sendSms({ phoneNumbers: ['13800138040'], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1234' }, outId: 'sdk.0.1' });
    expect(sent.ok).toBe(true);
    expect([single.started, batch.started]).toEqual([true, false]);
    const batched = await client.sendBatchSms({ phoneNumbers: ['13800138041'], signNames: [N.sign], templateCode: N.notificationTemplate, templateParams: [{ name: 'a', order: 'b' }], outId: 'sdk.1.1' });
    expect(batched.ok).toBe(true);
    expect(batch.started).toBe(true);
    single.end();
    batch.end();
  });
});
