import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import * as $Dysmsapi from '@alicloud/dysmsapi20170525';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import {
  createEmulator,
  createEmulatorSdkClient,
  DEFAULT_FIXTURE_NAMES as N,
  type Emulator,
  type EmulatorOptions,
  type SmsReport,
} from '../../src/emulator/index.js';

/** A local SmsReport receiver: answers with the next status from `statuses` (then 200). */
class Receiver {
  readonly pushes: SmsReport[][] = [];
  private waiters: { count: number; resolve: () => void }[] = [];
  private server: Server;
  url = '';

  constructor(private readonly statuses: number[] = []) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.pushes.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as SmsReport[]);
        const status = this.statuses.shift() ?? 200;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 200 ? JSON.stringify({ code: 0, msg: '接收成功' }) : '{"code":1}');
        this.waiters = this.waiters.filter((w) => (this.pushes.length >= w.count ? (w.resolve(), false) : true));
      });
    });
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/sms/report`;
    return this;
  }

  /** Resolves once `count` pushes have arrived in total. */
  received(count: number): Promise<void> {
    if (this.pushes.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const T0 = Date.UTC(2026, 2, 2, 2); // 10:00 UTC+8
let emulator: Emulator | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await emulator?.close();
  await receiver?.close();
  emulator = undefined;
  receiver = undefined;
});

async function setup(statuses: number[], opts: EmulatorOptions) {
  receiver = await new Receiver(statuses).start();
  emulator = createEmulator({ flowControl: false, reportUrl: receiver.url, ...opts });
  const { endpoint } = await emulator.listen();
  return { client: createEmulatorSdkClient(endpoint), emu: emulator, rx: receiver };
}

const send = (phones: string[], outId = 'o-1') =>
  new $Dysmsapi.SendSmsRequest({ phoneNumbers: phones.join(','), signName: N.sign, templateCode: N.plainTemplate, outId });

describe('emulator SmsReport push', () => {
  it('pushes due reports as a JSON array in Alibaba format, re-pushes after a non-200 answer (manual clock)', async () => {
    const clock = createManualClock(T0);
    const { client, emu, rx } = await setup([500], { clock, delivery: { delayMs: 3000, failureRatio: 0 }, reportRetryDelaysMs: [100, 200] });
    const bizId = (await client.sendSms(send(['13800000001', '+8613800000002']))).body?.bizId;

    await emu.deliverDue();
    expect(rx.pushes).toHaveLength(0);

    clock.advance(3000);
    await emu.deliverDue();
    expect(rx.pushes).toHaveLength(1);
    expect(rx.pushes[0]).toEqual([
      {
        phone_number: '13800000001',
        send_time: '2026-03-02 10:00:00',
        report_time: '2026-03-02 10:00:03',
        success: true,
        err_code: 'DELIVERED',
        err_msg: '用户接收成功',
        sms_size: '1',
        biz_id: bizId,
        out_id: 'o-1',
      },
      expect.objectContaining({ phone_number: '13800000002', biz_id: bizId }),
    ]);

    // The receiver answered 500: the same batch comes again after the first retry delay.
    clock.advance(99);
    await emu.deliverDue();
    expect(rx.pushes).toHaveLength(1);
    clock.advance(1);
    await emu.deliverDue();
    expect(rx.pushes).toHaveLength(2);
    expect(rx.pushes[1]).toEqual(rx.pushes[0]);

    // Answered 200 this time: nothing more.
    clock.advance(10_000);
    await emu.deliverDue();
    expect(rx.pushes).toHaveLength(2);
  });

  it('reports failures with their code and gives up after the last retry delay', async () => {
    const clock = createManualClock(T0);
    const { client, emu, rx } = await setup([500, 502, 503, 500], {
      clock,
      delivery: { delayMs: 0, failureRatio: 1, failureCodes: ['MK:0001'] },
      reportRetryDelaysMs: [10, 20],
    });
    await client.sendSms(send(['13800000001']));
    for (let i = 0; i < 5; i++) {
      await emu.deliverDue();
      clock.advance(20);
    }
    expect(rx.pushes).toHaveLength(3);
    expect(rx.pushes[0]?.[0]).toMatchObject({ success: false, err_code: 'MK:0001', err_msg: '运营商网关拒绝：号码状态异常' });
  });

  it('batches at most 100 reports per POST', async () => {
    const clock = createManualClock(T0);
    const { client, emu, rx } = await setup([], { clock, delivery: { delayMs: 0 } });
    const phones = Array.from({ length: 250 }, (_, i) => String(13800000000 + i));
    await client.sendSms(send(phones));
    clock.advance(1);
    await emu.deliverDue();
    expect(rx.pushes.map((p) => p.length)).toEqual([100, 100, 50]);
    expect(new Set(rx.pushes.flat().map((r) => r.phone_number)).size).toBe(250);
  });

  it('with the system clock a timer pushes on its own, and re-pushes until the receiver says 200', async () => {
    const { client, rx } = await setup([503, 500], { delivery: { delayMs: 20 }, reportRetryDelaysMs: [30, 30, 30] });
    await client.sendSms(send(['13800000001'], 'timer'));
    await rx.received(3);
    expect(rx.pushes.map((p) => p.map((r) => r.out_id))).toEqual([['timer'], ['timer'], ['timer']]);
  });

  it('pushes nothing when no report URL is set', async () => {
    const clock = createManualClock(T0);
    const { client, emu, rx } = await setup([], { clock, delivery: { delayMs: 0 } });
    emu.configure({ reportUrl: undefined });
    await client.sendSms(send(['13800000001']));
    clock.advance(1);
    await emu.deliverDue();
    expect(rx.pushes).toHaveLength(0);
  });
});
