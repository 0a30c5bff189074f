/**
 * A chunk's payload read back from its record in Redis. smsq's producer writes it, but anything
 * with the Redis can change it (by hand, a script, a truncated restore): what does not parse is
 * named here, never guessed at, so that nothing is sent from it.
 */
import { BatchChunkPayload, SmsChunkPayload, type ChunkPayload } from './chunk-payload.js';
import { fieldIssuesFromZod } from '../errors.js';
import { maskPhonesInText } from '../sms/phone-mask.js';

export type StoredPayload = { ok: true; payload: ChunkPayload } | { ok: false; problem: string };

/** Issues named in a problem at most; a payload wrong in every one of its numbers says so once. */
const MAX_ISSUES = 3;

const FIX =
  "Fix: smsq's producer writes a chunk's payload and nothing else should: find what changed it in Redis, then send these recipients again (a new send); this chunk is not sent";

/** V8's JSON.parse message, reduced to where it broke: its text may quote the payload (numbers, codes). */
function jsonProblem(err: unknown, length: number): string {
  const message = err instanceof Error ? err.message : '';
  const at = /at position (\d+)/.exec(message)?.[1];
  // Broken where the text ends: cut short (V8 says so in words only when no value was open).
  const cut = message.startsWith('Unexpected end of JSON input') || (at !== undefined && Number(at) >= length);
  const where = cut ? ', cut short' : at !== undefined ? `, broken at character ${at}` : '';
  return `payload: not valid JSON (${length} characters${where})`;
}

/**
 * The payload of a chunk record's `payload` field, or what is wrong with it: one line naming each
 * field (`payload.phones: must be a list, got a string`) and the fix, with no value of it quoted.
 */
export function readStoredPayload(stored: string | undefined): StoredPayload {
  const fail = (problem: string): StoredPayload => ({ ok: false, problem: `${maskPhonesInText(problem)}. ${FIX}` });
  if (stored === undefined || stored === '') return fail('payload: missing from the chunk record');
  let value: unknown;
  try {
    value = JSON.parse(stored);
  } catch (err) {
    return fail(jsonProblem(err, stored.length));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('payload: must be a JSON object');
  // Parsed by the schema its api names: the union's issues would list both schemas' for every field.
  const api = (value as { api?: unknown }).api;
  const schema = api === 'SendSms' ? SmsChunkPayload : api === 'SendBatchSms' ? BatchChunkPayload : undefined;
  if (!schema) return fail('payload.api: must be "SendSms" or "SendBatchSms"');
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, payload: parsed.data };
  // The fixes zod's messages carry are how to write a request's JSON, not this record's: FIX is.
  const issues = fieldIssuesFromZod(parsed.error.issues, 'payload').map((i) => `${i.field}: ${i.message.replace(/\. Fix: .*$/s, '')}`);
  const more = issues.length > MAX_ISSUES ? `; and ${issues.length - MAX_ISSUES} more` : '';
  return fail(issues.slice(0, MAX_ISSUES).join('; ') + more);
}
