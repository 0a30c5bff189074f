/**
 * A send's status as every `--json` output gives it: the REST answer's form (GET /v1/sends/:id,
 * server/response-schemas.ts), times as ISO 8601 in China time with the offset. The producer's
 * status keeps epoch milliseconds; printed as it is, `send --wait --json` gave `"createdAt":
 * 1796496914216` where `smsq status --json` gave `"2026-12-06T02:55:14.216+08:00"`.
 */
import { SendStatusSchema } from '../server/response-schemas.js';
import type { SendStatus } from '../src/queue/send-store.js';
import type { SendWait } from '../src/queue/send-wait.js';

export type SendStatusJson = ReturnType<typeof SendStatusSchema.parse>;

/** `status` in its JSON form. */
export function statusJson(status: SendStatus): SendStatusJson {
  return SendStatusSchema.parse(status);
}

/** A status's wait in its JSON form (its `until`, `since`, `retryAt` as ISO). */
export function waitJson(wait: SendWait): NonNullable<SendStatusJson['wait']> {
  return SendStatusSchema.shape.wait.unwrap().parse(wait);
}
