/**
 * A value as JSON with no backtick in it: each written as the escape `\u0060`, which JSON.parse
 * reads back as the backtick. Messages name settings and calls in backticks (src/setting-mention.ts),
 * and the CLI and the server rewrite those in their own terms; a caller's text quoted this way (a
 * cell, a param, a cancel reason) holds none for them to read as a mention and rewrite. Here, under
 * every layer, so that this boundary's own messages can quote what they were given the same way.
 */
export function backtickFreeJson(value: unknown): string {
  return JSON.stringify(value).replaceAll('`', '\\u0060');
}
