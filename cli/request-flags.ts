/**
 * The request fields that the send commands' flags fill, so that a refusal names what the user
 * typed: `--template: must look like SMS_123456789`, not the API's `templateCode`. The JSON form of
 * a refusal (`--json`) keeps the API's field names, which are stable for scripts.
 */
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
});

/** The flag a request field came from (`templateParam.code` → `--param code`), or the field as it is. */
export function flagOfField(field: string): string {
  const flag = FLAG_OF_FIELD[field];
  if (flag !== undefined) return flag;
  const dot = field.indexOf('.');
  if (dot > 0 && field.slice(0, dot) === 'templateParam') return `--param ${field.slice(dot + 1)}`;
  return field;
}
