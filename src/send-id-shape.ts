/**
 * What a send id looks like, for the messages that refuse one or do not find it: a user who typed
 * `smsq status 'bad id!'` was told only "not found", or commander's "too many arguments".
 * producers/send-id.ts makes them (`s`, the time in base 36, 12 hex digits).
 */
import { parseOutId } from './queue/out-id.js';
import { normalizePhone } from './sms/phone.js';
import { maskPhone } from './sms/phone-mask.js';

/** An id as an enqueue answers it. */
export const SEND_ID_EXAMPLE = 'smx8k5nwj5d7ae857a7a7';

/**
 * The ids a look-up takes (ids made by other versions included): 1-64 letters, digits, `.`, `_` or
 * `-`, but not `.` or `..` alone, which are path steps (`GET /v1/sends/%2e%2e` was looked up).
 */
export const SEND_ID_PATTERN = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,64}$/;

/** A send id in words, for a message's fix. */
export const SEND_ID_SHAPE = `a send id is "s" and lowercase letters and digits, like ${SEND_ID_EXAMPLE}, as the enqueue answered it`;

/** The refusal of a value that cannot be a send id (REST's path, the CLI's argument). */
const NOT_A_SEND_ID = `is not a send id (1-64 letters, digits, . _ or -, not . or .. alone): ${SEND_ID_SHAPE}`;

/**
 * What an operator copies from elsewhere instead of a send id, when a value has its shape: a
 * phone number (masked when repeated), a BizId (Dysmsapi's id of one accepted call, which a
 * send's answer and `status --recipients` show), or smsq's OutId of one attempt (the `out id`
 * column of `smsq details`). `what` follows the value in a sentence; `fix` is the command that
 * finds it, `apiFix` the REST route (REST has no QuerySendDetails: a BizId is found among a send's
 * recipients).
 */
export interface OtherIdShape {
  kind: 'bizId' | 'outId' | 'phone';
  /** How the value may be repeated in a message: a phone number masked, as in every refusal. */
  shown: string;
  what: string;
  fix: string;
  apiFix: string;
}

/** Who is told: an operator at the CLI, or a REST client. */
export type IdAudience = 'cli' | 'api';

/**
 * The refusal of `value` as a send id by its shape: what it is, with the fix that finds what was
 * meant, when it is a BizId or an OutId; otherwise the shape of a send id and `fix`.
 */
export function notASendId(value: string, fix: string, audience: IdAudience): string {
  const other = otherIdShape(value);
  if (other === undefined) return `${NOT_A_SEND_ID}. Fix: ${fix}`;
  return `${other.what}. Fix: ${audience === 'cli' ? other.fix : other.apiFix}`;
}

/**
 * A BizId: digits, then `^` and the part of a split message, which some answers leave off. Without
 * the `^` part it is told from a phone number by its length: 16 digits or more, which no number
 * has (E.164 allows 15); a phone number is tried first.
 */
const BIZ_ID = /^(?:\d{10,30}\^\d+|\d{16,30})$/;

/** `value` as a phone number, a BizId or an OutId of smsq's; undefined for anything else (a send id among them). */
export function otherIdShape(value: string): OtherIdShape | undefined {
  const phone = /^\+?\d+$/.test(value) ? normalizePhone(value) : undefined;
  if (phone?.ok) {
    const shown = maskPhone(phone.phone);
    return {
      kind: 'phone',
      shown,
      what: 'is a phone number, not a send id',
      fix: 'smsq details --phone NUMBER --date yyyyMMdd lists what was sent to a number that day (China Standard Time); smsq sends lists the sends',
      apiFix: 'the sendId its enqueue answered; GET /v1/sends lists the sends',
    };
  }
  if (BIZ_ID.test(value)) {
    return {
      kind: 'bizId',
      shown: value,
      what: "is a BizId (Dysmsapi's id of one accepted call, as a send's recipients list it), not a send id",
      fix: `smsq details --phone NUMBER --date yyyyMMdd --biz-id ${value} (the number it went to, and the China Standard Time day it was sent)`,
      apiFix: 'the sendId its enqueue answered; GET /v1/sends lists the sends, and GET /v1/sends/{id}/recipients the BizId of each recipient',
    };
  }
  const outId = parseOutId(value);
  if (outId === undefined) return undefined;
  return {
    kind: 'outId',
    shown: value,
    what: `is an OutId (attempt ${outId.attempt} of chunk ${outId.chunkId}, as smsq details shows it), not a send id`,
    fix: `smsq status ${outId.sendId}`,
    apiFix: `GET /v1/sends/${outId.sendId}`,
  };
}
