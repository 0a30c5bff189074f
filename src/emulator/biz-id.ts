/**
 * BizIds shaped like Alibaba's (`402617584525830937^0`: 18 digits, `^0`), unique for the life of the
 * process: a random 6-digit prefix per emulator and a 12-digit counter.
 */
import { randomInt } from 'node:crypto';

export function createBizIdGenerator(): () => string {
  const prefix = String(randomInt(100_000, 1_000_000));
  let seq = 0;
  return () => `${prefix}${String(++seq).padStart(12, '0')}^0`;
}
