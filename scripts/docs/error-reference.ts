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

/** Each class: what the worker does, how a command that gets it exits, and the codes of the table in it. */
export function renderErrorClasses(): string {
  const rows = (Object.keys(ERROR_CLASS_HANDLING) as ErrorClass[]).map((errorClass) => [
    code(errorClass),
    ERROR_CLASS_HANDLING[errorClass],
    String(errorClass === 'accepted' ? EXIT.ok : exitCodeOfSmsError({ errorClass })),
    codesOf(errorClass).join(', '),
  ]);
  return markdownTable(['Class', 'What the worker does', 'CLI exit code', 'Codes'], rows);
}

/** Every code of the table with its meaning and action. */
export function renderSmsErrorCodes(): string {
  const rows = Object.entries(ERROR_CODES).map(([name, info]) => [
    code(name) + (info.aliases?.length ? ` (also ${info.aliases.map(code).join(', ')})` : ''),
    code(info.errorClass),
    info.meaning,
    info.action,
    info.source,
  ]);
  return markdownTable(['Code', 'Class', 'Meaning', 'What to do', 'Source'], rows);
}

/** The rules for codes, in the order they are tried. */
export function renderClassificationRules(): string {
  const rows = CLASSIFICATION_DEFAULTS.map((rule, i) => [String(i + 1), rule.rule, rule.errorClass === 'from the table' ? 'from the table' : code(rule.errorClass), rule.why]);
  return markdownTable(['#', 'When', 'Class', 'Why'], rows);
}
