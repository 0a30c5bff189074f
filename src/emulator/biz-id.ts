/**
 * BizIds shaped like Alibaba's (`402617584525830937^0`: 18 digits, `^0`): a random 6-digit prefix per
 * emulator, so two emulators (or one restarted) never hand out the same BizId, and a 12-digit counter.
 */
import { randomInt } from 'node:crypto';

export interface IssuedBizId {
  bizId: string;
  /** 1 for the emulator's first accepted send, 2 for the next...: the same in every run. */
  seq: number;
}

export function createBizIdGenerator(): () => IssuedBizId {
  const prefix = String(randomInt(100_000, 1_000_000));
  let seq = 0;
  return () => {
    seq++;
    return { bizId: `${prefix}${String(seq).padStart(12, '0')}^0`, seq };
  };
}
