import { describe, expect, it } from 'vitest';
import { NotDurableError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { pushRefusal } from '../../server/plugins/reports.js';
import { HttpError } from '../../server/errors.js';

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
