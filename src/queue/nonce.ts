import { randomFillSync } from 'node:crypto';

/** Bytes of a nonce: 40 random bits, 10 hex digits. */
const NONCE_BYTES = 5;
/**
 * Random bytes drawn from the system a pool at a time: one draw per call cost the send path more
 * CPU than the rest of the claim's own code (docs/benchmarks.md).
 */
const pool = Buffer.alloc(NONCE_BYTES * 1024);
let poolAt = pool.length;

/**
 * A fresh nonce, 40 random bits in hex: what tells one call from another where a Redis script may
 * be run twice by the same call (an attempt's OutId, claim-6.lua; a transition's call,
 * transition-7.lua).
 */
export function newNonce(): string {
  if (poolAt + NONCE_BYTES > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const nonce = pool.toString('hex', poolAt, poolAt + NONCE_BYTES);
  poolAt += NONCE_BYTES;
  return nonce;
}
