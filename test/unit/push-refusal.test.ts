import { describe, expect, it } from 'vitest';
import { NotDurableError, RedisNotDurableError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { pushRefusal } from '../../server/plugins/reports.js';
import { HttpError } from '../../server/errors.js';
import { createRefusalLog } from '../../server/refusal-log.js';

describe('a push whose writes could not be confirmed durable', () => {
  it("is answered 503 in words for Alibaba, the operator's fix in the log: the answer told Alibaba to retry with the same idempotency key", () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const lost = new NotDurableError(
      '1 receipt(s) of 1 pushed report(s)',
      'the connection to Redis was lost after the writes, so the confirmation would not cover them',
      'retry once Redis answers again (with the same idempotency key, for an enqueue); nothing was sent on it',
    );
    const answer = pushRefusal(lost, log) as HttpError;
    expect(answer).toBeInstanceOf(HttpError);
    expect(answer.statusCode).toBe(503);
    expect(answer.message).toBe(
      '1 receipt(s) of 1 pushed report(s) could not be made durable: the connection to Redis was lost after the writes, so the confirmation would not cover them. The push was applied, and is refused until Redis keeps it durably: Alibaba pushes it again (after 1, 5 and 10 minutes), and a push applied twice changes nothing',
    );
    expect(lines.join('')).toContain('with the same idempotency key');
  });
});

describe('a push under a Redis that no longer keeps the durability mode', () => {
  it("is answered 503 saying only what Alibaba's retry does, the mode's problems and fixes in the log once a minute: the answer told Alibaba to connect replicas, lower SMSQ_DURABILITY_REPLICAS or set SMSQ_DURABILITY=none", () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const refusal = new RedisNotDurableError('fsync+replicas', '0 replica(s) connected, but `durability.mode: "fsync+replicas"` waits for 1: every write would time out. Fix: connect 1 replica(s), or lower `durability.replicas`');
    const refusals = createRefusalLog();
    const answers = [pushRefusal(refusal, log, refusals), pushRefusal(refusal, log, refusals)] as HttpError[];
    for (const answer of answers) {
      expect(answer).toBeInstanceOf(HttpError);
      expect(answer.statusCode).toBe(503);
      expect(answer.code).toBe('SMSQ_REDIS_NOT_DURABLE');
      expect(answer.message).toBe(
        'Redis does not keep the durability this server is set to keep; the push was applied, and is refused until Redis keeps it durably: Alibaba pushes it again (after 1, 5 and 10 minutes), and a push applied twice changes nothing',
      );
    }
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as { msg: string; code: string };
    expect(line.code).toBe('SMSQ_REDIS_NOT_DURABLE');
    expect(line.msg).toMatch(/^Redis cannot keep SMSQ_DURABILITY=fsync\+replicas: 0 replica\(s\) connected, .*Fix: connect 1 replica\(s\), or lower SMSQ_DURABILITY_REPLICAS\..*SMSQ_DURABILITY=none.*; the push was applied: Alibaba pushes it again/);
  });
});
