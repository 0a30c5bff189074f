import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldIssuesFromZod, ValidationError } from '../../src/errors.js';
import { deadlineExample, SendBatchRequest, SendRequest, withDatedDeadlineExample } from '../../producers/schemas.js';
import { CampaignBody, CampaignQuery, SendBatchBody, SendBody } from '../../server/schemas.js';

const issuesOf = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value);
  return r.success ? [] : fieldIssuesFromZod(r.error.issues);
};

describe('fieldIssuesFromZod: zod\'s bare type messages get the type, what came, and a fix', () => {
  it('a number where a string goes, and the other way round', () => {
    expect(issuesOf(SendRequest, { phones: [13800138000], signName: 'Shop', templateCode: 'SMS_1', name: 5 })).toEqual([
      { field: 'phones[0]', message: 'must be a string, got a number. Fix: write the value in double quotes ("...")' },
      { field: 'name', message: 'must be a string, got a number. Fix: write the value in double quotes ("...")' },
    ]);
    expect(issuesOf(z.object({ n: z.number() }), { n: '5' })).toEqual([{ field: 'n', message: 'must be a number, got a string. Fix: write the value without quotes' }]);
  });

  it('a missing value is required; lists and objects say how to write them', () => {
    expect(issuesOf(z.object({ a: z.array(z.string()), o: z.object({}), s: z.string() }), { a: 'x', o: [] })).toEqual([
      { field: 'a', message: 'must be a list, got a string. Fix: write it as a JSON list ([...])' },
      { field: 'o', message: 'must be an object, got a list. Fix: write it as a JSON object ({...})' },
      { field: 's', message: 'is required: a string. Fix: add it (field names must match exactly)' },
    ]);
  });

  it('in a query string or path, a list is a parameter given twice', () => {
    const r = z.object({ sheet: z.string(), limit: z.string() }).safeParse({ sheet: ['a', 'b'] });
    expect(r.success ? [] : fieldIssuesFromZod(r.error.issues, 'query', 'text')).toEqual([
      { field: 'query.sheet', message: 'must be a string, got a list. Fix: give the parameter once' },
      { field: 'query.limit', message: 'is required: a string. Fix: add it' },
    ]);
  });

  it('smsq\'s own request messages name a fix too', () => {
    const issues = issuesOf(SendRequest, { phones: ['13800138000'], signName: 'Shop', templateCode: 'abc', idempotencyKey: 'bad key!' });
    expect(issues.map((i) => i.field)).toEqual(['templateCode', 'idempotencyKey']);
    for (const issue of issues) expect(issue.message).toMatch(/\. Fix: /);
  });

  it('every message of the request schemas names a fix: the Node API\'s, the JSON bodies\' and an upload\'s query (`templateParam` as a string had none)', () => {
    const send = { phones: ['13800138000'], signName: 'Shop', templateCode: 'SMS_1' };
    const batch = { templateCode: 'SMS_1', messages: [{ phone: '13800138000', signName: 'Shop' }] };
    const campaign = { signName: 'Shop', templateCode: 'SMS_1', recipients: [{ phone: '13800138000' }] };
    const tooLong = '1'.repeat(33);
    const cases: [string, z.ZodType, unknown, 'json' | 'text'][] = [
      ['templateParam a string', SendRequest, { ...send, templateParam: 'name=Li' }, 'json'],
      ['templateParam a list', SendBody, { ...send, templateParam: ['Li'] }, 'json'],
      ['a batch message\'s templateParam', SendBatchRequest, { ...batch, messages: [{ ...batch.messages[0], templateParam: 'x' }] }, 'json'],
      ['a recipient\'s params', CampaignBody, { ...campaign, recipients: [{ phone: '13800138000', params: 'x' }] }, 'json'],
      ['signName empty', SendRequest, { ...send, signName: ' ' }, 'json'],
      ['callbackUrl not a URL', SendRequest, { ...send, callbackUrl: 'ftp://example.com/x' }, 'json'],
      ['a phone too long', SendRequest, { ...send, phones: [tooLong] }, 'json'],
      ['a batch phone too long', SendBatchRequest, { ...batch, messages: [{ ...batch.messages[0], phone: tooLong }] }, 'json'],
      ['messages not a list', SendBatchRequest, { ...batch, messages: 'x' }, 'json'],
      ['a body\'s messages not a list', SendBatchBody, { ...batch, messages: 'x' }, 'json'],
      ['a body\'s messages empty', SendBatchBody, { ...batch, messages: [] }, 'json'],
      ['a body\'s batch phone too long', SendBatchBody, { ...batch, messages: [{ ...batch.messages[0], phone: tooLong }] }, 'json'],
      ['recipients not a list', CampaignBody, { ...campaign, recipients: 'x' }, 'json'],
      ['recipients empty', CampaignBody, { ...campaign, recipients: [] }, 'json'],
      ['a recipient\'s phone a number', CampaignBody, { ...campaign, recipients: [{ phone: 13800138000 }] }, 'json'],
      ['a recipient\'s phone too long', CampaignBody, { ...campaign, recipients: [{ phone: tooLong }] }, 'json'],
      ['an upload\'s templateParam not JSON', CampaignQuery, { signName: 'Shop', templateCode: 'SMS_1', templateParam: 'name=Li' }, 'text'],
    ];
    const withoutFix: string[] = [];
    for (const [what, schema, value, form] of cases) {
      const r = schema.safeParse(value);
      const issues = r.success ? [] : fieldIssuesFromZod(r.error.issues, '', form);
      expect(issues.length, what).toBeGreaterThan(0);
      for (const issue of issues) if (!/\. Fix: /.test(issue.message)) withoutFix.push(`${what}: ${issue.field}: ${issue.message}`);
    }
    expect(withoutFix).toEqual([]);
  });

  it('leaves smsq\'s own messages as they are', () => {
    expect(issuesOf(SendRequest, { phones: [], signName: 'Shop', templateCode: 'SMS_1' })).toEqual([{ field: 'phones', message: 'needs at least one phone number. Fix: give one, e.g. 138-0013-8000' }]);
    // A refusal masks digit runs as phone numbers: the example survives it (it read ["138****8000"]).
    expect(new ValidationError(issuesOf(SendRequest, { phones: [], signName: 'Shop', templateCode: 'SMS_1' })).issues[0]?.message).toContain('e.g. 138-0013-8000');
  });
});

describe('a send name', () => {
  it('is refused empty or blank, as the CLI refuses --name "" (REST took "name": "")', () => {
    for (const name of ['', '   ']) {
      expect(issuesOf(SendRequest, { phones: ['13800138000'], signName: 'Shop', templateCode: 'SMS_1', name })).toEqual([{ field: 'name', message: 'must not be empty. Fix: leave name out, or give the send a name' }]);
    }
    expect(SendRequest.parse({ phones: ['13800138000'], signName: 'Shop', templateCode: 'SMS_1', name: ' spring ' }).name).toBe('spring');
  });
});

describe('a callback URL', () => {
  const send = (callbackUrl: string) => issuesOf(SendRequest, { phones: ['13800138000'], signName: 'Shop', templateCode: 'SMS_1', callbackUrl });
  it('may not point at the cloud metadata service or a link-local address, nor carry credentials (a re-trial had workers POST to 100.100.100.200)', () => {
    for (const url of ['http://100.100.100.200/latest/meta-data', 'http://169.254.169.254/latest', 'http://[fe80::1]/x', 'http://0.0.0.0:8080/']) {
      expect(send(url), url).toEqual([{ field: 'callbackUrl', message: expect.stringMatching(/a link-local or cloud metadata address .*Fix: the URL of your receiver$/) }]);
    }
    // The same addresses written as IPv4-mapped IPv6 (a URL writes them in hex: [::ffff:a9fe:a9fe]),
    // as a number, and AWS's IPv6 metadata address: the door's pattern let these through.
    for (const url of ['http://[::ffff:169.254.169.254]/x', 'http://[::ffff:100.100.100.200]/', 'http://[::ffff:a9fe:a9fe]/', 'http://[fd00:ec2::254]/latest', 'http://2852039166/', 'http://0.1.2.3/', 'http://[::]/']) {
      expect(send(url), url).toEqual([{ field: 'callbackUrl', message: expect.stringMatching(/a link-local or cloud metadata address .*Fix: the URL of your receiver$/) }]);
    }
    expect(send('https://user:pass@example.com/cb')).toEqual([{ field: 'callbackUrl', message: expect.stringMatching(/^carries a user or password: .*Fix: the URL without user:pass@$/) }]);
  });
  it('may point at a receiver on this machine or a private network', () => {
    for (const url of ['http://127.0.0.1:9000/cb', 'http://10.0.0.5/cb', 'http://[::1]:9000/cb', 'http://[::ffff:10.0.0.5]/cb', 'http://100.100.100.201/cb', 'https://hooks.example.com/smsq']) expect(send(url), url).toEqual([]);
  });
});

describe('a signature', () => {
  it('is refused with its brackets, which Dysmsapi adds (it answered SignatureNotFound with no word of why)', () => {
    for (const signName of ['【smsq沙箱】', '[smsq沙箱]']) {
      expect(issuesOf(SendRequest, { phones: ['13800138000'], signName, templateCode: 'SMS_1' })).toEqual([{ field: 'signName', message: expect.stringMatching(/^is written with its brackets: .*Fix: the name alone/) }]);
    }
    expect(issuesOf(SendRequest, { phones: ['13800138000'], signName: 'smsq沙箱', templateCode: 'SMS_1' })).toEqual([]);
  });

  it('is refused with an invisible or control character in it, before the account is asked (it cost a GetSmsSign to be told SignatureNotFound)', () => {
    for (const signName of ['smsq\u200b沙箱', 'smsq沙箱\u0000', 'smsq\u00ad沙箱', 'smsq\u2060沙箱']) {
      expect(issuesOf(SendRequest, { phones: ['13800138000'], signName, templateCode: 'SMS_1' })).toEqual([{ field: 'signName', message: expect.stringMatching(/^holds an invisible or control character \(U\+[0-9A-F]{4}(?: [A-Z -]+\d*)?\).*Fix: type the name again/) }]);
    }
  });
});

describe("a send's name", () => {
  it('is refused with a control character in it (the campaigns page and `smsq sends` show it)', () => {
    for (const name of ['spring\u0000sale', 'spring\u001b[31msale', 'a\u0085b']) {
      expect(issuesOf(SendRequest, { phones: ['13800138000'], signName: 'smsq沙箱', templateCode: 'SMS_1', name })).toEqual([{ field: 'name', message: expect.stringMatching(/^holds an invisible or control character \(U\+[0-9A-F]{4}(?: [A-Z -]+\d*)?\).*Fix/) }]);
    }
    expect(issuesOf(SendRequest, { phones: ['13800138000'], signName: 'smsq沙箱', templateCode: 'SMS_1', name: '春季 sale – 2026' })).toEqual([]);
  });

  it('is refused with a bidi control or an invisible character in it (U+202E shows "spring\u202Eelas" as "springsale" reversed: another send\'s name)', () => {
    for (const name of ['spring\u202Eelas', 'spring\u200Bsale', 'spring\u2066sale\u2069', 'spring\uFEFFsale']) {
      expect(issuesOf(SendRequest, { phones: ['13800138000'], signName: 'smsq沙箱', templateCode: 'SMS_1', name }), name).toEqual([{ field: 'name', message: expect.stringMatching(/^holds an invisible or control character \(U\+[0-9A-F]{4}(?: [A-Z -]+\d*)?\).*Fix/) }]);
    }
    // Named as well as numbered: `U+200B` alone sent people to look it up.
    expect(issuesOf(SendRequest, { phones: ['13800138000'], signName: 'smsq沙箱', templateCode: 'SMS_1', name: 'spring\u200Bsale' })[0]?.message).toMatch(/\(U\+200B ZERO WIDTH SPACE\)/);
  });
});

describe('a deadline refused: a fix to copy', () => {
  const request = (deadline: unknown) => ({ phones: ['13800138000'], signName: 'smsq沙箱', templateCode: 'SMS_1', deadline });

  it('a space where the zone\'s + goes (an unencoded + in a query string) is said so, with the + as %2B (the fix repeated the fault)', () => {
    const [issue] = issuesOf(SendRequest, request('2027-01-01T00:00:00 08:00'));
    expect(issue).toEqual({
      field: 'deadline',
      message:
        'must be a Date, an ISO 8601 time with a zone (yyyy-MM-ddTHH:mm:ss+08:00, +0800 or ...Z; a space for the T) or epoch milliseconds, got "2027-01-01T00:00:00 08:00": a space where the zone\'s + goes, as a + in a query string reads as a space. Fix: 2027-01-01T00:00:00+08:00, its + percent-encoded as %2B in a query string (2027-01-01T00:00:00%2B08:00)',
    });
    expect(issuesOf(SendRequest, request('2027-01-01 09:30 0800'))[0]?.message).toContain('(2027-01-01 09:30%2B0800)');
  });

  it('a time without a zone: 20:00 China time today, or tomorrow once it has passed, by the clock of the door', () => {
    const err = new ValidationError(issuesOf(SendRequest, request('2026-11-26T10:00:00')));
    expect(err.issues[0]?.message).toMatch(/Fix: e\.g\. a day to come at 20:00 China time, as yyyy-MM-ddT20:00:00\+08:00$/);
    // 23:24 China time: today's 20:00 has gone.
    const late = withDatedDeadlineExample(err, Date.UTC(2026, 10, 25, 15, 24)) as ValidationError;
    expect(late.issues[0]?.message).toMatch(/Fix: e\.g\. 2026-11-26T20:00:00\+08:00 \(tomorrow at 20:00 China time\)$/);
    expect(deadlineExample(Date.UTC(2026, 10, 25, 2, 0))).toBe('2026-11-25T20:00:00+08:00 (today at 20:00 China time)');
    // At 20:00 exactly it is no longer to come; just before midnight UTC (08:00 China time) it is.
    expect(deadlineExample(Date.UTC(2026, 10, 25, 12, 0))).toBe('2026-11-26T20:00:00+08:00 (tomorrow at 20:00 China time)');
    expect(deadlineExample(Date.UTC(2026, 10, 24, 23, 59))).toBe('2026-11-25T20:00:00+08:00 (today at 20:00 China time)');
    const other = new ValidationError([{ field: 'phones', message: 'x' }]);
    expect(withDatedDeadlineExample(other, 0)).toBe(other);
  });
});
