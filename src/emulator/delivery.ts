/**
 * The receipt model. Each accepted recipient waits (SendStatus 1, empty ErrCode) until
 * `acceptedAt + delayMs` on the clock, then is delivered (3, `DELIVERED`) or failed (2, a carrier
 * code). Which one is decided at acceptance from a hash of the send's sequence number in this
 * emulator and the number (the BizId without its random prefix), so a test run repeats exactly;
 * state is computed when read, so queries need no timers.
 */

export interface DeliverySettings {
  delayMs: number;
  failureRatio: number;
  failureCodes: readonly string[];
}

/** Codes carriers and Alibaba put in failed receipts, with the meaning pushed as `err_msg`. */
export const FAILURE_CODE_MESSAGES: Readonly<Record<string, string>> = Object.freeze({
  'MK:0001': '运营商网关拒绝：号码状态异常',
  'IC:0055': '号码为空号或已停机',
  'SP:0004': '运营商网关拒绝：系统繁忙',
  UNDELIV: '运营商未投递',
  'MK:0005': '运营商网关拒绝：用户关机',
  'IB:0008': '运营商网关拒绝：用户欠费',
  EXPIRED: '短信已过期，用户长时间未开机',
});

export const DEFAULT_FAILURE_CODES: readonly string[] = Object.freeze(Object.keys(FAILURE_CODE_MESSAGES));

export const DELIVERED = 'DELIVERED';
export const DELIVERED_MESSAGE = '用户接收成功';

export const DEFAULT_DELIVERY: Readonly<DeliverySettings> = Object.freeze({
  delayMs: 1000,
  failureRatio: 0,
  failureCodes: DEFAULT_FAILURE_CODES,
});

/**
 * 32-bit FNV-1a followed by murmur3's finalizer: cheap, stable across runs and platforms, and well
 * spread even for keys that differ only in their last digits (phone numbers in sequence).
 */
export function stableHash(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The final ErrCode of a recipient: `DELIVERED`, or a failure code for `failureRatio` of them.
 * `sendKey` identifies the send reproducibly (its sequence number in the emulator).
 */
export function decideOutcome(sendKey: string, phone: string, settings: DeliverySettings): string {
  if (settings.failureRatio <= 0 || settings.failureCodes.length === 0) return DELIVERED;
  const key = `${sendKey}|${phone}`;
  const u = stableHash(key) / 0x1_0000_0000;
  if (u >= settings.failureRatio) return DELIVERED;
  return settings.failureCodes[stableHash(key, 0x9e3779b9) % settings.failureCodes.length] as string;
}

export interface ReceiptState {
  sendStatus: 1 | 2 | 3;
  /** Empty while waiting. */
  errCode: string;
  /** Clock ms of the receipt; `undefined` while waiting. */
  receiveAt: number | undefined;
}

/** The receipt state at `now` of a recipient due at `dueAt` with final code `finalCode`. */
export function receiptAt(dueAt: number, finalCode: string, now: number): ReceiptState {
  if (now < dueAt) return { sendStatus: 1, errCode: '', receiveAt: undefined };
  return { sendStatus: finalCode === DELIVERED ? 3 : 2, errCode: finalCode, receiveAt: dueAt };
}

export function errorMessageFor(code: string): string {
  return code === DELIVERED ? DELIVERED_MESSAGE : (FAILURE_CODE_MESSAGES[code] ?? code);
}
