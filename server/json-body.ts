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
  const path = prototypeKey(value, '');
  return {
    field: path ?? '(body)',
    message: path === undefined ? 'is not valid JSON. Fix: send one JSON value' : 'is refused in any JSON body: a key that reaches an object\'s prototype (__proto__, or constructor holding prototype), which no request has. Fix: remove it',
  };
}

/** The path of the first `__proto__` key, or `constructor` key holding `prototype`, as fields are named. */
function prototypeKey(value: unknown, path: string): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = prototypeKey(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const key of Object.keys(value)) {
    const at = path ? `${path}.${key}` : key;
    const inner = (value as Record<string, unknown>)[key];
    if (key === '__proto__' || (key === 'constructor' && inner !== null && typeof inner === 'object' && Object.hasOwn(inner, 'prototype'))) return at;
    const found = prototypeKey(inner, at);
    if (found !== undefined) return found;
  }
  return undefined;
}
