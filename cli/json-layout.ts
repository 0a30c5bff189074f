/**
 * How `--json` output is laid out on stdout: one pretty-printed document, or one compact line per
 * change (`status --watch --json`), read line by line (`jq -c`, `while read`). In a line mode the
 * error that ends the command is a line too: a document there put `{` alone on a line, unreadable
 * exactly when the reader had to understand the failure.
 */
export type JsonLayout = 'document' | 'line';

/** `--watch` with `--json` prints a line per change; every other `--json` one document. */
export function jsonLayoutOf(flags: { watch?: unknown }): JsonLayout {
  return flags.watch === true ? 'line' : 'document';
}

/** `value` as the JSON text of `layout`, without the newline. */
export function jsonText(value: unknown, layout: JsonLayout): string {
  return layout === 'line' ? JSON.stringify(value) : JSON.stringify(value, null, 2);
}
