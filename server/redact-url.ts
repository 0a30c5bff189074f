/**
 * The report token may travel in the push URL (`/v1/reports/<token>/sms-report`, what Alibaba's
 * console can carry), so every URL that reaches a log line or an error message goes through
 * {@link redactUrl} first. Query strings are dropped as well: nothing smsq serves needs them in a log.
 */
const REPORT_TOKEN_IN_PATH = /^(\/v1\/reports\/)(?!sms-report(?:[/?]|$)|sms-up(?:[/?]|$))[^/?]+/;

export const REDACTED = '[REDACTED]';

/** The path of `url` with a report token in it replaced by `[REDACTED]`, without the query string. */
export function redactUrl(url: string): string {
  const path = url.split('?')[0] ?? '';
  return path.replace(REPORT_TOKEN_IN_PATH, `$1${REDACTED}`);
}
