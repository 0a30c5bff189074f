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
 * The settings a message may name: each surface knows how it writes them. Every field of a request
 * (an idempotency key's refusal names those that differ), and the file readers' settings. `file` is
 * the recipient file, its value a name (`` `file: "list.xlsx"` ``): what tells a workbook from a
 * CSV list is its name's extension to the Node API (`readRecipientsFile`, whose refusals name the
 * file `file`) and the CLI (`--file list.xlsx`), and the Content-Type to an upload, which has no name.
 */
export const MENTIONED_SETTINGS = ['phones', 'messages', 'recipients', 'signName', 'templateCode', 'templateParam', 'smsUpExtendCode', 'kind', 'name', 'callbackUrl', 'deadline', 'sheet', 'encoding', 'file'] as const;
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
