/**
 * Why a JSON body was refused, in words a caller can act on. fastify's parser answers every
 * refusal "Body is not valid JSON but content-type is set to 'application/json'": a trailing
 * comma and a `__proto__` key (valid JSON, refused against prototype pollution) alike, with no
 * place and no fix.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError, type FieldIssue } from '../src/errors.js';
import { maskPhonesInText } from '../src/sms/phone-mask.js';
import { scanJsonText } from '../src/duplicate-keys.js';

/**
 * How deep a JSON body may nest (the top value is level 1). The deepest request smsq takes is 4
 * ({@link DEEPEST_REQUEST}); the margin leaves room for Bull Board's job data and options, read by
 * the same parser, and costs nothing: what makes a deep body dear is depth in the hundreds of
 * thousands, which a 1 MiB body can hold.
 */
export const MAX_JSON_DEPTH = 32;

/** A batch's or a campaign's params: `{"messages":[{"templateParam":{...}}]}`. */
const DEEPEST_REQUEST = 4;

/** What a value nested too deep is told, in a body or a query parameter holding JSON. */
export const TOO_DEEP = `is nested more than ${MAX_JSON_DEPTH} levels deep (objects and lists within each other): no smsq request nests more than ${DEEPEST_REQUEST}`;

/** A path through a body, shortened to its end: one nested thousands deep is as long as the body. */
const pathEnd = (path: string) => (path.length > 200 ? `…${path.slice(-200)}` : path);

/**
 * The issue of a JSON text nested deeper than {@link MAX_JSON_DEPTH}, named where it got too deep
 * (`phones[0][0]…`; a list at the top as `(body)[0]…`).
 */
export function tooDeepIssue(path: string): FieldIssue {
  return {
    field: maskPhonesInText(pathEnd(path === '' || path.startsWith('[') ? `(body)${path}` : path)),
    message: `${TOO_DEEP}. Fix: send the body as /openapi.json describes it (phones: a list of strings; templateParam: one object of strings)`,
  };
}

/**
 * fastify's default JSON parser, its refusals said with the place or the key (a ValidationError),
 * behind a depth limit read from the text before it is parsed; with `refuseRepeatedKeys`, a key
 * given twice in one object is refused too.
 */
export function explainedJsonParser(app: FastifyInstance, options: { refuseRepeatedKeys?: boolean } = {}) {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void): void => {
    // JSON.parse and the walk for keys given twice each cost about a second on a body 524,000
    // lists deep, while every other request waited; this scan stops at the first level too deep.
    const scan = scanJsonText(body, MAX_JSON_DEPTH);
    if (scan.tooDeep !== undefined) return done(new ValidationError([tooDeepIssue(scan.tooDeep)]));
    parse(request, body, (err, parsed) => {
      if (err && (err as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY') return done(new ValidationError([jsonBodyIssue(body)]));
      if (err) return done(err);
      if (options.refuseRepeatedKeys && scan.repeatedKeys !== undefined) {
        return done(new ValidationError(scan.repeatedKeys.map((field) => ({ field, message: 'is given twice in the body; JSON keeps the last, so the first would be dropped. Fix: give it once' }))));
      }
      done(null, parsed);
    });
  };
}

/** The issue of a body fastify's parser refused: where its syntax breaks, or the key it may not hold. */
export function jsonBodyIssue(text: string): FieldIssue {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    // V8 quotes the text around the fault ('..."00138000",]..."'): numbers stay out of errors.
    const said = (err as Error).message.replace(/,\s*(?:\.\.\.)?".*$/s, '');
    return { field: '(body)', message: `is not valid JSON: ${maskPhonesInText(said)}. Fix: correct the JSON there (a comma before ] or }, single quotes and keys without quotes are not JSON)` };
  }
  const path = prototypeKey(value);
  return {
    field: path === undefined ? '(body)' : pathEnd(path),
    message: path === undefined ? 'is not valid JSON. Fix: send one JSON value' : 'is refused in any JSON body: a key that reaches an object\'s prototype (__proto__, or constructor holding prototype), which no request has. Fix: remove it',
  };
}

/**
 * The path of the first `__proto__` key, or `constructor` key holding `prototype`, as fields are
 * named. Walked with a stack of its own: a body nested 140,000 deep (under the 1 MiB limit)
 * overflowed the call stack of a recursive walk, a 500.
 */
export function prototypeKey(root: unknown): string | undefined {
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length > 0) {
    const [value, path] = stack.pop() as [unknown, string];
    if (value === null || typeof value !== 'object') continue;
    const children: [unknown, string][] = [];
    if (Array.isArray(value)) {
      value.forEach((item, i) => children.push([item, `${path}[${i}]`]));
    } else {
      for (const key of Object.keys(value)) {
        const at = path ? `${path}.${key}` : key;
        const inner = (value as Record<string, unknown>)[key];
        if (key === '__proto__' || (key === 'constructor' && inner !== null && typeof inner === 'object' && Object.hasOwn(inner, 'prototype'))) return at;
        children.push([inner, at]);
      }
    }
    // In document order: the first child is taken next.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as [unknown, string]);
  }
  return undefined;
}
