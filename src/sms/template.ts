/**
 * Template variable rules. A Dysmsapi template names its variables as `${name}`; `TemplateParam` must
 * be a JSON object with one **string** value per variable.
 */
import { backtickFreeJson } from './backtick-free-json.js';

/** One problem with the params of a template; `field` is the dotted path (`templateParam.code`). */
export interface TemplateIssue {
  field: string;
  /** `error` refuses the request; `warning` is reported but does not block it. */
  severity: 'error' | 'warning';
  kind: 'not_object' | 'missing' | 'not_string' | 'extra';
  /** What is wrong and how to fix it. */
  message: string;
}

// `${name}`: anything but braces, `$` and whitespace inside, as Alibaba's console accepts.
const VAR = /\$\{([^${}\s]+)\}/g;

/** The unique `${var}` names of a template's content, in order of first appearance. */
export function extractTemplateVars(content: string): string[] {
  const seen = new Set<string>();
  for (const m of content.matchAll(VAR)) seen.add(m[1] as string);
  return [...seen];
}

/**
 * A name without case, spaces, `_` and `-`: how a param key or a file's column is matched to the
 * variable (or the number column) it was likely meant for. Dysmsapi reads variable names exactly.
 */
export function looseName(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

/** The fix for params not given at all, by example; a caller that knows how its surface names the setting passes its own. */
const giveParamsByExample = (v: string): string => `give them, e.g. {"${v}":"..."}`;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${typeof v === 'string' ? backtickFreeJson(v) : JSON.stringify(v)}`;
}

/**
 * Checks template params against a template (its content, or its variable names). Returns every
 * problem: missing variables, non-string values and keys the template does not use are errors. A key
 * the template does not use is refused rather than passed on (Alibaba ignores it) because it is
 * nearly always a misspelt or stale variable, and a warning has no channel on REST or in a script's
 * `--json` output; the HTTP API refuses unknown fields by name for the same reason. An empty list
 * means the params fit. `noParamsFix(v)` is the fix when no params were given at all.
 */
export function checkTemplateParams(varsOrContent: string | readonly string[], params: unknown, field = 'templateParam', noParamsFix: (v: string) => string = giveParamsByExample): TemplateIssue[] {
  const vars = typeof varsOrContent === 'string' ? extractTemplateVars(varsOrContent) : [...varsOrContent];
  const issues: TemplateIssue[] = [];
  if (params === undefined || params === null) {
    for (const v of vars) {
      issues.push({
        field: `${field}.${v}`,
        severity: 'error',
        kind: 'missing',
        message: `the template uses \${${v}} but no params were given. Fix: ${noParamsFix(v)}`,
      });
    }
    return issues;
  }
  if (typeof params !== 'object' || Array.isArray(params)) {
    issues.push({
      field,
      severity: 'error',
      kind: 'not_object',
      message: `must be a JSON object of string values, got ${describe(params)}: e.g. {"${vars[0] ?? 'code'}":"123456"}`,
    });
    return issues;
  }
  const obj = params as Record<string, unknown>;
  const known = new Set(vars);
  // The key each missing variable was likely meant for (`Code` for `${code}`), each key once.
  const meantBy = new Map<string, string>();
  const misspelt = new Map<string, string>();
  for (const v of vars) {
    if (Object.prototype.hasOwnProperty.call(obj, v)) continue;
    const key = Object.keys(obj).find((k) => !known.has(k) && !misspelt.has(k) && looseName(k) === looseName(v));
    if (key === undefined) continue;
    meantBy.set(v, key);
    misspelt.set(key, v);
  }
  for (const v of vars) {
    if (!Object.prototype.hasOwnProperty.call(obj, v)) {
      const key = meantBy.get(v);
      const message =
        key === undefined
          ? `missing: the template uses \${${v}}. Fix: add "${v}":"..."`
          : `missing: the template uses \${${v}} and "${key}" was given (variable names must match exactly). Fix: rename "${key}" to "${v}"`;
      issues.push({ field: `${field}.${v}`, severity: 'error', kind: 'missing', message });
    } else if (typeof obj[v] !== 'string') {
      const val = obj[v];
      const fix = typeof val === 'number' || typeof val === 'boolean' ? `write it as a string: "${v}":"${String(val)}"` : 'give a string value';
      issues.push({ field: `${field}.${v}`, severity: 'error', kind: 'not_string', message: `must be a string, got ${describe(val)}: ${fix}` });
    }
  }
  for (const k of Object.keys(obj)) {
    if (!known.has(k)) {
      const expected = vars.length ? `it uses ${vars.map((v) => `\${${v}}`).join(', ')}` : 'it has no variables';
      const meant = misspelt.get(k);
      const fix = meant === undefined ? 'remove it or check the spelling (see `smsq template CODE`)' : `rename it "${meant}" (variable names must match exactly)`;
      issues.push({ field: `${field}.${k}`, severity: 'error', kind: 'extra', message: `is not a variable of the template (${expected}). Fix: ${fix}` });
    }
  }
  return issues;
}
