/**
 * The text of an AccessKey ID, an AccessKey secret or an STS token, checked before the SDK is given
 * it. The SDK sends it as it is (its default chain reads the variable untrimmed; createSmsClient
 * takes the caller's string), and one stray character fails every call, but only at call time: a
 * line break or a character beyond Latin-1 in the ID or the token makes Node refuse the header before
 * the request leaves (RequestNotBuilt.Setup: that worker backs off, sending nothing, until it is fixed); in the secret, or quotes and
 * spaces anywhere, Dysmsapi answers SignatureDoesNotMatch or InvalidAccessKeyId. Alibaba's keys and
 * tokens are printable ASCII, so nothing else can be right.
 *
 * One check for every surface that takes a credential: the environment (config.ts) and
 * createSmsClient's options (client.ts), each naming it in its own words.
 */

/**
 * A value in matching quotes: an env file read without a shell (docker --env-file, compose's
 * env_file in some versions, systemd's EnvironmentFile=) keeps them, as does a value pasted with
 * them, and they become part of the secret.
 */
export const inQuotes = (v: string): boolean => /^(["'`]).*\1$/s.test(v);

/** What is wrong with a credential's text, most telling first. */
export type CredentialTextFault = 'quoted' | 'quote' | 'line-break' | 'space-or-control' | 'not-printable-ascii';

/** The first fault of `value` as a credential's text, or undefined when it has none. */
export function credentialTextFault(value: string): CredentialTextFault | undefined {
  if (inQuotes(value.trim())) return 'quoted';
  if (/[\r\n]/.test(value)) return 'line-break';
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return 'space-or-control';
  // One quote, at an end or inside: printable, but no key or token of Alibaba's holds one.
  if (/["'`]/.test(value)) return 'quote';
  if (/[^\x21-\x7e]/.test(value)) return 'not-printable-ascii';
  return undefined;
}

/** How a surface words a fault: what follows the name of the field it refuses. */
export interface CredentialTextWords {
  /** What the stray character would do, after "holds a line break, ": e.g. "which would be sent as part of it, and every call would fail". */
  sent: string;
  /** Where quotes come from on this surface, e.g. "an env file read without a shell keeps them". */
  quotesKept: string;
  /** The fix, without its qualifier: e.g. `ALIBABA_CLOUD_ACCESS_KEY_ID=<the AccessKey ID>` or "pass the AccessKey ID". */
  fix: string;
  /** Where a line break comes from and how to avoid it on this surface. */
  lineBreakHint: string;
}

/** The refusal of a fault, to follow the field's name (`credential.accessKeyId holds a line break, ...`). Never quotes the value. */
export function credentialTextMessage(fault: CredentialTextFault, words: CredentialTextWords): string {
  switch (fault) {
    case 'quoted':
      return `is wrapped in quotes, which would be part of it (${words.quotesKept}). Fix: ${words.fix}, without the quotes`;
    case 'quote':
      return `holds a quote character (", ' or \`), ${words.sent}. Fix: ${words.fix}, without quotes`;
    case 'line-break':
      return `holds a line break, ${words.sent}. Fix: ${words.fix} with no line break (${words.lineBreakHint})`;
    case 'space-or-control':
      return `holds a space or a control character, ${words.sent}. Fix: ${words.fix}, without spaces`;
    case 'not-printable-ascii':
      return `holds a character outside printable ASCII (a typographic quote, a letter of another script), ${words.sent}. Fix: ${words.fix}, as the RAM console shows it`;
  }
}
