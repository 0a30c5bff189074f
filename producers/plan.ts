import { ValidationError, type FieldIssue } from '../src/errors.js';
import { parseNamingUnknownFields } from '../src/unknown-fields.js';
import type { ChunkPayload } from '../src/queue/chunk-payload.js';
import type { MessageKind } from '../src/queue/kinds.js';
import { normalizePhone } from '../src/sms/phone.js';
import { mention } from '../src/setting-mention.js';
import { regionRefusal } from '../src/sms/phone-region.js';
import { checkTemplateParams, extractTemplateVars } from '../src/sms/template.js';
import { checkParamValues, type TemplateRules } from '../src/sms/template-rules.js';
import { describeNumbers, LONG_LIST_HINT, NUMBERS_SHOWN_IN_ERRORS } from '../src/sms/phone-list.js';
import { entriesRefusal, refusedEntryMessage } from './entries-refusal.js';
import { chunkBatch, chunkSms, type PersonalMessage } from './chunking.js';
import { batchExtendCodes } from './extend-codes.js';
import { DEADLINE_FORMATS, DEFAULT_SEND_KIND, SendBatchRequest, SendRequest } from './schemas.js';
import { formatTime, isoTime } from '../src/china-time.js';
import { quietUntil, type QuietHours } from '../src/queue/quiet-hours.js';
import { groupDigits } from '../src/digit-groups.js';

/** A number refused at the door, with the reason. */
export interface RejectedNumber {
  input: string;
  reason: string;
  /** The line (CSV) or row (workbook) of a campaign file it came from. */
  line?: number;
  /** What its record says: the number was refused (the default), or its row (params, an unreadable line). */
  code?: 'SMSQ_INVALID_NUMBER' | 'SMSQ_INVALID_RECIPIENT';
}

/** What a request will do, before anything is enqueued. */
export interface SendPlan {
  kind: MessageKind;
  api: 'SendSms' | 'SendBatchSms';
  signName: string;
  templateCode: string;
  templateParam?: Record<string, string>;
  /**
   * The extension code (SmsUpExtendCode) its recipients go out with: a send's; a batch's distinct
   * codes, as {@link batchExtendCodes} names them. Absent when none has one.
   */
  smsUpExtendCode?: string;
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
  /** Marketing planned inside quiet hours: nothing is sent before this (epoch ms). */
  quietUntil?: number;
}

/** What a plan is checked against besides the request itself. */
export interface PlanContext {
  /**
   * The template as the account has it (after the account check). Without it params are not
   * checked, and of the regions only this: a +1 number whose digits are also a mainland mobile
   * number is refused (src/sms/phone-region.ts).
   */
  rules?: TemplateRules;
  /** Marketing numbers on the opt-out list. */
  isSuppressed?: (phone: string) => boolean;
  /** Now, in epoch ms: a deadline must be after it. */
  now: number;
  /** The marketing quiet hours the workers keep (undefined: none), to say when they hold the send. */
  quietHours?: QuietHours;
}


/** Epoch milliseconds below this (March 1973) are far likelier epoch seconds given by mistake. */
const SECONDS_NOT_MS_BELOW = 1e11;

/**
 * Refuses a deadline that has passed, and one after the send's records expire (`kept`: its kind's
 * retention): chunks not sent by then would be gone, not expired, and nobody could read why.
 */
export function checkDeadline(deadline: number | undefined, now: number, kept?: { kind: string; seconds: number }): void {
  if (deadline !== undefined && kept !== undefined && deadline > now + kept.seconds * 1000) {
    const days = kept.seconds / 86_400;
    throw new ValidationError([
      {
        field: 'deadline',
        message: `${formatTime(deadline)} is after the send's records expire: ${kept.kind} sends are kept ${days} day${days === 1 ? '' : 's'} (SMSQ_RETENTION_DAYS), so it would be gone before its deadline. Fix: a deadline within ${days} day${days === 1 ? '' : 's'}, or leave it out`,
      },
    ]);
  }
  if (deadline === undefined || deadline > now) return;
  const seconds = deadline < SECONDS_NOT_MS_BELOW && deadline * 1000 > now;
  throw new ValidationError([
    {
      field: 'deadline',
      message: seconds
        ? // No digits quoted back: a 10-digit number reads as a phone number to the log masking.
          `read as epoch milliseconds is ${formatTime(deadline)}, in the past; it looks like epoch seconds. Fix: milliseconds (the seconds × 1000), or an ISO time with a zone`
        : // formatTime shows 0 and before as "-" (no time): a deadline there is still a time.
          `${deadline > 0 ? formatTime(deadline) : isoTime(deadline)} is in the past (now ${formatTime(now)}): nothing would be sent. Fix: a future time such as ${isoTime(now + 86_400_000).slice(0, 19)}+08:00 (this time tomorrow; ${DEADLINE_FORMATS}), or leave it out`,
    },
  ]);
}

/**
 * The fix for a request that gives no params, when `field` is its own setting (`templateParam`): the
 * setting as a mention, which each surface writes its own way (`--param '{"code":"..."}'` in the
 * CLI); a list item's params (`messages[3].templateParam`) by example, as its field names the item.
 */
export function noParamsFixFor(field: string): ((v: string) => string) | undefined {
  return field === 'templateParam' ? (v) => mention('templateParam', { [v]: '...' }) : undefined;
}

/** Params against the template: every variable given, no other key, and values the API accepts. */
export function paramIssues(rules: TemplateRules | undefined, params: Record<string, string> | undefined, signName: string, field: string): FieldIssue[] {
  if (rules === undefined) return [];
  const vars = extractTemplateVars(rules.content);
  const shape = checkTemplateParams(vars, params, field, noParamsFixFor(field))
    .filter((p) => p.severity === 'error')
    .map((p) => ({ field: p.field, message: p.message }));
  if (shape.length) return shape;
  return checkParamValues(rules, vars, params, signName, field).map((p) => ({ field: p.field, message: p.message }));
}

/**
 * A campaign's shared params: rows may bring the variables these lack, but a key the template does
 * not use, a non-string or a value the API would refuse is wrong for every row.
 */
export function sharedParamIssues(rules: TemplateRules, params: Record<string, string>, signName: string): FieldIssue[] {
  const vars = extractTemplateVars(rules.content);
  const shape = checkTemplateParams(vars, params).filter((p) => p.severity === 'error' && p.kind !== 'missing');
  const values = checkParamValues(rules, vars, params, signName);
  return [...shape, ...values].map((p) => ({ field: p.field, message: p.message }));
}

/**
 * Validates and plans a `send`: numbers normalised, duplicates dropped, invalid numbers listed
 * (the send goes ahead without them), params checked against the template when known.
 * Throws ValidationError when nothing could be sent or the request is malformed.
 */
export function planSend(input: unknown, ctx: PlanContext): SendPlan {
  const parsedReq = parseNamingUnknownFields(SendRequest, input, 'a send request');
  const req = { ...parsedReq, kind: parsedReq.kind ?? DEFAULT_SEND_KIND };
  checkDeadline(req.deadline, ctx.now);
  const issues = paramIssues(ctx.rules, req.templateParam, req.signName, 'templateParam');
  if (issues.length) throw new ValidationError(issues);
  const { valid: inRegion, rejected, rejectedAt, duplicates } = numbersForTemplate(req.phones, ctx.rules);
  const { valid, suppressed } = splitSuppressed(inRegion, req.kind, ctx.isSuppressed);
  if (valid.length === 0) throw nothingToSend('phones', req.phones.length, rejected, rejectedAt, suppressed.length);
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
    { api: 'SendSms', signName: req.signName, templateParam: req.templateParam, smsUpExtendCode: req.smsUpExtendCode },
    { recipients: valid.length, rejected, duplicates, suppressed },
    chunks,
    ctx,
  );
}

type PlannedRequest = { kind: MessageKind; templateCode: string; name?: string; idempotencyKey?: string; callbackUrl?: string; deadline?: number };

/** The plan's fields every request shape shares. */
function planOf(
  req: PlannedRequest,
  shape: Pick<SendPlan, 'api' | 'signName' | 'templateParam' | 'smsUpExtendCode'>,
  counts: { recipients: number; rejected: RejectedNumber[]; duplicates: number; suppressed: string[] },
  chunks: ChunkPayload[],
  ctx: PlanContext,
): SendPlan {
  const quiet = req.kind === 'marketing' ? quietUntil(ctx.now, ctx.quietHours) : 0;
  return {
    ...(quiet > 0 ? { quietUntil: quiet } : {}),
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
 * The numbers the template may be sent to, deduplicated in first-seen order, and the others with
 * their reasons, under the number as the caller wrote it. A number is checked against the
 * template before it is compared with the others: `+1 385 555 0123` and `13855550123` are one
 * string on the wire but two people, so the one the template cannot take is refused, not merged
 * into the other (or the other dropped with it). A repeat of a refused number is counted, not listed again.
 */
function numbersForTemplate(inputs: readonly string[], rules: TemplateRules | undefined): { valid: string[]; rejected: RejectedNumber[]; rejectedAt: number[]; duplicates: number } {
  const valid: string[] = [];
  const rejected: RejectedNumber[] = [];
  /** Each rejected number's index in `inputs`, for a refusal that names it by its place. */
  const rejectedAt: number[] = [];
  const seen = new Set<string>();
  const refused = new Set<string>();
  let duplicates = 0;
  for (const [i, input] of inputs.entries()) {
    const n = normalizePhone(input);
    if (!n.ok) {
      rejected.push({ input: n.input, reason: phonesReason(n) });
      rejectedAt.push(i);
      continue;
    }
    const reason = regionRefusal(rules, n.region, n.phone);
    const key = reason === undefined ? n.phone : `${n.region}:${n.phone}`;
    const among = reason === undefined ? seen : refused;
    if (among.has(key)) duplicates++;
    else {
      among.add(key);
      if (reason === undefined) valid.push(n.phone);
      else {
        rejected.push({ input, reason });
        rejectedAt.push(i);
      }
    }
  }
  return { valid, rejected, rejectedAt, duplicates };
}

/**
 * Where a batch's refused number is, as its request names it (`messages[3].phone`, from 0): the
 * number alone, masked in a refusal, did not say which message to fix.
 */
function messagePhone(index: number): string {
  return `messages[${index}].phone`;
}

/**
 * Why an entry of a send's `phones` is not a number: an entry that holds several is shown how the
 * list is given, in the caller's terms (`phones: ["A","B"]`; the CLI says `--phones A,B`).
 */
function phonesReason(n: { reason: string; numbers?: number }): string {
  return n.numbers === undefined ? n.reason : `${n.reason}, as ${mention('phones', ['A', 'B'])}`;
}

/**
 * Refuses a send or batch none of whose numbers is a phone number whatever the template: before the
 * account is asked about its signature and template, whose look-ups take a slot on the account's
 * pacer and fill its cache, because a refused request writes nothing to Redis. The refusal is the
 * one {@link planSend} and {@link planSendBatch} give for such numbers.
 */
export function refuseWithoutNumbers(field: 'phones' | 'messages', inputs: readonly string[]): void {
  const rejected: RejectedNumber[] = [];
  for (const input of inputs) {
    const n = normalizePhone(input);
    if (n.ok) return;
    rejected.push({ input: n.input, reason: field === 'phones' ? phonesReason(n) : n.reason });
  }
  throw nothingToSend(field, inputs.length, rejected, inputs.map((_, i) => i), 0);
}

/**
 * The refusal of a send or batch left with no number: a line on the whole request (no valid
 * number, or those left are on the opt-out list), then each invalid number by its place in the
 * request (`phones[3]`, `messages[3].phone`: the CLI says `--phones[3]`), the first few masked as
 * numbers are everywhere, the rest counted. `rejectedAt` holds each rejected number's index.
 */
function nothingToSend(field: 'phones' | 'messages', total: number, rejected: readonly RejectedNumber[], rejectedAt: readonly number[], suppressed: number): ValidationError {
  const optedOut = `${groupDigits(suppressed)} ${suppressed === 1 ? 'number is' : 'numbers are'} on the opt-out list: they replied an opt-out word (TD, R, 退订, ...) to an earlier message and get no more marketing. Fix: take them off your marketing list (notifications and verification codes still reach them)`;
  if (rejected.length === 0) return new ValidationError([{ field, message: `no number left to send to (nothing was enqueued): ${optedOut}` }]);
  const among = groupDigits(total);
  const whole = (below: string | undefined) =>
    suppressed === 0
      ? `no valid phone number among ${among} (nothing was enqueued)${below === undefined ? '' : `; ${below}`}${total > 1000 ? `. Fix: correct the numbers; ${LONG_LIST_HINT}` : ''}`
      : `no number left to send to among ${among} (nothing was enqueued): ${optedOut}. The others are not valid${below === undefined ? ', each named below' : `: ${below}`}`;
  const placeOf = (i: number) => (field === 'phones' ? `phones[${i}]` : messagePhone(i));
  // Each number at its place: a reason ends with its own fix, in parentheses of its own.
  const numbers = rejected.slice(0, NUMBERS_SHOWN_IN_ERRORS).map((r, k) => ({ field: placeOf(rejectedAt[k] ?? k), message: refusedEntryMessage(r.input, r.reason) }));
  return entriesRefusal(field, whole, rejected.length, numbers);
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
export function planSendBatch(input: unknown, ctx: PlanContext): SendPlan {
  const parsedReq = parseNamingUnknownFields(SendBatchRequest, input, 'a batch request');
  const req = { ...parsedReq, kind: parsedReq.kind ?? DEFAULT_SEND_KIND };
  checkDeadline(req.deadline, ctx.now);
  const issues = req.messages.flatMap((m, i) => paramIssues(ctx.rules, m.templateParam, m.signName, `messages[${i}].templateParam`));
  if (issues.length) throw new ValidationError(issues.slice(0, 20));
  const isSuppressed = ctx.isSuppressed;
  // The message each number was first given: a second, different one to it is refused, not dropped
  // as a duplicate (a send holds one message per number: its recipients are keyed by number).
  const seen = new Map<string, number>();
  // The extension code too: the same text with two codes is two messages (replies to each are told apart by it).
  const messageOf = (m: (typeof req.messages)[number]) => JSON.stringify([m.signName, Object.entries(m.templateParam ?? {}).sort(), m.smsUpExtendCode ?? null]);
  const conflicts: FieldIssue[] = [];
  const valid: PersonalMessage[] = [];
  const rejected: RejectedNumber[] = [];
  const rejectedAt: number[] = [];
  let duplicates = 0;
  const suppressed: string[] = [];
  for (const [i, m] of req.messages.entries()) {
    const n = normalizePhone(m.phone);
    const mismatch = n.ok ? regionRefusal(ctx.rules, n.region, n.phone) : undefined;
    const first = n.ok ? seen.get(n.phone) : undefined;
    if (!n.ok || mismatch) {
      rejected.push({ input: m.phone, reason: n.ok ? (mismatch as string) : n.reason });
      rejectedAt.push(i);
    } else if (first !== undefined) {
      if (messageOf(req.messages[first] as (typeof req.messages)[number]) === messageOf(m)) duplicates++;
      else if (conflicts.length < 20) {
        conflicts.push({
          field: `messages[${i}]`,
          message: `gives ${describeNumbers([m.phone])} a message other than messages[${first}] does (another signature, params or extension code); a send holds one message per number, and this one would have been dropped as a duplicate. Fix: send it in a request of its own, or remove one of the two`,
        });
      }
    } else if (req.kind === 'marketing' && isSuppressed?.(n.phone)) {
      seen.set(n.phone, i);
      suppressed.push(n.phone);
    } else {
      seen.set(n.phone, i);
      valid.push({
        phone: n.phone,
        signName: m.signName,
        ...(m.templateParam ? { templateParam: m.templateParam } : {}),
        ...(m.smsUpExtendCode !== undefined ? { smsUpExtendCode: m.smsUpExtendCode } : {}),
      });
    }
  }
  if (conflicts.length) throw new ValidationError(conflicts);
  // The refusal names each number's place as its issue's field; an answer's list of rejected numbers, in its reason.
  if (valid.length === 0) throw nothingToSend('messages', req.messages.length, rejected, rejectedAt, suppressed.length);
  const placed = rejected.map((r, k) => ({ ...r, reason: `${messagePhone(rejectedAt[k] as number)}: ${r.reason}` }));
  const chunks = chunkBatch(valid, req.templateCode, req.kind);
  const signs = [...new Set(valid.map((m) => m.signName))];
  return planOf(
    req,
    {
      api: chunks.some((c) => c.api === 'SendBatchSms') ? 'SendBatchSms' : 'SendSms',
      signName: signs.join(','),
      templateParam: undefined,
      smsUpExtendCode: batchExtendCodes(valid.map((m) => m.smsUpExtendCode)),
    },
    { recipients: valid.length, rejected: placed, duplicates, suppressed },
    chunks,
    ctx,
  );
}
