/**
 * The options of the package's factories (createSmsWorker, createProducer, createRedisConnection)
 * are a boundary as much as a request: TypeScript checks their names and types, a JavaScript caller
 * has only this. Each check answers a line for a ConfigError naming the option and the fix, so that
 * a factory refuses before it makes anything that connects or writes. The bounds are the
 * environment's (src/config.ts reads the same constants), so that `qps: 6000` is refused as
 * SMS_QPS=6000 is: one worker's typo would raise the account's pacer for every worker sharing it.
 */
import { closestName } from './unknown-fields.js';
import type { QuietHours } from './queue/quiet-hours.js';
import { MESSAGE_KINDS } from './queue/kinds.js';
import { redactRedisUrl } from './queue/redis-url.js';
import { DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS } from './queue/retention.js';

/** The account's cap on Dysmsapi calls a second (SMS_QPS, a worker's `qps`). */
export const ACCOUNT_QPS_CAP = 5000;

/** Calls in flight per worker process, at most (SMSQ_CONCURRENCY, a worker's `concurrency`). */
export const MAX_CONCURRENCY = 1000;

/** The longest wait before the workers resume by themselves after an account error (SMSQ_ACCOUNT_RECHECK_MS, a worker's `accountRecheckMs`), ms. */
export const MAX_ACCOUNT_RECHECK_MS = 86_400_000;

/** The most chunks auto-pause looks back at (SMSQ_AUTOPAUSE's CHUNKS, a worker's `autoPause.window`). */
export const MAX_AUTOPAUSE_WINDOW = 9999;

/** The longest timer Node keeps (ms): a longer one fires at once. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * A key prefix smsq takes: a Redis hash tag, `{name}`, so that every key of a deployment lands on
 * one Cluster slot (SMSQ_PREFIX, a worker's or producer's `prefix`).
 */
export const PREFIX_SHAPE = /^\{[A-Za-z0-9_.-]+\}$/;

/** What {@link PREFIX_SHAPE} asks, in words, before a message's fix. */
export const PREFIX_SHAPE_WORDS = 'a Redis hash tag, {name} with letters, digits, "_", "." or "-" between the braces, so every key lands on one Cluster slot';

/** An option's value as a message quotes it: strings in quotes, objects as JSON. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/**
 * The line for a factory called without its options object (`createProducer()` from JavaScript):
 * every other check reads its fields, and the factory threw a TypeError naming none of them.
 * `fix` is the call with what it needs.
 */
export function optionsObjectLine(where: string, options: unknown, fix: string): string | undefined {
  if (typeof options === 'object' && options !== null && !Array.isArray(options)) return undefined;
  return `${where}: none were given, got ${described(options)}. Fix: ${fix}`;
}

/** A value as a refusal names it: a function by what it is (its source says nothing to the caller). */
function described(value: unknown): string {
  return typeof value === 'function' ? 'a function' : shown(value);
}

/**
 * The line for a logger that is none: a worker makes its components' loggers with `child()`, and
 * threw a TypeError reading it. `fix` says where the caller gets one.
 */
export function loggerLine(where: string, logger: unknown, fix: string): string | undefined {
  if (typeof (logger as { child?: unknown } | null | undefined)?.child === 'function') return undefined;
  if (logger === undefined || logger === null) return `${where}: logger is missing. Fix: ${fix}`;
  return `${where}: logger must be a pino logger (as createLogger makes), got ${typeof logger === 'object' ? 'an object without child()' : described(logger)}. Fix: ${fix}`;
}

/**
 * The line for an SMS client that lacks the calls `methods` names (read by its shape, as a
 * connection is: a caller may wrap the client). Without one a worker threw a TypeError reading
 * sendSms; with `{}` it was built, and each of its calls failed.
 */
export function smsClientLine(where: string, client: unknown, methods: readonly string[], fix: string): string | undefined {
  if (client === undefined || client === null) return `${where}: client is missing. Fix: ${fix}`;
  const lacking = methods.filter((m) => typeof (client as Record<string, unknown>)[m] !== 'function');
  if (typeof client === 'object' && lacking.length === 0) return undefined;
  return `${where}: client must be an SMS client (as createSmsClient makes)${typeof client === 'object' ? `: it has no ${lacking.join(', ')}` : `, got ${described(client)}`}. Fix: ${fix}`;
}

/**
 * The names of `options` that `known` lacks, each a line of `where` (`smsq worker options`) naming
 * the option it was likely meant to be: a misspelt option was dropped without a word, and its
 * default used (`concurency: 4` ran 64 calls at a time). Keys set to undefined are left out.
 */
export function unknownOptionLines(where: string, factory: string, options: object, known: readonly string[]): string[] {
  return Object.keys(options)
    .filter((key) => !known.includes(key) && (options as Record<string, unknown>)[key] !== undefined)
    .map((key) => {
      const meant = closestName(key, known);
      return meant !== undefined
        ? `${where}: ${key} is not an option of ${factory}. Fix: write it as ${meant} (option names must match exactly)`
        : `${where}: ${key} is not an option of ${factory}. Fix: remove it; its options are ${known.join(', ')}`;
    });
}

/**
 * The keys of the nested option `name` (`quietHours`, `retention`, `reconcile`) that `known` lacks,
 * a line each naming the key it was likely meant to be: a misspelt key was dropped as an option's
 * was, and its default used (`quietHours: { strat: 1260 }`). Not an object: no lines (the option's
 * own check says what it must be).
 */
export function unknownKeyLines(where: string, name: string, value: unknown, known: readonly string[]): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.keys(value)
    .filter((key) => !known.includes(key) && (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => {
      const meant = closestName(key, known) ?? closestByStem(key, known);
      return meant !== undefined
        ? `${where}: ${name}.${key} is not a field of ${name}. Fix: write it as ${name}.${meant} (names must match exactly)`
        : `${where}: ${name}.${key} is not a field of ${name}. Fix: remove it; its fields are ${known.join(', ')}`;
    });
}

/** What a field's name ends in to say its unit: a key may be its stem, misspelt (`strat` for startMinute). */
const UNIT_SUFFIX = /(?:Minute|Ms|Seconds)$/;

/** The one of `known` whose name without its unit `key` is likely a misspelling of. */
function closestByStem(key: string, known: readonly string[]): string | undefined {
  const stems = known.map((k) => k.replace(UNIT_SUFFIX, ''));
  const stem = closestName(key, stems);
  return stem === undefined ? undefined : known[stems.indexOf(stem)];
}

/**
 * The lines of a nested option given as an object (`null` passes where `allowNull`): one when it
 * is not an object, else one per key it should not have ({@link unknownKeyLines}) and one per
 * field `check` refuses (called with each field's value and its name as a message says it).
 */
export function nestedOptionLines(
  where: string,
  name: string,
  value: unknown,
  known: readonly string[],
  fix: string,
  check: (field: string, value: unknown, named: string) => string | undefined,
  allowNull = false,
): string[] {
  if (value === undefined || (allowNull && value === null)) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${where}: ${name} must be an object { ${known.join(', ')} }, got ${shown(value)}. Fix: ${fix}`];
  const fields = value as Record<string, unknown>;
  return [...unknownKeyLines(where, name, value, known), ...known.map((field) => check(field, fields[field], `${name}.${field}`)).filter((line): line is string => line !== undefined)];
}

/** A line when `value` is given and not true or false (`'false'` is a string, and enabled what it named). */
export function booleanLine(where: string, name: string, value: unknown, fix: string): string | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  return `${where}: ${name} must be true or false, got ${shown(value)}. Fix: ${fix}`;
}

const DAY_SECONDS = 86_400;

/** The longest any record is kept (seconds): the environment's bound, SMSQ_RETENTION_DAYS at most {@link MAX_RETENTION_DAYS}. */
export const MAX_RETENTION_SECONDS = MAX_RETENTION_DAYS * DAY_SECONDS;

/**
 * The lines of the `retention` and `retentionSeconds` options (createProducer's and
 * createSmsWorker's): kinds in whole seconds from 1 to {@link MAX_RETENTION_SECONDS}, as the
 * EXPIRE they become takes them (0 or less deletes a record as it is written, a fraction is refused).
 */
export function retentionLines(where: string, options: { retention?: unknown; retentionSeconds?: unknown }): string[] {
  const range = `whole seconds from 1 to ${MAX_RETENTION_SECONDS} (${MAX_RETENTION_DAYS} days, as SMSQ_RETENTION_DAYS)`;
  const example = MESSAGE_KINDS.map((kind) => `${kind}: ${DEFAULT_RETENTION_DAYS[kind] * DAY_SECONDS}`).join(', ');
  const fix = `leave it out (the defaults: ${example}) or give ${range} per kind, e.g. retention: { marketing: ${30 * DAY_SECONDS} }`;
  return [
    ...nestedOptionLines(where, 'retention', options.retention, MESSAGE_KINDS, fix, (kind, value, named) =>
      wholeNumberLine(where, named, value, 1, MAX_RETENTION_SECONDS, `leave it out (${DEFAULT_RETENTION_DAYS[kind as keyof typeof DEFAULT_RETENTION_DAYS] * DAY_SECONDS}, ${DEFAULT_RETENTION_DAYS[kind as keyof typeof DEFAULT_RETENTION_DAYS]} days) or give ${range}`),
    ),
    wholeNumberLine(where, 'retentionSeconds', options.retentionSeconds, 1, MAX_RETENTION_SECONDS, `leave it out (each kind's default) or give ${range}, e.g. retentionSeconds: ${7 * DAY_SECONDS}`),
  ].filter((line): line is string => line !== undefined);
}

/** A line when `value` is given and not a whole number from `min` to `max`; `fix` follows it. */
export function wholeNumberLine(where: string, name: string, value: unknown, min: number, max: number, fix: string, note = ''): string | undefined {
  if (value === undefined || (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max)) return undefined;
  const over = typeof value === 'number' && value > max;
  return `${where}: ${name} must be a whole number from ${min} to ${max}${over ? note : ''}, got ${shown(value)}. Fix: ${fix}`;
}

/** A line when `value` is given and not a number of ms above 0 (or from 0, `orZero`) that a timer keeps. */
export function positiveMsLine(where: string, name: string, value: unknown, fix: string, orZero = false): string | undefined {
  if (value === undefined || (typeof value === 'number' && Number.isFinite(value) && (value > 0 || (orZero && value === 0)) && value <= LONGEST_TIMER_MS)) return undefined;
  return `${where}: ${name} must be a number of ms ${orZero ? 'from 0' : 'above 0'} (at most ${LONGEST_TIMER_MS}), got ${shown(value)}. Fix: ${fix}`;
}

/**
 * A line when `prefix` is given and not a hash tag ({@link PREFIX_SHAPE}); `peers` are who must
 * have the same prefix, a plural without its apostrophe (`workers`).
 */
export function prefixLine(where: string, prefix: unknown, peers: string): string | undefined {
  if (prefix === undefined || (typeof prefix === 'string' && PREFIX_SHAPE.test(prefix))) return undefined;
  return `${where}: prefix must be ${PREFIX_SHAPE_WORDS}, got ${shown(prefix)}. Fix: leave it out ({smsq}) or give one such as prefix: '{smsq-staging}', the same as the ${peers}' (SMSQ_PREFIX)`;
}

/**
 * The line for a factory's Redis option that is no ioredis connection (a Redis or a Cluster), read
 * by its shape, not its class: a caller's own copy of ioredis is another class. A URL given there
 * (the environment's REDIS_URL, as the CLI takes it) failed with a TypeError from deep inside.
 */
export function connectionLine(where: string, name: string, value: unknown, role: 'client' | 'worker'): string | undefined {
  const shape = value as { options?: unknown; duplicate?: unknown } | null | undefined;
  if (typeof shape === 'object' && shape !== null && typeof shape.options === 'object' && typeof shape.duplicate === 'function') return undefined;
  const got = typeof value === 'string' ? `the URL ${redactRedisUrl(value)}` : shown(value);
  return `${where}: ${name} must be an ioredis connection, got ${got}. Fix: ${name}: createRedisConnection(url, { role: '${role}' }) (exported by smsq; it reads the URL as REDIS_URL is read)`;
}

/** The fields of {@link QuietHours}. */
const QUIET_HOURS_FIELDS = Object.keys({ startMinute: true, endMinute: true } satisfies Record<keyof QuietHours, true>);

/** Minutes in a day: a quiet window's minutes are 0 to this less one. */
const DAY_MINUTES = 24 * 60;

/**
 * A line when `value` is given and not quiet hours ({@link QuietHours}: whole minutes after
 * midnight, China time, start and end apart); `null` passes where `allowNull`.
 */
export function quietHoursLine(where: string, name: string, value: unknown, allowNull: boolean): string | undefined {
  if (value === undefined || (allowNull && value === null)) return undefined;
  const fix = `give { startMinute, endMinute }, minutes after midnight China time (0..${DAY_MINUTES - 1}), e.g. { startMinute: 1260, endMinute: 480 } for 21:00-08:00${allowNull ? ', or null for none' : ''}`;
  if (typeof value !== 'object' || value === null) return `${where}: ${name} must be { startMinute, endMinute }, got ${shown(value)}. Fix: ${fix}`;
  const q = value as Partial<Record<keyof QuietHours, unknown>>;
  const minute = (m: unknown) => typeof m === 'number' && Number.isInteger(m) && m >= 0 && m < DAY_MINUTES;
  // A misspelt key is named with the one meant (`strat` → startMinute), beside what the shape lacks.
  const lines = unknownKeyLines(where, name, value, QUIET_HOURS_FIELDS);
  if (!minute(q.startMinute) || !minute(q.endMinute)) lines.push(`${where}: ${name} must be { startMinute, endMinute }, whole minutes 0..${DAY_MINUTES - 1}, got ${shown(value)}. Fix: ${fix}`);
  else if (q.startMinute === q.endMinute) lines.push(`${where}: ${name} starts and ends at the same minute (${String(q.startMinute)}). Fix: ${fix}`);
  return lines.length > 0 ? lines.join('\n') : undefined;
}
