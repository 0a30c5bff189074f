import { describe, expect, it } from 'vitest';
import { NotFoundError, SendNotFoundError, ValidationError } from '../../src/errors.js';
import { SEND_ID_SHAPE } from '../../src/send-id-shape.js';
import { basicCredentials, bearerToken, isAuthorized, safeEqual } from '../../server/auth.js';
import { toHttpError } from '../../server/errors.js';
import { CampaignQuery, issuesFromZod, parseOrThrow, RecipientsQuery, SendBody, SendsQuery } from '../../server/schemas.js';

const limits = { bodyLimit: 1024 * 1024, csvBodyLimit: 64 * 1024 * 1024 };
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('auth headers', () => {
  it('reads bearer tokens and basic credentials, and nothing else', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer   abc')).toBe('abc');
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(basicCredentials(`Basic ${b64('ops:pa:ss')}`)).toEqual({ user: 'ops', password: 'pa:ss' });
    expect(basicCredentials(`Basic ${b64('no-colon')}`)).toBeUndefined();
    expect(basicCredentials('Bearer x')).toBeUndefined();
  });

  it('accepts exactly the configured credentials', () => {
    const opts = { token: 't0k3n-0123456789', basic: { user: 'ops', password: 'secret-secret' } };
    expect(isAuthorized('Bearer t0k3n-0123456789', opts)).toBe(true);
    expect(isAuthorized('Bearer t0k3n-012345678', opts)).toBe(false);
    expect(isAuthorized(`Basic ${b64('ops:secret-secret')}`, opts)).toBe(true);
    expect(isAuthorized(`Basic ${b64('ops:secret-secreT')}`, opts)).toBe(false);
    expect(isAuthorized(`Basic ${b64('Ops:secret-secret')}`, opts)).toBe(false);
    expect(isAuthorized(`Basic ${b64('ops:secret-secret')}`, { token: 'x'.repeat(16) })).toBe(false);
    expect(isAuthorized(undefined, opts)).toBe(false);
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'ab')).toBe(false);
  });
});

describe('error mapping', () => {
  it('maps smsq and fastify errors to statuses and stable codes, never leaking internals', () => {
    const v = toHttpError(new ValidationError([{ field: 'phones[0]', message: 'bad' }]), limits, 'req-1');
    expect([v.statusCode, v.code, v.issues]).toEqual([400, 'SMSQ_INVALID_REQUEST', [{ field: 'phones[0]', message: 'bad' }]]);
    expect(toHttpError(new NotFoundError('send s1'), limits, 'r')).toMatchObject({ statusCode: 404, code: 'SMSQ_NOT_FOUND', message: 'send s1 not found' });
    // A send not found carries its fix (REST said "send X not found" alone); the CLI's names REDIS_URL, REST's
    // only the prefix: where Redis is is the deployment's layout, which an API client cannot act on.
    const missing = new SendNotFoundError('s1', { redisUrl: 'redis://smsq:<redacted>@db:6379', prefix: '{smsq}' });
    expect(missing.message).toContain('REDIS_URL (redis://smsq:<redacted>@db:6379) and SMSQ_PREFIX ({smsq})');
    expect(toHttpError(missing, limits, 'r')).toMatchObject({
      statusCode: 404,
      code: 'SMSQ_NOT_FOUND',
      message: `send s1 not found. Fix: check the id (${SEND_ID_SHAPE}), and that it was sent through this deployment (SMSQ_PREFIX {smsq}); records expire after SMSQ_RETENTION_DAYS`,
    });
    expect(toHttpError(missing, limits, 'r').message).not.toMatch(/db|6379|REDIS_URL/);
    expect(toHttpError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), limits, 'r')).toMatchObject({
      statusCode: 413,
      code: 'SMSQ_BODY_TOO_LARGE',
      message: expect.stringMatching(/1 MiB .*64 MiB/),
    });
    expect(toHttpError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }), limits, 'r')).toMatchObject({
      statusCode: 415,
      code: 'SMSQ_UNSUPPORTED_MEDIA_TYPE',
    });
    const internal = toHttpError(new Error('ECONNREFUSED 10.0.0.1:6379 password=hunter2'), limits, 'req-7');
    expect(internal).toMatchObject({ statusCode: 500, code: 'SMSQ_INTERNAL' });
    expect(internal.message).toContain('req-7');
    expect(internal.message).not.toMatch(/ECONNREFUSED|hunter2/);
  });
});

describe('HTTP schemas', () => {
  it('names unknown fields one by one and points idempotencyKey at the header', () => {
    const parsed = SendBody.safeParse({ phones: ['13800138000'], signName: 'S', templateCode: 'SMS_1', phone: 'x', idempotencyKey: 'k' });
    expect(parsed.success).toBe(false);
    const issues = issuesFromZod(parsed.error!.issues);
    expect(issues.map((i) => i.field).sort()).toEqual(['idempotencyKey', 'phone']);
    expect(issues.find((i) => i.field === 'idempotencyKey')!.message).toMatch(/Idempotency-Key header/);
  });

  it('reads campaign settings from the query string, templateParam as JSON', () => {
    expect(CampaignQuery.parse({ signName: 'S', templateCode: 'SMS_1', templateParam: '{"name":"Li"}' })).toEqual({
      signName: 'S',
      templateCode: 'SMS_1',
      templateParam: { name: 'Li' },
      kind: 'marketing',
    });
    const bad = CampaignQuery.safeParse({ signName: 'S', templateCode: 'SMS_1', templateParam: '{"n":1}' });
    expect(issuesFromZod(bad.error!.issues).map((i) => i.field)).toEqual(['templateParam.n']);
  });

  it('refuses a __proto__ key in templateParam from the query string, as in a JSON body (it was dropped without a word)', () => {
    const bad = CampaignQuery.safeParse({ signName: 'S', templateCode: 'SMS_1', templateParam: '{"name":"Li","__proto__":{"x":"1"}}' });
    expect(bad.success).toBe(false);
    expect(issuesFromZod(bad.error!.issues)).toEqual([{ field: 'templateParam.__proto__', message: expect.stringMatching(/reaches an object's prototype.*Fix: remove it/) }]);
  });

  it('reads a page size only as decimal digits: 1e1, 0x10, " 10" and a full-width digit are refused, not read as 10 or 16', () => {
    expect(parseOrThrow(SendsQuery, { limit: '10' }, 'query', 'text').limit).toBe(10);
    expect(parseOrThrow(SendsQuery, {}, 'query', 'text').limit).toBe(50);
    expect(parseOrThrow(RecipientsQuery, { limit: '0010' }, 'query', 'text').limit).toBe(10);
    for (const limit of ['1e1', '0x10', ' 10', '10 ', '+10', '10.0', '\uff11\uff10', '', '0', '201']) {
      let refused: unknown;
      try {
        parseOrThrow(SendsQuery, { limit }, 'query', 'text');
      } catch (err) {
        refused = err;
      }
      expect(refused, limit).toBeInstanceOf(ValidationError);
      expect((refused as ValidationError).issues, limit).toEqual([{ field: 'query.limit', message: 'must be a whole number from 1 to 200. Fix: ?limit=50, or leave it out for 50' }]);
    }
    // A word from a set is told one to give (docs/http-api.md: every refusal names the fix).
    expect(() => parseOrThrow(SendsQuery, { state: 'bogus' }, 'query', 'text')).toThrow(expect.objectContaining({ issues: [{ field: 'query.state', message: expect.stringMatching(/^must be one of enqueuing, active, .*\. Fix: \?state=active, or leave it out for every state$/) }] }));
    expect(() => parseOrThrow(SendsQuery, { kind: 'sms' }, 'query', 'text')).toThrow(expect.objectContaining({ issues: [{ field: 'query.kind', message: 'must be one of verification, notification, marketing. Fix: ?kind=notification, or leave it out for every kind' }] }));
  });
});
