import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CampaignRequest, SendBatchRequest, SendRequest } from '../../producers/schemas.js';
import { CampaignQuery, issuesFromZod, SendBatchBody, SendBody } from '../../server/schemas.js';
import { closestName, fieldsAt, unknownFieldMessage } from '../../src/unknown-fields.js';

const SEND_FIELDS = Object.keys(SendRequest.shape);

describe('closestName: the field an unknown one was likely meant to be', () => {
  it('matches across case and separators, and one or two edits', () => {
    expect(closestName('idempotency_key', SEND_FIELDS)).toBe('idempotencyKey');
    expect(closestName('IDEMPOTENCY-KEY', SEND_FIELDS)).toBe('idempotencyKey');
    expect(closestName('deadLine', SEND_FIELDS)).toBe('deadline');
    expect(closestName('templateParams', SEND_FIELDS)).toBe('templateParam');
    expect(closestName('phone', SEND_FIELDS)).toBe('phones');
    expect(closestName('sigName', SEND_FIELDS)).toBe('signName');
    expect(closestName('tempalteCode', SEND_FIELDS)).toBe('templateCode'); // two letters swapped: one edit
    expect(closestName('calbackUrl', SEND_FIELDS)).toBe('callbackUrl');
  });

  it('guesses nothing when nothing is close, a name is short, or two are as close', () => {
    expect(closestName('priority', SEND_FIELDS)).toBeUndefined();
    expect(closestName('to', ['tag', 'top'])).toBeUndefined();
    expect(closestName('nam', SEND_FIELDS)).toBeUndefined();
    expect(closestName('abcde', ['abcdx', 'abcdy'])).toBeUndefined();
  });
});

describe('fieldsAt: the fields of the object at an issue\'s path', () => {
  it('walks objects, lists, optional values and pipes', () => {
    expect(fieldsAt(SendRequest, [])).toEqual(SEND_FIELDS);
    expect(fieldsAt(SendBatchRequest, ['messages', 0])).toEqual(['phone', 'signName', 'templateParam', 'smsUpExtendCode']);
    expect(fieldsAt(z.object({ a: z.array(z.object({ b: z.string() })).optional() }), ['a', 3])).toEqual(['b']);
    expect(fieldsAt(CampaignRequest, ['templateParam'])).toEqual([]);
    expect(fieldsAt(SendRequest, ['nowhere'])).toEqual([]);
  });

  it('says what the caller meant, or which fields there are', () => {
    expect(unknownFieldMessage('deadLine', SEND_FIELDS, 'a send request')).toBe('is not a field of a send request. Fix: write it as deadline (field names must match exactly)');
    expect(unknownFieldMessage('x', ['a', 'b'], 'a thing')).toBe('is not a field of a thing. Fix: remove it, or use one of its fields: a, b');
  });
});

describe('the HTTP API names the field meant too', () => {
  const issues = (schema: z.ZodType, value: unknown) => {
    const parsed = schema.safeParse(value);
    return parsed.success ? [] : issuesFromZod(parsed.error.issues, '', 'json', schema);
  };

  it('in a body, in its messages, and for a key that belongs in the header', () => {
    expect(issues(SendBody, { phones: ['13800138000'], signName: 'S', templateCode: 'SMS_1', templateParams: {}, idempotency_key: 'k' })).toEqual([
      { field: 'templateParams', message: 'is not a field of this request. Fix: write it as templateParam (field names must match exactly)' },
      { field: 'idempotency_key', message: 'is not accepted in the body. Fix: send it as the Idempotency-Key header' },
    ]);
    expect(issues(SendBatchBody, { templateCode: 'SMS_1', messages: [{ phone: '13800138000', signname: 'S' }] })).toContainEqual({
      field: 'messages[0].signname',
      message: 'is not a field of this request. Fix: write it as signName (field names must match exactly)',
    });
    expect(issues(CampaignQuery, { signName: 'S', templateCode: 'SMS_1', shet: 'x' })).toEqual([{ field: 'shet', message: 'is not a field of this request. Fix: write it as sheet (field names must match exactly)' }]);
  });

  it('says where a key that belongs in the header was sent: an upload\'s query string is no body', () => {
    const parsed = CampaignQuery.safeParse({ signName: 'S', templateCode: 'SMS_1', idempotencyKey: 'k' });
    expect(parsed.success ? [] : issuesFromZod(parsed.error.issues, '', 'text', CampaignQuery)).toEqual([
      { field: 'idempotencyKey', message: 'is not accepted in the query string. Fix: send it as the Idempotency-Key header' },
    ]);
  });

  it('names the field a short name stands for (the CLI\'s --sign, --param), and both fields when it stands for two', () => {
    const body = { phones: ['13800138000'], signName: 'S', templateCode: 'SMS_1' };
    const fix = (meant: string) => `is not a field of this request. Fix: write it as ${meant} (field names must match exactly)`;
    expect(issues(SendBody, { ...body, sign: 'S' })).toEqual([{ field: 'sign', message: fix('signName') }]);
    expect(issues(SendBody, { ...body, param: { code: '1' } })).toEqual([{ field: 'param', message: fix('templateParam') }]);
    // A template has a code and params: which one was meant is for the caller to say.
    expect(issues(SendBody, { ...body, template: 'SMS_1' })).toEqual([{ field: 'template', message: fix('templateCode or templateParam') }]);
    expect(issues(CampaignQuery, { signName: 'S', templateCode: 'SMS_1', sign: 'S' })).toEqual([{ field: 'sign', message: fix('signName') }]);
    expect(unknownFieldMessage('sign', SEND_FIELDS, 'a send request')).toBe('is not a field of a send request. Fix: write it as signName (field names must match exactly)');
    // Not a whole word of any field, or too short to guess at: as before.
    expect(issues(SendBody, { ...body, sig: 'S' })[0]?.message).toBe('is not a field of this request. Fix: remove it or check its spelling (see /openapi.json)');
    expect(issues(SendBody, { ...body, emplate: 'S' })[0]?.message).toBe('is not a field of this request. Fix: remove it or check its spelling (see /openapi.json)');
  });

  it('takes no Date for a deadline (JSON has none): its schema stays the JSON forms', () => {
    const deadline = (SendBody.shape.deadline as z.ZodType).safeParse(new Date());
    expect(deadline.success).toBe(false);
  });
});
