/**
 * Redis key names. Every key of one deployment shares the prefix, which carries a hash tag
 * (`{smsq}`) so that BullMQ's keys and ours live on one Redis Cluster slot and Lua scripts may
 * touch them together.
 */
export const DEFAULT_PREFIX = '{smsq}';

/** The one queue through which every Dysmsapi call passes, so its limiter counts all of them. */
export const CALLS_QUEUE = 'calls';

export interface Keys {
  prefix: string;
  send(sendId: string): string;
  sendCounts(sendId: string): string;
  sendChunks(sendId: string): string;
  chunk(chunkId: string): string;
  idempotency(key: string): string;
  account(): string;
}

export function createKeys(prefix: string = DEFAULT_PREFIX): Keys {
  return {
    prefix,
    send: (id) => `${prefix}:send:${id}`,
    sendCounts: (id) => `${prefix}:send:${id}:counts`,
    sendChunks: (id) => `${prefix}:send:${id}:chunks`,
    chunk: (id) => `${prefix}:chunk:${id}`,
    idempotency: (key) => `${prefix}:idem:${key}`,
    account: () => `${prefix}:account`,
  };
}
