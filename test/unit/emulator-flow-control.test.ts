import { describe, expect, it } from 'vitest';
import { FlowControl, type FlowItem } from '../../src/emulator/flow-control.js';

const HOUR = 3_600_000;
// 2026-01-01 00:00:00 in UTC+8 (2025-12-31 16:00 UTC): the start of a CST day.
const CST_MIDNIGHT = Date.UTC(2025, 11, 31, 16);
const VERIFY = { templateCode: 'SMS_V', verification: true };
const NOTIFY = { templateCode: 'SMS_N', verification: false };
const one = (phone = '13800138000', signName = 'S'): FlowItem[] => [{ phone, mainland: true, signName }];

/** Sends through check+commit as the API does; returns the refusal message or 'ok'. */
function send(fc: FlowControl, items: FlowItem[], template: typeof VERIFY, now: number): string {
  const v = fc.check(items, template, now);
  if (v) return v.message;
  fc.commit(items, template, now);
  return 'ok';
}

describe('emulator per-number flow control', () => {
  it('verification: one per minute per signature and number, windows aligned to the minute', () => {
    const fc = new FlowControl();
    const t = CST_MIDNIGHT + 59_000; // 00:00:59
    expect(send(fc, one(), VERIFY, t)).toBe('ok');
    expect(send(fc, one(), VERIFY, t + 500)).toBe('触发分钟级流控Permits:1');
    expect(send(fc, one('13800138001'), VERIFY, t + 500)).toBe('ok');
    expect(send(fc, one('13800138000', 'Other'), VERIFY, t + 500)).toBe('ok');
    // 00:01:00 is a new minute even though only one second passed.
    expect(send(fc, one(), VERIFY, CST_MIDNIGHT + 60_000)).toBe('ok');
  });

  it('verification: five per hour, ten per CST day', () => {
    const fc = new FlowControl();
    for (let i = 0; i < 5; i++) expect(send(fc, one(), VERIFY, CST_MIDNIGHT + i * 60_000)).toBe('ok');
    expect(send(fc, one(), VERIFY, CST_MIDNIGHT + 5 * 60_000)).toBe('触发小时级流控Permits:5');
    for (let i = 0; i < 5; i++) expect(send(fc, one(), VERIFY, CST_MIDNIGHT + HOUR + i * 60_000)).toBe('ok');
    expect(send(fc, one(), VERIFY, CST_MIDNIGHT + 2 * HOUR)).toBe('触发天级流控Permits:10');
    // 00:00 UTC+8 the next day (16:00 UTC) opens a new day.
    expect(send(fc, one(), VERIFY, CST_MIDNIGHT + 24 * HOUR)).toBe('ok');
  });

  it('verification: forty per number per day across signatures', () => {
    const fc = new FlowControl();
    let sent = 0;
    for (let s = 0; s < 4; s++) {
      for (let h = 0; h < 10; h++) {
        expect(send(fc, one('13800138000', `S${s}`), VERIFY, CST_MIDNIGHT + h * HOUR + s * 60_000)).toBe('ok');
        sent++;
      }
    }
    expect(sent).toBe(40);
    expect(send(fc, one('13800138000', 'S9'), VERIFY, CST_MIDNIGHT + 20 * HOUR)).toBe('触发天级流控Permits:40');
  });

  it('other templates: fifty per day per signature, template and number', () => {
    const fc = new FlowControl();
    for (let i = 0; i < 50; i++) expect(send(fc, one(), NOTIFY, CST_MIDNIGHT + i)).toBe('ok');
    expect(send(fc, one(), NOTIFY, CST_MIDNIGHT + 100)).toBe('触发天级流控Permits:50');
    expect(send(fc, one(), { templateCode: 'SMS_OTHER', verification: false }, CST_MIDNIGHT + 100)).toBe('ok');
    expect(send(fc, one(), NOTIFY, CST_MIDNIGHT + 24 * HOUR)).toBe('ok');
  });

  it('counts a number named twice in one call, and a refused call changes nothing', () => {
    const fc = new FlowControl();
    const twice = [...one(), ...one()];
    expect(send(fc, twice, VERIFY, CST_MIDNIGHT)).toBe('触发分钟级流控Permits:1');
    expect(send(fc, one(), VERIFY, CST_MIDNIGHT)).toBe('ok');
  });

  it('refuses a whole call when one of its numbers is over, and counts none of them', () => {
    const fc = new FlowControl();
    expect(send(fc, one('13800000001'), VERIFY, CST_MIDNIGHT)).toBe('ok');
    const call = [...one('13800000002'), ...one('13800000001')];
    expect(fc.check(call, VERIFY, CST_MIDNIGHT + 1)).toEqual({ phone: '13800000001', message: '触发分钟级流控Permits:1' });
    expect(send(fc, one('13800000002'), VERIFY, CST_MIDNIGHT + 2)).toBe('ok');
  });

  it('leaves international numbers alone', () => {
    const fc = new FlowControl();
    const intl: FlowItem[] = [{ phone: '85291234567', mainland: false, signName: 'S' }];
    for (let i = 0; i < 20; i++) expect(send(fc, intl, VERIFY, CST_MIDNIGHT + i)).toBe('ok');
    expect(fc.size()).toBe(0);
  });

  it('keeps memory bounded: old days are pruned, and at most maxKeys entries per counter', () => {
    const fc = new FlowControl(undefined, 100);
    for (let i = 0; i < 500; i++) send(fc, one(String(13800000000 + i)), NOTIFY, CST_MIDNIGHT);
    expect(fc.size()).toBe(100);
    send(fc, one('13900000000'), NOTIFY, CST_MIDNIGHT + 24 * HOUR);
    expect(fc.size()).toBe(1);
  });

  it('reset forgets every counter', () => {
    const fc = new FlowControl();
    send(fc, one(), VERIFY, CST_MIDNIGHT);
    fc.reset();
    expect(send(fc, one(), VERIFY, CST_MIDNIGHT)).toBe('ok');
  });
});
