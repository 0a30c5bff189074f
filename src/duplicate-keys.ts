/**
 * A JSON body that gives one key twice in an object. JSON.parse keeps the last, so
 * `{"phones":["A"], ..., "phones":["B"]}` sent to B alone and the first list was dropped without a
 * word; the CLI refuses a flag given twice for the same reason.
 */

/**
 * The first key given twice in an object of `text` (valid JSON), as its path: keys, and an array's
 * items by their index from 0 (`messages[1].phone`, `[0].name` in a list at the top), as refusals
 * name fields; undefined when none is.
 */
export function firstRepeatedKey(text: string): string | undefined {
  // One entry per open object or array: the keys seen (objects) or null (arrays), the path to it,
  // and for an array the index of the item being read (its commas so far: those inside strings are skipped with them).
  const open: { keys: Set<string> | null; path: string; index: number }[] = [];
  let lastKey = '';
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
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        const path = top.path ? `${top.path}.${key}` : key;
        if (top.keys.has(key)) return path;
        top.keys.add(key);
        lastKey = path;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      const parent = open[open.length - 1];
      const path = parent === undefined ? '' : parent.keys ? lastKey : `${parent.path}[${parent.index}]`;
      open.push({ keys: c === '{' ? new Set() : null, path, index: 0 });
    } else if (c === '}' || c === ']') {
      open.pop();
    } else if (c === ',') {
      const top = open[open.length - 1];
      if (top !== undefined && top.keys === null) top.index++;
    }
  }
  return undefined;
}
