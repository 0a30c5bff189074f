import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../server/redact-url.js';

describe('redactUrl', () => {
  it('hides a report token in the push path and drops query strings', () => {
    expect(redactUrl('/v1/reports/abcdef0123456789abcd/sms-report')).toBe('/v1/reports/[REDACTED]/sms-report');
    expect(redactUrl('/v1/reports/abcdef0123456789abcd/sms-up?x=1')).toBe('/v1/reports/[REDACTED]/sms-up');
    expect(redactUrl('/v1/reports/abcdef0123456789abcd')).toBe('/v1/reports/[REDACTED]');
    expect(redactUrl('/v1/reports/abcdef0123456789abcd/anything/else')).toBe('/v1/reports/[REDACTED]/anything/else');
  });

  it('leaves the header-form paths and other routes as they are', () => {
    expect(redactUrl('/v1/reports/sms-report')).toBe('/v1/reports/sms-report');
    expect(redactUrl('/v1/reports/sms-up?token=zzz')).toBe('/v1/reports/sms-up');
    expect(redactUrl('/v1/messages')).toBe('/v1/messages');
    expect(redactUrl('/admin/queues/api/queues')).toBe('/admin/queues/api/queues');
  });
});
