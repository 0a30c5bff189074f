/**
 * Template content: `${var}` placeholders, rendering and billing segments. A template is compiled
 * once (when the fixtures load) so rendering on the send path is a join, not a regex.
 */

export interface CompiledTemplate {
  /** Placeholder names in order of first appearance, without duplicates. */
  variables: string[];
  /** Literal text and variable names alternating: `[text, var, text, var, ..., text]`. */
  parts: string[];
}

const PLACEHOLDER = /\$\{([^}]+)\}/g;

export function compileTemplate(content: string): CompiledTemplate {
  const parts: string[] = [];
  const seen = new Set<string>();
  let last = 0;
  for (const m of content.matchAll(PLACEHOLDER)) {
    const name = m[1] as string;
    parts.push(content.slice(last, m.index), name);
    seen.add(name);
    last = m.index + m[0].length;
  }
  parts.push(content.slice(last));
  return { variables: [...seen], parts };
}

/** The variables a template needs that `params` does not provide. */
export function missingVariables(t: CompiledTemplate, params: Record<string, string> | undefined): string[] {
  if (t.variables.length === 0) return [];
  return t.variables.filter((v) => params?.[v] === undefined);
}

/** The text a recipient receives: `【sign】` followed by the template with every variable filled in. */
export function renderContent(signName: string, t: CompiledTemplate, params: Record<string, string> | undefined): string {
  let out = `【${signName}】`;
  for (let i = 0; i < t.parts.length; i++) {
    const part = t.parts[i] as string;
    out += i % 2 === 0 ? part : (params?.[part] ?? '');
  }
  return out;
}

/** Billed messages for a content: one up to 70 characters, otherwise one per 67 characters. */
export function segmentCount(content: string): number {
  const length = [...content].length;
  return length <= 70 ? 1 : Math.ceil(length / 67);
}

/** Longest content Dysmsapi accepts, signature included. */
export const MAX_CONTENT_LENGTH = 500;
