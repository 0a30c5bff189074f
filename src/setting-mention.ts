/**
 * A request setting named in a message's fix, written once and read in each caller's own terms.
 * smsq is called three ways, which name a setting each their own way: the Node API and a JSON body
 * by its field (`kind: "marketing"`), a file upload to `POST /v1/campaigns` by its query parameter
 * (`?kind=marketing`), the CLI by its flag (`--kind marketing`). A message built where the caller
 * is not known (the producer's door, a recipient file's reader) writes the field's form, which is
 * the Node API's as thrown: {@link mention}. A surface that names settings otherwise rewrites each
 * mention with {@link respell} (cli/request-flags.ts, server/upload-settings.ts), so no message
 * names two surfaces' spellings ("--kind marketing (kind in the API)") or the wrong one.
 *
 * A mention is the setting in backticks, `` `kind: "marketing"` ``: its value as JSON, or the
 * field alone (`` `encoding` ``) where the fix is the setting itself, not a value of it. A call a
 * fix names is a mention too, written as the Node API makes it (`` `producer.cancel("smx…")` ``):
 * the CLI and the server say the command.
 */
import { backtickFreeJson } from './sms/backtick-free-json.js';

/**
 * The settings of a deployment that a message may name (the Redis, the key prefix, the records'
 * retention, callbacks, how long Redis is waited for, the repair sweep's grace for an unfinished
 * enqueue, how long a durability confirmation may take): options of createProducer and
 * createSmsWorker to a Node caller (`redis`, `` `redis: "redis://host:6379"` `` for the one at that
 * URL, `prefix: "{smsq}"`, `callbacks: true`, a worker's `callbackSecret`, `retention`,
 * `connectTimeoutMs`, `clientCertificate` (createRedisConnection's), `repair.enqueueGraceMs`, `durability.mode`, `durability.replicas`,
 * `durability.timeoutMs`), and environment variables to the processes configured by the
 * environment, the CLI and `smsq server` ({@link environmentSpelling}): a producer's refusal told a
 * Node caller to set SMSQ_CALLBACK_SECRET, which nothing it ran reads, and a Redis that could not
 * keep `durability: { mode: "fsync" }` to set SMSQ_DURABILITY=none.
 */
export const DEPLOYMENT_SETTINGS = ['redis', 'prefix', 'retention', 'callbacks', 'callbackSecret', 'connectTimeoutMs', 'clientCertificate', 'repair.enqueueGraceMs', 'durability.mode', 'durability.replicas', 'durability.timeoutMs'] as const;
type DeploymentSetting = (typeof DEPLOYMENT_SETTINGS)[number];

/**
 * The Dysmsapi client's settings a message may name: options of `createSmsClient` to a Node caller
 * (`` `endpoint: "127.0.0.1:8081"` ``), SMS_ENDPOINT, SMS_PROTOCOL and SMS_READ_TIMEOUT_MS to the
 * processes configured by the environment. The client's errors (src/sms, which imports none of
 * this) are worded in the environment's names; a producer's account check throws them to a Node
 * caller in its own ({@link inClientOptionTerms}): a caller that had passed `endpoint` was told
 * `the connection to SMS_ENDPOINT=… was refused`.
 */
export const CLIENT_SETTINGS = ['endpoint', 'protocol', 'readTimeoutMs'] as const;
type ClientSetting = (typeof CLIENT_SETTINGS)[number];

/** Each client setting's environment variable. */
const CLIENT_VARIABLES: Readonly<Record<ClientSetting, string>> = Object.freeze({ endpoint: 'SMS_ENDPOINT', protocol: 'SMS_PROTOCOL', readTimeoutMs: 'SMS_READ_TIMEOUT_MS' });

/**
 * What a message may tell a caller to call, in the Node API's words (`` `producer.getStatus("smx…")` ``,
 * the options of `` `createSmsWorker` ``), which the processes configured by the environment say
 * as the `smsq` command that does the same ({@link environmentSpelling}): a campaign cut off by a
 * Redis gone told a Node caller to run `smsq status ID --recipients`, a command it had not installed
 * to find, and a worker's options were refused as "smsq worker options" in a process that ran none.
 * Written as a call, the send's id its argument: {@link mention}.
 */
export const MENTIONED_CALLS = ['producer.getStatus', 'producer.recipientPage', 'producer.cancel', 'createSmsWorker'] as const;
type MentionedCall = (typeof MENTIONED_CALLS)[number];
const CALLS: ReadonlySet<string> = new Set(MENTIONED_CALLS);
/** The calls that take a send's id: a mention of one names it (`smsq campaign cancel undefined` otherwise). */
type SendCall = Exclude<MentionedCall, 'createSmsWorker'>;

/**
 * The settings a message may name: each surface knows how it writes them. Every field of a request
 * (an idempotency key's refusal names those that differ), and the file readers' settings. `file` is
 * the recipient file, its value a name (`` `file: "list.xlsx"` ``): what tells a workbook from a
 * CSV list is its name's extension to the Node API (`readRecipientsFile`, whose refusals name the
 * file `file`) and the CLI (`--file list.xlsx`), and the Content-Type to an upload, which has no name.
 */
export const MENTIONED_SETTINGS = ['phones', 'messages', 'recipients', 'signName', 'templateCode', 'templateParam', 'smsUpExtendCode', 'kind', 'name', 'callbackUrl', 'deadline', 'sheet', 'encoding', 'file', ...DEPLOYMENT_SETTINGS, ...CLIENT_SETTINGS, ...MENTIONED_CALLS] as const;
export type MentionedSetting = (typeof MENTIONED_SETTINGS)[number];

const MENTIONED: ReadonlySet<string> = new Set(MENTIONED_SETTINGS);
/** Whether `field` is a setting a surface spells its own way. */
export function isMentionedSetting(field: string): field is MentionedSetting {
  return MENTIONED.has(field);
}

/**
 * How a surface writes a setting: with a value, or (undefined) the setting alone. What it returns
 * stands for the whole mention, backticks included (a note may follow them).
 */
export type Spelling = (setting: MentionedSetting, value: unknown) => string;

/**
 * A setting as the field of a request (the Node API, a JSON body): `kind: "marketing"`; a
 * {@link MENTIONED_CALLS} as the call, its value the argument: `producer.cancel("smx…")`.
 */
export function mention(call: SendCall, sendId: string): string;
export function mention(setting: Exclude<MentionedSetting, SendCall>, value?: unknown): string;
export function mention(setting: MentionedSetting, value?: unknown): string {
  return fieldSpelling(setting, value);
}

/** {@link mention} as a {@link Spelling}: a setting named as the surface that knows it was given it. */
export const fieldSpelling: Spelling = (setting, value) => {
  if (value === undefined) return `\`${setting}\``;
  const json = asJson(value);
  return CALLS.has(setting) ? `\`${setting}(${json})\`` : `\`${setting}: ${json}\``;
};

/** `value` as JSON, a backtick in it written as an escape: in a mention it would end it, and elsewhere it could start one. */
const asJson = backtickFreeJson;

/**
 * A caller's own text quoted in a message (a cancel reason, an idempotency key, a file's cell): as
 * JSON, its backticks escaped as a mention's value is. The CLI and the server rewrite the mentions
 * in a message ({@link inEnvironmentTerms}, {@link respell}); text of the caller's that held
 * `` `redis` `` reached a REST client as REDIS_URL. Quoted so, it holds no backtick to read a
 * mention in, and JSON.parse gives it back as it was.
 */
export function quoted(text: string): string {
  return asJson(text);
}

const NAMES = MENTIONED_SETTINGS.map((name) => name.replaceAll('.', '\\.')).join('|');
const MENTION = new RegExp(`\`(${NAMES})(?:: ([^\`]+)|\\(([^\`]+)\\))?\``, 'g');

/** `text` with each {@link mention} written as `spell` writes it; the rest unchanged. */
export function respell(text: string, spell: Spelling): string {
  return text.replace(MENTION, (whole, setting: MentionedSetting, field: string | undefined, argument: string | undefined) => {
    // A setting is written with its value after a colon, a call with it in parentheses.
    const json = CALLS.has(setting) ? argument : field;
    if (field === undefined && argument === undefined) return spell(setting, undefined);
    if (json === undefined) return whole;
    let value: unknown;
    try {
      value = JSON.parse(json) as unknown;
    } catch {
      return whole; // not a mention: backticked text that only starts like one
    }
    return spell(setting, value);
  });
}

/**
 * A deployment setting as the environment names it, for the processes it configures (the CLI,
 * `smsq server`); undefined for a request's setting, which each surface spells its own way. Written
 * as those processes have always said them (`SMSQ_PREFIX ({smsq})`), without backticks.
 */
const ENVIRONMENT_SPELLING: Readonly<Record<DeploymentSetting | ClientSetting | MentionedCall, (value: unknown) => string>> = Object.freeze({
  redis: (value: unknown) => (value === undefined ? 'REDIS_URL' : `REDIS_URL=${plain(value)}`),
  prefix: (value: unknown) => (value === undefined ? 'SMSQ_PREFIX' : `SMSQ_PREFIX (${plain(value)})`),
  retention: () => 'SMSQ_RETENTION_DAYS',
  callbacks: () => 'SMSQ_CALLBACK_SECRET set',
  callbackSecret: () => 'the same SMSQ_CALLBACK_SECRET',
  connectTimeoutMs: () => 'SMSQ_REDIS_CONNECT_TIMEOUT_MS',
  clientCertificate: () => 'SMSQ_REDIS_TLS_CERT and SMSQ_REDIS_TLS_KEY',
  'repair.enqueueGraceMs': () => 'SMSQ_REPAIR_ENQUEUE_GRACE_MS',
  'durability.mode': (value: unknown) => (value === undefined ? 'SMSQ_DURABILITY' : `SMSQ_DURABILITY=${plain(value)}`),
  'durability.replicas': (value: unknown) => (value === undefined ? 'SMSQ_DURABILITY_REPLICAS' : `SMSQ_DURABILITY_REPLICAS=${plain(value)}`),
  'durability.timeoutMs': () => 'SMSQ_DURABILITY_TIMEOUT_MS',
  // As the client's errors have always said them (src/sms/errors.ts): `SMS_ENDPOINT=host:port`.
  endpoint: (value: unknown) => (value === undefined ? CLIENT_VARIABLES.endpoint : `${CLIENT_VARIABLES.endpoint}=${plain(value)}`),
  protocol: (value: unknown) => (value === undefined ? CLIENT_VARIABLES.protocol : `${CLIENT_VARIABLES.protocol}=${plain(value)}`),
  readTimeoutMs: (value: unknown) => (value === undefined ? CLIENT_VARIABLES.readTimeoutMs : `${CLIENT_VARIABLES.readTimeoutMs}=${plain(value)}`),
  'producer.getStatus': (sendId: unknown) => `smsq status ${sendIdOf(sendId)}`,
  'producer.recipientPage': (sendId: unknown) => `smsq status ${sendIdOf(sendId)} --recipients`,
  'producer.cancel': (sendId: unknown) => `smsq campaign cancel ${sendIdOf(sendId)}`,
  createSmsWorker: () => 'smsq worker',
});

/**
 * A mention's value written out: a backtick in it (which no working URL, prefix or send id holds)
 * as %60, as a URL escapes it, so that the line holds no mention to rewrite again: a second pass
 * (a message quoted in another) leaves it as the first wrote it.
 */
function plain(value: unknown): string {
  return String(value).replaceAll('`', '%60');
}

/** A call's send id as a command takes it; `ID` for a call named without one (`` `producer.cancel` `` in a text). */
function sendIdOf(value: unknown): string {
  return value === undefined ? 'ID' : plain(value);
}

/** `setting` as the environment names it, when it is a {@link DEPLOYMENT_SETTINGS}, a {@link CLIENT_SETTINGS} or a {@link MENTIONED_CALLS}; else undefined. */
export function environmentSpelling(setting: MentionedSetting, value: unknown): string | undefined {
  return Object.hasOwn(ENVIRONMENT_SPELLING, setting) ? ENVIRONMENT_SPELLING[setting as DeploymentSetting | ClientSetting | MentionedCall](value) : undefined;
}

/**
 * A client variable as the client's errors write it, with its value when it has one: a host[:port],
 * `http`/`https`, ms. The value stops before a sentence's last full stop or colon.
 */
const CLIENT_VARIABLE = new RegExp(`\\b(${Object.values(CLIENT_VARIABLES).join('|')})\\b(?:=([\\w.:-]*\\w))?`, 'g');

/**
 * `text` of the Dysmsapi client (worded in the environment's names) with each client variable it
 * names as the option of `createSmsClient` a Node caller gave ({@link CLIENT_SETTINGS}):
 * `SMS_ENDPOINT=127.0.0.1:8081` is `` `endpoint: "127.0.0.1:8081"` ``. {@link inEnvironmentTerms}
 * writes it back as it was.
 */
export function inClientOptionTerms(text: string): string {
  return text.replace(CLIENT_VARIABLE, (_whole, variable: string, value: string | undefined) => {
    const setting = (Object.keys(CLIENT_VARIABLES) as ClientSetting[]).find((name) => CLIENT_VARIABLES[name] === variable) as ClientSetting;
    if (value === undefined) return fieldSpelling(setting, undefined);
    return fieldSpelling(setting, setting === 'readTimeoutMs' && /^\d+$/.test(value) ? Number(value) : value);
  });
}

/** `text` with each deployment setting and call it names as the environment's processes name them; request settings as written. */
export function inEnvironmentTerms(text: string): string {
  return respell(text, (setting, value) => environmentSpelling(setting, value) ?? fieldSpelling(setting, value));
}

/**
 * What an HTTP client of `smsq server` is told to call, and the server's own settings it cannot
 * set: each call a fix names as the route that does it (`GET /v1/sends/ID/recipients`), the repair
 * sweep's grace as the operator's. A campaign cut off by Redis told an API client to run
 * `smsq status ID --recipients` and named SMSQ_REPAIR_ENQUEUE_GRACE_MS, the operator's command
 * and variable (docs/http-api.md: a message to a client never names the server's environment).
 */
const API_SPELLING: Readonly<Partial<Record<MentionedSetting, (value: unknown) => string>>> = Object.freeze({
  'producer.getStatus': (sendId: unknown) => `GET /v1/sends/${sendIdOf(sendId)}`,
  'producer.recipientPage': (sendId: unknown) => `GET /v1/sends/${sendIdOf(sendId)}/recipients`,
  'producer.cancel': (sendId: unknown) => `POST /v1/sends/${sendIdOf(sendId)}/cancel`,
  'repair.enqueueGraceMs': () => "the server's repair grace, which its operator sets",
});

/** `text` as an HTTP client is told it ({@link API_SPELLING}); the other settings as {@link inEnvironmentTerms} says them. */
export function inApiTerms(text: string): string {
  return respell(text, (setting, value) => API_SPELLING[setting]?.(value) ?? environmentSpelling(setting, value) ?? fieldSpelling(setting, value));
}
