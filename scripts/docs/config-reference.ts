/**
 * The environment reference of docs/configuration.md, drawn from the zod schema that parses the
 * environment (src/config.ts): names, meanings and groups from each variable's {@link EnvDoc},
 * defaults, enums and ranges from the schema itself (its JSON Schema output).
 */
import { z } from 'zod';
import { ENV_GROUPS, envSchema, type EnvDoc } from '../../src/config.js';
import { code, markdownTable } from './markdown.js';

/** What the schema says about one variable once rendered as JSON Schema (output side). */
interface VariableSchema {
  default?: unknown;
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
}

/** Each variable with its docs and its JSON Schema, in the schema's order. */
export function describeEnvironment(): { name: string; doc: EnvDoc; schema: VariableSchema }[] {
  const json = z.toJSONSchema(envSchema, { io: 'output', unrepresentable: 'any' }) as { properties: Record<string, VariableSchema> };
  return Object.entries(envSchema.shape).map(([name, schema]) => {
    const doc = z.globalRegistry.get(schema) as EnvDoc | undefined;
    if (!doc?.description || !doc.group) throw new Error(`src/config.ts: ${name} has no .meta(envDoc({ group, description })); every variable is documented where it is parsed`);
    return { name, doc, schema: json.properties[name] ?? {} };
  });
}

/** The default as documented: a value one could set (the schema's or the docs'), or words. */
export function documentedDefault(v: { doc: EnvDoc; schema: VariableSchema }): string | undefined {
  return v.schema.default === undefined ? undefined : String(v.schema.default);
}

/** The values a variable accepts, as the page's Accepted column says them. */
export function allowedValues({ name, doc, schema }: { name: string; doc: EnvDoc; schema: VariableSchema }): string {
  if (doc.allowed) return doc.allowed;
  if (schema.enum) return schema.enum.map((v) => code(String(v))).join(', ');
  if (schema.minimum !== undefined && schema.maximum !== undefined) return `${schema.minimum}..${schema.maximum}`;
  if (schema.pattern !== undefined) throw new Error(`src/config.ts: ${name} is checked by a pattern; say in words what it accepts (envDoc allowed)`);
  return schema.minLength ? `at least ${schema.minLength} characters` : 'any text';
}

export function renderEnvironmentReference(): string {
  const variables = describeEnvironment();
  const sections: string[] = [];
  for (const [group, title] of Object.entries(ENV_GROUPS)) {
    const rows = variables
      .filter((v) => v.doc.group === group)
      .map((v) => {
        const value = documentedDefault(v);
        const fallback = v.doc.defaultNote ?? 'unset';
        return [code(v.name), v.doc.description, value === undefined ? fallback : code(value), allowedValues(v)];
      });
    if (rows.length === 0) continue;
    sections.push(`### ${title}\n\n${markdownTable(['Variable', 'Meaning', 'Default', 'Accepted'], rows)}`);
  }
  return sections.join('\n\n');
}
