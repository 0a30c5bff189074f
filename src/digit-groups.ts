/**
 * `n` with its digits in groups of three (`65,536`), as `n.toLocaleString('en-US')` writes it, for
 * counts in messages. Whole numbers are written here without Intl: the first toLocaleString of a
 * process sets up ICU's number formatting, about 8 MB of resident memory that a producer keeps
 * for good (docs/benchmarks.md, "Session 22: producer memory"). Anything else goes to
 * toLocaleString.
 */
export function groupDigits(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US');
  const digits = String(Math.abs(n));
  const head = digits.length % 3 || 3;
  let out = digits.slice(0, head);
  for (let at = head; at < digits.length; at += 3) out += `,${digits.slice(at, at + 3)}`;
  return n < 0 ? `-${out}` : out;
}
