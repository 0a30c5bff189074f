/** The one list of smsq codes: every `SMSQ_*` code the sources use is in it, with a meaning, an HTTP status and an exit code. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../src/config.js';
import { EXIT, SMSQ_CODES } from '../../src/errors.js';
import type * as PackageEntry from '../../exports/index.js';

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

  it('names a setting a Node caller also gives in both spellings: the variable, then the option (the meanings of SMSQ_REDIS_AUTH, SMSQ_SEND_WITHDRAWN and SMSQ_ENQUEUE_ABANDONED named only REDIS_URL or SMSQ_REPAIR_ENQUEUE_GRACE_MS, which no Node caller sets)', () => {
    // Each variable with the option that sets the same in Node, as docs/operations.md writes the
    // grace: `SMSQ_REPAIR_ENQUEUE_GRACE_MS` (`repair.enqueueGraceMs` of `createSmsWorker`).
    const OPTION_OF: Readonly<Record<string, string>> = {
      REDIS_URL: '`redis` option',
      SMSQ_PREFIX: '`prefix`',
      SMSQ_RETENTION_DAYS: '`retention`',
      SMSQ_REDIS_CONNECT_TIMEOUT_MS: '`connectTimeoutMs`',
      SMSQ_DURABILITY: '`durability.mode`',
      SMSQ_DURABILITY_REPLICAS: '`durability.replicas`',
      SMSQ_DURABILITY_TIMEOUT_MS: '`durability.timeoutMs`',
      SMSQ_REPAIR_ENQUEUE_GRACE_MS: '`repair.enqueueGraceMs` of `createSmsWorker`',
      SMSQ_RECEIPT_WINDOW_HOURS: '`receiptSchedule.windowMs` of `createSmsWorker`',
      SMS_ENDPOINT: '`endpoint` of `createSmsClient`',
    };
    const oneSpelling: string[] = [];
    for (const [code, info] of Object.entries(SMSQ_CODES)) {
      for (const [variable, option] of Object.entries(OPTION_OF)) {
        const named = new RegExp(`\\b${variable}\\b(?!_)`).test(info.meaning);
        if (named && !info.meaning.includes(option)) oneSpelling.push(`${code}: ${variable} without ${option}`);
      }
    }
    expect(oneSpelling).toEqual([]);
  });

  it('has no code that is also an environment variable', () => {
    expect(Object.keys(SMSQ_CODES).filter((code) => ENV_VARS.includes(code))).toEqual([]);
  });
});

describe('SmsqError', () => {
  it('is the base of every error the package exports with an SMSQ_* code, and isSmsqError tells them from other errors', async () => {
    const pkg = (await import('../../exports/index.js')) as Record<string, unknown>;
    const errorClasses = Object.entries(pkg).filter(([name, v]) => typeof v === 'function' && name.endsWith('Error') && (v as { prototype: unknown }).prototype instanceof Error);
    expect(errorClasses.length).toBeGreaterThan(10); // the scan itself works
    // The exported classes whose instances carry an SMSQ_* code (read from the source: constructors differ).
    // Not src/sms/client.ts's SmsClientOptionsError: the Dysmsapi boundary imports nothing of smsq's
    // errors (npm run lint:layers), so it is an Error with the code, thrown at set-up, not a SmsqError.
    const source = readFileSync(join(ROOT, 'src/errors.ts'), 'utf8') + readFileSync(join(ROOT, 'src/queue/redis-url.ts'), 'utf8');
    const coded = [...source.matchAll(/export class (\w+) extends (\w+) \{\n {2}readonly code = '(SMSQ_[A-Z_]+)'/g)];
    expect(coded.length).toBeGreaterThan(13);
    for (const [, name, base, code] of coded) {
      expect(`${name} extends ${base}`).toBe(`${name} extends SmsqError`);
      expect(code && code in SMSQ_CODES).toBe(true);
    }
    const { isSmsqError, SmsqError, ValidationError, RedisUrlError, ProducerClosedError, SmsError } = pkg as unknown as typeof PackageEntry;
    const refusal = new ValidationError([{ field: 'phones', message: 'required' }]);
    expect(refusal).toBeInstanceOf(SmsqError);
    expect(isSmsqError(refusal) && refusal.code).toBe('SMSQ_INVALID_REQUEST');
    expect(isSmsqError(new RedisUrlError('is not a URL', 'redis://127.0.0.1:6379', 'x'))).toBe(true);
    expect(isSmsqError(new ProducerClosedError('send'))).toBe(true);
    // Dysmsapi's answers have codes of their own, not smsq's.
    expect(isSmsqError(new SmsError({ code: 'isv.MOBILE_NUMBER_ILLEGAL', message: 'x', errorClass: 'permanent', requestId: 'r' }))).toBe(false);
    expect(isSmsqError(new Error('SMSQ_INVALID_REQUEST'))).toBe(false);
  });
});
