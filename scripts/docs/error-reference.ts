/**
 * The error reference of docs/errors.md, drawn from the two code tables: smsq's own codes
 * (`SMSQ_CODES` in src/errors.ts) and Dysmsapi's (`ERROR_CODES`, `ERROR_CLASS_HANDLING` and
 * `CLASSIFICATION_DEFAULTS` in src/sms/error-codes.ts).
 */
import { exitCodeOfSmsError } from '../../cli/errors.js';
import { EXIT, SMSQ_CODES } from '../../src/errors.js';
import { CLASSIFICATION_DEFAULTS, ERROR_CLASS_HANDLING, ERROR_CODES, type ErrorClass } from '../../src/sms/error-codes.js';
import { code, markdownTable } from './markdown.js';

/** `SMSQ_*` codes answered to a caller: HTTP status and exit code. */
export function renderAnsweredCodes(): string {
  const rows = Object.entries(SMSQ_CODES)
    .filter(([, info]) => info.httpStatus !== undefined)
    .map(([name, info]) => [code(name), info.meaning, String(info.httpStatus), String(info.exitCode)]);
  return markdownTable(['Code', 'Meaning', 'HTTP', 'Exit code'], rows);
}

/** `SMSQ_*` codes recorded on chunks and recipients. */
export function renderRecordedCodes(): string {
  const rows = Object.entries(SMSQ_CODES)
    .filter(([, info]) => info.httpStatus === undefined)
    .map(([name, info]) => [code(name), info.meaning]);
  return markdownTable(['Code', 'Meaning'], rows);
}

const codesOf = (errorClass: ErrorClass) =>
  Object.entries(ERROR_CODES)
    .filter(([, info]) => info.errorClass === errorClass)
    .map(([name]) => code(name));

/** How a command that gets the class exits, with the codes of the class that exit otherwise (Dysmsapi not reached). */
function exitOf(errorClass: ErrorClass): string {
  if (errorClass === 'accepted') return String(EXIT.ok);
  const exit = exitCodeOfSmsError({ errorClass });
  const byExit = new Map<number, string[]>();
  for (const [name, info] of Object.entries(ERROR_CODES)) {
    const other = exitCodeOfSmsError({ errorClass, code: name });
    if (info.errorClass === errorClass && other !== exit) byExit.set(other, [...(byExit.get(other) ?? []), code(name)]);
  }
  return [String(exit), ...[...byExit].map(([other, names]) => `(${other} for ${names.join(', ')}: Dysmsapi not reached)`)].join(' ');
}

/** Each class: what the worker does, how a command that gets it exits, and the codes of the table in it. */
export function renderErrorClasses(): string {
  const rows = (Object.keys(ERROR_CLASS_HANDLING) as ErrorClass[]).map((errorClass) => [code(errorClass), ERROR_CLASS_HANDLING[errorClass], exitOf(errorClass), codesOf(errorClass).join(', ')]);
  return markdownTable(['Class', 'What the worker does', 'CLI exit code', 'Codes'], rows);
}

/** A look-up's own words beside a send's, where the table has them. */
const forLookUps = (words: string | undefined) => (words === undefined ? '' : ` *A look-up or account call:* ${words}`);

/** Every code of the table with its meaning and action (and a look-up's, where they differ). */
export function renderSmsErrorCodes(): string {
  const rows = Object.entries(ERROR_CODES).map(([name, info]) => [
    code(name) + (info.aliases?.length ? ` (also ${info.aliases.map(code).join(', ')})` : ''),
    code(info.errorClass),
    info.meaning + forLookUps(info.queryMeaning),
    info.action + forLookUps(info.queryAction),
    info.source,
  ]);
  return markdownTable(['Code', 'Class', 'Meaning', 'What to do', 'Source'], rows);
}

/** The rules for codes, in the order they are tried. */
export function renderClassificationRules(): string {
  const rows = CLASSIFICATION_DEFAULTS.map((rule, i) => [String(i + 1), rule.rule, rule.errorClass === 'from the table' ? 'from the table' : code(rule.errorClass), rule.why]);
  return markdownTable(['#', 'When', 'Class', 'Why'], rows);
}
