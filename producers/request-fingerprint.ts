import { createHash } from 'node:crypto';
import { normalizePhone } from '../src/sms/phone.js';
import { readsAsMainland } from '../src/sms/phone-region.js';
import { REQUEST_CALL_FIELD } from '../src/errors.js';
import { CampaignRequest, DEFAULT_SEND_KIND, SendBatchRequest, SendRequest } from './schemas.js';

/** Which producer call a request is for: the same body means different things to each. */
export type FingerprintedCall = 'send' | 'sendBatch' | 'campaign';

/** JSON with object keys sorted and undefined left out, so equal requests print equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * A number as the API gets it, but a +1 number whose digits are also a mainland mobile keeps its
 * `+`: `+1 385 555 0123` and `13855550123` are one string on the wire but two people, and a key
 * must not hand the send of one to a request for the other.
 */
export const normalised = (phone: string): string => {
  const n = normalizePhone(phone);
  if (!n.ok) return phone.trim();
  return readsAsMainland(n.region, n.phone) ? `+${n.phone}` : n.phone;
};

/**
 * The SHA-256 (hex) of a request as smsq understands it, and of each of its fields: parsed with its schema (defaults applied,
 * text trimmed, deadlines in ms), numbers normalised (`+86 138-0013-8000` is `13800138000`), the
 * idempotency key itself left out. Two requests with one fingerprint are one request for the key:
 * the second gets the first's send (a send without a kind is fingerprinted with the default the
 * schema used to fill in, and a retry that completes a half-written send plans it with the kind it
 * was begun with: see the producer's enqueuePlan). A
 * campaign's fingerprint covers its settings: its recipients are a stream, read after the key is
 * claimed, whose digest (list-digest.ts) is kept with the key once its enqueue ends. Call only with a request that its schema accepts (the plan checked it first).
 */
export function requestFingerprint(call: FingerprintedCall, request: unknown): RequestFingerprint {
  let body: Record<string, unknown>;
  if (call === 'send') {
    const r = SendRequest.parse(request);
    // The kind as the schema's default once filled it in, so a retry across an upgrade keeps its fingerprint.
    body = { ...r, kind: r.kind ?? DEFAULT_SEND_KIND, idempotencyKey: undefined, phones: r.phones.map(normalised) };
  } else if (call === 'sendBatch') {
    const r = SendBatchRequest.parse(request);
    body = { ...r, kind: r.kind ?? DEFAULT_SEND_KIND, idempotencyKey: undefined, messages: r.messages.map((m) => ({ ...m, phone: normalised(m.phone) })) };
  } else {
    body = { ...CampaignRequest.parse(request), idempotencyKey: undefined };
  }
  const fields = Object.entries(body)
    .filter(([, v]) => v !== undefined)
    .map(([field, v]) => `${field}=${createHash('sha256').update(canonicalJson(v)).digest('hex').slice(0, FIELD_DIGEST_CHARS)}`)
    // Which call, beside the fields: a key a campaign used, refused to a send, named the send's own
    // fields (`phones`) as the ones to give the same, which the campaign never had.
    .concat(`${REQUEST_CALL_FIELD}=${call}`)
    .sort()
    .join(',');
  return { digest: createHash('sha256').update(canonicalJson({ call, body })).digest('hex'), fields, defaultKind: call === 'campaign' ? CAMPAIGN_DEFAULT_KIND : DEFAULT_SEND_KIND };
}

/** A field's digest is only compared with the same field's in an earlier request with the same key. */
const FIELD_DIGEST_CHARS = 8;

/** A request's fingerprint: its digest, and one short digest per field, to say which fields differ. */
export interface RequestFingerprint {
  /** SHA-256 (hex) of the whole request: the one compared. */
  digest: string;
  /** `field=<8 hex>` and `call=<the call>` ({@link REQUEST_CALL_FIELD}), comma-separated and sorted. */
  fields: string;
  /** The kind a request of this call that names none is fingerprinted with. */
  defaultKind: string;
}

/** A campaign that names no kind is marketing (its schema's default). */
const CAMPAIGN_DEFAULT_KIND = CampaignRequest.shape.kind.parse(undefined);

/**
 * The fields whose digests differ between two {@link RequestFingerprint.fields} (given in one and
 * not the other included), and {@link REQUEST_CALL_FIELD} when the calls differ. A key claimed
 * before the call was kept says none: whether its call differs is not known, so it is not said.
 */
export function differingFields(earlier: string, later: string): string[] {
  const parse = (fields: string) => new Map(fields.split(',').filter(Boolean).map((f) => f.split('=') as [string, string]));
  const a = parse(earlier);
  const b = parse(later);
  if (!a.has(REQUEST_CALL_FIELD)) b.delete(REQUEST_CALL_FIELD);
  return [...new Set([...a.keys(), ...b.keys()])].filter((field) => a.get(field) !== b.get(field)).sort();
}
