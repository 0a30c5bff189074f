/**
 * Template variable rules. A Dysmsapi template names its variables as `${name}`; `TemplateParam` must
 * be a JSON object with one **string** value per variable.
 */

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

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * Checks template params against a template (its content, or its variable names). Returns every
 * problem: missing variables, non-string values and keys the template does not use are errors. A key
 * the template does not use is refused rather than passed on (Alibaba ignores it) because it is
 * nearly always a misspelt or stale variable, and a warning has no channel on REST or in a script's
 * `--json` output; the HTTP API refuses unknown fields by name for the same reason. An empty list
 * means the params fit.
 */
export function checkTemplateParams(varsOrContent: string | readonly string[], params: unknown, field = 'templateParam'): TemplateIssue[] {
  const vars = typeof varsOrContent === 'string' ? extractTemplateVars(varsOrContent) : [...varsOrContent];
  const issues: TemplateIssue[] = [];
  if (params === undefined || params === null) {
    for (const v of vars) {
      issues.push({
        field: `${field}.${v}`,
        severity: 'error',
        kind: 'missing',
        message: `the template uses \${${v}} but no params were given: pass e.g. {"${v}":"..."}`,
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
  for (const v of vars) {
    if (!Object.prototype.hasOwnProperty.call(obj, v)) {
      issues.push({ field: `${field}.${v}`, severity: 'error', kind: 'missing', message: `missing: the template uses \${${v}}; add "${v}":"..."` });
    } else if (typeof obj[v] !== 'string') {
      const val = obj[v];
      const fix = typeof val === 'number' || typeof val === 'boolean' ? `write it as a string: "${v}":"${String(val)}"` : 'give a string value';
      issues.push({ field: `${field}.${v}`, severity: 'error', kind: 'not_string', message: `must be a string, got ${describe(val)}: ${fix}` });
    }
  }
  const known = new Set(vars);
  for (const k of Object.keys(obj)) {
    if (!known.has(k)) {
      const expected = vars.length ? `it uses ${vars.map((v) => `\${${v}}`).join(', ')}` : 'it has no variables';
      issues.push({ field: `${field}.${k}`, severity: 'error', kind: 'extra', message: `is not a variable of the template (${expected}). Fix: remove it or check the spelling (see \`smsq template CODE\`)` });
    }
  }
  return issues;
}
