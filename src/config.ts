import { z } from 'zod';
import { MESSAGE_KINDS, type MessageKind } from './queue/kinds.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE, type ReceiptPolicies, type ReceiptPolicy, type ReceiptSchedule } from './queue/receipt-policy.js';
import { DEFAULT_QUIET_HOURS, parseQuietHours, type QuietHours } from './queue/quiet-hours.js';
import { confirmationWaitMs, DEFAULT_DURABILITY, DURABILITY_MODES, MAX_DURABILITY_REPLICAS, type ResolvedDurability } from './durability/mode.js';
import { parseRedisUrl, redactRedisUrl, RedisUrlError, targetSpeaksTls } from './queue/redis-url.js';
import { TRACE_SAMPLERS, type TracingConfig } from './telemetry/tracing-config.js';
import { CLAIM_HOLD_SLACK_MS, callDeadlineProblem, claimHoldProblem, defaultCallDeadlineMs, shortestCallDeadlineMs } from './queue/call-deadline.js';
import { PACER_REACH_MS } from './queue/call-pacer.js';
import { MAX_RETENTION_DAYS, retentionFromDays, retentionProblem, type Retention } from './queue/retention.js';
import { LIVE_ENDPOINT } from './sms/defaults.js';
import { CLOCK_SKEW_WARN_MAX_MS, CLOCK_SKEW_WARN_MIN_MS, DEFAULT_CLOCK_SKEW_WARN_MS } from './clock-skew.js';
import { credentialTextFault, credentialTextMessage, inQuotes, type CredentialTextWords } from './sms/credential-text.js';
import { endpointFault } from './sms/endpoint-shape.js';
import { ConfigError } from './errors.js';
import { isListenHost } from './listen-host.js';
import { DEFAULT_OPT_OUT_KEYWORDS, isReplyWord } from './receipts/pushed-reports.js';
import { quoted } from './setting-mention.js';
import { closestName } from './unknown-fields.js';
import { ACCOUNT_QPS_CAP, MAX_ACCOUNT_RECHECK_MS, MAX_AUTOPAUSE_WINDOW, MAX_CONCURRENCY, PREFIX_SHAPE, PREFIX_SHAPE_WORDS } from './factory-options.js';

/** What {@link loadConfig} throws; defined with the other errors in errors.ts. */
export { ConfigError, TRACE_SAMPLERS, type TracingConfig };

/**
 * The environment contract of smsq (docs/configuration.md is generated from it). This is the only module that
 * reads `process.env`; everything else receives a typed {@link Config}.
 */
export interface Config {
  /**
   * Redis to use: `redis://` or `rediss://` for one Redis, `redis+sentinel://` (`rediss+sentinel://`
   * in TLS) for a Sentinel deployment, `redis+cluster://` (`rediss+cluster://` in TLS) for a Cluster
   * (src/queue/redis-url.ts).
   * Default `redis://127.0.0.1:6379`.
   */
  redisUrl: string;
  /**
   * How long a command or producer call waits for Redis to answer before it fails with
   * SMSQ_REDIS_UNAVAILABLE (ms). Default 5000.
   */
  redisConnectTimeoutMs: number;
  /**
   * The client certificate presented to a TLS Redis deployment (SMSQ_REDIS_TLS_CERT and
   * SMSQ_REDIS_TLS_KEY: file paths, read by src/queue/redis-client-certificate.ts); undefined: none.
   */
  redisClientCertificate: { certFile: string; keyFile: string } | undefined;
  /** How long `smsq worker` may take to stop after SIGTERM/SIGINT before it leaves calls unrecorded (ms). Default 25000. */
  shutdownGraceMs: number;
  /** `sandbox` runs against the built-in emulator; `live` talks to Alibaba Cloud. Default `sandbox`. */
  mode: 'sandbox' | 'live';
  /**
   * Dysmsapi `host[:port]`. Overrides the mode's endpoint. Live default `dysmsapi.aliyuncs.com`;
   * in sandbox mode, unset means "start an emulator in this process".
   */
  endpoint: string | undefined;
  /** `https` or `http`. Default `https` in live mode, `http` in sandbox mode. */
  protocol: 'https' | 'http';
  /** Account-wide cap on Dysmsapi calls per second, all workers together. Default 4500, max 5000. */
  qps: number;
  /** Per-call read timeout in milliseconds. Default 3000. */
  readTimeoutMs: number;
  /** pino level; unset: the command's default (`info`; `smsq sandbox` logs its worker and producer at `warn`). */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' | undefined;
  /**
   * An AccessKey pair from `ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, when both
   * are set. Live mode never uses this directly (the SDK's default credential chain reads the same
   * variables); the emulator and sandbox mode use it so one environment drives both sides.
   */
  accessKey: { accessKeyId: string; accessKeySecret: string } | undefined;
  /** Redis key prefix with a hash tag, shared by producers and workers. Default `{smsq}`. */
  prefix: string;
  /** Calls in flight per worker process. Default 64. */
  concurrency: number;
  /** How long after an attempt "not found" proves it was not accepted (ms). Default 60000. */
  reconcileSettleMs: number;
  /** Auto-resume after an account block (ms); 0 = only `smsq resume`. Default 300000. */
  accountRecheckMs: number;
  /** A worker warns when its clock is further than this from Redis's (ms). Default 1000. */
  clockSkewWarnMs: number;
  /** How long each kind's send, chunk and receipt records are kept (seconds); src/queue/retention.ts has the defaults. */
  retention: Retention;
  /** How long an approved signature or template is reused by the door check (ms); 0 = ask every time. Default 300000. */
  catalogCacheMs: number;
  /** Receipts: per kind, look every recipient up (`all`), a share (`sample:0.05`) or none (`none`: pushed reports only). */
  receiptLookups: ReceiptPolicies;
  /** After this long without a final receipt a recipient is `expired` (hours). Default 72. */
  receiptWindowHours: number;
  /** Signs send callbacks (HMAC-SHA256); callbacks are refused without it. */
  callbackSecret: string | undefined;
  /** Token that Alibaba's pushed reports must carry (URL path or header). Push endpoints are off without it. */
  reportToken: string | undefined;
  /** Pushed replies that opt a number out of marketing (SMSQ_OPT_OUT_WORDS). Default TD, T, R, 退订. */
  optOutWords: readonly string[];
  /** No marketing SMS inside this daily window (China time). Default 21:00–08:00; `off` → undefined. */
  quietHours: QuietHours | undefined;
  /** Auto-pause a send when more than `failureRatio` of its last `window` chunks failed; undefined = off. */
  autoPause: { window: number; failureRatio: number } | undefined;
  /**
   * What makes an attempt durable before its API call and an enqueue before it is acknowledged
   * (SMSQ_DURABILITY, SMSQ_DURABILITY_REPLICAS, SMSQ_DURABILITY_TIMEOUT_MS). Default `fsync`.
   */
  durability: ResolvedDurability;
  /** The repair sweep run by workers (see docs/operations.md "Repair sweep"). */
  repair: RepairConfig;
  /**
   * Workers fold a final send's records into one compact hash (SMSQ_COMPACT_FINISHED, default
   * true; docs/operations.md "Redis settings").
   */
  compactFinished: boolean;
  /** `smsq server`: HTTP ingestion, dashboard, metrics and health. */
  server: ServerConfig;
  /**
   * OpenTelemetry tracing (docs/tracing.md), from the standard `OTEL_*` variables; undefined (the
   * default) = off, and no OpenTelemetry package is loaded. On when `OTEL_EXPORTER_OTLP_ENDPOINT`
   * or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, unless `OTEL_SDK_DISABLED=true` or
   * `OTEL_TRACES_EXPORTER=none`.
   */
  tracing: TracingConfig | undefined;
}

/** Settings of the repair sweep (`SMSQ_REPAIR_*`). */
export interface RepairConfig {
  /** Between sweeps in each worker (ms; one worker at a time sweeps); undefined = off. Default 300000. */
  intervalMs: number | undefined;
  /** A send still `enqueuing` with nothing written for this long has lost its producer (ms). Default 600000. */
  enqueueGraceMs: number;
}

/** Settings of `smsq server` (the `SMSQ_SERVER_*`, `SMSQ_API_TOKEN` and `SMSQ_DASHBOARD_*` variables). */
export interface ServerConfig {
  /** Interface to listen on. Default `127.0.0.1` (local only; `0.0.0.0` for every interface). */
  host: string;
  /** TCP port. Default 8080; 0 picks a free port. */
  port: number;
  /** Bearer token every `/v1` request must carry. Unset: `/v1` refuses to start without `--insecure`. */
  apiToken: string | undefined;
  dashboard: {
    /** HTTP basic auth for people, from `SMSQ_DASHBOARD_USER` + `SMSQ_DASHBOARD_PASSWORD`. */
    basicAuth: { user: string; password: string } | undefined;
    /** Bearer token for scripts and proxies, from `SMSQ_DASHBOARD_TOKEN`. */
    token: string | undefined;
    /** Bull Board's read-only mode: no retry, clean, promote, pause or empty. Default true. */
    readOnly: boolean;
  };
  /** Largest JSON request body in bytes. Default 1 MiB. */
  bodyLimit: number;
  /** Largest CSV upload (`POST /v1/campaigns`, `text/csv`) in bytes. Default 64 MiB. */
  csvBodyLimit: number;
}

export const DEFAULT_SERVER_PORT = 8080;

/** Receipt look-ups per kind unless SMSQ_RECEIPT_LOOKUPS says otherwise. */
const DEFAULT_RECEIPT_LOOKUPS: Config['receiptLookups'] = DEFAULT_RECEIPT_POLICIES;
export { ACCOUNT_QPS_CAP };
const LEAST_DURABILITY_TIMEOUT_MS = 10;

/** An on/off variable: true, false, 1 or 0; its refusal names all four, as the docs do. */
const switchFrom = (fix: string) =>
  z.enum(['true', 'false', '1', '0'], { message: `must be true, false, 1 or 0. Fix: ${fix}` }).transform((v) => v === 'true' || v === '1');

/**
 * A whole number from `min` to `max`; `range` says the range where it is more than that (a value
 * that turns a feature off). Not a number, `-1` included, is told the range too: "must be a whole
 * number" alone was wrong for -1, and left the range to the fix's example.
 */
const intFrom = (name: string, min: number, max: number, fix: string, range = `from ${min} to ${max}`) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: `must be a whole number ${range}. Fix: ${fix}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `must be at least ${min}. Fix: ${fix}` })
        .max(max, { message: `must be at most ${max}${name === 'SMS_QPS' ? ' (the account cap)' : ''}. Fix: ${fix}` }),
    );

/** SMSQ_DURABILITY_REPLICAS when it is not `all`. */
const DURABILITY_REPLICAS_COUNT = intFrom('SMSQ_DURABILITY_REPLICAS', 0, MAX_DURABILITY_REPLICAS, 'SMSQ_DURABILITY_REPLICAS=1 (0..16), or all (through Sentinel: every replica up)', 'from 0 to 16, or all');

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** A size in bytes: `1048576`, `512KiB`, `4MiB`, `1GiB` (K/M/G are powers of 1024). */
const sizeFrom = (min: number, max: number, fix: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+\s*([kmg]i?b?|b)?$/i, { message: `must be a size like 4MiB, 512KiB or a number of bytes. Fix: ${fix}` })
    .transform((v) => {
      const m = /^(\d+)\s*([a-z]*)$/i.exec(v) as RegExpExecArray;
      return Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1);
    })
    .pipe(
      z
        .number()
        .min(min, { message: `must be at least ${min} bytes. Fix: ${fix}` })
        .max(max, { message: `must be at most ${max} bytes. Fix: ${fix}` }),
    );

/** A secret in quotes (inQuotes): every client sending it without them would be refused. */
const quotesMessage = (fix: string) => `is wrapped in quotes, which would be part of it (an env file read without a shell keeps them). Fix: ${fix}, without the quotes`;

const secretFrom = (minLength: number, fix: string) =>
  z
    .string()
    .trim()
    .refine((v) => !inQuotes(v), { message: quotesMessage(fix), abort: true })
    .min(minLength, { message: `must be at least ${minLength} characters. Fix: ${fix}` })
    .regex(/^\S+$/, { message: `must not contain spaces. Fix: ${fix}` });

/**
 * Half of an AccessKey pair, as the SDK reads it: its default credential chain (live mode) takes the
 * variable from the environment as it is, so it cannot be trimmed here. A line break in the ID (a
 * secret file written with `echo`) made every call fail in Node before it left, read as a network
 * error: a send's account check was skipped and its attempts looked up as of unknown outcome for
 * ever; in the secret, every call answered SignatureDoesNotMatch. The check is the client's own
 * (src/sms/credential-text.ts), so a library caller's key is refused for what the environment's is.
 */
const accessKeyPart = (name: string, value: string) => {
  const words: CredentialTextWords = {
    sent: 'which the SDK would send as part of it (it reads the variable as it is), and every call would fail',
    quotesKept: 'an env file read without a shell keeps them',
    fix: `${name}=${value}`,
    lineBreakHint: "a secret file written with printf '%s', not echo",
  };
  return z.string().superRefine((v, ctx) => {
    const fault = credentialTextFault(v);
    if (fault !== undefined) ctx.addIssue({ code: 'custom', message: credentialTextMessage(fault, words) });
  });
};

/** A kind given twice in a `kind=value` list: the last one would win without a word. */
const givenTwice = (kind: string, fix: string) => `gives ${kind} twice; the last would win and the first be dropped. Fix: give each kind once, e.g. ${fix}`;

const TOKEN_FIX = (name: string) => `${name}=$(openssl rand -hex 32)`;

/** `key=value,key2=value2` with percent-encoded values (the OTel specification's format for headers and resource attributes). */
const keyValueList = (fix: string) =>
  z
    .string()
    .trim()
    .transform((v, zctx) => {
      const out: Record<string, string> = {};
      for (const part of v.split(',').map((p) => p.trim()).filter(Boolean)) {
        const eq = part.indexOf('=');
        const key = eq > 0 ? part.slice(0, eq).trim() : '';
        let value: string | undefined;
        try {
          value = eq > 0 ? decodeURIComponent(part.slice(eq + 1).trim()) : undefined;
        } catch {
          value = undefined;
        }
        if (!key || value === undefined) {
          // The part may be a secret: say what is wrong, not what it says.
          zctx.addIssue({ code: 'custom', message: `has an entry that is not key=value (percent-encoded). Fix: ${fix}` });
          return z.NEVER;
        }
        out[key] = value;
      }
      return out;
    });

const otlpUrl = (name: string) =>
  z
    .string()
    .trim()
    .url({ message: `must be a URL like http://otel-collector:4318. Fix: ${name}=http://127.0.0.1:4318` })
    .refine((v) => /^https?:\/\//.test(v), { message: `must be an http:// or https:// URL (OTLP over HTTP). Fix: ${name}=http://127.0.0.1:4318` });

const OTLP_PROTOCOL = z.enum(['http/protobuf'], {
  message: 'must be http/protobuf: smsq exports OTLP over HTTP with protobuf (collectors listen on 4318). Fix: unset it, or OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf',
});

/** The sections of docs/configuration.md, in their order there. */
export const ENV_GROUPS = Object.freeze({
  redis: 'Redis',
  dysmsapi: 'Dysmsapi and the account',
  workers: 'Workers',
  durability: 'Durability',
  sends: 'Sends, receipts and campaigns',
  server: '`smsq server`',
  logs: 'Logs',
  tracing: 'Tracing (OpenTelemetry)',
});

/**
 * What docs/configuration.md says about a variable; `npm run docs` renders the page from these and
 * from the schema itself (defaults, enums, ranges), so the page cannot drift from the parser.
 */
export interface EnvDoc {
  [key: string]: unknown;
  group: keyof typeof ENV_GROUPS;
  /** What the variable does, in Markdown (links relative to docs/). */
  description: string;
  /**
   * The default as a value one could set, when the schema's own default is missing (applied in
   * {@link loadConfig}) or less readable (`1MiB` for 1048576). A test checks that setting it
   * changes nothing.
   */
  default?: string;
  /** The default in words, where it depends on another variable (`SMS_MODE`). */
  defaultNote?: string;
  /** The values accepted, in words, where the schema's enum or range does not say it. */
  allowed?: string;
}

const envDoc = (doc: EnvDoc): EnvDoc => doc;

/** The environment contract: each variable's parser, default and docs ({@link EnvDoc}). */
/**
 * A word from a fixed list, in any case (`HTTP`, `LIVE`, `DEBUG`): SMS_PROTOCOL=HTTP was refused
 * and told to use https, the other protocol; LOG_LEVEL=DEBUG was told LOG_LEVEL=info.
 */
function anyCase<W extends z.ZodEnum<Readonly<Record<string, string>>>>(words: W) {
  return z.string().trim().toLowerCase().pipe(words);
}

/** A file path in a variable: trimmed, not empty (a variable set to nothing is a mistake, not "none"). */
function tlsFileVar(name: string, example: string) {
  return z
    .string()
    .trim()
    .min(1, { message: `is set but empty. Fix: ${name}=${example}, or unset it` })
    .optional();
}

export const envSchema = z.object({
  REDIS_URL: z
    .string()
    .trim()
    .superRefine((v, zctx) => {
      try {
        parseRedisUrl(v);
      } catch (err) {
        if (!(err instanceof RedisUrlError)) throw err;
        // Said as the variable: the line starts REDIS_URL="..." (redacted), and the fix is its value.
        zctx.addIssue({ code: 'custom', message: `${err.problem}. Fix: REDIS_URL=${err.fix}` });
      }
    })
    .default('redis://127.0.0.1:6379')
    .meta(envDoc({ group: 'redis', description: 'Redis to use: `redis://` / `rediss://` (one Redis), `redis+sentinel://` / `rediss+sentinel://` (Sentinel) or `redis+cluster://` / `rediss+cluster://` (Cluster); see [Redis topologies](operations.md#redis-topologies-sentinel-and-cluster) and [Redis over TLS](#redis-over-tls). User name and password before the host (`redis://user:pass@host:6379/0`), URL-encoded; redacted in errors and logs. A `redis://` or `rediss://` URL takes no `?options` (ioredis would read them as connection options: `?password=` among them, shown in clear)', allowed: 'a `redis://`, `rediss://`, `redis+sentinel://`, `rediss+sentinel://`, `redis+cluster://` or `rediss+cluster://` URL' })),
  SMSQ_REDIS_CONNECT_TIMEOUT_MS: intFrom('SMSQ_REDIS_CONNECT_TIMEOUT_MS', 100, 120_000, 'SMSQ_REDIS_CONNECT_TIMEOUT_MS=5000 (100..120000)').default(5000)
    .meta(envDoc({ group: 'redis', description: 'how long a command, a producer call or a REST request waits for Redis before it fails with `SMSQ_REDIS_UNAVAILABLE`, and how long `smsq status --watch` waits between polls for a Redis gone (restarted, failed over) before it does (see [When Redis does not answer](operations.md#when-redis-does-not-answer))' })),
  SMSQ_REDIS_TLS_CERT: tlsFileVar('SMSQ_REDIS_TLS_CERT', '/etc/smsq/redis-client.crt')
    .meta(envDoc({ group: 'redis', description: 'with `SMSQ_REDIS_TLS_KEY`, the client certificate smsq presents to a `rediss://`, `rediss+sentinel://` or `rediss+cluster://` deployment whose nodes ask for one (`tls-auth-clients yes`, Redis\'s default): the path of a PEM file, the certificate (and any intermediates) signed by a CA the nodes trust (their `tls-ca-cert-file`); presented to every node and sentinel. Read when a command starts (see [Redis over TLS](#redis-over-tls))', allowed: 'a path to a readable PEM certificate' })),
  SMSQ_REDIS_TLS_KEY: tlsFileVar('SMSQ_REDIS_TLS_KEY', '/etc/smsq/redis-client.key')
    .meta(envDoc({ group: 'redis', description: 'the private key of `SMSQ_REDIS_TLS_CERT`: the path of an unencrypted PEM key file', allowed: 'a path to a readable, unencrypted PEM private key' })),
  SMSQ_SHUTDOWN_GRACE_MS: intFrom('SMSQ_SHUTDOWN_GRACE_MS', 0, 600_000, 'SMSQ_SHUTDOWN_GRACE_MS=25000 (0..600000; below your orchestrator\'s kill timeout)').default(25_000)
    .meta(envDoc({ group: 'workers', description: 'how long `smsq worker` and `smsq server` may take to stop after SIGTERM/SIGINT (calls or requests still in flight then are cut; the server then gives what they had under way up to 3 s more to end; see [Graceful shutdown](operations.md#graceful-shutdown)); keep it below your orchestrator\'s kill timeout, by 3 s for the server' })),
  SMS_MODE: anyCase(z.enum(['sandbox', 'live'], { message: 'must be "sandbox" or "live". Fix: unset it for sandbox, or SMS_MODE=live' }))
    .default('sandbox')
    .meta(envDoc({ group: 'dysmsapi', description: '`sandbox`: the built-in emulator (says so loudly in the logs); `live`: Alibaba Cloud with the SDK\'s default credential chain (any case: `LIVE` is `live`)' })),
  SMS_ENDPOINT: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, {
      message: 'must be host[:port] without a scheme or path. Fix: e.g. SMS_ENDPOINT=dysmsapi.aliyuncs.com or 127.0.0.1:8081',
    })
    // Taken, a port out of range fails every call as a network error, and a door check that
    // Dysmsapi does not answer is skipped rather than refusing (docs/sending.md). The client's own
    // check (src/sms/endpoint-shape.ts); the shape's fault is the regex's above.
    .superRefine((v, ctx) => {
      const fault = endpointFault(v);
      if (fault?.kind === 'port') {
        ctx.addIssue({ code: 'custom', message: `has port ${fault.port}, which no socket has (1 to 65535). Fix: the port Dysmsapi or the emulator listens on, e.g. SMS_ENDPOINT=127.0.0.1:8081, or no port for the protocol's` });
      } else if (fault?.kind === 'host') {
        ctx.addIssue({ code: 'custom', message: `has a host no DNS name can be (an empty label, a label that starts or ends with "-", or one over 63 characters), so every call would fail. Fix: e.g. SMS_ENDPOINT=dysmsapi.aliyuncs.com or 127.0.0.1:8081` });
      }
    })
    .optional()
    .meta(envDoc({ group: 'dysmsapi', description: 'Dysmsapi `host[:port]`; overrides the mode\'s endpoint', defaultNote: '`dysmsapi.aliyuncs.com` in live mode; in sandbox mode unset means "start an emulator inside this process", which only that process knows: with more than one worker, point every process at one `smsq emulator` ([sandbox with several processes](configuration.md#sandbox-with-several-processes))', allowed: '`host[:port]`, no scheme or path' })),
  SMS_PROTOCOL: anyCase(z.enum(['https', 'http'], { message: 'must be "https" or "http". Fix: SMS_PROTOCOL=https for Alibaba Cloud, SMS_PROTOCOL=http for the emulator, or unset it for the mode\'s' }))
    .optional()
    .meta(envDoc({ group: 'dysmsapi', description: 'protocol of the Dysmsapi calls (any case: `HTTP` is `http`)', defaultNote: '`https` in live mode, `http` in sandbox mode' })),
  SMS_QPS: intFrom('SMS_QPS', 1, ACCOUNT_QPS_CAP, `SMS_QPS=4500 (1..${ACCOUNT_QPS_CAP})`).default(4500)
    .meta(envDoc({ group: 'dysmsapi', description: 'account-wide cap on Dysmsapi calls per second, all workers together (sends, reconcile and receipt look-ups, the producers\' and the server\'s catalog look-ups); every worker and producer of a deployment must share it. The CLI\'s account commands (`signs`, `templates`, `details`, `stats`, `qualifications`, …) are not paced: each makes its calls at once, and one answered `Throttling` exits 3 saying so' })),
  SMS_READ_TIMEOUT_MS: intFrom('SMS_READ_TIMEOUT_MS', 100, 60_000, 'SMS_READ_TIMEOUT_MS=3000 (100..60000)').default(3000)
    .meta(envDoc({ group: 'dysmsapi', description: 'per-call read timeout; a call without an answer by then is `unknown` and looked up before anything is resent' })),
  LOG_LEVEL: anyCase(
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent. Fix: LOG_LEVEL=info',
    }),
  )
    .optional()
    .meta(envDoc({ group: 'logs', description: 'pino level (logs go to stderr; numbers masked, secrets redacted; any case: `DEBUG` is `debug`)', defaultNote: '`info`; `smsq sandbox` logs its worker and producer at `warn` (its own lines narrate the run)' })),
  SMSQ_PREFIX: z
    .string()
    .trim()
    .regex(PREFIX_SHAPE, {
      message: `must be ${PREFIX_SHAPE_WORDS}. Fix: SMSQ_PREFIX={smsq-staging}`,
    })
    .default('{smsq}')
    .meta(envDoc({ group: 'redis', description: 'Redis key prefix; a hash tag, so every key of a deployment lands on one Cluster slot. Give each deployment sharing a Redis its own; every worker and producer of a deployment must share it', allowed: 'a hash tag `{name}`: letters, digits, `_`, `.`, `-`' })),
  SMSQ_CONCURRENCY: intFrom('SMSQ_CONCURRENCY', 1, MAX_CONCURRENCY, `SMSQ_CONCURRENCY=64 (1..${MAX_CONCURRENCY})`).default(64)
    .meta(envDoc({ group: 'workers', description: 'calls in flight per worker process' })),
  SMSQ_RECONCILE_SETTLE_MS: intFrom('SMSQ_RECONCILE_SETTLE_MS', 1000, 3_600_000, 'SMSQ_RECONCILE_SETTLE_MS=60000 (1000..3600000)').default(
    60_000,
  )
    .meta(envDoc({ group: 'workers', description: `how long after an attempt "not found" proves it was not accepted (and the chunk is resent). A claim's call deadline is half of it ([durability](durability.md#a-worker-held-up-between-its-claim-and-its-call)), so it must be at least 4 × \`SMS_READ_TIMEOUT_MS\`, and at least 2 × (${PACER_REACH_MS} ms, the call pacer's reach, + the confirmation's \`SMSQ_DURABILITY_TIMEOUT_MS\` in the \`replicas\`, \`fsync+replicas\` and \`waitaof\` modes + ${CLAIM_HOLD_SLACK_MS} ms): ${2 * shortestCallDeadlineMs({ pacerReachMs: PACER_REACH_MS, confirmationMs: 0 })} in the \`fsync\` mode, ${2 * shortestCallDeadlineMs({ pacerReachMs: PACER_REACH_MS, confirmationMs: DEFAULT_DURABILITY.timeoutMs })} with a waiting mode's default timeout. A shorter one is refused at start: every claim could pass its deadline waiting for its confirmation and its slot, and be made again until its message fails \`SMSQ_GAVE_UP\`` })),
  SMSQ_CLOCK_SKEW_WARN_MS: intFrom('SMSQ_CLOCK_SKEW_WARN_MS', CLOCK_SKEW_WARN_MIN_MS, CLOCK_SKEW_WARN_MAX_MS, `SMSQ_CLOCK_SKEW_WARN_MS=${DEFAULT_CLOCK_SKEW_WARN_MS} (${CLOCK_SKEW_WARN_MIN_MS}..${CLOCK_SKEW_WARN_MAX_MS})`).default(DEFAULT_CLOCK_SKEW_WARN_MS)
    .meta(envDoc({ group: 'workers', description: 'a worker measures its clock against Redis\'s `TIME` at start and every 20 s (the round trip allowed for), exports it as `smsq_worker_clock_skew_seconds`, and logs one warning when it is further than this: a sign of a host not kept by NTP, well inside the margin that matters between two workers (24 s by default: [clocks](operations.md#clocks))' })),
  SMSQ_ACCOUNT_RECHECK_MS: intFrom('SMSQ_ACCOUNT_RECHECK_MS', 0, MAX_ACCOUNT_RECHECK_MS, 'SMSQ_ACCOUNT_RECHECK_MS=300000 (0 = manual resume only)').default(
    300_000,
  )
    .meta(envDoc({ group: 'workers', description: 'after an account error, the workers resume by themselves after this long; `0` = only `smsq resume`' })),
  SMSQ_DURABILITY: z
    .enum(DURABILITY_MODES, {
      message: `must be one of ${DURABILITY_MODES.join(', ')}. Fix: SMSQ_DURABILITY=fsync (Redis with appendfsync always) or replicas (WAIT for a replica)`,
    })
    .default(DEFAULT_DURABILITY.mode)
    .meta(envDoc({ group: 'durability', description: 'what a claim and an enqueue wait for: `fsync` (a single Redis with `appendfsync always`; refused through Sentinel and on a Cluster master with replicas, warned of on a primary with replicas: a failover may promote a replica lacking the last writes), `replicas` (`WAIT`; the primary with `appendonly yes`, warned of without `appendfsync always`; through Sentinel, a count that includes a replica it promotes first and every replica up), `fsync+replicas` (the mode for Sentinel: both), `waitaof` (Redis ≥ 7.2 with `appendfsync always`), `none`; checked against Redis at start-up ([durability](durability.md))' })),
  SMSQ_DURABILITY_REPLICAS: z
    .string()
    .trim()
    .transform((v, zctx): number | 'all' => {
      if (v.toLowerCase() === 'all') return 'all';
      const count = DURABILITY_REPLICAS_COUNT.safeParse(v);
      if (count.success) return count.data;
      for (const issue of count.error.issues) zctx.addIssue({ code: 'custom', message: issue.message });
      return z.NEVER;
    })
    .default(DEFAULT_DURABILITY.replicas)
    .meta(envDoc({ group: 'durability', description: 'replicas that must confirm in the `replicas`, `fsync+replicas` and `waitaof` modes, a number or `all`. Through Sentinel a number is at least the replicas up (refused below: a manual `SENTINEL FAILOVER` or a partition leaves the old primary writable with the others, [durability](durability.md#modes-smsq_durability)), so a replica down holds every call until it is back; `all` (through Sentinel only) counts every replica up at each check and leaves one out once a majority of the sentinels flag it down, so calls go on after a replica or the old primary\'s host is lost ([durability](durability.md#a-count-that-follows-the-replicas-smsq_durability_replicasall))', allowed: `0..${MAX_DURABILITY_REPLICAS}, \`all\`` })),
  SMSQ_DURABILITY_TIMEOUT_MS: intFrom('SMSQ_DURABILITY_TIMEOUT_MS', LEAST_DURABILITY_TIMEOUT_MS, 60_000, `SMSQ_DURABILITY_TIMEOUT_MS=1000 (${LEAST_DURABILITY_TIMEOUT_MS}..60000)`).default(DEFAULT_DURABILITY.timeoutMs)
    .meta(envDoc({ group: 'durability', description: `how long a confirmation may take; past it the claim is undone (nothing sent) or the enqueue fails and is withdrawn. In the \`replicas\`, \`fsync+replicas\` and \`waitaof\` modes a claim waits for it before its call, and then for its pacer slot (up to ${PACER_REACH_MS} ms): it must end ${PACER_REACH_MS + CLAIM_HOLD_SLACK_MS} ms before the call deadline, half of \`SMSQ_RECONCILE_SETTLE_MS\` (at most ${defaultCallDeadlineMs(60_000) - PACER_REACH_MS - CLAIM_HOLD_SLACK_MS} with the default 60000). A longer one is refused at start, naming both and which to change` })),
  SMSQ_RETENTION_DAYS: z
    .string()
    .trim()
    .transform((v, zctx) => {
      const days: Partial<Record<MessageKind, number>> = {};
      const parts = v.split(',').map((p) => p.trim()).filter(Boolean);
      for (const part of parts) {
        const m = /^(?:(verification|notification|marketing)=)?([0-9]+)$/.exec(part);
        if (m?.[1] !== undefined && days[m[1] as MessageKind] !== undefined) {
          zctx.addIssue({ code: 'custom', message: givenTwice(m[1], 'SMSQ_RETENTION_DAYS=verification=4,notification=7,marketing=30') });
          return z.NEVER;
        }
        const n = m ? Number(m[2]) : NaN;
        if (!m || n < 1 || n > MAX_RETENTION_DAYS || (m[1] === undefined && parts.length > 1)) {
          zctx.addIssue({
            code: 'custom',
            message: `${parts.length > 1 ? `has "${part}", which is` : 'is'} not a number of days (1..${MAX_RETENTION_DAYS}) or kind=DAYS. Fix: SMSQ_RETENTION_DAYS=30 (every kind) or SMSQ_RETENTION_DAYS=verification=4,notification=7,marketing=30`,
          });
          return z.NEVER;
        }
        if (m[1] === undefined) for (const kind of MESSAGE_KINDS) days[kind] = n;
        else days[m[1] as MessageKind] = n;
      }
      return days;
    })
    .optional()
    .meta(
      envDoc({
        group: 'sends',
        description: 'how long send, chunk and receipt records live, per kind (at least the receipt window plus a day); the events stream and callbacks are how to keep history longer ([operations](operations.md#redis-settings))',
        default: 'verification=4,notification=7,marketing=30',
        allowed: `DAYS for every kind, or \`kind=DAYS\` comma-separated; 1..${MAX_RETENTION_DAYS}`,
      }),
    ),
  SMSQ_CATALOG_CACHE_MS: intFrom('SMSQ_CATALOG_CACHE_MS', 0, 86_400_000, 'SMSQ_CATALOG_CACHE_MS=300000 (0..86400000; 0 = look up every request)').default(300_000)
    .meta(envDoc({ group: 'dysmsapi', description: 'how long an approved signature or template is reused by the door check, in memory and in Redis; `0` = look up every request' })),
  SMSQ_RECEIPT_LOOKUPS: z
    .string()
    .trim()
    .transform((v, zctx) => {
      const out: Record<MessageKind, ReceiptPolicy> = { ...DEFAULT_RECEIPT_LOOKUPS };
      const seen = new Set<string>();
      for (const part of v.split(',').map((p) => p.trim()).filter(Boolean)) {
        const m = /^(verification|notification|marketing)=(all|none|sample:(0(\.\d+)?|1(\.0+)?))$/.exec(part);
        if (m?.[1] !== undefined && seen.has(m[1])) {
          zctx.addIssue({ code: 'custom', message: givenTwice(m[1], 'SMSQ_RECEIPT_LOOKUPS=verification=all,notification=all,marketing=sample:0.05') });
          return z.NEVER;
        }
        if (m?.[1] !== undefined) seen.add(m[1]);
        if (!m) {
          zctx.addIssue({
            code: 'custom',
            message: `has "${part}", which is not kind=all|none|sample:RATE (RATE 0..1). Fix: SMSQ_RECEIPT_LOOKUPS=verification=all,notification=all,marketing=sample:0.05`,
          });
          return z.NEVER;
        }
        const mode = (m[2] as string).startsWith('sample') ? 'sample' : (m[2] as 'all' | 'none');
        out[m[1] as MessageKind] = { mode, sampleRate: mode === 'sample' ? Number(m[3]) : mode === 'all' ? 1 : 0 };
      }
      return out;
    })
    .optional()
    .meta(envDoc({ group: 'sends', description: 'receipt look-ups per kind: `all`, `none` (pushed reports only) or `sample:RATE`; see [receipts](receipts-and-controls.md#receipts)', default: 'verification=all,notification=all,marketing=sample:0.05', allowed: '`kind=all|none|sample:RATE`, comma-separated; kinds `verification`, `notification`, `marketing`; RATE 0..1' })),
  SMSQ_RECEIPT_WINDOW_HOURS: intFrom('SMSQ_RECEIPT_WINDOW_HOURS', 1, 720, 'SMSQ_RECEIPT_WINDOW_HOURS=72 (1..720)').default(72)
    .meta(envDoc({ group: 'sends', description: 'a recipient without a final receipt after this long is `expired` (`SMSQ_RECEIPT_WINDOW`)' })),
  SMSQ_CALLBACK_SECRET: z
    .string()
    // Not trimmed, unlike the tokens: receivers check the key as it is, and a deployed one stays valid.
    .refine((v) => !inQuotes(v.trim()), { message: quotesMessage('SMSQ_CALLBACK_SECRET=$(openssl rand -hex 32)'), abort: true })
    .refine((v) => v.trim() === v, { message: 'begins or ends with spaces, which would be part of the key every receiver checks. Fix: SMSQ_CALLBACK_SECRET=$(openssl rand -hex 32), without the spaces', abort: true })
    .min(16, { message: 'must be at least 16 characters. Fix: SMSQ_CALLBACK_SECRET=$(openssl rand -hex 32)' })
    .optional()
    .meta(envDoc({ group: 'sends', description:
          'signs send callbacks (HMAC-SHA256); without it a `callbackUrl` is refused at the door. Every worker needs the same value as the producers and `smsq server`: a callback taken by a worker without it waits for one with it (taken again each minute without using an attempt, logged as an error, counted in `smsq_housekeeping_failures_total{outcome="deferred"}`), and such a worker warns at start when callbacks wait',
        allowed: 'at least 16 characters' })),
  SMSQ_QUIET_HOURS: z
    .string()
    .trim()
    .transform((v, zctx) => {
      try {
        return parseQuietHours(v);
      } catch (err) {
        zctx.addIssue({ code: 'custom', message: `${(err as Error).message}. Fix: SMSQ_QUIET_HOURS=21:00-08:00 (China time) or off` });
        return z.NEVER;
      }
    })
    .optional()
    .meta(envDoc({ group: 'sends', description: 'no marketing inside this daily window, China time (verification codes and notifications ignore it)', default: '21:00-08:00', allowed: '`HH:MM-HH:MM` or `off`' })),
  SMSQ_AUTOPAUSE: z
    .string()
    .trim()
    .transform((v, zctx) => {
      if (v === 'off') return undefined;
      const m = /^(\d+):(0(\.\d+)?|1(\.0+)?)$/.exec(v);
      if (!m || Number(m[1]) < 1 || Number(m[1]) > MAX_AUTOPAUSE_WINDOW) {
        zctx.addIssue({ code: 'custom', message: `must be CHUNKS:RATIO (CHUNKS 1..${MAX_AUTOPAUSE_WINDOW}, RATIO 0..1) or off. Fix: SMSQ_AUTOPAUSE=20:0.5 (pause when over half of the last 20 chunks failed)` });
        return z.NEVER;
      }
      return { window: Number(m[1]), failureRatio: Number(m[2]) };
    })
    .optional()
    .meta(envDoc({ group: 'sends', description: 'pause a send when more than RATIO of its last CHUNKS chunks failed', default: '20:0.5', allowed: `\`CHUNKS:RATIO\` (CHUNKS 1..${MAX_AUTOPAUSE_WINDOW}, RATIO 0..1) or \`off\`` })),
  SMSQ_REPAIR_INTERVAL_MS: intFrom('SMSQ_REPAIR_INTERVAL_MS', 0, 86_400_000, 'SMSQ_REPAIR_INTERVAL_MS=300000 (10000..86400000, or 0 = off)', 'from 10000 to 86400000, or 0 (off)')
    .refine((v) => v === 0 || v >= 10_000, { message: 'must be 0 (off) or at least 10000. Fix: SMSQ_REPAIR_INTERVAL_MS=300000 (10000..86400000, or 0 = off)' })
    .default(300_000)
    .meta(envDoc({ group: 'workers', description: 'how often the workers run the [repair sweep](operations.md#repair-sweep) (one worker at a time); `0` = off', allowed: '`0` or 10000..86400000' })),
  SMSQ_REPAIR_ENQUEUE_GRACE_MS: intFrom('SMSQ_REPAIR_ENQUEUE_GRACE_MS', 60_000, 86_400_000, 'SMSQ_REPAIR_ENQUEUE_GRACE_MS=600000 (60000..86400000)').default(
    600_000,
  )
    .meta(envDoc({ group: 'workers', description: 'a send still `enqueuing` with nothing written for this long has lost its producer (the repair sweep finishes or fails it); a send withdrawn at enqueue (not confirmed durable) this long ago with no retry of its request has lost its caller (the repair sweep cancels it)' })),
  SMSQ_COMPACT_FINISHED: switchFrom('SMSQ_COMPACT_FINISHED=false to keep every record of a final send as it was')
    .default(true)
    .meta(envDoc({ group: 'workers', description: 'fold a final send\'s records into one compact hash that `status` and the recipient pages still read ([Redis settings](operations.md#redis-settings)); `false` keeps every record as it was until its retention ends. Read by workers, `smsq server` (a send a pushed report ends) and `smsq repair`: set it alike on each', allowed: '`true`, `false`, `1`, `0`' })),
  SMSQ_REPORT_TOKEN: z
    .string()
    .refine((v) => !inQuotes(v.trim()), { message: quotesMessage('SMSQ_REPORT_TOKEN=$(openssl rand -hex 24)'), abort: true })
    .regex(/^[A-Za-z0-9_-]{16,128}$/, { message: 'must be 16-128 URL-safe characters (it goes in the push URL). Fix: SMSQ_REPORT_TOKEN=$(openssl rand -hex 24)' })
    .optional()
    .meta(envDoc({ group: 'sends', description: 'the secret Alibaba\'s pushed reports must carry (`x-smsq-report-token` header, or the URL path where only a URL can be set); the push endpoints are off without it; refused when it equals `SMSQ_API_TOKEN` or `SMSQ_DASHBOARD_TOKEN` (the push URL would carry them)', allowed: '16-128 URL-safe characters (`A-Z a-z 0-9 _ -`), a value of its own' })),
  SMSQ_OPT_OUT_WORDS: z
    .string()
    .transform((v, zctx) => {
      const fix = `Fix: SMSQ_OPT_OUT_WORDS=${DEFAULT_OPT_OUT_KEYWORDS.join(',')} (words comma-separated; leave it unset for these)`;
      const words = v.split(',').map((w) => w.trim());
      const empty = words.findIndex((w) => w === '');
      if (empty !== -1) {
        zctx.addIssue({ code: 'custom', message: `has an empty word (word ${empty + 1} of ${words.length}). ${fix}` });
        return z.NEVER;
      }
      const unreadable = words.find((w) => !isReplyWord(w));
      if (unreadable !== undefined) {
        // Replies are compared without their spaces, punctuation and symbols: such a word matches none.
        zctx.addIssue({ code: 'custom', message: `has ${quoted(unreadable)}, which is only punctuation or symbols and matches no reply (replies are compared without them). ${fix}` });
        return z.NEVER;
      }
      return words;
    })
    .optional()
    .meta(envDoc({ group: 'sends', description: 'pushed SmsUp replies that put the number on the marketing suppression list, compared without case, width, spaces, punctuation and symbols ([opt-outs](receipts-and-controls.md#receipts)); replaces the default list', default: DEFAULT_OPT_OUT_KEYWORDS.join(','), allowed: 'words, comma-separated' })),
  SMSQ_SERVER_HOST: z
    .string()
    .trim()
    .refine(isListenHost, { message: 'must be a host name or IP address. Fix: SMSQ_SERVER_HOST=127.0.0.1 (or 0.0.0.0 for every interface)' })
    .default('127.0.0.1')
    .meta(envDoc({ group: 'server', description: 'address `smsq server` listens on (`--host` overrides); `0.0.0.0` for every interface', allowed: 'a host name or IP address' })),
  SMSQ_SERVER_PORT: intFrom('SMSQ_SERVER_PORT', 0, 65_535, `SMSQ_SERVER_PORT=${DEFAULT_SERVER_PORT} (0..65535)`).default(DEFAULT_SERVER_PORT)
    .meta(envDoc({ group: 'server', description: 'port of `smsq server` (`--port` overrides); `0` = any free port' })),
  SMSQ_API_TOKEN: secretFrom(16, TOKEN_FIX('SMSQ_API_TOKEN')).optional()
    .meta(envDoc({ group: 'server', description: 'bearer token every `/v1` request must carry; without it `smsq server` refuses to start (unless `--insecure`)', allowed: 'at least 16 characters, no spaces' })),
  SMSQ_DASHBOARD_USER: z
    .string()
    .trim()
    .regex(/^[^:\s]+$/, { message: 'must not contain ":" or spaces (basic auth). Fix: SMSQ_DASHBOARD_USER=ops' })
    .optional()
    .meta(envDoc({ group: 'server', description: 'basic-auth login for the dashboard, with `SMSQ_DASHBOARD_PASSWORD` (both or neither)', allowed: 'no `:` or spaces' })),
  SMSQ_DASHBOARD_PASSWORD: secretFrom(12, 'SMSQ_DASHBOARD_PASSWORD=$(openssl rand -base64 18)').optional()
    .meta(envDoc({ group: 'server', description: 'basic-auth password for the dashboard, with `SMSQ_DASHBOARD_USER`', allowed: 'at least 12 characters, no spaces' })),
  SMSQ_DASHBOARD_TOKEN: secretFrom(16, TOKEN_FIX('SMSQ_DASHBOARD_TOKEN')).optional()
    .meta(envDoc({ group: 'server', description: 'bearer token for the dashboard (scripts, an authenticating proxy)', allowed: 'at least 16 characters, no spaces' })),
  SMSQ_DASHBOARD_READ_ONLY: switchFrom('SMSQ_DASHBOARD_READ_ONLY=true')
    .default(true)
    .meta(envDoc({ group: 'server', description: '`true`: the dashboard shows but cannot retry, clean, promote, pause or empty (removing jobs there strands recipients a producer was told were queued)', allowed: '`true`, `false`, `1`, `0`' })),
  SMSQ_SERVER_BODY_LIMIT: sizeFrom(1024, 64 * 1024 ** 2, 'SMSQ_SERVER_BODY_LIMIT=1MiB (1KiB..64MiB)').default(1024 ** 2)
    .meta(envDoc({ group: 'server', description: 'largest JSON request body', default: '1MiB', allowed: 'bytes, or a size like `512KiB`, `4MiB`: 1 KiB..64 MiB' })),
  SMSQ_SERVER_CSV_LIMIT: sizeFrom(1024, 1024 ** 3, 'SMSQ_SERVER_CSV_LIMIT=64MiB (1KiB..1GiB)').default(64 * 1024 ** 2)
    .meta(envDoc({ group: 'server', description: 'largest CSV or workbook upload to `POST /v1/campaigns`', default: '64MiB', allowed: 'bytes, or a size like `512KiB`, `4MiB`: 1 KiB..1 GiB' })),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl('OTEL_EXPORTER_OTLP_ENDPOINT')
    .optional()
    .meta(envDoc({ group: 'tracing', description: 'OTLP/HTTP base URL (a collector listens on 4318); traces go to `<it>/v1/traces`. Setting it (or the traces endpoint) turns tracing on: see [Tracing](tracing.md)', defaultNote: 'unset: tracing off, no OpenTelemetry package loaded', allowed: 'an `http://` or `https://` URL' })),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
    .optional()
    .meta(envDoc({ group: 'tracing', description: 'full URL of the traces endpoint; wins over `OTEL_EXPORTER_OTLP_ENDPOINT`', allowed: 'an `http://` or `https://` URL' })),
  OTEL_EXPORTER_OTLP_HEADERS: keyValueList('OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20TOKEN,x-tenant=ops')
    .optional()
    .meta(envDoc({ group: 'tracing', description: 'headers of every export, `key=value,...` with percent-encoded values (never printed)', allowed: '`key=value` pairs, comma-separated' })),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValueList('OTEL_EXPORTER_OTLP_TRACES_HEADERS=authorization=Bearer%20TOKEN')
    .optional()
    .meta(envDoc({ group: 'tracing', description: 'headers of trace exports; win per key over `OTEL_EXPORTER_OTLP_HEADERS` (never printed)', allowed: '`key=value` pairs, comma-separated' })),
  OTEL_EXPORTER_OTLP_PROTOCOL: OTLP_PROTOCOL.optional()
    .meta(envDoc({ group: 'tracing', description: 'OTLP transport; only `http/protobuf` (grpc and http/json are refused at start)', default: 'http/protobuf' })),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: OTLP_PROTOCOL.optional()
    .meta(envDoc({ group: 'tracing', description: 'OTLP transport of traces; only `http/protobuf`', default: 'http/protobuf' })),
  OTEL_EXPORTER_OTLP_TIMEOUT: intFrom('OTEL_EXPORTER_OTLP_TIMEOUT', 100, 600_000, 'OTEL_EXPORTER_OTLP_TIMEOUT=10000 (ms)')
    .optional()
    .meta(envDoc({ group: 'tracing', description: 'export timeout (ms)', default: '10000' })),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: intFrom('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 100, 600_000, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=10000 (ms)')
    .optional()
    .meta(envDoc({ group: 'tracing', description: 'export timeout of traces (ms); wins over `OTEL_EXPORTER_OTLP_TIMEOUT`', defaultNote: '`OTEL_EXPORTER_OTLP_TIMEOUT`' })),
  OTEL_SERVICE_NAME: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, { message: 'must be 1-128 letters, digits, or _ . : -. Fix: OTEL_SERVICE_NAME=smsq' })
    .optional()
    .meta(envDoc({ group: 'tracing', description: '`service.name` of the traces', default: 'smsq', allowed: '1 to 128 letters, digits, `_`, `.`, `:` or `-`' })),
  OTEL_RESOURCE_ATTRIBUTES: keyValueList('OTEL_RESOURCE_ATTRIBUTES=deployment.environment=production,service.namespace=sms')
    .optional()
    .meta(envDoc({ group: 'tracing', description: 'more resource attributes of the traces, `key=value,...`', allowed: '`key=value` pairs, comma-separated' })),
  OTEL_TRACES_SAMPLER: z
    .enum(TRACE_SAMPLERS, { message: `must be one of ${TRACE_SAMPLERS.join(', ')}. Fix: OTEL_TRACES_SAMPLER=parentbased_traceidratio with OTEL_TRACES_SAMPLER_ARG=0.1` })
    .optional()
    .meta(envDoc({ group: 'tracing', description: 'which traces are kept', default: 'parentbased_always_on' })),
  OTEL_TRACES_SAMPLER_ARG: z
    .string()
    .trim()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, { message: 'must be a ratio from 0 to 1. Fix: OTEL_TRACES_SAMPLER_ARG=0.1' })
    .transform(Number)
    .optional()
    .meta(envDoc({ group: 'tracing', description: 'the ratio of the `traceidratio` samplers', default: '1', allowed: 'a number from 0 to 1' })),
  OTEL_SDK_DISABLED: z
    .enum(['true', 'false'], { message: 'must be true or false. Fix: OTEL_SDK_DISABLED=true to turn tracing off' })
    .transform((v) => v === 'true')
    .optional()
    .meta(envDoc({ group: 'tracing', description: '`true` turns tracing off whatever else is set', default: 'false', allowed: '`true`, `false`' })),
  OTEL_TRACES_EXPORTER: z
    .enum(['otlp', 'none'], { message: 'must be otlp or none (smsq exports traces over OTLP only). Fix: OTEL_TRACES_EXPORTER=otlp' })
    .optional()
    .meta(envDoc({ group: 'tracing', description: '`none` turns tracing off whatever else is set', default: 'otlp' })),
  ALIBABA_CLOUD_ACCESS_KEY_ID: accessKeyPart('ALIBABA_CLOUD_ACCESS_KEY_ID', '<the AccessKey ID>').optional()
    .meta(envDoc({ group: 'dysmsapi', description: 'AccessKey ID. Live mode: read by the SDK\'s default credential chain. Sandbox mode and `smsq emulator` use the pair when both are set, otherwise the sandbox pair `smsq-sandbox-key` / `smsq-sandbox-secret`', allowed: 'set with `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, or neither; printable ASCII, no spaces, line breaks or quotes' })),
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: accessKeyPart('ALIBABA_CLOUD_ACCESS_KEY_SECRET', '<the AccessKey secret>').optional()
    .meta(envDoc({ group: 'dysmsapi', description: 'AccessKey secret, with `ALIBABA_CLOUD_ACCESS_KEY_ID` (never printed)', allowed: 'set with `ALIBABA_CLOUD_ACCESS_KEY_ID`, or neither; printable ASCII, no spaces, line breaks or quotes' })),
});

/** Every environment variable smsq reads (for docs and the check that SMSQ_* error codes are not mistaken for them). */
export const ENV_VARS: readonly string[] = Object.freeze(Object.keys(envSchema.shape));

/** Values that are empty strings count as unset, as in most twelve-factor tools. */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

function describeValue(env: Record<string, string>, name: string): string {
  const v = env[name];
  if (v === undefined) return `${name}`;
  if (name === 'REDIS_URL') return `${name}=${JSON.stringify(redactRedisUrl(v))}`;
  return /SECRET|TOKEN|PASSWORD|HEADERS/.test(name) ? `${name}=<redacted>` : `${name}=${JSON.stringify(v)}`;
}


/** The default receipt schedule with the configured receipt window (`receiptWindowHours`). */
export function receiptScheduleOf(config: Pick<Config, 'receiptWindowHours'>): ReceiptSchedule {
  return { ...DEFAULT_RECEIPT_SCHEDULE, windowMs: config.receiptWindowHours * 3_600_000 };
}

/**
 * Parses and validates the environment. Throws {@link ConfigError} naming every bad variable, the
 * problem with its value and the fix.
 */
/**
 * `SMSQ_*` and `SMS_*` variables that are not settings but one or two letters from one: ignored, a
 * misspelt prefix variable sent into the default prefix's queue (another deployment's), and a
 * misspelt durability variable left the default mode. Others are left alone (`SMS_*` names are
 * not smsq's alone).
 */
function misspeltVariables(env: NodeJS.ProcessEnv): string[] {
  const settings = Object.keys(envSchema.shape);
  const known = new Set(settings);
  const lines: string[] = [];
  for (const name of Object.keys(env)) {
    if (known.has(name) || !/^SMSQ?_/.test(name)) continue;
    const meant = closestName(name, settings);
    if (meant !== undefined) lines.push(`${name} is not a setting of smsq, and would be ignored. Fix: rename it ${meant}`);
  }
  return lines;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const clean = withoutEmpty(env);
  const misspelt = misspeltVariables(clean);
  const parsed = envSchema.safeParse(clean);
  if (!parsed.success || misspelt.length) {
    const lines = (parsed.error?.issues ?? []).map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      return `${describeValue(clean, name)} ${issue.message}`;
    });
    throw new ConfigError([...misspelt, ...lines]);
  }
  const e = parsed.data;
  const pairLines: string[] = [];
  const pair = (a: string, b: string, fix: string) => {
    const hasA = clean[a] !== undefined;
    if (hasA !== (clean[b] !== undefined)) pairLines.push(`${hasA ? b : a} is missing while its partner is set. Fix: ${fix}`);
  };
  pair(
    'ALIBABA_CLOUD_ACCESS_KEY_ID',
    'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
    'set both ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or neither',
  );
  pair('SMSQ_REDIS_TLS_CERT', 'SMSQ_REDIS_TLS_KEY', 'set both SMSQ_REDIS_TLS_CERT and SMSQ_REDIS_TLS_KEY (the client certificate and its key), or neither');
  if ((e.SMSQ_REDIS_TLS_CERT !== undefined || e.SMSQ_REDIS_TLS_KEY !== undefined) && !targetSpeaksTls(parseRedisUrl(e.REDIS_URL))) {
    pairLines.push('SMSQ_REDIS_TLS_CERT and SMSQ_REDIS_TLS_KEY are a TLS client certificate, and REDIS_URL does not speak TLS. Fix: REDIS_URL=rediss://… (rediss+sentinel://, rediss+cluster://), or unset them');
  }
  pair('SMSQ_DASHBOARD_USER', 'SMSQ_DASHBOARD_PASSWORD', 'set both SMSQ_DASHBOARD_USER and SMSQ_DASHBOARD_PASSWORD, or neither');
  // The report token is the one secret that leaves the server (Alibaba's console keeps the push
  // URL it may sit in): the same value there would hand out the API or the dashboard with it.
  for (const other of ['SMSQ_API_TOKEN', 'SMSQ_DASHBOARD_TOKEN'] as const) {
    if (e.SMSQ_REPORT_TOKEN !== undefined && e.SMSQ_REPORT_TOKEN === e[other]) {
      pairLines.push(
        `SMSQ_REPORT_TOKEN is the same as ${other}: the report token sits in the push URL in Alibaba's console, so it would open what ${other} guards to whoever reads that URL. Fix: give SMSQ_REPORT_TOKEN a value of its own (SMSQ_REPORT_TOKEN=$(openssl rand -hex 24))`,
      );
    }
  }
  if (e.SMSQ_DURABILITY_REPLICAS === 'all' && (e.SMSQ_DURABILITY === 'replicas' || e.SMSQ_DURABILITY === 'fsync+replicas' || e.SMSQ_DURABILITY === 'waitaof') && parseRedisUrl(e.REDIS_URL).kind !== 'sentinel') {
    pairLines.push(`SMSQ_DURABILITY_REPLICAS=all counts the replicas up as a majority of the sentinels sees them, and REDIS_URL does not name sentinels. Fix: REDIS_URL=redis+sentinel://… (rediss+sentinel:// in TLS), or SMSQ_DURABILITY_REPLICAS=<the number of replicas that must confirm>`);
  }
  if ((e.SMSQ_DURABILITY === 'replicas' || e.SMSQ_DURABILITY === 'fsync+replicas') && e.SMSQ_DURABILITY_REPLICAS === 0) {
    pairLines.push(`SMSQ_DURABILITY_REPLICAS=0 leaves SMSQ_DURABILITY=${e.SMSQ_DURABILITY} nothing to wait for. Fix: SMSQ_DURABILITY_REPLICAS=1, or SMSQ_DURABILITY=fsync for a single Redis that no failover replaces`);
  }
  const durability: ResolvedDurability = { mode: e.SMSQ_DURABILITY, replicas: e.SMSQ_DURABILITY_REPLICAS, timeoutMs: e.SMSQ_DURABILITY_TIMEOUT_MS };
  const callDeadlineMs = defaultCallDeadlineMs(e.SMSQ_RECONCILE_SETTLE_MS);
  // `smsq worker` always paces its calls: its claims wait for their slots.
  const claimHold = { pacerReachMs: PACER_REACH_MS, confirmationMs: confirmationWaitMs(durability) };
  // The least window that both rules on the call deadline allow: each fix names it, not one that the other refuses.
  const leastSettleMs = Math.max(4 * e.SMS_READ_TIMEOUT_MS, 2 * shortestCallDeadlineMs(claimHold));
  const settleProblem = callDeadlineProblem({
    settleMs: e.SMSQ_RECONCILE_SETTLE_MS,
    callDeadlineMs,
    connectTimeoutMs: e.SMS_READ_TIMEOUT_MS,
    readTimeoutMs: e.SMS_READ_TIMEOUT_MS,
  });
  if (settleProblem) {
    pairLines.push(
      `SMSQ_RECONCILE_SETTLE_MS=${e.SMSQ_RECONCILE_SETTLE_MS} is too short for SMS_READ_TIMEOUT_MS=${e.SMS_READ_TIMEOUT_MS}: ${settleProblem}. ` +
        `Fix: SMSQ_RECONCILE_SETTLE_MS=${leastSettleMs} or more (at least 4 × the read timeout: the call deadline is half the window, connect and read take one timeout each)`,
    );
  }
  const holdProblem = claimHoldProblem(callDeadlineMs, claimHold, {
    deadline: `the call deadline of ${callDeadlineMs} ms (half of SMSQ_RECONCILE_SETTLE_MS=${e.SMSQ_RECONCILE_SETTLE_MS})`,
    confirmation: `SMSQ_DURABILITY_TIMEOUT_MS=${e.SMSQ_DURABILITY_TIMEOUT_MS} (SMSQ_DURABILITY=${e.SMSQ_DURABILITY})`,
    longerDeadline: () => `raise SMSQ_RECONCILE_SETTLE_MS to ${leastSettleMs} or more`,
    shorterConfirmation: (maxMs) => `lower SMSQ_DURABILITY_TIMEOUT_MS to ${maxMs} or less`,
    leastTimeoutMs: LEAST_DURABILITY_TIMEOUT_MS,
  });
  if (holdProblem) pairLines.push(holdProblem);
  const retention = retentionFromDays(e.SMSQ_RETENTION_DAYS);
  const short = retentionProblem(retention, e.SMSQ_RECEIPT_WINDOW_HOURS * 3_600_000);
  if (short) {
    pairLines.push(
      `SMSQ_RETENTION_DAYS gives ${short.kind} ${retention[short.kind] / 86_400} day${retention[short.kind] === 86_400 ? '' : 's'}, shorter than the receipt window (SMSQ_RECEIPT_WINDOW_HOURS=${e.SMSQ_RECEIPT_WINDOW_HOURS}) plus a day: ` +
        `its records would expire before its last receipts. Fix: SMSQ_RETENTION_DAYS=${short.kind}=${short.minDays} or more, or a shorter SMSQ_RECEIPT_WINDOW_HOURS`,
    );
  }
  if (pairLines.length > 0) throw new ConfigError(pairLines);
  const mode = e.SMS_MODE;
  const otlpEndpoint = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (e.OTEL_EXPORTER_OTLP_ENDPOINT ? `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : undefined);
  const tracing: TracingConfig | undefined =
    otlpEndpoint === undefined || e.OTEL_SDK_DISABLED === true || e.OTEL_TRACES_EXPORTER === 'none'
      ? undefined
      : {
          tracesEndpoint: otlpEndpoint,
          headers: { ...e.OTEL_EXPORTER_OTLP_HEADERS, ...e.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
          timeoutMs: e.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? e.OTEL_EXPORTER_OTLP_TIMEOUT ?? 10_000,
          serviceName: e.OTEL_SERVICE_NAME ?? 'smsq',
          resourceAttributes: e.OTEL_RESOURCE_ATTRIBUTES ?? {},
          sampler: { name: e.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on', ratio: e.OTEL_TRACES_SAMPLER_ARG ?? 1 },
        };
  return {
    redisUrl: e.REDIS_URL,
    redisConnectTimeoutMs: e.SMSQ_REDIS_CONNECT_TIMEOUT_MS,
    redisClientCertificate: e.SMSQ_REDIS_TLS_CERT && e.SMSQ_REDIS_TLS_KEY ? { certFile: e.SMSQ_REDIS_TLS_CERT, keyFile: e.SMSQ_REDIS_TLS_KEY } : undefined,
    shutdownGraceMs: e.SMSQ_SHUTDOWN_GRACE_MS,
    mode,
    endpoint: e.SMS_ENDPOINT ?? (mode === 'live' ? LIVE_ENDPOINT : undefined),
    protocol: e.SMS_PROTOCOL ?? (mode === 'live' ? 'https' : 'http'),
    qps: e.SMS_QPS,
    readTimeoutMs: e.SMS_READ_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    accessKey:
      e.ALIBABA_CLOUD_ACCESS_KEY_ID && e.ALIBABA_CLOUD_ACCESS_KEY_SECRET
        ? { accessKeyId: e.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: e.ALIBABA_CLOUD_ACCESS_KEY_SECRET }
        : undefined,
    prefix: e.SMSQ_PREFIX,
    concurrency: e.SMSQ_CONCURRENCY,
    reconcileSettleMs: e.SMSQ_RECONCILE_SETTLE_MS,
    accountRecheckMs: e.SMSQ_ACCOUNT_RECHECK_MS,
    clockSkewWarnMs: e.SMSQ_CLOCK_SKEW_WARN_MS,
    retention,
    durability,
    catalogCacheMs: e.SMSQ_CATALOG_CACHE_MS,
    receiptLookups: e.SMSQ_RECEIPT_LOOKUPS ?? { ...DEFAULT_RECEIPT_LOOKUPS },
    receiptWindowHours: e.SMSQ_RECEIPT_WINDOW_HOURS,
    callbackSecret: e.SMSQ_CALLBACK_SECRET,
    reportToken: e.SMSQ_REPORT_TOKEN,
    optOutWords: e.SMSQ_OPT_OUT_WORDS ?? DEFAULT_OPT_OUT_KEYWORDS,
    quietHours: 'SMSQ_QUIET_HOURS' in clean ? e.SMSQ_QUIET_HOURS : DEFAULT_QUIET_HOURS,
    autoPause: 'SMSQ_AUTOPAUSE' in clean ? e.SMSQ_AUTOPAUSE : { window: 20, failureRatio: 0.5 },
    repair: {
      intervalMs: e.SMSQ_REPAIR_INTERVAL_MS === 0 ? undefined : e.SMSQ_REPAIR_INTERVAL_MS,
      enqueueGraceMs: e.SMSQ_REPAIR_ENQUEUE_GRACE_MS,
    },
    compactFinished: e.SMSQ_COMPACT_FINISHED,
    server: {
      host: e.SMSQ_SERVER_HOST,
      port: e.SMSQ_SERVER_PORT,
      apiToken: e.SMSQ_API_TOKEN,
      dashboard: {
        basicAuth:
          e.SMSQ_DASHBOARD_USER && e.SMSQ_DASHBOARD_PASSWORD ? { user: e.SMSQ_DASHBOARD_USER, password: e.SMSQ_DASHBOARD_PASSWORD } : undefined,
        token: e.SMSQ_DASHBOARD_TOKEN,
        readOnly: e.SMSQ_DASHBOARD_READ_ONLY,
      },
      bodyLimit: e.SMSQ_SERVER_BODY_LIMIT,
      csvBodyLimit: e.SMSQ_SERVER_CSV_LIMIT,
    },
    tracing,
  };
}

/**
 * Whether this process runs under vitest (it sets VITEST): a server built there checks every
 * answer against its declared schema unless told otherwise (server/build-server.ts), so no test
 * server, the in-process CLI's included, lets a wrong answer through. Not a setting: no
 * deployment runs under vitest.
 */
export function runningUnderVitest(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.VITEST !== undefined;
}
