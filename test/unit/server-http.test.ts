import { inEnvironmentTerms } from '../../src/setting-mention.js';
import { describe, expect, it } from 'vitest';
import { httpStatusOf, NotFoundError, RedisDatabaseRefusedError, RedisUnavailableError, SendNotFoundError, ValidationError } from '../../src/errors.js';
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
    expect(missing.message).toContain('`redis` (redis://smsq:<redacted>@db:6379) and `prefix: "{smsq}"`');
    expect(inEnvironmentTerms(missing.message)).toContain('REDIS_URL (redis://smsq:<redacted>@db:6379) and SMSQ_PREFIX ({smsq})');
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

describe('Redis failures as HTTP answers: what happened and the fix, never where Redis is', () => {
  const url = 'redis://opsuser:<redacted>@redis.internal:6390/2';
  const where = /redis\.internal|6390|opsuser|10\.0\.0\.5|REDIS_URL=|redis:\/\//;
  const FIX = 'in a few seconds (Retry-After); if Redis stays down, tell the operator of this server: its log names REDIS_URL and why';

  it('each outage the producer says (an enqueue, a read, mid-call, a control, a cut-off campaign): the CLI\'s message names REDIS_URL, the answer does not', () => {
    const refused = new RedisUnavailableError(url, 'connect ECONNREFUSED 10.0.0.5:6390');
    const cases: [RedisUnavailableError, unknown][] = [
      [refused, `Redis does not answer (connection refused); nothing was enqueued. Fix: retry ${FIX}`],
      [refused.asRead(), `Redis does not answer (connection refused); nothing was changed; run it again once Redis answers. Fix: retry ${FIX}`],
      [
        new RedisUnavailableError(url, 'no answer within 5000 ms', undefined, true),
        `Redis does not answer (no answer within 5000 ms); the request may be partly done: retry it with the same idempotency key, which completes it or returns it, never twice. Fix: retry ${FIX}`,
      ],
      [refused.asControl({ action: 'pause', sendId: 's1' }), `Redis does not answer (connection refused); the pause was not applied: the send is as it was. Fix: give the pause again ${FIX}`],
      [new RedisUnavailableError(url, 'read ECONNRESET', undefined, true).asControl({ action: 'cancel', sendId: 's1' }), expect.stringMatching(/^Redis does not answer \(the connection was lost\); the cancel may or may not have been applied/)],
      [
        new RedisUnavailableError(url, 'getaddrinfo ENOTFOUND redis.internal', undefined, true, false, { sendId: 's1', written: 300, idempotencyKey: 'k1' }),
        expect.stringMatching(/^Redis does not answer \(its host name does not resolve\) part-way through a campaign: send s1 was created, and 300 recipients/),
      ],
    ];
    for (const [err, answer] of cases) {
      // The message is the Node API's (its redis option); the CLI says it as the environment's.
      expect(err.message).toContain(`Redis at \`redis: "${url}"\` does not answer`);
      expect(inEnvironmentTerms(err.message)).toContain(`Redis at REDIS_URL=${url} does not answer`);
      const http = toHttpError(err, limits, 'r');
      expect(http).toMatchObject({ statusCode: 503, code: 'SMSQ_REDIS_UNAVAILABLE', message: answer, headers: { 'retry-after': '5' } });
      expect(http.message).not.toMatch(where);
    }
  });

  it("ioredis's own error, untranslated: its reason without the address", () => {
    const http = toHttpError(Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:6390'), { code: 'ECONNREFUSED' }), limits, 'r', 'nothing was changed');
    expect(http).toMatchObject({ statusCode: 503, code: 'SMSQ_REDIS_UNAVAILABLE', message: `Redis does not answer (connection refused); nothing was changed. Fix: retry ${FIX}` });
  });

  it('a database REDIS_URL names that Redis refuses: the line names REDIS_URL for the operator, the answer sends the client to them', () => {
    const err = new RedisDatabaseRefusedError(`REDIS_URL="${url}" names database 2, and its user may not SELECT (NOPERM); nothing was read or written. Fix: database 0, or grant the user +select`);
    expect(err).toMatchObject({ code: 'SMSQ_CONFIG_INVALID', lines: [err.message] });
    const http = toHttpError(err, limits, 'r');
    expect(http).toMatchObject({ statusCode: 500, code: 'SMSQ_CONFIG_INVALID', message: expect.stringMatching(/^Redis refused the database this server is configured to use; nothing was read or written\. Fix: tell the operator/) });
    expect(http.message).not.toMatch(where);
  });

  it.each([
    ['NOAUTH Authentication required.', 'NOAUTH', /^Redis refused the credentials this server is configured with \(NOAUTH\); nothing was read or written\. Fix: tell the operator of this server: its log names REDIS_URL and the fix \(a retry will not help\)$/],
    ['WRONGPASS invalid username-password pair or user is disabled.', 'WRONGPASS', /^Redis refused the credentials this server is configured with \(WRONGPASS\); nothing was read or written\. Fix: tell the operator/],
    ["NOPERM this user has no permissions to run the 'evalsha' command", 'NOPERM', /^Redis refused a command to the Redis user this server is configured with \(NOPERM\); it was not run\. Fix: tell the operator/],
  ])("Redis's credentials refusal met outside a gate (%s): SMSQ_REDIS_AUTH as the CLI says it, not SMSQ_INTERNAL", (reply, _word, message) => {
    const http = toHttpError(Object.assign(new Error(reply), { name: 'ReplyError' }), limits, 'r', 'nothing was changed');
    expect(http).toMatchObject({ statusCode: httpStatusOf('SMSQ_REDIS_AUTH'), code: 'SMSQ_REDIS_AUTH', message: expect.stringMatching(message) });
    // A retry will not help: no Retry-After invites one.
    expect(http.headers).toBeUndefined();
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
