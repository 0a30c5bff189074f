/**
 * Fixtures indexed for the hot path: signatures and templates by name, each template compiled once.
 */
import { compileTemplate, type CompiledTemplate } from './template.js';
import type { EmulatorFixtures, FixtureQualification, FixtureSign, FixtureTemplate } from './types.js';

export interface CatalogTemplate extends FixtureTemplate {
  compiled: CompiledTemplate;
}

export interface Catalog {
  signs: Map<string, FixtureSign>;
  templates: Map<string, CatalogTemplate>;
  /** In fixture order, for the list operations. */
  signList: FixtureSign[];
  templateList: CatalogTemplate[];
  qualifications: FixtureQualification[];
}

export function buildCatalog(fixtures: EmulatorFixtures): Catalog {
  const signList = fixtures.signs.map((s) => ({ ...s }));
  const templateList = fixtures.templates.map((t) => ({ ...t, compiled: compileTemplate(t.templateContent) }));
  return {
    signs: new Map(signList.map((s) => [s.signName, s])),
    templates: new Map(templateList.map((t) => [t.templateCode, t])),
    signList,
    templateList,
    qualifications: fixtures.qualifications.map((q) => ({ ...q })),
  };
}
