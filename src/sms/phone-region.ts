/**
 * Which numbers a send may carry, given what is known of its template's region.
 *
 * Dysmsapi gets every number as digits without `+`: a mainland mobile as its 11 digits, any other
 * as country code + number. The region a number was written in is lost on the way, and Dysmsapi
 * reads the digits by the template's type. Only country code 1 (US, Canada and the rest of the
 * North American plan: no other country code starts with 1) with a 10-digit number whose area
 * code starts with 3-9 gives 11 digits that are also a mainland mobile number (`+1 385 555 0123`
 * and `13855550123` are the same string on the wire). Sent under a mainland template, such a
 * number reaches a person in China; so it may go only under a template known to be international.
 */
import { MAINLAND, type PhoneRegion } from './phone.js';
import { regionMismatch, templateTypeName, type TemplateRules } from './template-rules.js';

/** International templates' type: the only one under which Dysmsapi reads 1 + 10 digits as US/Canada. */
const INTERNATIONAL_TEMPLATE_TYPE = 3;

/** A number written as international (`+1`, `001`) whose form on the wire is also a mainland mobile number. */
export function readsAsMainland(region: PhoneRegion, phone: string): boolean {
  return region === 'international' && MAINLAND.test(phone);
}

const SAME_DIGITS = 'is a US/Canada (+1) number that Dysmsapi gets as the 11 digits of a Chinese mainland mobile number: under a mainland template it would reach a person in China';

/**
 * Why a valid number may not be sent with this template, or undefined when it may. `rules`
 * undefined: the template is not known (the producer has no catalog, or the look-up got no
 * answer), so only a number that reads the same either way may go. Takes the number's parts, not
 * an object: a campaign asks it for every row.
 */
export function regionRefusal(rules: Pick<TemplateRules, 'templateCode' | 'templateType'> | undefined, region: PhoneRegion, phone: string): string | undefined {
  if (rules === undefined) {
    if (!readsAsMainland(region, phone)) return undefined;
    return `${SAME_DIGITS}, and the template's type is not known here (the producer has no catalog, or the template look-up got no answer). Fix: let the door check the template: give the producer a catalog (createCatalogLookup; smsq send, campaign and server have one: send again once the look-up answers) and send +1 numbers with an international template (type 3)`;
  }
  const mismatch = regionMismatch(rules, region);
  if (mismatch !== undefined || !readsAsMainland(region, phone) || rules.templateType === INTERNATIONAL_TEMPLATE_TYPE) return mismatch;
  return `${SAME_DIGITS}, and ${rules.templateCode} is ${templateTypeName(rules.templateType)}, not international. Fix: send +1 numbers with an international template (type 3; see \`smsq templates\`)`;
}
