import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { mention } from '../../src/setting-mention.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('masks phone numbers under phone keys, nested, in arrays and in messages', () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'info' }, stream);
    log.info({ phone: '13800138000', req: { PhoneNumbers: '13800138000,13900139000' }, phones: ['8613800138000'] }, 'sent to 13800138000');
    const line = lines[0]!;
    expect(line.phone).toBe('138****8000');
    expect((line.req as Record<string, unknown>).PhoneNumbers).toBe('138****8000,139****9000');
    expect(line.phones).toEqual(['861****8000']);
    expect(line.msg).toBe('sent to 138****8000');
    expect(JSON.stringify(line)).not.toContain('13800138000');
  });

  it('masks every form of a number in messages: mainland, +86 and 0086, +1, international with and without + or 00, and a number cut or mistyped (a JSON parse error quotes a piece of the input: 13912345 is most of a number)', () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'info' }, stream);
    const numbers = ['13800138000', '+8613800138000', '8613800138000', '008613800138000', '+12025550123', '0012025550123', '12025550123', '85291234567', '+85291234567', '0085291234567', '50012345', '+2901234', '1380013800', '138001380001', '07700900123', '13912345', '1391234567890'];
    for (const n of numbers) log.info(`sent to ${n}.`);
    expect(lines.map((l) => l.msg)).toEqual(numbers.map((n) => `sent to ${n.slice(0, 3)}****${n.slice(-4)}.`));
  });

  it('with environmentTerms (smsq and smsq server), a line worded for a Node caller names the environment\'s settings and commands, in its message and its text fields; without, as written', () => {
    const fix = `raise ${mention('durability.timeoutMs')}; ${mention('producer.cancel', 'smx1')} stops it`;
    const environment = capture();
    createLogger({ level: 'info', environmentTerms: true }, environment.stream).warn({ err: fix, attempt: 2 }, `not confirmed: ${fix}`);
    const line = environment.lines[0]!;
    expect(line.msg).toBe('not confirmed: raise SMSQ_DURABILITY_TIMEOUT_MS; smsq campaign cancel smx1 stops it');
    expect(line.err).toBe('raise SMSQ_DURABILITY_TIMEOUT_MS; smsq campaign cancel smx1 stops it');
    expect(line.attempt).toBe(2);
    const library = capture();
    createLogger({ level: 'info' }, library.stream).warn({ err: fix }, fix);
    expect(library.lines[0]!.msg).toBe(fix);
    expect(library.lines[0]!.err).toBe(fix);
  });

  it('redacts secrets and authorization headers', () => {
    const { lines, stream } = capture();
    const log = createLogger({}, stream);
    log.info({ accessKeySecret: 'sk', headers: { authorization: 'ACS3-HMAC-SHA256 Credential=ak', 'x-acs-security-token': 'st' }, cfg: { securityToken: 'st' } });
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain('"sk"');
    expect(text).not.toContain('Credential=ak');
    expect(text).not.toContain('"st"');
    expect((lines[0]!.headers as Record<string, unknown>).authorization).toBe('[REDACTED]');
  });
});
