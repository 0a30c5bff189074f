import { CHUNK_LIMITS, type MessageKind } from '../src/queue/kinds.js';
import type { BatchChunkPayload, SmsChunkPayload } from '../src/queue/chunk-payload.js';

/** Splits a list into consecutive slices of at most `size` items. */
export function slices<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`size must be a positive integer, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Numbers per SendSms for a kind: verification codes go one by one, others up to 1000. */
export function smsChunkSize(kind: MessageKind): number {
  return kind === 'verification' ? CHUNK_LIMITS.verification : CHUNK_LIMITS.sendSms;
}

/** Messages per SendBatchSms for a kind. Verification codes are never batched. */
export function batchChunkSize(kind: MessageKind): number {
  return kind === 'verification' ? CHUNK_LIMITS.verification : CHUNK_LIMITS.sendBatchSms;
}

export interface SmsShape {
  signName: string;
  templateCode: string;
  templateParam?: Record<string, string>;
  smsUpExtendCode?: string;
}

/** One message to many numbers → SendSms chunks. */
export function chunkSms(phones: readonly string[], shape: SmsShape, kind: MessageKind): SmsChunkPayload[] {
  return slices(phones, smsChunkSize(kind)).map((part) => ({ api: 'SendSms', phones: part, ...shape }));
}

export interface PersonalMessage {
  phone: string;
  signName: string;
  templateParam?: Record<string, string>;
  smsUpExtendCode?: string;
}

/**
 * Personalised messages → SendBatchSms chunks. Verification codes become one SendSms each
 * (SendBatchSms can be delayed, codes must not be).
 *
 * SmsUpExtendCodeJson must hold one code per number, and whether Dysmsapi takes "" for "no code"
 * is not documented: a wrong guess would fail a whole call of 100 with isv.EXTEND_CODE_ERROR. So
 * messages with a code and messages without go in chunks of their own (at most one more call
 * than mixing them), each group in the order given.
 */
export function chunkBatch(
  messages: readonly PersonalMessage[],
  templateCode: string,
  kind: MessageKind,
): (BatchChunkPayload | SmsChunkPayload)[] {
  if (kind === 'verification') {
    return messages.map((m) => ({
      api: 'SendSms' as const,
      phones: [m.phone],
      signName: m.signName,
      templateCode,
      ...(m.templateParam ? { templateParam: m.templateParam } : {}),
      ...(m.smsUpExtendCode !== undefined ? { smsUpExtendCode: m.smsUpExtendCode } : {}),
    }));
  }
  const coded = messages.filter((m) => m.smsUpExtendCode !== undefined);
  const plain = coded.length === 0 ? messages : messages.filter((m) => m.smsUpExtendCode === undefined);
  return [plain, coded].flatMap((group) =>
    slices(group, batchChunkSize(kind)).map((part) => {
      const withParams = part.some((m) => m.templateParam);
      return {
        api: 'SendBatchSms' as const,
        phones: part.map((m) => m.phone),
        signNames: part.map((m) => m.signName),
        templateCode,
        ...(withParams ? { templateParams: part.map((m) => m.templateParam ?? {}) } : {}),
        ...(group === coded ? { smsUpExtendCodes: part.map((m) => m.smsUpExtendCode as string) } : {}),
      };
    }),
  );
}
