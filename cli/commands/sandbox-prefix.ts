import { randomBytes } from 'node:crypto';

/**
 * The key prefix of one `smsq sandbox` run: a hash tag (one Cluster slot), time-ordered so that
 * keys left by an interrupted run say when, and random so that two runs started in the same
 * millisecond on one Redis never share keys (each removes its own keys when it ends).
 */
export function sandboxPrefix(nowMs: number): string {
  return `{smsq-sandbox-${nowMs.toString(36)}-${randomBytes(4).toString('hex')}}`;
}
