/**
 * A file upload to `POST /v1/campaigns` carries its settings in the query string, so its refusals
 * name them as query parameters, as every other route does: the field `query.kind`, the fix
 * `?kind=marketing`. The producer and the file readers name them as request fields (`kind`,
 * `` `kind: "marketing"` ``, src/setting-mention.ts); this turns those into the upload's terms.
 */
import { IdempotencyKeyReusedError, ValidationError } from '../src/errors.js';
import { environmentSpelling, respell, type MentionedSetting } from '../src/setting-mention.js';
import { CampaignQuery } from './schemas.js';

/** The settings an upload takes from its query string. */
const QUERY_SETTINGS: ReadonlySet<string> = new Set(Object.keys(CampaignQuery.shape));

/** The media type of an .xlsx workbook upload. */
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * The recipient file as an upload says what it is: by its Content-Type, having no name. A name
 * ending in .xlsx is a workbook's type; any other a CSV list's.
 */
function uploadTypeOf(fileName: unknown): string {
  if (fileName === undefined) return '`Content-Type`';
  return `\`Content-Type: ${typeof fileName === 'string' && fileName.toLowerCase().endsWith('.xlsx') ? XLSX_TYPE : 'text/csv'}\``;
}

/** A setting as a query parameter; a JSON value is shown as JSON, to be percent-encoded as any value. The file, as its Content-Type. */
function querySpelling(setting: MentionedSetting, value: unknown): string {
  if (setting === 'file') return uploadTypeOf(value);
  // An upload's list is its body, which no parameter names.
  if (setting === 'recipients') return 'recipient list (the body)';
  // The server is configured by the environment: its deployment's settings are variables.
  const variable = environmentSpelling(setting, value);
  if (variable !== undefined) return variable;
  if (value === undefined) return `\`?${setting}=\``;
  if (typeof value === 'string') return `\`?${setting}=${encodeURIComponent(value)}\``;
  return `\`?${setting}=${JSON.stringify(value)}\` (percent-encoded)`;
}

/** `query.kind` for a setting's field (`kind`, `templateParam.name`); any other field as it is (`(body):7`). */
function queryField(field: string): string {
  const name = /^[^.[]+/.exec(field)?.[0] ?? '';
  return QUERY_SETTINGS.has(name) ? `query.${field}` : field;
}

/**
 * An upload's answer in its own terms: a rejected row's reason is built once, where the caller is
 * not known (producers/campaign.ts), and names a setting as a request field.
 */
export function resultInQueryTerms<R extends { rejected: readonly { reason: string }[] }>(result: R): R {
  return { ...result, rejected: result.rejected.map((r) => ({ ...r, reason: respell(r.reason, querySpelling) })) };
}

/** A refusal of an upload in its own terms; anything else as it is. */
export function inQueryTerms(err: unknown): unknown {
  // Its settings differ from the first upload's in the query string (or its list, the body): named as parameters.
  if (err instanceof IdempotencyKeyReusedError) return err.within((field) => QUERY_SETTINGS.has(field) || field === 'recipients', querySpelling);
  if (!(err instanceof ValidationError)) return err;
  return new ValidationError(err.issues.map((issue) => ({ field: queryField(issue.field), message: respell(issue.message, querySpelling) })));
}
