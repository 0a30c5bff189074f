/**
 * A JSON body that gives one key twice in an object. JSON.parse keeps the last, so
 * `{"phones":["A"], ..., "phones":["B"]}` sent to B alone and the first list was dropped without a
 * word; the CLI refuses a flag given twice for the same reason.
 *
 * The same pass measures how deep the text nests, before anything parses it: a 1 MiB body of
 * 524,000 lists one inside the other cost JSON.parse and this walk about a second each on the
 * server, holding every other request, while no request of smsq's nests more than 4 deep.
 */

/**
 * How many keys given twice a reading names: a body that repeats a thousand is told the first ten,
 * enough to see the pattern, in a bounded answer.
 */
export const MAX_REPEATED_NAMED = 10;

/** What one reading of a JSON text found: each as a path, keys and an array's items by their index from 0. */
export interface JsonTextScan {
  /**
   * Every key given twice, in the order met, each path once, up to {@link MAX_REPEATED_NAMED}: one
   * named alone, its fix made, came back refused for the next (`signName`, then `templateParam.code`).
   */
  repeatedKeys?: string[];
  /** The first object or list nested deeper than the `maxDepth` asked (the top value is at depth 1); the reading stops there. */
  tooDeep?: string;
}

/**
 * A key's text with its escapes read. The scan runs before the body is parsed, so an escape JSON
 * does not know (`"a\\q"`) is the parser's to refuse, with its words: here it stays as written.
 */
function unescapedKey(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}

/**
 * Reads `text` (JSON, or text about to be parsed as JSON) for a key given twice and for nesting
 * deeper than `maxDepth`, naming what it found by its path (`messages[1].phone`, `[0].name` in a
 * list at the top, '' for the top value itself). It stops at the first level too deep, so a
 * body far too deep costs as much as its first `maxDepth` levels. Of text that is not JSON, only
 * `tooDeep` means anything.
 */
export function scanJsonText(text: string, maxDepth = Number.POSITIVE_INFINITY): JsonTextScan {
  // One entry per open object or array: the keys seen (objects) or null (arrays), the path to it,
  // and for an array the index of the item being read (its commas so far: those inside strings are skipped with them).
  const open: { keys: Set<string> | null; path: string; index: number }[] = [];
  let lastKey = '';
  const repeatedKeys: string[] = [];
  const found = (): JsonTextScan => (repeatedKeys.length === 0 ? {} : { repeatedKeys });
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = open[open.length - 1];
      let next = end + 1;
      while (next < text.length && (text[next] === ' ' || text[next] === '\n' || text[next] === '\r' || text[next] === '\t')) next++;
      if (top?.keys && text[next] === ':') {
        // Unescaped keys (nearly all) are their text; a campaign body holds a million of them.
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? unescapedKey(text.slice(i, end + 1)) : raw;
        const path = top.path ? `${top.path}.${key}` : key;
        if (top.keys.has(key) && repeatedKeys.length < MAX_REPEATED_NAMED && !repeatedKeys.includes(path)) {
          repeatedKeys.push(path);
          // Nothing deeper to look for: as many as are named are found.
          if (maxDepth === Number.POSITIVE_INFINITY && repeatedKeys.length === MAX_REPEATED_NAMED) return found();
        }
        top.keys.add(key);
        lastKey = path;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      const parent = open[open.length - 1];
      const path = parent === undefined ? '' : parent.keys ? lastKey : `${parent.path}[${parent.index}]`;
      if (open.length >= maxDepth) return { ...found(), tooDeep: path };
      open.push({ keys: c === '{' ? new Set() : null, path, index: 0 });
    } else if (c === '}' || c === ']') {
      open.pop();
    } else if (c === ',') {
      const top = open[open.length - 1];
      if (top !== undefined && top.keys === null) top.index++;
    }
  }
  return found();
}

/**
 * The keys given twice in the objects of `text` (valid JSON), as their paths, up to
 * {@link MAX_REPEATED_NAMED} ({@link scanJsonText}); empty when none is.
 */
export function repeatedKeysOf(text: string): string[] {
  return scanJsonText(text).repeatedKeys ?? [];
}
