/**
 * Codes a delivery receipt carries (QuerySendDetails `ErrCode`, SmsReport `err_code`): `DELIVERED`,
 * or the code of the carrier or of Alibaba's gateway to it, passed on as it came. Not API answers:
 * no class applies (src/sms/error-codes.ts), and a failed receipt is final. The ones met most, and
 * the emulator's default failure codes (src/emulator/delivery.ts), with what they mean; the table
 * of docs/errors.md, "Delivery-receipt (carrier) codes", lists the same (a unit test holds them
 * together).
 */
export const RECEIPT_CODES: Readonly<Record<string, string>> = Object.freeze({
  DELIVERED: 'delivered to the handset',
  'MK:0001': "the carrier's gateway refused it: the number's status is abnormal",
  'IC:0055': 'the number is unassigned or suspended',
  'SP:0004': "the carrier's gateway refused it: system busy",
  UNDELIV: 'the carrier did not deliver it',
  'MK:0005': "the carrier's gateway refused it: the handset is off",
  'IB:0008': "the carrier's gateway refused it: the subscriber is in arrears",
  EXPIRED: 'the message expired at the carrier: the handset stayed off too long',
});

/** Where the docs say what receipt codes are: named by the campaigns page beside one. */
export const RECEIPT_CODES_DOC = 'docs/errors.md#delivery-receipt-carrier-codes';
