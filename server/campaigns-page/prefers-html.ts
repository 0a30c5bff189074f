/**
 * Whether a request to the campaigns page wants its answer as a page: a browser following a link
 * to a send that is gone must see a page that says so (and leads back), not the API's JSON error;
 * a script (curl's `*∕*`, no Accept at all, or JSON asked first) keeps the JSON error it matches on.
 */

/** The quality each media range of an Accept header is given (`;q=`, default 1). */
function qualities(accept: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of accept.split(',')) {
    const [range, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (!range) continue;
    const q = params.find((p) => p.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    out.set(range, Math.max(out.get(range) ?? 0, Number.isFinite(value) ? value : 0));
  }
  return out;
}

/**
 * True when `accept` names HTML itself (`text/html` or `application/xhtml+xml`, not a wildcard) at
 * a quality above zero and no lower than JSON's.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const q = qualities(accept);
  const html = Math.max(q.get('text/html') ?? 0, q.get('application/xhtml+xml') ?? 0);
  return html > 0 && html >= (q.get('application/json') ?? 0);
}
