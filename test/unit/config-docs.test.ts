/**
 * docs/configuration.md is drawn from the environment schema: every variable is documented, and a
 * default the page shows is what the parser does when the variable is unset.
 */
import { describe, expect, it } from 'vitest';
import { ENV_VARS, envSchema, loadConfig } from '../../src/config.js';
import { allowedValues, describeEnvironment, documentedDefault, renderEnvironmentReference } from '../../scripts/docs/config-reference.js';

describe('the environment reference', () => {
  const variables = describeEnvironment();

  it('documents every variable the parser reads', () => {
    expect(variables.map((v) => v.name)).toEqual([...ENV_VARS]);
    const reference = renderEnvironmentReference();
    for (const name of ENV_VARS) expect(reference).toContain(`| \`${name}\` |`);
  });

  it('shows defaults that change nothing when set explicitly', () => {
    const unset = loadConfig({});
    const withDefaults = variables.filter((v) => documentedDefault(v) !== undefined);
    expect(withDefaults.length).toBeGreaterThan(20);
    for (const v of withDefaults) {
      expect(loadConfig({ [v.name]: documentedDefault(v) }), `${v.name}=${documentedDefault(v)}`).toEqual(unset);
    }
  });

  // SMSQ_DURABILITY_REPLICAS read "any text" (the generator's word for a plain string) while the
  // parser refused `banana`: a variable said to take any text must take any.
  it('says "any text" only of variables that take any text', () => {
    for (const v of variables.filter((v) => allowedValues(v) === 'any text')) {
      const shape = envSchema.shape as Record<string, { safeParse(value: unknown): { success: boolean } }>;
      expect(shape[v.name]?.safeParse('banana').success, `${v.name}=banana`).toBe(true);
    }
  });
});
