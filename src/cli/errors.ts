/**
 * What can end a CLI command early, and the exit code each one means:
 * 0 success, 1 the API (or the network) refused, 2 the invocation or the environment is wrong.
 */
import type { SmsError } from '../sms/errors.js';

export const EXIT_OK = 0;
export const EXIT_API_ERROR = 1;
export const EXIT_USAGE = 2;

/** A flag, an argument or the environment is wrong; nothing was called. Exit 2. */
export class UsageError extends Error {
  readonly code = 'SMSQ_BAD_FLAG';
  constructor(
    /** One line naming the flag and the fix. */
    message: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A Dysmsapi call failed; carries the client's {@link SmsError}. Exit 1. */
export class ApiCallError extends Error {
  constructor(readonly smsError: SmsError) {
    super(`${smsError.code}: ${smsError.message}`);
    this.name = 'ApiCallError';
  }
}
