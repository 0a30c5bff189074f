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
 * field alone (`` `encoding` ``) where the fix is the setting itself, not a value of it.
 */

/**
 * The settings of a deployment that a message may name (the Redis, the key prefix, the records'
 * retention, callbacks): options of createProducer and createSmsWorker to a Node caller (`redis`,
 * `prefix: "{smsq}"`, `callbacks: true`, a worker's `callbackSecret`, `retention`), and
 * environment variables to the processes configured by the environment, the CLI and `smsq server`
 * ({@link environmentSpelling}): a producer's refusal told a Node caller to set
 * SMSQ_CALLBACK_SECRET, which nothing it ran reads.
 */
export const DEPLOYMENT_SETTINGS = ['redis', 'prefix', 'retention', 'callbacks', 'callbackSecret'] as const;
type DeploymentSetting = (typeof DEPLOYMENT_SETTINGS)[number];

/**
 * The settings a message may name: each surface knows how it writes them. Every field of a request
 * (an idempotency key's refusal names those that differ), and the file readers' settings. `file` is
 * the recipient file, its value a name (`` `file: "list.xlsx"` ``): what tells a workbook from a
 * CSV list is its name's extension to the Node API (`readRecipientsFile`, whose refusals name the
 * file `file`) and the CLI (`--file list.xlsx`), and the Content-Type to an upload, which has no name.
 */
export const MENTIONED_SETTINGS = ['phones', 'messages', 'recipients', 'signName', 'templateCode', 'templateParam', 'smsUpExtendCode', 'kind', 'name', 'callbackUrl', 'deadline', 'sheet', 'encoding', 'file', ...DEPLOYMENT_SETTINGS] as const;
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

/** A setting as the field of a request (the Node API, a JSON body): `kind: "marketing"`. */
export function mention(setting: MentionedSetting, value?: unknown): string {
  // A backtick in a value would end the mention: JSON writes it as an escape instead.
  return value === undefined ? `\`${setting}\`` : `\`${setting}: ${JSON.stringify(value).replaceAll('`', '\\u0060')}\``;
}

const MENTION = new RegExp(`\`(${MENTIONED_SETTINGS.join('|')})(?:: ([^\`]+))?\``, 'g');

/** `text` with each {@link mention} written as `spell` writes it; the rest unchanged. */
export function respell(text: string, spell: Spelling): string {
  return text.replace(MENTION, (whole, setting: MentionedSetting, json: string | undefined) => {
    if (json === undefined) return spell(setting, undefined);
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
const ENVIRONMENT_SPELLING: Readonly<Record<DeploymentSetting, (value: unknown) => string>> = Object.freeze({
  redis: () => 'REDIS_URL',
  prefix: (value: unknown) => (value === undefined ? 'SMSQ_PREFIX' : `SMSQ_PREFIX (${String(value)})`),
  retention: () => 'SMSQ_RETENTION_DAYS',
  callbacks: () => 'SMSQ_CALLBACK_SECRET set',
  callbackSecret: () => 'the same SMSQ_CALLBACK_SECRET',
});

/** `setting` as the environment names it, when it is a {@link DEPLOYMENT_SETTINGS}; else undefined. */
export function environmentSpelling(setting: MentionedSetting, value: unknown): string | undefined {
  return (DEPLOYMENT_SETTINGS as readonly string[]).includes(setting) ? ENVIRONMENT_SPELLING[setting as DeploymentSetting](value) : undefined;
}

/** `text` with each deployment setting it names as the environment names it; request settings as written. */
export function inEnvironmentTerms(text: string): string {
  return respell(text, (setting, value) => environmentSpelling(setting, value) ?? mention(setting, value));
}
