import { randomFillSync } from 'node:crypto';

/**
 * OutId of an attempt: `<sendId>.<chunk index>.<attempt>-<nonce>`. The nonce makes every attempt's
 * OutId unique even when a Redis that lost its last writes hands out the same attempt number
 * twice, so a look-up can tell the two apart. OutIds of earlier versions have no nonce.
 */
export interface ParsedOutId {
  sendId: string;
  index: string;
  chunkId: string;
  attempt: number;
}

const OUT_ID = /^(s[0-9a-z]+)\.([0-9]+(?:-[0-9]+)*)\.([0-9]+)(?:-([0-9a-z]{1,16}))?$/;

const NONCE_BYTES = 5;
/**
 * Random bytes drawn from the system a pool at a time: one draw per call cost the send path more
 * CPU than the rest of the claim's own code (docs/benchmarks.md).
 */
const pool = Buffer.alloc(NONCE_BYTES * 1024);
let poolAt = pool.length;

/** A fresh nonce for the next attempt's OutId (the claim script appends it): 40 random bits, hex. */
export function newOutIdNonce(): string {
  if (poolAt + NONCE_BYTES > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const nonce = pool.toString('hex', poolAt, poolAt + NONCE_BYTES);
  poolAt += NONCE_BYTES;
  return nonce;
}

/** Our OutIds, parsed; anything else (another system's OutId, a forged one) is undefined. */
export function parseOutId(outId: string | undefined): ParsedOutId | undefined {
  if (!outId) return undefined;
  const m = OUT_ID.exec(outId);
  if (!m) return undefined;
  const sendId = m[1] as string;
  const index = m[2] as string;
  return { sendId, index, chunkId: `${sendId}.${index}`, attempt: Number(m[3]) };
}

/** True when `outId` names an attempt (any attempt) of this chunk. */
export function isOutIdOf(outId: string | undefined, chunkId: string): boolean {
  return parseOutId(outId)?.chunkId === chunkId;
}
