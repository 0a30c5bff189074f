/**
 * The Node versions smsq says it runs on (`engines.node`, README) are ones its runtime dependencies
 * say they run on too. OpenTelemetry 3.x declared Node ≥ 22.15 while smsq said ≥ 20: `npm ci` on
 * Node 20 printed nine EBADENGINE warnings, and the packages were outside what their authors test.
 * Read from package-lock.json, so a dependency upgrade that raises the floor fails here, not on a
 * user's machine.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface LockedPackage {
  version?: string;
  dev?: boolean;
  engines?: { node?: string } | string[];
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockedPackage> };

/** The runtime packages of the lock whose `engines.node` does not admit `node`. */
function refusing(node: string): string[] {
  const out: string[] = [];
  for (const [path, pkg] of Object.entries(lock.packages)) {
    if (path === '' || pkg.dev) continue;
    const range = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
    if (range !== undefined && !semver.satisfies(node, range)) out.push(`${path.replace(/^.*node_modules\//, '')}@${pkg.version} wants node ${range}`);
  }
  return out;
}

describe('engines', () => {
  const lowest = semver.minVersion(manifest.engines.node)?.version;

  it('package.json names a Node range with a lowest version', () => {
    expect(lowest).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('every runtime dependency supports the lowest Node smsq says it runs on', () => {
    expect(refusing(lowest as string)).toEqual([]);
  });

  it('the check can fail: Node 18.0 is refused by some of them', () => {
    expect(refusing('18.0.0').length).toBeGreaterThan(0);
  });
});
