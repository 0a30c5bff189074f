/**
 * Why a JSON body was refused, in words a caller can act on. fastify's parser answers every
 * refusal "Body is not valid JSON but content-type is set to 'application/json'": a trailing
 * comma and a `__proto__` key (valid JSON, refused against prototype pollution) alike, with no
 * place and no fix.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError, type FieldIssue } from '../src/errors.js';
import { maskPhonesInText } from '../src/sms/phone-mask.js';

/** fastify's default JSON parser, its refusals said with the place or the key (a ValidationError). */
export function explainedJsonParser(app: FastifyInstance) {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void): void => {
    parse(request, body, (err, parsed) => {
      if (err && (err as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY') return done(new ValidationError([jsonBodyIssue(body)]));
      done(err, parsed);
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
    // The key's end: a path through a body nested thousands deep is as long as the body.
    field: path === undefined ? '(body)' : path.length > 200 ? `…${path.slice(-200)}` : path,
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
