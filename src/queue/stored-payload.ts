/**
 * A chunk's payload and kind read back from its record in Redis. smsq's producer writes them, but
 * anything with the Redis can change them (by hand, a script, a truncated restore): what does not
 * parse is named here, never guessed at, so that nothing is sent or looked up from it.
 */
import { BatchChunkPayload, SmsChunkPayload, type ChunkPayload } from './chunk-payload.js';
import { fieldIssuesFromZod } from '../errors.js';
import { maskPhonesInText } from '../sms/phone-mask.js';
import { MESSAGE_KINDS, type MessageKind } from './kinds.js';

export type StoredPayload = { ok: true; payload: ChunkPayload } | { ok: false; problem: string };

/** A chunk record's payload and kind, each undefined when it does not parse; `problem` names what is wrong with either. */
export interface StoredChunk {
  payload: ChunkPayload | undefined;
  kind: MessageKind | undefined;
  problem: string | undefined;
}

/** Issues named in a problem at most; a payload wrong in every one of its numbers says so once. */
const MAX_ISSUES = 3;

// Read before the call (nothing sent), in doubt (not resent) and accepted (receipts not looked up) alike.
const FIX =
  "Fix: smsq's producer writes a chunk's record and nothing else should: find what changed it in Redis. Nothing more is sent or looked up from this chunk: its recipients' states say how far they got";

const withFix = (issue: string): string => `${maskPhonesInText(issue)}. ${FIX}`;

/** V8's JSON.parse message, reduced to where it broke: its text may quote the payload (numbers, codes). */
function jsonProblem(err: unknown, length: number): string {
  const message = err instanceof Error ? err.message : '';
  const at = /at position (\d+)/.exec(message)?.[1];
  // Broken where the text ends: cut short (V8 says so in words only when no value was open).
  const cut = message.startsWith('Unexpected end of JSON input') || (at !== undefined && Number(at) >= length);
  const where = cut ? ', cut short' : at !== undefined ? `, broken at character ${at}` : '';
  return `payload: not valid JSON (${length} characters${where})`;
}

/** What is wrong with a stored payload (one line naming each field, no value of it quoted), or the payload. */
function payloadIssue(stored: string | undefined): { payload: ChunkPayload } | { issue: string } {
  if (stored === undefined || stored === '') return { issue: 'payload: missing from the chunk record' };
  let value: unknown;
  try {
    value = JSON.parse(stored);
  } catch (err) {
    return { issue: jsonProblem(err, stored.length) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { issue: 'payload: must be a JSON object' };
  // Parsed by the schema its api names: the union's issues would list both schemas' for every field.
  const api = (value as { api?: unknown }).api;
  const schema = api === 'SendSms' ? SmsChunkPayload : api === 'SendBatchSms' ? BatchChunkPayload : undefined;
  if (!schema) return { issue: 'payload.api: must be "SendSms" or "SendBatchSms"' };
  const parsed = schema.safeParse(value);
  if (parsed.success) return { payload: parsed.data };
  // The fixes zod's messages carry are how to write a request's JSON, not this record's: FIX is.
  const issues = fieldIssuesFromZod(parsed.error.issues, 'payload').map((i) => `${i.field}: ${i.message.replace(/\. Fix: .*$/s, '')}`);
  const more = issues.length > MAX_ISSUES ? `; and ${issues.length - MAX_ISSUES} more` : '';
  return { issue: issues.slice(0, MAX_ISSUES).join('; ') + more };
}

/**
 * The kind decides what a chunk may be sent as (one number a verification code, marketing's quiet
 * hours) and how its receipts are looked up: one that is not smsq's is not replaced by a default.
 */
function kindIssue(stored: string | undefined): { kind: MessageKind } | { issue: string } {
  if (stored === undefined || stored === '') return { issue: 'kind: missing from the chunk record' };
  if ((MESSAGE_KINDS as readonly string[]).includes(stored)) return { kind: stored as MessageKind };
  return { issue: `kind: must be one of ${MESSAGE_KINDS.join(', ')}` };
}

/**
 * The payload of a chunk record's `payload` field, or what is wrong with it: one line naming each
 * field (`payload.phones: must be a list, got a string`) and the fix, with no value of it quoted.
 */
export function readStoredPayload(stored: string | undefined): StoredPayload {
  const read = payloadIssue(stored);
  return 'issue' in read ? { ok: false, problem: withFix(read.issue) } : { ok: true, payload: read.payload };
}

/** A chunk record's `payload` and `kind` fields: each that parses, and one problem naming every field that does not. */
export function readStoredChunk(stored: { payload: string | undefined; kind: string | undefined }): StoredChunk {
  const payload = payloadIssue(stored.payload);
  const kind = kindIssue(stored.kind);
  const issues = [payload, kind].flatMap((r) => ('issue' in r ? [r.issue] : []));
  return {
    payload: 'payload' in payload ? payload.payload : undefined,
    kind: 'kind' in kind ? kind.kind : undefined,
    problem: issues.length > 0 ? withFix(issues.join('; ')) : undefined,
  };
}
