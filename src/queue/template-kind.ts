/**
 * The kind a send goes as, against its template's type: which kind a template takes when the
 * request names none, and which kinds it cannot go as (the lanes, the quiet hours and the opt-out
 * list are smsq's, not Dysmsapi's, so this sits over the template rules).
 */
import { mention } from '../setting-mention.js';
import { MARKETING_TEMPLATE_TYPE, NOTIFICATION_TEMPLATE_TYPE, templateTypeName, VERIFICATION_TEMPLATE_TYPE, type TemplateRules } from '../sms/template-rules.js';
import type { MessageKind } from './kinds.js';

/**
 * The kind a send takes from its template when the request names none: verification for a
 * verification template (the urgent lane), marketing for a marketing one (quiet hours and the
 * opt-out list); undefined for the rest (the request's default applies).
 */
export function kindOfTemplate(templateType: number): 'verification' | 'marketing' | undefined {
  if (templateType === VERIFICATION_TEMPLATE_TYPE) return 'verification';
  if (templateType === MARKETING_TEMPLATE_TYPE) return 'marketing';
  return undefined;
}

/**
 * Why `kind` cannot carry this template, or undefined. A marketing template sent as anything else
 * would skip the quiet hours and the opt-out list; a verification template sent as marketing would
 * hold its codes back until the quiet hours end, and drop the numbers on the opt-out list; a
 * notification sent as verification to more than one number (`numbers`; undefined: a campaign, any
 * number of them) would take one call per number instead of one per thousand, in the lane the
 * account's codes go by. To one number it is one call either way: an urgent notification (a reset
 * link, a new-device alert) may take the codes' lane.
 */
export function kindMismatch(rules: Pick<TemplateRules, 'templateCode' | 'templateType'>, kind: MessageKind, numbers?: number): string | undefined {
  if (rules.templateType === MARKETING_TEMPLATE_TYPE && kind !== 'marketing') {
    return `${rules.templateCode} is a ${templateTypeName(MARKETING_TEMPLATE_TYPE)} template: sent as ${kind} it would skip the quiet hours and the opt-out list. Fix: ${mention('kind', 'marketing')}, or a ${kind} template (see \`smsq templates\`)`;
  }
  if (rules.templateType === VERIFICATION_TEMPLATE_TYPE && kind === 'marketing') {
    return `${rules.templateCode} is a ${templateTypeName(VERIFICATION_TEMPLATE_TYPE)} template: sent as marketing its codes would wait for the quiet hours to end and skip numbers on the opt-out list. Fix: ${mention('kind', 'verification')}, or a marketing template (see \`smsq templates\`)`;
  }
  if (rules.templateType === NOTIFICATION_TEMPLATE_TYPE && kind === 'verification' && (numbers === undefined || numbers > 1)) {
    const to = numbers === undefined ? 'a campaign' : `${numbers} numbers`;
    return `${rules.templateCode} is a ${templateTypeName(NOTIFICATION_TEMPLATE_TYPE)} template: sent as verification to ${to}, each number would take a SendSms call of its own (a notification takes up to 1000 a call) in the lane the account's verification codes go by. Fix: ${mention('kind', 'notification')}, or leave the kind out to take the template's; a notification goes as verification to one number only`;
  }
  return undefined;
}
