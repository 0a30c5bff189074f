import * as $Dysmsapi from '@alicloud/dysmsapi20170525';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import { createEmulator, createEmulatorSdkClient, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';

const CUSTOM_KEY = { accessKeyId: 'LTAI-test-key', accessKeySecret: 'test-secret-1' };
const send = () =>
  new $Dysmsapi.SendSmsRequest({ phoneNumbers: '13800138000', signName: N.sign, templateCode: N.plainTemplate });

async function thrown(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error('expected the SDK to throw');
}

describe('emulator authentication through the real SDK', () => {
  let emulator: Emulator;
  let endpoint: string;

  beforeAll(async () => {
    emulator = createEmulator({ accessKey: CUSTOM_KEY });
    ({ endpoint } = await emulator.listen());
  });
  afterAll(() => emulator.close());

  it('accepts a call signed with the configured pair', async () => {
    const res = await createEmulatorSdkClient(endpoint, { accessKey: CUSTOM_KEY }).sendSms(send());
    expect(res.statusCode).toBe(200);
    expect(res.body?.code).toBe('OK');
    expect(res.body?.bizId).toMatch(/^\d{18}\^0$/);
  });

  it('wrong secret: SignatureDoesNotMatch, HTTP 400, nothing accepted', async () => {
    const before = emulator.accepted().length;
    const err = await thrown(createEmulatorSdkClient(endpoint, { accessKey: { ...CUSTOM_KEY, accessKeySecret: 'wrong' } }).sendSms(send()));
    expect(err).toMatchObject({ name: 'ClientError', code: 'SignatureDoesNotMatch', statusCode: 400 });
    expect(emulator.accepted().length).toBe(before);
    expect(emulator.calls().at(-1)).toMatchObject({ action: 'SendSms', code: 'SignatureDoesNotMatch', httpStatus: 400 });
  });

  it('unknown AccessKey ID: InvalidAccessKeyId.NotFound, HTTP 404 (as Alibaba answers)', async () => {
    const err = await thrown(createEmulatorSdkClient(endpoint, { accessKey: SANDBOX_ACCESS_KEY }).sendSms(send()));
    expect(err).toMatchObject({ name: 'ClientError', code: 'InvalidAccessKeyId.NotFound', statusCode: 404 });
  });

  it('an action Dysmsapi does not have: InvalidAction.NotFound, HTTP 404', async () => {
    const client = createEmulatorSdkClient(endpoint, { accessKey: CUSTOM_KEY });
    const params = new $OpenApiUtil.Params({
      action: 'SendRocket',
      version: '2017-05-25',
      protocol: 'HTTPS',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
    const err = await thrown(client.callApi(params, new $OpenApiUtil.OpenApiRequest({ query: {} }), {} as Parameters<typeof client.callApi>[2]));
    expect(err).toMatchObject({ code: 'InvalidAction.NotFound', statusCode: 404 });
  });

  it('a request without Authorization: IncompleteSignature, HTTP 400', async () => {
    const res = await fetch(`http://${endpoint}/?PhoneNumbers=13800138000`, {
      method: 'POST',
      headers: { 'x-acs-action': 'SendSms', 'x-acs-version': '2017-05-25' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ Code: 'IncompleteSignature' });
  });

  it('defaults to the sandbox AccessKey pair', async () => {
    const sandbox = createEmulator();
    try {
      const { endpoint: e } = await sandbox.listen();
      const res = await createEmulatorSdkClient(e).sendSms(send());
      expect(res.body?.code).toBe('OK');
    } finally {
      await sandbox.close();
    }
  });
});
