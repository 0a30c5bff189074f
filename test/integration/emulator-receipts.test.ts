import * as $Dysmsapi from '@alicloud/dysmsapi20170525';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, type ManualClock } from '../../src/clock.js';
import {
  createEmulator,
  createEmulatorSdkClient,
  DEFAULT_FIXTURE_NAMES as N,
  type DysmsapiClient,
  type Emulator,
  type EmulatorOptions,
} from '../../src/emulator/index.js';

// 2026-03-02 10:00:00 UTC+8 (02:00 UTC).
const T0 = Date.UTC(2026, 2, 2, 2);
const TODAY = '20260302';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function start(opts: EmulatorOptions = {}): Promise<{ clock: ManualClock; client: DysmsapiClient; emu: Emulator }> {
  const clock = createManualClock(T0);
  emulator = createEmulator({ clock, flowControl: false, ...opts });
  const { endpoint } = await emulator.listen();
  return { clock, client: createEmulatorSdkClient(endpoint), emu: emulator };
}

const notify = (phones: string, outId = '') =>
  new $Dysmsapi.SendSmsRequest({
    phoneNumbers: phones,
    signName: N.sign,
    templateCode: N.notificationTemplate,
    templateParam: '{"name":"Ada","order":"A1"}',
    outId,
  });

async function details(client: DysmsapiClient, q: Partial<$Dysmsapi.QuerySendDetailsRequest>) {
  const res = await client.querySendDetails(
    new $Dysmsapi.QuerySendDetailsRequest({ phoneNumber: '13800138000', sendDate: TODAY, pageSize: 10, currentPage: 1, ...q }),
  );
  expect(res.statusCode).toBe(200);
  return res.body as $Dysmsapi.QuerySendDetailsResponseBody;
}

const dtos = (b: $Dysmsapi.QuerySendDetailsResponseBody) => b.smsSendDetailDTOs?.smsSendDetailDTO ?? [];

describe('emulator receipts and QuerySendDetails through the real SDK', () => {
  it('a recipient waits (1) until acceptedAt + delayMs, then is delivered (3, DELIVERED)', async () => {
    const { clock, client, emu } = await start({ delivery: { delayMs: 5000 } });
    const bizId = (await client.sendSms(notify('13800138000', 'attempt-7'))).body?.bizId;
    let b = await details(client, {});
    expect(b.code).toBe('OK');
    expect(b.totalCount).toBe('1');
    expect(dtos(b)[0]).toMatchObject({
      phoneNum: '13800138000',
      sendStatus: 1,
      errCode: '',
      receiveDate: '',
      sendDate: '2026-03-02 10:00:00',
      templateCode: N.notificationTemplate,
      content: '【smsq沙箱】尊敬的Ada，您的订单A1已发货，请注意查收。',
      outId: 'attempt-7',
    });
    expect(emu.recipients()[0]).toMatchObject({ bizId, sendStatus: 1, errCode: '' });
    clock.advance(4999);
    expect(dtos(await details(client, {}))[0]?.sendStatus).toBe(1);
    clock.advance(1);
    b = await details(client, {});
    expect(dtos(b)[0]).toMatchObject({ sendStatus: 3, errCode: 'DELIVERED', receiveDate: '2026-03-02 10:00:05' });
    expect(emu.recipients()[0]).toMatchObject({ sendStatus: 3, errCode: 'DELIVERED', receiveAt: T0 + 5000 });
  });

  it('failureRatio fails that share of recipients with realistic codes, the same way every run', async () => {
    const run = async () => {
      const { clock, client, emu } = await start({ delivery: { delayMs: 10, failureRatio: 0.5 } });
      const phones = Array.from({ length: 40 }, (_, i) => String(13800000000 + i));
      await client.sendSms(notify(phones.join(',')));
      clock.advance(10);
      const states = emu.recipients().map((r) => [r.phone, r.sendStatus, r.errCode]);
      await emu.close();
      return states;
    };
    const first = await run();
    const failed = first.filter(([, s]) => s === 2);
    expect(failed.length).toBeGreaterThan(5);
    expect(failed.length).toBeLessThan(35);
    for (const [, , code] of failed) expect(code).toMatch(/^(MK:\d{4}|IC:\d{4}|SP:\d{4}|IB:\d{4}|UNDELIV|EXPIRED)$/);
    expect(first.filter(([, s]) => s === 3).every(([, , c]) => c === 'DELIVERED')).toBe(true);
    // A fresh emulator given the same calls decides the same outcomes (BizId prefixes differ).
    expect(await run()).toEqual(first);
  });

  it('a failed receipt through QuerySendDetails: SendStatus 2 with the carrier code', async () => {
    const { clock, client } = await start({ delivery: { delayMs: 0, failureRatio: 1, failureCodes: ['IC:0055'] } });
    await client.sendSms(notify('13800138000'));
    clock.advance(1);
    expect(dtos(await details(client, {}))[0]).toMatchObject({ sendStatus: 2, errCode: 'IC:0055' });
  });

  it('pages newest first, filters by BizId and by the UTC+8 send date', async () => {
    const { clock, client } = await start();
    const bizIds: string[] = [];
    for (let i = 0; i < 7; i++) {
      bizIds.push((await client.sendSms(notify('13800138000,13900139000', `o${i}`))).body?.bizId as string);
      clock.advance(60_000);
    }
    const p1 = await details(client, { pageSize: 3, currentPage: 1 });
    expect(p1.totalCount).toBe('7');
    expect(dtos(p1).map((d) => d.outId)).toEqual(['o6', 'o5', 'o4']);
    expect(dtos(await details(client, { pageSize: 3, currentPage: 3 })).map((d) => d.outId)).toEqual(['o0']);
    expect(dtos(await details(client, { pageSize: 3, currentPage: 4 }))).toEqual([]);

    const one = await details(client, { bizId: bizIds[2] });
    expect(one.totalCount).toBe('1');
    expect(dtos(one)[0]?.outId).toBe('o2');
    expect((await details(client, { bizId: '999^0' })).totalCount).toBe('0');
    // Any accepted spelling of the number finds the records.
    expect((await details(client, { phoneNumber: '+8613800138000' })).totalCount).toBe('7');

    // 14:00 UTC+8 (06:00 UTC) is still 2 March; 23:59:59 UTC+8 too; 00:00 UTC+8 is 3 March.
    clock.set(Date.UTC(2026, 2, 2, 15, 59, 59));
    await client.sendSms(notify('13800138000', 'late'));
    clock.set(Date.UTC(2026, 2, 2, 16, 0, 0));
    await client.sendSms(notify('13800138000', 'next-day'));
    expect((await details(client, {})).totalCount).toBe('8');
    expect(dtos(await details(client, { sendDate: '20260303' })).map((d) => d.outId)).toEqual(['next-day']);
    expect(dtos(await details(client, { sendDate: '20260303' }))[0]?.sendDate).toBe('2026-03-03 00:00:00');
  });

  it('detailsLagMs hides fresh records from queries for a while', async () => {
    const { clock, client } = await start({ detailsLagMs: 2000 });
    await client.sendSms(notify('13800138000'));
    expect((await details(client, {})).totalCount).toBe('0');
    clock.advance(2000);
    expect((await details(client, {})).totalCount).toBe('1');
  });

  it('refuses bad query parameters with the documented codes', async () => {
    const { clock, client } = await start();
    expect((await details(client, { pageSize: 51 })).code).toBe('isv.INVALID_PARAMETERS');
    expect((await details(client, { pageSize: 0 })).code).toBe('isv.INVALID_PARAMETERS');
    expect((await details(client, { currentPage: 0 })).code).toBe('isv.INVALID_PARAMETERS');
    expect((await details(client, { sendDate: '2026-03-02' })).code).toBe('isv.INVALID_PARAMETERS');
    expect((await details(client, { phoneNumber: '12345' })).code).toBe('isv.MOBILE_NUMBER_ILLEGAL');
    expect((await details(client, { sendDate: '20260131' })).code).toBe('OK'); // 30 days back: the oldest day still kept
    clock.advance(24 * 3_600_000);
    expect((await details(client, { sendDate: '20260131' })).code).toBe('isv.INVALID_PARAMETERS');
    await expect(
      client.querySendDetails(new $Dysmsapi.QuerySendDetailsRequest({ phoneNumber: '13800138000', pageSize: 10, currentPage: 1 })),
    ).rejects.toMatchObject({ code: 'MissingSendDate', statusCode: 400 });
  });
});

describe('emulator QuerySendStatistics through the real SDK', () => {
  const stats = async (client: DysmsapiClient, q: Partial<$Dysmsapi.QuerySendStatisticsRequest>) => {
    const res = await client.querySendStatistics(
      new $Dysmsapi.QuerySendStatisticsRequest({ isGlobe: 1, startDate: '20260301', endDate: '20260331', pageIndex: 1, pageSize: 10, ...q }),
    );
    return res.body as $Dysmsapi.QuerySendStatisticsResponseBody;
  };

  it('aggregates per UTC+8 day into responded success / fail and not-responded, with filters and paging', async () => {
    const { clock, client } = await start({ delivery: { delayMs: 1000, failureRatio: 1, failureCodes: ['UNDELIV'] } });
    await client.sendSms(notify('13800000001,13800000002')); // will fail
    clock.advance(1000);
    await client.sendSms(notify('13800000003')); // waiting
    await client.sendSms(
      new $Dysmsapi.SendSmsRequest({ phoneNumbers: '85291234567', signName: N.sign, templateCode: N.internationalTemplate, templateParam: '{"code":"1"}' }),
    );
    await client.sendSms(
      new $Dysmsapi.SendSmsRequest({ phoneNumbers: '13800000004', signName: N.aliyunTestSign, templateCode: N.verificationTemplate, templateParam: '{"code":"1"}' }),
    );
    // Next day (UTC+8), delivered.
    clock.set(Date.UTC(2026, 2, 3, 1));
    (emulator as Emulator).configure({ delivery: { failureRatio: 0 } });
    await client.sendSms(notify('13800000005'));
    clock.advance(5000);

    const all = await stats(client, {});
    expect(all.code).toBe('OK');
    expect(all.data?.totalSize).toBe(2);
    expect(all.data?.targetList?.map((r) => ({ ...r }))).toEqual([
      { sendDate: '20260302', totalCount: 4, respondedSuccessCount: 0, respondedFailCount: 4, noRespondedCount: 0 },
      { sendDate: '20260303', totalCount: 1, respondedSuccessCount: 1, respondedFailCount: 0, noRespondedCount: 0 },
    ]);
    const intl = await stats(client, { isGlobe: 2 });
    expect(intl.data?.targetList?.map((r) => r.totalCount)).toEqual([1]);
    const verification = await stats(client, { templateType: 0 });
    expect(verification.data?.targetList?.map((r) => [r.sendDate, r.totalCount])).toEqual([['20260302', 1]]);
    const bySign = await stats(client, { signName: N.aliyunTestSign });
    expect(bySign.data?.targetList?.map((r) => r.totalCount)).toEqual([1]);
    const page2 = await stats(client, { pageSize: 1, pageIndex: 2 });
    expect(page2.data?.totalSize).toBe(2);
    expect(page2.data?.targetList?.map((r) => r.sendDate)).toEqual(['20260303']);
    expect((await stats(client, { endDate: '20260228' })).code).toBe('isv.INVALID_PARAMETERS');
  });

  it('counts waiting recipients as not responded', async () => {
    const { client } = await start({ delivery: { delayMs: 60_000 } });
    await client.sendSms(notify('13800000001,13800000002'));
    const b = await stats(client, {});
    expect(b.data?.targetList?.[0]).toMatchObject({ totalCount: 2, noRespondedCount: 2, respondedSuccessCount: 0 });
  });
});
