/**
 * What a request's unknown field was probably meant to be. A misspelt field is refused rather
 * than dropped (a dropped `idempotency_key` made a retry send twice); the refusal is more use when
 * it names the field the caller meant.
 */
import type { z } from 'zod';
import { fieldIssuesNamingUnknownKeys, ValidationError } from './errors.js';

/** A name as compared: case, `_`, `-`, `.` and spaces left out (`idempotency_key` is `idempotencyKey`). */
const folded = (name: string) => name.toLowerCase().replace(/[\s._-]/g, '');

/** Edits (insert, delete, replace, swap two neighbours) between `a` and `b`; stops counting past `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] as number) + 1);
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The one name among `known` that `name` is most likely a misspelling of, or undefined when none
 * is close (or two are equally close): equal but for case and separators, or one edit away (two
 * for names of eight letters or more). Short names are never guessed at: `to` is not `tag`.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const wanted = folded(name);
  const same = known.filter((k) => folded(k) === wanted);
  if (same.length === 1) return same[0];
  if (wanted.length < 4) return undefined;
  const limit = wanted.length >= 8 ? 2 : 1;
  let best: string | undefined;
  let bestDistance = limit + 1;
  let tied = false;
  for (const k of known) {
    const d = editDistance(wanted, folded(k), limit);
    if (d < bestDistance) [best, bestDistance, tied] = [k, d, false];
    else if (d === bestDistance) tied = true;
  }
  return bestDistance <= limit && !tied ? best : undefined;
}

/** A name's words, folded: `templateParam` is `template`, `param`; `idempotency_key` is `idempotency`, `key`. */
const wordsOf = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s._-]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());

/** Fields of which a short name may stand for more than this many are not listed: it says too little. */
const MAX_NAMED = 3;

/**
 * The names among `known` that `name` was likely meant to be: the one {@link closestName} finds,
 * or else those of which `name` is a run of whole words (`sign` for signName, `param` for
 * templateParam, as the CLI's flags shorten them; `template` for both templateCode and
 * templateParam). Empty when none is, a name is short (under four letters), or it stands for more
 * than three.
 */
export function meantNames(name: string, known: readonly string[]): string[] {
  const closest = closestName(name, known);
  if (closest !== undefined) return [closest];
  if (folded(name).length < 4) return [];
  const wanted = wordsOf(name);
  if (wanted.length === 0) return [];
  const holding = known.filter((k) => {
    const words = wordsOf(k);
    for (let i = 0; i + wanted.length <= words.length; i++) if (wanted.every((w, j) => words[i + j] === w)) return true;
    return false;
  });
  return holding.length <= MAX_NAMED ? holding : [];
}

/** The zod definition fields walked by {@link fieldsAt}. */
interface WalkedDef {
  type: string;
  shape?: Record<string, unknown>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

type Def = WalkedDef;
const defOf = (s: z.ZodType | undefined) => (s as unknown as { _zod: { def: Def } } | undefined)?._zod.def;
/** `def` through optional and default values and pipes, to the type under them. */
function unwrapped(def: Def): Def {
  for (let inner = def.innerType ?? def.in; inner !== undefined; inner = def.innerType ?? def.in) {
    const next = defOf(inner);
    if (next === undefined) break;
    def = next;
  }
  return def;
}

/** The definition `schema` has at `path` (through lists and objects), not unwrapped; undefined where there is none. */
function defAt(schema: z.ZodType, path: readonly PropertyKey[]): Def | undefined {
  let def = defOf(schema);
  for (const step of path) {
    if (def === undefined) return undefined;
    const at = unwrapped(def);
    def = at.type === 'array' ? defOf(at.element) : at.type === 'object' && typeof step === 'string' ? defOf(at.shape?.[step] as z.ZodType | undefined) : undefined;
  }
  return def;
}

/**
 * The field names of the object `schema` expects at `path` (an unrecognized_keys issue's path):
 * through lists, optional and default values and pipes; empty where no object is.
 */
export function fieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const def = defAt(schema, path);
  const at = def === undefined ? undefined : unwrapped(def);
  return at?.type === 'object' ? Object.keys(at.shape ?? {}) : [];
}

/** Whether the field at `path` of `schema` may be left out (optional, or with a default). */
export function isOptionalAt(schema: z.ZodType, path: readonly PropertyKey[]): boolean {
  const type = defAt(schema, path)?.type;
  return type === 'optional' || type === 'default';
}

/**
 * What a field `what` does not have is told: the field it was likely meant to be, or the fields
 * there are. Dropped, it would change what is sent (a retry without its idempotency key).
 */
export function unknownFieldMessage(key: string, known: readonly string[], what: string): string {
  const meant = meantNames(key, known);
  if (meant.length > 0) return `is not a field of ${what}. Fix: write it as ${meant.join(' or ')} (field names must match exactly)`;
  return `is not a field of ${what}. Fix: remove it, or use one of its fields: ${known.join(', ')}`;
}

/**
 * `request` parsed by `schema`, or a ValidationError naming every bad field; a field the schema
 * does not have is named with the one it was likely meant to be (`what`: the request, for people).
 */
export function parseNamingUnknownFields<S extends z.ZodType>(schema: S, request: unknown, what: string): z.output<S> {
  const r = schema.safeParse(request);
  if (r.success) return r.data;
  throw new ValidationError(
    fieldIssuesNamingUnknownKeys(r.error.issues, (key, path) => unknownFieldMessage(key, fieldsAt(schema, path), path.length === 0 ? what : `an item of ${what}`), '', 'json', (path) => isOptionalAt(schema, path)),
  );
}
