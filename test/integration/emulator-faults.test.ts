import * as $Dysmsapi from '@alicloud/dysmsapi20170525';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createEmulator,
  createEmulatorSdkClient,
  DEFAULT_FIXTURE_NAMES as N,
  type DysmsapiClient,
  type Emulator,
} from '../../src/emulator/index.js';

const sendReq = (phone = '13800138000') =>
  new $Dysmsapi.SendSmsRequest({ phoneNumbers: phone, signName: N.sign, templateCode: N.plainTemplate, outId: `o-${phone}` });

describe('emulator faults through the real SDK', () => {
  let emulator: Emulator;
  let endpoint: string;
  let client: DysmsapiClient;

  beforeEach(async () => {
    emulator = createEmulator({ flowControl: false });
    ({ endpoint } = await emulator.listen());
    client = createEmulatorSdkClient(endpoint, { readTimeout: 2000 });
  });
  afterEach(() => emulator.close());

  it('lost-answer: the SDK times out, yet the send was accepted and is delivered', async () => {
    emulator.setFaults([{ kind: 'lost-answer', delayMs: 5000 }]);
    const impatient = createEmulatorSdkClient(endpoint, { readTimeout: 300, connectTimeout: 300 });
    const started = Date.now();
    await expect(impatient.sendSms(sendReq())).rejects.toMatchObject({ name: 'RequestTimeoutError' });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(emulator.accepted()).toEqual([expect.objectContaining({ phoneNumbers: ['13800138000'], outId: 'o-13800138000' })]);
    expect(emulator.recipients()).toHaveLength(1);
    expect(emulator.calls()[0]).toMatchObject({ action: 'SendSms', code: 'OK', httpStatus: 200, fault: 'lost-answer' });
    // The fault was used up: the next call is answered at once.
    expect((await client.sendSms(sendReq('13800138001'))).body?.code).toBe('OK');
  });

  it('lost-answer: a patient client gets the late answer', async () => {
    emulator.addFault({ kind: 'lost-answer', delayMs: 200 });
    const res = await client.sendSms(sendReq());
    expect(res.body?.code).toBe('OK');
    expect(res.body?.bizId).toBe(emulator.accepted()[0]?.bizId);
  });

  it('server-error: HTTP 500 isp.SYSTEM_ERROR (or 503) thrown as ServerError, nothing recorded', async () => {
    emulator.setFaults([{ kind: 'server-error' }, { kind: 'server-error', httpStatus: 503 }]);
    await expect(client.sendSms(sendReq())).rejects.toMatchObject({ name: 'ServerError', code: 'isp.SYSTEM_ERROR', statusCode: 500 });
    await expect(client.sendSms(sendReq())).rejects.toMatchObject({ name: 'ServerError', code: 'ServiceUnavailable', statusCode: 503 });
    expect(emulator.accepted()).toEqual([]);
    expect(emulator.recipients()).toEqual([]);
    expect((await client.sendSms(sendReq())).body?.code).toBe('OK');
  });

  it('reset: the connection drops after the request was read, nothing recorded', async () => {
    emulator.setFaults([{ kind: 'reset' }]);
    const err = (await client.sendSms(sendReq()).catch((e: unknown) => e)) as { code?: string; message?: string };
    expect(String(err.code ?? err.message)).toMatch(/ECONNRESET|socket hang up/i);
    expect(emulator.accepted()).toEqual([]);
    expect(emulator.calls()).toEqual([expect.objectContaining({ action: 'SendSms', code: 'reset', httpStatus: 0, fault: 'reset' })]);
    expect((await client.sendSms(sendReq())).body?.code).toBe('OK');
  });

  it('throttle: Throttling.User, HTTP 400 with x-acs-retry-after, thrown as ThrottlingError, nothing recorded', async () => {
    emulator.setFaults([{ kind: 'throttle', times: 2 }]);
    for (let i = 0; i < 2; i++) {
      await expect(client.sendSms(sendReq())).rejects.toMatchObject({
        name: 'ThrottlingError',
        code: 'Throttling.User',
        statusCode: 400,
        retryAfter: 1000,
      });
    }
    expect(emulator.accepted()).toEqual([]);
    expect((await client.sendSms(sendReq())).body?.code).toBe('OK');
  });

  it('matches actions and numbers: only the named number, only sends by default, Infinity times', async () => {
    emulator.setFaults([{ kind: 'server-error', phones: ['+8613900139000'], times: Infinity }]);
    for (let i = 0; i < 3; i++) await expect(client.sendSms(sendReq('13900139000'))).rejects.toMatchObject({ statusCode: 500 });
    expect((await client.sendSms(sendReq('13800138000'))).body?.code).toBe('OK');
    // A batch naming the number is hit too.
    await expect(
      client.sendBatchSms(
        new $Dysmsapi.SendBatchSmsRequest({
          phoneNumberJson: JSON.stringify(['13700137000', '13900139000']),
          signNameJson: JSON.stringify([N.sign, N.sign]),
          templateCode: N.plainTemplate,
        }),
      ),
    ).rejects.toMatchObject({ statusCode: 500 });
    // Queries are not sends: unaffected by default.
    const q = await client.querySendDetails(
      new $Dysmsapi.QuerySendDetailsRequest({ phoneNumber: '13900139000', sendDate: '20260101', pageSize: 10, currentPage: 1 }),
    );
    expect(q.statusCode).toBe(200);
    emulator.clearFaults();
    expect((await client.sendSms(sendReq('13900139000'))).body?.code).toBe('OK');
  });

  it('can target queries by action', async () => {
    emulator.setFaults([{ kind: 'throttle', actions: ['QuerySmsSignList'] }]);
    await expect(client.querySmsSignList(new $Dysmsapi.QuerySmsSignListRequest({ pageIndex: 1, pageSize: 10 }))).rejects.toMatchObject({
      code: 'Throttling.User',
    });
    expect((await client.sendSms(sendReq())).body?.code).toBe('OK');
  });

  it('latencyMs delays every answer; close() ends calls still waiting', async () => {
    emulator.configure({ latencyMs: 150 });
    const started = Date.now();
    expect((await client.sendSms(sendReq())).body?.code).toBe('OK');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    emulator.setFaults([{ kind: 'lost-answer', delayMs: 60_000 }]);
    const pending = createEmulatorSdkClient(endpoint, { readTimeout: 60_000, connectTimeout: 60_000 }).sendSms(sendReq('13800138009'));
    const settled = pending.then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => emulator.accepted().length === 2);
    await emulator.close();
    expect(await settled).toBe('failed');
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
