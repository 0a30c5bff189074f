/**
 * What can end a CLI command early. Exit codes come from the one list in src/errors.ts
 * ({@link EXIT}): 0 done, 1 unexpected internal error, 2 refused (bad input, flags or
 * environment; nothing sent or enqueued), 3 a dependency (Dysmsapi, Redis, the network) failed.
 */
import { EXIT, type ExitCode, type FieldIssue } from '../src/errors.js';
import { isEndpointFault } from '../src/sms/error-codes.js';
import type { SmsError } from '../src/sms/errors.js';

export const EXIT_OK = EXIT.ok;
/** @deprecated the exit code depends on the error; see {@link exitCodeOfSmsError}. */
export const EXIT_API_ERROR = EXIT.dependency;
export const EXIT_USAGE = EXIT.refused;

/** One bad flag of a refusal: `--json` lists them as the send commands list the fields they refuse. */
export interface FlagIssue extends FieldIssue {
  /** What to type instead, without "Fix: ". */
  fix?: string;
}

/** A flag, an argument or the environment is wrong; nothing was called (or, for a page past the last, nothing more). Exit 2. */
export class UsageError extends Error {
  readonly code = 'SMSQ_BAD_FLAG';
  /** One per flag when the refusal names several (or one whose fix is its own line); `--json` prints them. */
  readonly issues: FlagIssue[] | undefined;
  /** The fix, printed on a `Fix:` line of its own under the message, when not already in it. */
  readonly fix: string | undefined;
  constructor(
    /** One line naming the flag and the fix (or, with `fix`, naming the flag and the fault). */
    message: string,
    options: { issues?: FlagIssue[]; fix?: string } = {},
  ) {
    super(message);
    this.name = 'UsageError';
    this.issues = options.issues;
    this.fix = options.fix;
  }
}

/** What a command knows of a failed call that the code's own words do not say (the id it asked about). */
export interface CallFailureWords {
  meaning: string;
  action: string;
}

/**
 * A Dysmsapi call failed; carries the client's {@link SmsError}, and the command's own `words`
 * for it when it has them (they replace the code's meaning and action). Exit: {@link exitCodeOfSmsError}.
 */
export class ApiCallError extends Error {
  constructor(
    readonly smsError: SmsError,
    readonly words?: CallFailureWords,
  ) {
    super(`${smsError.code}: ${smsError.message}`);
    this.name = 'ApiCallError';
  }
}

/**
 * A Dysmsapi answer that a person must act on (a bad number or param, an unusable signature or
 * template, the account's credentials, permissions, balance or endpoint) is a refusal: asking
 * again unchanged fails again. Throttling, flow control, a timeout, a 5xx or a dropped connection
 * is the dependency failing: asking again later may succeed. Dysmsapi not reached at all (nothing
 * listens at SMS_ENDPOINT, its name does not resolve, TLS failed, something else answers there:
 * `ENDPOINT_FAULTS`) is exit 3, "Dysmsapi unreachable", like Redis unreachable, though a person
 * must fix it.
 */
export function exitCodeOfSmsError(error: Pick<SmsError, 'errorClass'> & { code?: string }): ExitCode {
  if (error.code !== undefined && isEndpointFault({ code: error.code })) return EXIT.dependency;
  return error.errorClass === 'permanent' || error.errorClass === 'sign_template' || error.errorClass === 'account' ? EXIT.refused : EXIT.dependency;
}
