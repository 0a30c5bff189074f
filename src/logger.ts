import { pino, type Logger, type DestinationStream, type LoggerOptions } from 'pino';
import { inEnvironmentTerms } from './setting-mention.js';
import { maskPhoneValue, maskPhonesInText } from './sms/phone-mask.js';

export type { Logger } from 'pino';

/** Keys whose values are phone numbers (any casing the SDK, the API or smsq uses). */
const PHONE_KEYS = [
  'phone',
  'phones',
  'phoneNumber',
  'phoneNumbers',
  'phoneNumberJson',
  'PhoneNumber',
  'PhoneNumbers',
  'PhoneNumberJson',
  'PhoneNum',
  'phone_number',
  'number',
  'numbers',
];

/** Keys whose values are secrets and never appear in logs at all. */
const SECRET_KEYS = [
  'accessKeyId',
  'accessKeySecret',
  'securityToken',
  'AccessKeyId',
  'AccessKeySecret',
  'SecurityToken',
  'authorization',
  'Authorization',
  'x-acs-security-token',
  'password',
  'token',
  'secret',
];

function paths(keys: string[]): string[] {
  // pino's redaction matches exact paths; cover the top level and two levels of nesting.
  return keys.flatMap((k) => {
    const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
    const sep = key.startsWith('[') ? '' : '.';
    return [key, `*${sep}${key}`, `*.*${sep}${key}`];
  });
}

const PHONE_KEY_SET = new Set(PHONE_KEYS);

export interface LoggerFactoryOptions {
  /** pino level. Default `info`. */
  level?: LoggerOptions['level'];
  /** Base bindings added to every line. */
  base?: Record<string, unknown>;
  /**
   * Messages name calls and settings as the environment spells them (`SMSQ_DURABILITY_TIMEOUT_MS`,
   * `smsq status ID`), not as a Node caller's options (src/setting-mention.ts): for `smsq` and
   * `smsq server`, configured by the environment, whose workers and producers word their lines
   * for a library caller. Default false.
   */
  environmentTerms?: boolean;
}

/**
 * The fields of a log line's object that smsq words, as its messages are: an error's message
 * (`err: err.message`) and a fix. The others are data, some of it the caller's own text (a cancel
 * reason, a signature's name, a request's path): rewritten, a reason holding `` `redis` `` was
 * logged as REDIS_URL.
 */
const WORDED_FIELDS: ReadonlySet<string> = new Set(['err', 'fix']);

/** A log call's argument in the environment's words: the message, or the {@link WORDED_FIELDS} of its object. */
function inEnvironmentWords(arg: unknown): unknown {
  if (typeof arg === 'string') return inEnvironmentTerms(arg);
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg) || arg instanceof Error) return arg;
  const fields = Object.entries(arg);
  const worded = (key: string, value: unknown): value is string => WORDED_FIELDS.has(key) && typeof value === 'string';
  if (!fields.some(([key, value]) => worded(key, value) && value.includes('`'))) return arg;
  return Object.fromEntries(fields.map(([key, value]) => [key, worded(key, value) ? inEnvironmentTerms(value) : value]));
}

/**
 * Creates the smsq logger. Secrets are replaced by `[REDACTED]`; phone numbers are masked
 * (`138****8000`) under known keys and inside message strings.
 */
export function createLogger(opts: LoggerFactoryOptions = {}, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    base: { service: 'smsq', ...(opts.base ?? {}) },
    redact: {
      paths: [...paths(PHONE_KEYS), ...paths(SECRET_KEYS)],
      censor: (value, path) => {
        const last = path[path.length - 1] ?? '';
        return PHONE_KEY_SET.has(last) ? maskPhoneValue(value) : '[REDACTED]';
      },
    },
    hooks: {
      logMethod(args, method) {
        const worded = opts.environmentTerms === true ? args.map(inEnvironmentWords) : args;
        const masked = worded.map((a) => (typeof a === 'string' ? maskPhonesInText(a) : a));
        return method.apply(this, masked as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
