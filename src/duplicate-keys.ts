/**
 * A JSON body that gives one key twice in an object. JSON.parse keeps the last, so
 * `{"phones":["A"], ..., "phones":["B"]}` sent to B alone and the first list was dropped without a
 * word; the CLI refuses a flag given twice for the same reason.
 */

/** The first key given twice in an object of `text` (valid JSON), as its path of keys; undefined when none is. */
export function firstRepeatedKey(text: string): string | undefined {
  // One entry per open object or array: the keys seen (objects) or null (arrays), and the path to it.
  const open: { keys: Set<string> | null; path: string }[] = [];
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
      // An array's items are named by the array's key: `messages.phone`, not an index.
      const path = parent === undefined ? '' : parent.keys ? lastKey : parent.path;
      open.push({ keys: c === '{' ? new Set() : null, path });
    } else if (c === '}' || c === ']') {
      open.pop();
    }
  }
  return undefined;
}
