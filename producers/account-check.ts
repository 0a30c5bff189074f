/**
 * The first check at the door: the signature(s) and the template of a request exist in the account
 * and are approved, as the seed's `--verify` does with GetSmsSign / GetSmsTemplate. A request that
 * fails it is refused whole with the name, the state (and the rejection reason the API gives) and
 * the command that lists what the account has.
 *
 * When Dysmsapi gives no answer to go by (throttled, timed out, a DNS server that did not answer
 * in time), the check is skipped with a warning rather than refusing every request while the API
 * hiccups: the worker meets and reports the same problem. An account that cannot call at all (bad
 * AccessKey, no permission, service not opened) throws its SmsError: nothing could be sent, so
 * nothing is enqueued. So does an endpoint that cannot be reached (nothing listens at
 * SMS_ENDPOINT, its name does not exist, TLS fails: class `account`, see error-codes.ts): that is
 * how smsq is set up, not a hiccup, and skipping the check enqueued sends no worker could make.
 */
import { ValidationError, type FieldIssue } from '../src/errors.js';
import { inClientOptionTerms, quoted } from '../src/setting-mention.js';
import { rewordSmsError } from '../src/sms/errors.js';
import type { Logger } from '../src/logger.js';
import type { CatalogEntry, CatalogLookup } from '../src/queue/catalog-lookup.js';
import type { TemplateRules } from '../src/sms/template-rules.js';
import type { ApprovalStatus, SignDetail, TemplateDetail } from '../src/sms/types.js';

/** A signature named by a request, and the field that named it. */
export interface NamedSign {
  field: string;
  signName: string;
}

const STATE_WORDS: Readonly<Record<number, string>> = Object.freeze({ 0: 'under review', 1: 'approved', 2: 'rejected', 10: 'cancelled' });

function stateText(status: ApprovalStatus | number, reason: string): string {
  const word = STATE_WORDS[status] ?? 'not usable';
  return `is ${word} (status ${status})${reason ? `: ${reason}` : ''}`;
}

function signIssue(field: string, name: string, entry: CatalogEntry<SignDetail>): FieldIssue | undefined {
  const fix = 'Fix: send with an approved signature (`smsq signs` lists them)';
  if (entry.state === 'not_found') return { field, message: `signature ${quoted(name)} is not in this account (${entry.error.code}). ${fix}` };
  if (entry.state === 'found' && entry.detail.signStatus !== 1) {
    const wait = entry.detail.signStatus === 0 ? ', or wait for the review to pass' : ', or fix it in the SMS console and apply again';
    return { field, message: `signature ${quoted(name)} ${stateText(entry.detail.signStatus, entry.detail.reason)}; only approved signatures can send. ${fix}${wait}` };
  }
  return undefined;
}

function templateIssue(code: string, entry: CatalogEntry<TemplateDetail>): FieldIssue | undefined {
  const fix = 'Fix: use an approved template (`smsq templates` lists them)';
  if (entry.state === 'not_found') return { field: 'templateCode', message: `template ${code} is not in this account (${entry.error.code}). ${fix}` };
  if (entry.state === 'found' && entry.detail.templateStatus !== 1) {
    const wait = entry.detail.templateStatus === 0 ? ', or wait for the review to pass' : ', or fix it in the SMS console and apply again';
    return { field: 'templateCode', message: `template ${code} ${stateText(entry.detail.templateStatus, entry.detail.reason)}; only approved templates can send. ${fix}${wait}` };
  }
  return undefined;
}

/** The unanswered look-ups already warned about: an entry is one look-up's outcome. */
const warned = new WeakSet<CatalogEntry<unknown>>();

/**
 * Throws the SmsError of a look-up that says the account cannot call at all, naming the client's
 * settings as the options of `createSmsClient` a Node caller gave (`` `endpoint: "…"` ``, not
 * SMS_ENDPOINT=…), as the producer's other errors name theirs; the CLI and `smsq server` say them
 * as the environment's again. Warns about the others once for the request, naming each look-up
 * skipped (`lookups`) and its code: a warning per look-up said the same words twice when both the
 * signature's and the template's timed out.
 */
function unavailable(entries: readonly { what: string; entry: CatalogEntry<unknown> }[], logger: Logger | undefined): void {
  const skipped = entries.flatMap(({ what, entry }) => (entry.state === 'unavailable' ? [{ what, entry, error: entry.error }] : []));
  const account = skipped.find((s) => s.error.errorClass === 'account');
  if (account) throw rewordSmsError(account.error, inClientOptionTerms);
  // A look-up read again for the same request (the CLI's plan, then its enqueue) is one skip.
  if (!skipped.length || skipped.every((s) => warned.has(s.entry))) return;
  for (const s of skipped) warned.add(s.entry);
  const codes = [...new Set(skipped.map((s) => s.error.code))];
  logger?.warn(
    { code: codes.join(', '), lookups: skipped.map((s) => s.what) },
    'Dysmsapi did not answer a signature/template look-up; that part of the door check is skipped for this request',
  );
}

/**
 * Checks the signatures and the template; returns the template's rules (for the param and region
 * checks), or undefined when the template could not be read. Throws ValidationError naming every
 * signature and the template that cannot send.
 */
export async function checkAccount(catalog: CatalogLookup, signs: readonly NamedSign[], templateCode: string, logger?: Logger): Promise<TemplateRules | undefined> {
  const unique = new Map<string, string>();
  for (const s of signs) if (!unique.has(s.signName)) unique.set(s.signName, s.field);
  const [template, ...signEntries] = await Promise.all([catalog.template(templateCode), ...[...unique.keys()].map((name) => catalog.sign(name))]);
  const issues: FieldIssue[] = [];
  [...unique].forEach(([name, field], i) => {
    const issue = signIssue(field, name, signEntries[i]!);
    if (issue) issues.push(issue);
  });
  const bad = templateIssue(templateCode, template);
  if (bad) issues.push(bad);
  if (issues.length) throw new ValidationError(issues);
  unavailable([{ what: `template ${templateCode}`, entry: template }, ...[...unique.keys()].map((name, i) => ({ what: `signature ${name}`, entry: signEntries[i]! }))], logger);
  if (template.state !== 'found') return undefined;
  const t = template.detail;
  return { templateCode: t.templateCode || templateCode, templateType: t.templateType, content: t.templateContent, variableAttributes: t.variableAttributes ?? {} };
}
