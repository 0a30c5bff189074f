import { fieldIssuesFromZod, ValidationError, type FieldIssue } from '../src/errors.js';
import type { ChunkPayload } from '../src/queue/chunk-payload.js';
import type { MessageKind } from '../src/queue/kinds.js';
import { normalizePhone, normalizePhones } from '../src/sms/phone.js';
import { describeNumbers, LONG_LIST_HINT, NUMBERS_SHOWN_IN_ERRORS } from '../src/sms/phone-list.js';
import { checkTemplateParams } from '../src/sms/template.js';
import { chunkBatch, chunkSms } from './chunking.js';
import { SendBatchRequest, SendRequest } from './schemas.js';

/** A number refused at the door, with the reason. */
export interface RejectedNumber {
  input: string;
  reason: string;
}

/** What a request will do, before anything is enqueued. */
export interface SendPlan {
  kind: MessageKind;
  api: 'SendSms' | 'SendBatchSms';
  signName: string;
  templateCode: string;
  templateParam?: Record<string, string>;
  name?: string;
  idempotencyKey?: string;
  callbackUrl?: string;
  /** Epoch ms; chunks not sent by then expire. */
  deadline?: number;
  /** Valid, deduplicated recipients. */
  recipients: number;
  rejected: RejectedNumber[];
  duplicates: number;
  /** Numbers on the opt-out list, skipped (marketing only). */
  suppressed: string[];
  chunks: ChunkPayload[];
  /** One API call per chunk. */
  apiCalls: number;
}

/** Template content by code, when the caller knows it (enables param checks against `${var}`s). */
export type TemplateContentLookup = (templateCode: string) => Promise<string | undefined>;

function parseOrThrow<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new ValidationError(fieldIssuesFromZod(r.error.issues));
  return r.data;
}

function paramIssues(content: string | undefined, params: Record<string, string> | undefined, field: string): FieldIssue[] {
  if (content === undefined) return [];
  return checkTemplateParams(content, params, field)
    .filter((p) => p.severity === 'error')
    .map((p) => ({ field: p.field, message: p.message }));
}

/**
 * Validates and plans a `send`: numbers normalised, duplicates dropped, invalid numbers listed
 * (the send goes ahead without them), params checked against the template when known.
 * Throws ValidationError when nothing could be sent or the request is malformed.
 */
export function planSend(input: unknown, templateContent?: string, isSuppressed?: (phone: string) => boolean): SendPlan {
  const req = parseOrThrow(SendRequest, input);
  const issues = paramIssues(templateContent, req.templateParam, 'templateParam');
  if (issues.length) throw new ValidationError(issues);
  const normalized = normalizePhones(req.phones);
  const { invalid: rejected, duplicates } = normalized;
  const { valid, suppressed } = splitSuppressed(normalized.valid, req.kind, isSuppressed);
  if (valid.length === 0 && suppressed.length > 0) {
    throw new ValidationError([{ field: 'phones', message: `every valid number (${suppressed.length}) opted out of marketing; nothing to send` }]);
  }
  if (valid.length === 0) {
    throw new ValidationError([
      { field: 'phones', message: noValidNumberMessage(req.phones.length, rejected) },
    ]);
  }
  const chunks = chunkSms(
    valid,
    {
      signName: req.signName,
      templateCode: req.templateCode,
      ...(req.templateParam ? { templateParam: req.templateParam } : {}),
      ...(req.smsUpExtendCode ? { smsUpExtendCode: req.smsUpExtendCode } : {}),
    },
    req.kind,
  );
  return planOf(
    req,
    { api: 'SendSms', signName: req.signName, templateParam: req.templateParam },
    { recipients: valid.length, rejected, duplicates, suppressed },
    chunks,
  );
}

type PlannedRequest = { kind: MessageKind; templateCode: string; name?: string; idempotencyKey?: string; callbackUrl?: string; deadline?: number };

/** The plan's fields every request shape shares. */
function planOf(
  req: PlannedRequest,
  shape: Pick<SendPlan, 'api' | 'signName' | 'templateParam'>,
  counts: { recipients: number; rejected: RejectedNumber[]; duplicates: number; suppressed: string[] },
  chunks: ChunkPayload[],
): SendPlan {
  return {
    kind: req.kind,
    ...shape,
    templateCode: req.templateCode,
    name: req.name,
    idempotencyKey: req.idempotencyKey,
    callbackUrl: req.callbackUrl,
    deadline: req.deadline,
    ...counts,
    chunks,
    apiCalls: chunks.length,
  };
}

/**
 * Why a request had no number to send to, without the numbers in clear: the first few masked
 * with their reasons, the rest counted, and the way to send a long list.
 */
function noValidNumberMessage(total: number, rejected: readonly RejectedNumber[]): string {
  const shown = rejected.slice(0, NUMBERS_SHOWN_IN_ERRORS).map((r) => `${describeNumbers([r.input])}: ${r.reason}`);
  const more = rejected.length - shown.length;
  const list = shown.join('; ') + (more > 0 ? `; and ${more.toLocaleString('en-US')} more` : '');
  return `no valid phone number among ${total.toLocaleString('en-US')} (${list})${total > 1000 ? `. Fix: correct the numbers; ${LONG_LIST_HINT}` : ''}`;
}

/** Marketing skips numbers on the opt-out list; other kinds are never suppressed. */
function splitSuppressed(phones: string[], kind: MessageKind, isSuppressed?: (phone: string) => boolean): { valid: string[]; suppressed: string[] } {
  if (kind !== 'marketing' || !isSuppressed) return { valid: phones, suppressed: [] };
  const valid: string[] = [];
  const suppressed: string[] = [];
  for (const p of phones) (isSuppressed(p) ? suppressed : valid).push(p);
  return { valid, suppressed };
}

/** Validates and plans a `sendBatch` (personalised messages → SendBatchSms chunks of ≤ 100). */
export function planSendBatch(input: unknown, templateContent?: string, isSuppressed?: (phone: string) => boolean): SendPlan {
  const req = parseOrThrow(SendBatchRequest, input);
  const issues = req.messages.flatMap((m, i) => paramIssues(templateContent, m.templateParam, `messages[${i}].templateParam`));
  if (issues.length) throw new ValidationError(issues.slice(0, 20));
  const seen = new Set<string>();
  const valid: { phone: string; signName: string; templateParam?: Record<string, string> }[] = [];
  const rejected: RejectedNumber[] = [];
  let duplicates = 0;
  const suppressed: string[] = [];
  for (const m of req.messages) {
    const n = normalizePhone(m.phone);
    if (!n.ok) rejected.push({ input: m.phone, reason: n.reason });
    else if (seen.has(n.phone)) duplicates++;
    else if (req.kind === 'marketing' && isSuppressed?.(n.phone)) {
      seen.add(n.phone);
      suppressed.push(n.phone);
    } else {
      seen.add(n.phone);
      valid.push({ phone: n.phone, signName: m.signName, ...(m.templateParam ? { templateParam: m.templateParam } : {}) });
    }
  }
  if (valid.length === 0) {
    throw new ValidationError([{ field: 'messages', message: `no valid phone number among ${req.messages.length}` }]);
  }
  const chunks = chunkBatch(valid, req.templateCode, req.kind);
  const signs = [...new Set(valid.map((m) => m.signName))];
  return planOf(
    req,
    { api: chunks.some((c) => c.api === 'SendBatchSms') ? 'SendBatchSms' : 'SendSms', signName: signs.join(','), templateParam: undefined },
    { recipients: valid.length, rejected, duplicates, suppressed },
    chunks,
  );
}
