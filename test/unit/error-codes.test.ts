/** The one list of smsq codes: every `SMSQ_*` code the sources use is in it, with a meaning, an HTTP status and an exit code. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../src/config.js';
import { EXIT, SMSQ_CODES } from '../../src/errors.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|lua)$/.test(name) ? [path] : [];
  });
}

/** `'SMSQ_*'` string literals (TypeScript and Lua) in the sources that are not environment variables. */
function codesUsed(): Map<string, string> {
  const env = new Set(ENV_VARS);
  const used = new Map<string, string>();
  for (const file of ['src', 'producers', 'workers', 'cli', 'server'].flatMap((dir) => sourceFiles(join(ROOT, dir)))) {
    for (const [, word] of readFileSync(file, 'utf8').matchAll(/['"`](SMSQ_[A-Z0-9_]+)['"`]/g)) {
      if (word === undefined) continue;
      if (!env.has(word) && !used.has(word)) used.set(word, file.slice(ROOT.length + 1));
    }
  }
  return used;
}

describe('SMSQ_CODES', () => {
  it('holds every SMSQ_* code used in src/, producers/ and workers/', () => {
    expect(codesUsed().size).toBeGreaterThan(15); // the scan itself works
    const missing = [...codesUsed()].filter(([code]) => !(code in SMSQ_CODES)).map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });

  it('lists no code that nothing uses', () => {
    const used = codesUsed();
    expect(Object.keys(SMSQ_CODES).filter((code) => !used.has(code))).toEqual([]);
  });

  it('gives each code a meaning, and each answered code an HTTP status and an exit code that agree', () => {
    for (const [code, info] of Object.entries(SMSQ_CODES)) {
      expect(info.meaning, code).not.toBe('');
      expect(info.httpStatus === undefined, code).toBe(info.exitCode === undefined);
      if (info.httpStatus === undefined) continue;
      // A refusal is the caller's to fix (4xx, or a bad server environment); a dependency failing is 503.
      if (info.exitCode === EXIT.dependency) expect(info.httpStatus, code).toBe(503);
      // A request its caller stopped (499, as a client that went away is counted) exits as the signal that stopped it.
      if (info.httpStatus === 499) expect(info.exitCode, code).toBe(EXIT.interrupted);
      else if (info.httpStatus >= 400 && info.httpStatus < 500) expect(info.exitCode, code).toBe(EXIT.refused);
    }
  });

  it('has no code that is also an environment variable', () => {
    expect(Object.keys(SMSQ_CODES).filter((code) => ENV_VARS.includes(code))).toEqual([]);
  });
});
