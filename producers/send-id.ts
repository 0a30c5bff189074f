import { randomBytes } from 'node:crypto';

/** A send id: time-ordered (base36 ms) plus 48 random bits; safe in Redis keys and BullMQ job ids. */
export function newSendId(nowMs: number): string {
  return `s${nowMs.toString(36)}${randomBytes(6).toString('hex')}`;
}
