/**
 * The request fields that the send commands' flags fill, so that a refusal names what the user
 * typed: `--template: must look like SMS_123456789`, not the API's `templateCode`, and its fix
 * `--kind marketing`, not the API's `kind: "marketing"` (src/setting-mention.ts). The JSON form of
 * a refusal (`--json`) keeps the API's field names, which are stable for scripts; its issues' fixes
 * are read by the same person as the text, and name flags too.
 */
import type { IdempotencyKeyReusedError } from '../src/errors.js';
import { environmentSpelling, respell, type MentionedSetting } from '../src/setting-mention.js';

const FLAG_OF_FIELD: Readonly<Record<string, string>> = Object.freeze({
  phones: '--phones',
  signName: '--sign',
  templateCode: '--template',
  templateParam: '--param',
  kind: '--kind',
  idempotencyKey: '--idempotency-key',
  deadline: '--deadline',
  name: '--name',
  smsUpExtendCode: '--extend-code',
  sheet: '--sheet',
  encoding: '--encoding',
});

/** The flag a request field came from (`templateParam.code` → `--param code`, `phones[2]` → `--phones[2]`), or the field as it is. */
export function flagOfField(field: string): string {
  const flag = FLAG_OF_FIELD[field];
  if (flag !== undefined) return flag;
  // An entry of a list flag, counted from 0 as the request's field (and --json) counts it.
  const item = /^(phones)(\[\d+\])$/.exec(field);
  if (item) return `${FLAG_OF_FIELD[item[1] as string]}${item[2]}`;
  const dot = field.indexOf('.');
  if (dot > 0 && field.slice(0, dot) === 'templateParam') return `--param ${field.slice(dot + 1)}`;
  return field;
}

/** `text` in single quotes, in which a shell reads every character as itself; a `'` in it closed, escaped and reopened. */
function singleQuoted(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * A flag's value as typed in a shell: a plain word bare, other text in double quotes, JSON or text
 * a shell reads inside double quotes (`$`, a backtick, `!`, `\`, `"`) in single quotes. A sheet
 * named `` Li$HOME`id`st `` was told as `--sheet "Li$HOME`id`st"`: pasted, it ran `id`.
 */
function shellWord(value: unknown): string {
  if (typeof value !== 'string') return singleQuoted(JSON.stringify(value));
  if (/^[\w.@:+/,-]+$/.test(value)) return value;
  return /[$`!\\"]/.test(value) ? singleQuoted(value) : JSON.stringify(value);
}

/**
 * The flag of a setting that a fix may name but no request field holds: the recipient file. Its
 * issues keep the field `file` (`file:3`), so it is not one of {@link FLAG_OF_FIELD}.
 */
const FLAG_OF_MENTION: Readonly<Record<string, string>> = Object.freeze({ file: '--file' });

/** A setting named in a fix, as its flag: `--kind marketing`, `--param '{"name":"..."}'`, `--encoding`, `--phones A,B` (a list, as the flag takes it), `--file list.xlsx`. */
function flagSpelling(setting: MentionedSetting, value: unknown): string {
  // A campaign's list is what its --file holds: the same file name may hold another list.
  if (setting === 'recipients') return '`--file` list';
  // The deployment is configured by the environment, not by a flag.
  const variable = environmentSpelling(setting, value);
  if (variable !== undefined) return variable;
  const flag = FLAG_OF_MENTION[setting] ?? flagOfField(setting);
  if (value === undefined) return `\`${flag}\``;
  const list = Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join(',') : value;
  return `\`${flag} ${shellWord(list)}\``;
}

/** A refusal's message with the settings its fix names written as flags. */
export function inFlagTerms(message: string): string {
  return respell(message, flagSpelling);
}

/** The request settings a command gives: by its flags, and (send-batch) by the fields of its --file. */
interface CommandSettings {
  flags: readonly MentionedSetting[];
  file?: readonly MentionedSetting[];
}

/**
 * The settings of each command that takes --idempotency-key, as its flags and file give them
 * (cli/commands/). A key's refusal names only these: `smsq send` was told to give the same
 * `callbackUrl`, `--name` or `messages` as a request of the API or a batch had, which it cannot.
 */
const SETTINGS_OF_COMMAND: Readonly<Record<string, CommandSettings>> = Object.freeze({
  send: { flags: ['phones', 'signName', 'templateCode', 'templateParam', 'kind', 'deadline', 'smsUpExtendCode'] },
  // templateCode and kind: the flag, or the JSON file's field of the same name.
  'send-batch': { flags: ['templateCode', 'kind'], file: ['messages', 'name', 'callbackUrl', 'deadline'] },
  campaign: { flags: ['signName', 'templateCode', 'templateParam', 'kind', 'name', 'deadline', 'smsUpExtendCode', 'recipients'] },
});

/** A setting a command's --file gives: `deadline` in `--file`. */
function fileSpelling(setting: MentionedSetting, value: unknown): string {
  return value === undefined ? `\`${setting}\` in \`--file\`` : `\`"${setting}": ${JSON.stringify(value)}\` in \`--file\``;
}

/**
 * A key's refusal in the terms of `command`: the settings that differ as it gives them (a flag, a
 * field of its --file). When one of them is a setting it does not have (the key's first request
 * came through the API, or was another command's), it says only that the key is another
 * request's, as an upload does (server/upload-settings.ts).
 */
export function idempotencyRefusalFor(err: IdempotencyKeyReusedError, command: string | undefined): IdempotencyKeyReusedError {
  const settings = command === undefined ? undefined : SETTINGS_OF_COMMAND[command];
  if (settings === undefined) return err.respelled(flagSpelling);
  const inFile = (field: string) => settings.file?.includes(field as MentionedSetting) === true;
  const has = (field: string) => settings.flags.includes(field as MentionedSetting) || inFile(field);
  return err.within(has, (setting, value) => (inFile(setting) ? fileSpelling(setting, value) : flagSpelling(setting, value)));
}
