/**
 * Compares what a command printed with the output a page shows for it (docs/development.md, "Every
 * example runs"): log records dropped, spaces squeezed, values that change from run to run replaced
 * by placeholders on both sides, `...` as a wildcard.
 */

/** A send id as producers make them (`sm` + time + random), in any text. */
export const SEND_ID = /\bsm[0-9a-z]{17,23}\b/g;

const PLACEHOLDERS: readonly [RegExp, string][] = [
  [SEND_ID, '<send-id>'],
  [/\b[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\b/gi, '<request-id>'],
  [/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\b/g, '<time>'],
  // smsq's own times (src/china-time.ts): text, then JSON.
  [/\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+08:00/g, '<time>'],
  [/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?\+08:00/g, '<time>'],
  [/\b1[6-9]\d{11}\b/g, '<epoch-ms>'],
  [/\b\d+(\.\d+)? (s|ms)\b/g, '<duration>'],
  [/\b127\.0\.0\.1:\d{1,5}\b/g, '127.0.0.1:<port>'],
  [/"port":\d+/g, '"port":<port>'],
];

/** A log record (pino writes JSON lines to stderr when it is not a terminal). */
const isLogRecord = (line: string) => /^\{"level":\d+,/.test(line);

/** One line as compared: trailing spaces cut, runs of spaces squeezed, run-dependent values replaced. */
export function normaliseLine(line: string): string {
  let out = line.trimEnd().replace(/[ \t]+/g, ' ');
  for (const [pattern, placeholder] of PLACEHOLDERS) out = out.replace(pattern, placeholder);
  return out;
}

/** What a command printed, as compared: log records out, trailing blank lines out. */
export function printedLines(output: string): string[] {
  const lines = output.split('\n').filter((l) => !isLogRecord(l));
  while (lines.length > 0 && (lines[lines.length - 1] as string).trim() === '') lines.pop();
  return lines;
}

function lineMatches(expected: string, actual: string): boolean {
  if (!expected.includes('...')) return expected === actual;
  const pattern = expected.split('...').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${pattern}$`).test(actual);
}

/** True when `actual` fits `expected`, where a line `...` stands for any number of lines. */
export function outputMatches(expected: readonly string[], actual: readonly string[]): boolean {
  const exp = expected.map(normaliseLine);
  while (exp.length > 0 && exp[exp.length - 1] === '') exp.pop();
  const act = actual.map(normaliseLine);
  const memo = new Map<string, boolean>();
  const match = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === exp.length) result = j === act.length;
    else if (exp[i] === '...') result = match(i + 1, j) || (j < act.length && match(i, j + 1));
    else result = j < act.length && lineMatches(exp[i] as string, act[j] as string) && match(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return match(0, 0);
}

/** Pairs the send ids a page shows with those printed, in order of appearance. */
export function sendIdPairs(expected: readonly string[], actual: readonly string[]): [string, string][] {
  const shown = expected.join('\n').match(SEND_ID) ?? [];
  const printed = actual.join('\n').match(SEND_ID) ?? [];
  const pairs: [string, string][] = [];
  for (let i = 0; i < Math.min(shown.length, printed.length); i++) pairs.push([shown[i] as string, printed[i] as string]);
  return pairs;
}
