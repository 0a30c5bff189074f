/**
 * What Dysmsapi accepts in a template's variables and numbers, checked before anything is enqueued
 * so that a request the API would refuse is refused at the door instead of failing in the worker.
 * Alibaba's published rules (help.aliyun.com: "申请短信模板", "TemplateRule&TemplateContent参数填写示例",
 * the verification / notification template specifications):
 *
 * - every variable value is 1–35 characters (`isv.PARAM_LENGTH_LIMIT`);
 * - a verification-code variable (`numberCaptcha`: digits only; `characterWithNumber2`: letters and
 *   digits) is 4–6 characters;
 * - a phone-number variable (`phone_number2`) is a mainland mobile (11 digits, first 1) or a fixed
 *   line of digits and dashes, at most 15 characters;
 * - links are not allowed inside variables, only fixed in the template (`isv.PARAM_NOT_SUPPORT_URL`);
 * - the whole message, signature and variables included, is at most 500 characters;
 * - a number outside the Chinese mainland needs an international / HK-Macao-Taiwan template
 *   (TemplateType 3), a mainland number a domestic one (0 verification, 1 notification, 2 marketing).
 *
 * Variable attributes come from GetSmsTemplate's `VariableAttribute` when the account returns it;
 * without it, a verification template's only variable is taken to be the code.
 */
import { firstCodePoint } from './code-points.js';
// Where the door's other checks (producers/schemas.ts) have long taken it from.
export { firstCodePoint } from './code-points.js';
import { NOT_ASCII, type PhoneRegion } from './phone.js';
import { countSegments, MAX_CHARS, renderContent } from './segments.js';

/** Longest value of one variable (characters). */
export const MAX_VARIABLE_CHARS = 35;

/** The facts about a template that its params and numbers are checked against. */
export interface TemplateRules {
  templateCode: string;
  /** 0 verification, 1 notification, 2 marketing, 3 international / HK-Macao-Taiwan, 7 digital. */
  templateType: number;
  content: string;
  /** Variable name → attribute (`numberCaptcha`, `characterWithNumber2`, `phone_number2`, `money`, ...). */
  variableAttributes: Readonly<Record<string, string>>;
}

/** One value the API would refuse; `field` names the variable (`templateParam.code`). */
export interface ParamValueIssue {
  field: string;
  /** The Dysmsapi code the API would answer. */
  apiCode: 'isv.PARAM_LENGTH_LIMIT' | 'isv.PARAM_NOT_SUPPORT_URL' | 'isv.INVALID_PARAMETERS';
  message: string;
}

// Read after NFKC (full-width letters, digits, `：` and `／` become ASCII) and with `。` as a dot:
// a scheme, `www.`, an IPv4 address with a port or a path, or a host with a common top-level
// domain (then an optional country code) at the end, before a space or before a path. Suffixes that
// are also words of names (`Co.Ltd`, `Sr.Dev`, `Hi.Tech`, `Golf.Club`) count only before a path or
// a port, and a bare two-letter country code only in lower case before a path (`bit.ly/x`, not
// `Mr.Li/Ms.Wang`).
const WORD_TLDS = 'com|cn|net|org|top|xyz|cc|vip|io|me|info|link|shop|site';
const PATH_TLDS = 'ly|co|tv|hk|tw|mo|app|dev|so|club|online|store|tech|ltd|biz|asia|mobi|icu|cloud|xin';
const HOST = String.raw`\b[a-z0-9-]+(?:\.[a-z0-9-]+)*`;
const LINK = new RegExp(
  [
    String.raw`[a-z][a-z0-9+.-]*:\/\/`,
    String.raw`www\.`,
    String.raw`\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+|\/[a-z])`,
    String.raw`${HOST}\.(?:${WORD_TLDS})(?:\.[a-z]{2})?(?:[/?#:]|\s|$)`,
    String.raw`${HOST}\.(?:${PATH_TLDS})(?:\.[a-z]{2})?(?:[/?#]|:\d)`,
  ].join('|'),
  'i',
);
const SHORT_LINK = /\b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[a-z]{2}\//;
/** The characters without which a value holds no link: the check is skipped for the rest. */
const MAY_LINK = /[.:/。．：／]/;
/** Whether a value holds a link, as Dysmsapi would refuse it. */
function holdsLink(value: string): boolean {
  if (!MAY_LINK.test(value)) return false;
  const read = (NOT_ASCII.test(value) ? value.normalize('NFKC') : value).replace(/[。．]/g, '.');
  return LINK.test(read) || SHORT_LINK.test(read);
}
// C0 controls but the tab, the newline and the carriage return, DEL, NEL, the soft hyphen, the
// zero-width space, word joiner and BOM (a value of them looks empty; inside a link they hide it),
// the line and paragraph separators, and the marks that reorder what the person reads (the bidi
// overrides, isolates and marks: U+202E turns an amount or a link around). Not U+200D: emoji
// sequences are joined by it.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
export const HIDDEN_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u0085\u00AD\u061C\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/u;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * The first character of a name (a signature's, a send's, a company's) that no name has: a
 * {@link HIDDEN_CHARACTER} or any control, tab and newline included; as {@link firstCodePoint}
 * names it, undefined when none. It comes with a name pasted from elsewhere, and the name looked
 * up with it is one nobody has.
 */
export function invisibleInName(name: string): string | undefined {
  return firstCodePoint(name, HIDDEN_CHARACTER) ?? firstCodePoint(name, CONTROL);
}
/**
 * A character that shows as blank space or as nothing: white space, the default-ignorable code
 * points (the Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, U+180E, the zero-width characters,
 * variation selectors), a nonspacing mark (which has nothing to sit on alone), a control, and
 * U+2800 BRAILLE PATTERN BLANK. String.prototype.trim() removes only the white space among them,
 * so a value of the others passed as filled and the person read a gap.
 */
const SHOWS_AS_BLANK = /[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Mn}\p{Cc}\u2800]/u;
const ALL_SHOW_AS_BLANK = new RegExp(`^(?:${SHOWS_AS_BLANK.source})+$`, 'u');
/**
 * The first character of a value that looks blank although trim() leaves something (U+3164, say),
 * or undefined when the value has a visible character or trim() leaves nothing. Among visible
 * characters these are fine (an emoji sequence is joined by U+200D, an accent is a mark).
 */
export function blankLookingCodePoint(value: string): string | undefined {
  const rest = value.trim();
  return rest !== '' && ALL_SHOW_AS_BLANK.test(rest) ? firstCodePoint(rest, SHOWS_AS_BLANK) : undefined;
}
/**
 * Half of a character: a UTF-16 surrogate without its other half (with the `u` flag only an
 * unpaired one matches). JSON lets a body carry one (`"\ud800"`) and a damaged UTF-16 file gives
 * one; the SDK cannot put it in a request (encodeURIComponent throws), and JSON.stringify sends it
 * to Alibaba escaped, a character no handset shows.
 */
export const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/** What is said of a value holding {@link LONE_SURROGATE} (`codePoint`: `U+D800`), before its fix. */
export function halfCharacter(codePoint: string): string {
  return `holds ${codePoint}, half of a character (a UTF-16 surrogate without its other half, what a JSON "\\ud800" escape or a damaged UTF-16 file gives), which no message can carry`;
}
// What a decoder puts for bytes that were not text in its encoding: the value was sent in another.
const NOT_DECODED = '\uFFFD';
const NUMBER_CAPTCHA = /^\d{4,6}$/;
const CHARACTER_CAPTCHA = /^[A-Za-z0-9]{4,6}$/;
const PHONE_VALUE = /^(?:1\d{10}|[\d-]{5,15})$/;

const TEMPLATE_TYPE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'verification',
  1: 'notification',
  2: 'marketing',
  3: 'international / HK-Macao-Taiwan',
  7: 'digital',
});

export function templateTypeName(type: number): string {
  return `${TEMPLATE_TYPE_NAMES[type] ?? 'unknown'} (type ${type})`;
}

/** Marketing templates' type: their sends keep the quiet hours and the opt-out list, so they go as kind `marketing`. */
export const MARKETING_TEMPLATE_TYPE = 2;
/** Verification templates' type: their codes are wanted now, so they never go as kind `marketing`. */
export const VERIFICATION_TEMPLATE_TYPE = 0;
/** Notification templates' type: batched by the thousand, so they never go as kind `verification`. */
export const NOTIFICATION_TEMPLATE_TYPE = 1;

/**
 * What is wrong with a code: the first character it may not hold (a full-width digit named as
 * such), else its length. "got 6 character(s)" said nothing of `１２３４５６` or `12 34`.
 */
function codeProblem(value: string, allowed: RegExp): string {
  const bad = [...value].find((c) => !allowed.test(c));
  if (bad === undefined) return `${[...value].length} character(s)`;
  const ascii = bad.normalize('NFKC');
  const shown = bad === ' ' ? 'a space' : `"${bad}"`;
  return `${shown}${ascii !== bad && allowed.test(ascii) ? ` (a full-width "${ascii}": write it as ${ascii})` : ''}, which a code may not hold`;
}

/** The attribute a variable is checked as: the account's, or the code of a one-variable verification template. */
function attributeOf(rules: TemplateRules, name: string, vars: readonly string[]): string | undefined {
  const declared = rules.variableAttributes[name];
  if (declared) return declared;
  if (rules.templateType === 0 && vars.length === 1) return 'characterWithNumber2';
  return undefined;
}

function isCaptcha(attribute: string | undefined): 'digits' | 'alnum' | undefined {
  if (attribute === undefined) return undefined;
  if (/^numberCaptcha/i.test(attribute)) return 'digits';
  if (/^characterWithNumber/i.test(attribute)) return 'alnum';
  return undefined;
}

/**
 * Checks param values against the template's variable rules and the 500-character limit of the
 * whole message (with `signName`). Missing or non-string params are {@link checkTemplateParams}'s
 * business; this looks only at string values of the template's own variables.
 */
export function checkParamValues(
  rules: TemplateRules,
  vars: readonly string[],
  params: Readonly<Record<string, unknown>> | undefined,
  signName: string,
  field = 'templateParam',
): ParamValueIssue[] {
  if (!params) return [];
  const issues: ParamValueIssue[] = [];
  for (const name of vars) {
    const value = params[name];
    if (typeof value !== 'string') continue;
    const at = `${field}.${name}`;
    const chars = [...value].length;
    if (value.includes(NOT_DECODED)) {
      issues.push({
        field: at,
        apiCode: 'isv.INVALID_PARAMETERS',
        message: `holds U+FFFD, the mark of bytes that were not UTF-8 (the request was written in another encoding, GBK say): the message would show �. Fix: send the request in UTF-8`,
      });
      continue;
    }
    if (value.trim() === '') {
      issues.push({
        field: at,
        apiCode: 'isv.PARAM_LENGTH_LIMIT',
        message: `is ${value === '' ? 'empty' : 'blank (white space only)'}: a variable holds 1-${MAX_VARIABLE_CHARS} characters, and the message would read with a gap where \${${name}} is. Fix: give ${name} a value`,
      });
      continue;
    }
    // Before the hidden characters: a value of nothing but U+200B wants a value, not the character removed.
    const blank = blankLookingCodePoint(value);
    if (blank !== undefined) {
      issues.push({
        field: at,
        apiCode: 'isv.INVALID_PARAMETERS',
        message: `is blank-looking: it has no visible character, only ones that show as blank space or as nothing (${blank} first), and the message would read with a gap where \${${name}} is. Fix: give ${name} a value`,
      });
      continue;
    }
    const half = firstCodePoint(value, LONE_SURROGATE);
    if (half !== undefined) {
      issues.push({ field: at, apiCode: 'isv.INVALID_PARAMETERS', message: `${halfCharacter(half)}. Fix: give ${name} whole characters (in UTF-8)` });
      continue;
    }
    const codePoint = firstCodePoint(value, HIDDEN_CHARACTER);
    if (codePoint !== undefined) {
      issues.push({
        field: at,
        apiCode: 'isv.INVALID_PARAMETERS',
        message: `holds the invisible character ${codePoint} (a control or text-direction character: it shows as nothing, or reorders what the person reads). Fix: remove it`,
      });
      continue;
    }
    if (holdsLink(value)) {
      issues.push({
        field: at,
        apiCode: 'isv.PARAM_NOT_SUPPORT_URL',
        message: `contains a link; Dysmsapi refuses links inside variables (isv.PARAM_NOT_SUPPORT_URL). Fix: put the link in the template's fixed text and apply for that template (see \`smsq templates\`)`,
      });
      continue;
    }
    const attribute = attributeOf(rules, name, vars);
    const captcha = isCaptcha(attribute);
    if (captcha === 'digits' && !NUMBER_CAPTCHA.test(value)) {
      issues.push({ field: at, apiCode: 'isv.PARAM_LENGTH_LIMIT', message: `must be a verification code of 4-6 digits (the template's ${name} is numberCaptcha), got ${codeProblem(value, /[0-9]/)}. Fix: e.g. "${name}":"123456"` });
    } else if (captcha === 'alnum' && !CHARACTER_CAPTCHA.test(value)) {
      issues.push({ field: at, apiCode: 'isv.PARAM_LENGTH_LIMIT', message: `must be a verification code of 4-6 letters or digits, got ${codeProblem(value, /[A-Za-z0-9]/)}. Fix: e.g. "${name}":"123456"` });
    } else if (/^phone/i.test(attribute ?? '') && !PHONE_VALUE.test(value)) {
      issues.push({ field: at, apiCode: 'isv.INVALID_PARAMETERS', message: `must be a phone number (a mainland mobile, or digits and dashes, at most 15 characters), got ${chars} character(s). Fix: e.g. "${name}":"400-123-1234"` });
    } else if (chars > MAX_VARIABLE_CHARS) {
      issues.push({ field: at, apiCode: 'isv.PARAM_LENGTH_LIMIT', message: `is ${chars} characters; a variable holds at most ${MAX_VARIABLE_CHARS} (isv.PARAM_LENGTH_LIMIT). Fix: shorten it, or move the fixed part into the template` });
    }
  }
  if (issues.length === 0) {
    const text = renderContent(signName, rules.content, params as Record<string, string>);
    const { chars } = countSegments(text);
    if (chars > MAX_CHARS) {
      issues.push({ field, apiCode: 'isv.PARAM_LENGTH_LIMIT', message: `makes a message of ${chars} characters with the signature; Dysmsapi accepts at most ${MAX_CHARS}. Fix: shorten the values` });
    }
  }
  return issues;
}

/** Why a number cannot be sent with this template, or undefined when its region fits. */
export function regionMismatch(rules: Pick<TemplateRules, 'templateCode' | 'templateType'>, region: PhoneRegion): string | undefined {
  const international = rules.templateType === 3;
  if (region === 'mainland' && international) {
    return `a Chinese mainland number needs a domestic template; ${rules.templateCode} is ${templateTypeName(3)}. Fix: send mainland numbers with a verification, notification or marketing template (see \`smsq templates\`); a US/Canada number is written with its +1`;
  }
  if (region === 'international' && !international && rules.templateType !== 7) {
    return `a number outside the Chinese mainland needs an international / HK-Macao-Taiwan template (type 3); ${rules.templateCode} is ${templateTypeName(rules.templateType)}. Fix: send it with a type 3 template (see \`smsq templates\`)`;
  }
  return undefined;
}
