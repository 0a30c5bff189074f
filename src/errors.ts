/**
 * smsq's own errors, each with a stable `code` that scripts and tests match on. SMS API errors are
 * `SmsError` (src/sms/errors.ts); configuration errors are `ConfigError` (src/config.ts).
 */

import { maskPhonesInText } from './sms/phone-mask.js';

/** One problem with one field of a request. */
export interface FieldIssue {
  /** Dotted path of the field, e.g. `phones[3]` or `templateParam.code`. */
  field: string;
  /** What is wrong and how to fix it. */
  message: string;
}

/**
 * A request refused at the door; nothing was enqueued. Phone-looking digit runs in the issues are
 * masked (`138****8000`) here, whoever wrote them: errors travel to logs and to other people.
 */
export class ValidationError extends Error {
  readonly code = 'SMSQ_INVALID_REQUEST';
  readonly issues: FieldIssue[];
  constructor(issues: FieldIssue[]) {
    const masked = issues.map((i) => ({ field: maskPhonesInText(i.field), message: maskPhonesInText(i.message) }));
    super(masked.map((i) => `${i.field}: ${i.message}`).join('; '));
    this.issues = masked;
    this.name = 'ValidationError';
  }
}

/** A send id that does not exist (or has expired). */
export class NotFoundError extends Error {
  readonly code = 'SMSQ_NOT_FOUND';
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}

/** Converts zod issues into field issues with readable paths. */
export function fieldIssuesFromZod(issues: readonly { path: readonly PropertyKey[]; message: string }[], root = ''): FieldIssue[] {
  return issues.map((i) => {
    let field = root;
    for (const p of i.path) field += typeof p === 'number' ? `[${p}]` : field ? `.${String(p)}` : String(p);
    return { field: field || '(request)', message: i.message };
  });
}

/** A write smsq relies on could not be confirmed durable in time (WAIT / WAITAOF); nothing was acknowledged or sent on it. */
export class NotDurableError extends Error {
  readonly code = 'SMSQ_NOT_DURABLE';
  constructor(
    what: string,
    /** What the confirmation said (WAIT's count), for a caller that rewraps it. */
    readonly detail: string,
  ) {
    super(`${what} could not be made durable: ${detail}. Fix: check the replicas (INFO replication) or raise SMSQ_DURABILITY_TIMEOUT_MS, then retry`);
    this.name = 'NotDurableError';
  }
}

/** Redis cannot keep the configured durability mode (SMSQ_DURABILITY); smsq refuses to start on it. */
export class RedisNotDurableError extends Error {
  readonly code = 'SMSQ_REDIS_NOT_DURABLE';
  constructor(mode: string, problems: string) {
    super(`Redis cannot keep SMSQ_DURABILITY=${mode}:\n${problems}`);
    this.name = 'RedisNotDurableError';
  }
}

/**
 * An Idempotency-Key already stands for a different request (another body). Nothing was enqueued;
 * HTTP 422. Fix: a new key for a new request, or the same body to repeat the first.
 */
export class IdempotencyKeyReusedError extends Error {
  readonly code = 'SMSQ_IDEMPOTENCY_KEY_REUSED';
  constructor(readonly idempotencyKey: string) {
    super(`the idempotency key "${idempotencyKey}" was used for a different request; nothing was enqueued. Fix: use a new key for a new request, or repeat the first request exactly`);
    this.name = 'IdempotencyKeyReusedError';
  }
}

/**
 * The request with this Idempotency-Key is still being enqueued by another caller, past the wait.
 * Nothing was enqueued by this call; HTTP 409. Retry later: the same key then returns that send.
 */
export class IdempotencyInProgressError extends Error {
  readonly code = 'SMSQ_IDEMPOTENCY_IN_PROGRESS';
  constructor(
    readonly idempotencyKey: string,
    readonly sendId: string,
  ) {
    super(`the request with idempotency key "${idempotencyKey}" is still being enqueued (send ${sendId}). Fix: retry in a few seconds; the same key then returns that send`);
    this.name = 'IdempotencyInProgressError';
  }
}
