/**
 * `smsq send-batch` in its file's terms. The producer names a batch's messages as its request does
 * (`messages[3].phone`); the file has no `messages`, only its items or its lines and columns. One
 * convention for every refusal and every rejected entry of send-batch, whichever of its two
 * plannings (the plan it shows, then the one at enqueue) said it: a JSON file by the path of the
 * value from the file's top, counted from 0 as JSON paths are (`file[3].phone` in a list,
 * `file.messages[3].phone` in an object); a CSV file by its line and column (`file:4` as a
 * refusal's field, `line 4, column "phone"` in a text), as it has no messages, only lines and columns.
 */
import { ValidationError } from '../src/errors.js';
import { quoted } from '../src/setting-mention.js';
import { quoteExcerpt } from '../producers/text-excerpt.js';
import type { RejectedNumber } from '../producers/plan.js';

/** Where a file's messages are: a JSON list's items or an object's `messages`; a CSV file's lines. */
export type FilePlaces = { list: boolean; csv?: undefined } | { csv: CsvColumns; list?: undefined };

/**
 * Where a CSV file's messages came from: the line of each, its header's line, its param columns,
 * and its sign and extension-code columns, as the header spells them.
 */
export interface CsvColumns {
  lines: number[];
  headerField: string;
  paramColumns: readonly string[];
  signColumn: string;
  extendCodeColumn?: string;
}

/** send-batch's terms for what its producer says of a file's messages. */
export interface BatchFileTerms {
  /** A refusal (a ValidationError) in the file's terms; any other error as it is. */
  refusal(err: unknown): unknown;
  /** A plan's or an enqueue's rejected entries in the file's terms (a CSV's with their `line`). */
  rejected(rejected: readonly RejectedNumber[]): RejectedNumber[];
}

/** A message's field after `messages[i]`: `.phone`, `.templateParam.order`, ... */
const MESSAGE_REF = /\bmessages\[(\d+)\]((?:\.[\w$]+)*)/g;
const MESSAGE_FIELD = /^(?:\.(phone|signName|templateParam|smsUpExtendCode)(?:\.(.+))?)?$/;

export function batchFileTerms(places: FilePlaces): BatchFileTerms {
  const { csv } = places;
  const item = (index: number) => `${places.list ? 'file' : 'file.messages'}[${index}]`;
  /** The CSV column a message's field came from; undefined for the message as a whole, or a field no column gives. */
  const columnOf = (rest: string): string | undefined => {
    const [, part, name] = MESSAGE_FIELD.exec(rest) ?? [];
    if (csv === undefined || part === undefined) return undefined;
    return part === 'signName' ? csv.signColumn : part === 'smsUpExtendCode' ? csv.extendCodeColumn : part === 'phone' ? 'phone' : name;
  };
  /** `messages[i]` and its field in a text, as the file names that place. */
  const placeText = (index: number, rest: string): string => {
    const line = csv?.lines[index];
    if (csv === undefined) return `${item(index)}${rest}`;
    if (line === undefined) return `messages[${index}]${rest}`;
    const column = columnOf(rest);
    return column === undefined ? `line ${line}` : `line ${line}, column ${quoteExcerpt(column)}`;
  };
  const textInFileTerms = (text: string) => text.replace(MESSAGE_REF, (_, i: string, rest: string) => placeText(Number(i), rest));

  /**
   * A refusal of the CSV file's message `index` (`rest`: the part of the field after `messages[i]`)
   * as its line and column; a template variable no column gives, or a column that is no variable,
   * at the header line, with a fix about columns (the request's said `add "order":"..."`).
   */
  const inCsvTerms = (csv: CsvColumns, index: number, rest: string, message: string): { field: string; message: string } => {
    const line = csv.lines[index];
    const m = MESSAGE_FIELD.exec(rest);
    if (line === undefined || m === null) return { field: `messages[${index}]${rest}`, message };
    const [, part, name] = m;
    if (part === 'templateParam' && name !== undefined) {
      const header = csv.headerField;
      const missing = /^missing: the template uses (\$\{[^}]+\})(?: and "(.+)" was given)?/.exec(message);
      if (missing && !csv.paramColumns.includes(name)) {
        const [, variable, given] = missing;
        return given === undefined
          ? { field: header, message: `no column is named ${quoted(name)}: the template uses ${variable} (nothing was enqueued). Fix: add a column ${quoted(name)} with each message's value` }
          : { field: header, message: `no column is named ${quoted(name)}: the template uses ${variable}, and the header has ${quoteExcerpt(given)} (variable names must match exactly; nothing was enqueued). Fix: rename the column ${quoteExcerpt(given)} to ${quoted(name)}` };
      }
      const extra = /^is not a variable of the template \((.*)\)\. Fix: (.*)$/.exec(message);
      if (extra && csv.paramColumns.includes(name)) {
        const [, uses, fix] = extra as unknown as [string, string, string];
        const columnFix = fix.replace(/^remove it or check the spelling/, 'delete the column, or check its spelling').replace(/^rename it "/, 'rename the column "');
        return { field: header, message: `column ${quoteExcerpt(name)} is not a variable of the template (${uses}; nothing was enqueued). Fix: ${columnFix}` };
      }
    }
    const column = columnOf(rest);
    if (column === undefined) return { field: `file:${line}`, message };
    // A number's refusal starts with the number as given (`12345: a mainland ...`), a param's with what is wrong with it (`is blank-looking`).
    return { field: `file:${line}`, message: part === 'phone' ? `column "phone": ${message}` : `column ${quoteExcerpt(column)} ${message}` };
  };

  return {
    refusal(err) {
      if (!(err instanceof ValidationError)) return err;
      const seen = new Set<string>();
      const issues: { field: string; message: string }[] = [];
      for (const issue of err.issues) {
        const m = /^messages\[(\d+)\](.*)$/.exec(issue.field);
        const message = textInFileTerms(issue.message);
        let inFile: { field: string; message: string };
        // The list as a whole (no valid number in it): the file, or its `messages`.
        if (issue.field === 'messages') inFile = { field: csv === undefined && !places.list ? 'file.messages' : 'file', message };
        else if (m === null) inFile = { ...issue, message };
        else if (csv === undefined) inFile = { field: `${item(Number(m[1]))}${m[2]}`, message };
        else inFile = inCsvTerms(csv, Number(m[1]), m[2] as string, message);
        // A column's fault is said once, at the header, however many lines share it.
        const key = `${inFile.field}\n${inFile.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        issues.push(inFile);
      }
      return new ValidationError(issues);
    },
    rejected(rejected) {
      return rejected.map((r) => {
        const index = /^messages\[(\d+)\]/.exec(r.reason)?.[1];
        const line = index === undefined ? undefined : csv?.lines[Number(index)];
        return { ...r, reason: textInFileTerms(r.reason), ...(line === undefined ? {} : { line }) };
      });
    },
  };
}
