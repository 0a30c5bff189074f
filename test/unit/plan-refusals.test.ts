import { describe, expect, it } from 'vitest';
import { checkDeadline, planSend, planSendBatch } from '../../producers/plan.js';
import { ValidationError } from '../../src/errors.js';

const OPTED_OUT = new Set(['13800138001', '13800138002']);
const ctx = { now: Date.parse('2026-12-04T10:00:00+08:00'), isSuppressed: (phone: string) => OPTED_OUT.has(phone) };
const SHARED = { signName: 'smsq沙箱', templateCode: 'SMS_900000003', kind: 'marketing' as const };
// A batch's signatures are its messages' (a signName beside them is not a field of a batch request).
const BATCH_SHARED = { templateCode: SHARED.templateCode, kind: SHARED.kind };

function refusal(plan: () => unknown): { field: string; message: string } {
  try {
    plan();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    const issues = (err as ValidationError).issues;
    expect(issues).toHaveLength(1);
    return issues[0] as { field: string; message: string };
  }
  throw new Error('the plan was not refused');
}

/** Every issue of a plan's refusal (it must refuse). */
function issuesOf(plan: () => unknown) {
  try {
    plan();
  } catch (err) {
    return (err as ValidationError).issues;
  }
  throw new Error('the plan was not refused');
}

describe('a send or batch left with no number is refused alike', () => {
  it('every number on the opt-out list: said so, with the fix, for send and sendBatch', () => {
    const send = refusal(() => planSend({ ...SHARED, phones: [...OPTED_OUT], templateParam: { name: 'n' } }, ctx));
    const batch = refusal(() => planSendBatch({ ...BATCH_SHARED, messages: [...OPTED_OUT].map((phone) => ({ phone, signName: SHARED.signName, templateParam: { name: 'n' } })) }, ctx));
    expect(send.field).toBe('phones');
    expect(batch.field).toBe('messages');
    for (const issue of [send, batch]) {
      // sendBatch used to say "no valid phone number among 2" and list nothing.
      expect(issue.message).toBe(
        'no number left to send to (nothing was enqueued): 2 numbers are on the opt-out list: they replied an opt-out word (TD, R, 退订, ...) to an earlier message and get no more marketing. ' +
          'Fix: take them off your marketing list (notifications and verification codes still reach them)',
      );
    }
  });

  it('invalid numbers and opted-out ones: both said, each invalid number at its place in the request', () => {
    const send = issuesOf(() => planSend({ ...SHARED, phones: ['13800138001', '12345'], templateParam: { name: 'n' } }, ctx));
    const batch = issuesOf(() =>
      planSendBatch({ ...BATCH_SHARED, messages: ['13800138001', '12345'].map((phone) => ({ phone, signName: SHARED.signName, templateParam: { name: 'n' } })) }, ctx),
    );
    for (const [issues, field, at] of [[send, 'phones', 'phones[1]'], [batch, 'messages', 'messages[1].phone']] as const) {
      expect(issues).toEqual([
        { field, message: expect.stringMatching(/^no number left to send to among 2 \(nothing was enqueued\): 1 number is on the opt-out list: .*Fix: take them off your marketing list .*\. The others are not valid, each named below$/) },
        { field: at, message: '12345: a mainland mobile number has 11 digits, got 5: check it for a missing or extra digit' },
      ]);
      expect(JSON.stringify(issues)).not.toContain('13800138001');
    }
  });

  it('a notification is never held back by the opt-out list', () => {
    expect(planSend({ ...SHARED, kind: 'notification', phones: [...OPTED_OUT], templateParam: { name: 'n' } }, ctx).recipients).toBe(2);
  });
});

describe('a batch that gives one number two messages', () => {
  const message = (phone: string, order: string) => ({ phone, signName: SHARED.signName, templateParam: { name: 'n', order } });

  it('is refused naming both places (the second used to be dropped as a duplicate, unsaid)', () => {
    const issue = refusal(() => planSendBatch({ ...BATCH_SHARED, kind: 'notification', messages: [message('13800138000', '1'), message('+86 138 0013 8000', '2')] }, ctx));
    expect(issue.field).toBe('messages[1]');
    expect(issue.message).toMatch(/^gives \+86\*+8000 a message other than messages\[0\] does \(another signature, params or extension code\); .*Fix: send it in a request of its own/);
  });

  it('drops the same message given twice as a duplicate, whatever the order of its params', () => {
    const plan = planSendBatch(
      { ...BATCH_SHARED, kind: 'notification', messages: [message('13800138000', '1'), { phone: '13800138000', signName: SHARED.signName, templateParam: { order: '1', name: 'n' } }] },
      ctx,
    );
    expect(plan).toMatchObject({ recipients: 1, duplicates: 1 });
  });

  it('is refused when the two differ only in their extension codes (replies to one would read as the other\'s)', () => {
    const coded = (phone: string, smsUpExtendCode?: string) => ({ ...message(phone, '1'), ...(smsUpExtendCode === undefined ? {} : { smsUpExtendCode }) });
    const issue = refusal(() => planSendBatch({ ...BATCH_SHARED, kind: 'notification', messages: [coded('13800138000', '01'), coded('13800138000', '02')] }, ctx));
    expect(issue.field).toBe('messages[1]');
    expect(issue.message).toMatch(/another signature, params or extension code/);
    expect(refusal(() => planSendBatch({ ...BATCH_SHARED, kind: 'notification', messages: [coded('13800138000', '01'), coded('13800138000')] }, ctx)).field).toBe('messages[1]');
    expect(planSendBatch({ ...BATCH_SHARED, kind: 'notification', messages: [coded('13800138000', '01'), coded('13800138000', '01')] }, ctx)).toMatchObject({ recipients: 1, duplicates: 1 });
  });
});

describe('a batch message\'s extension code (smsUpExtendCode)', () => {
  const message = (smsUpExtendCode: unknown) => ({ phone: '13800138000', signName: SHARED.signName, templateParam: { name: 'n' }, smsUpExtendCode });
  const batch = (code: unknown) => ({ ...BATCH_SHARED, messages: [{ phone: '13900139000', signName: SHARED.signName, templateParam: { name: 'n' } }, message(code)] });

  it('is 1-12 digits, as send\'s: anything else is refused naming the message and the fix', () => {
    for (const bad of ['12a', '', '1234567890123', '+12', '1 2', '   ']) {
      const issue = refusal(() => planSendBatch(batch(bad), ctx));
      expect(issue.field, bad).toBe('messages[1].smsUpExtendCode');
      expect(issue.message, bad).toMatch(/must be 1-12 digits.*Fix: /);
    }
  });

  it('is never trimmed: spaces around its digits are refused, with the digits alone as the fix', () => {
    for (const bad of [' 12', '12 ', '\t12\n', '\u300012']) {
      expect(refusal(() => planSendBatch(batch(bad), ctx)), JSON.stringify(bad)).toEqual({ field: 'messages[1].smsUpExtendCode', message: expect.stringMatching(/^has spaces around its digits.*Fix: "12", without the spaces$/) });
    }
  });

  it('is a string: a JSON number would lose its leading zeros, so it is refused with the fix', () => {
    const issue = refusal(() => planSendBatch(batch(7), ctx));
    expect(issue.field).toBe('messages[1].smsUpExtendCode');
    expect(issue.message).toMatch(/must be a string of 1-12 digits.*Fix: quote it/);
  });

  it('goes into the plan\'s SendBatchSms chunk beside its number', () => {
    const plan = planSendBatch({ ...BATCH_SHARED, messages: [message('0427'), { ...message('0428'), phone: '13900139000' }] }, ctx);
    expect(plan.chunks).toEqual([expect.objectContaining({ api: 'SendBatchSms', phones: ['13800138000', '13900139000'], smsUpExtendCodes: ['0427', '0428'] })]);
  });
});

describe('a deadline in the past', () => {
  it('is refused with an example that is not in the past itself: this time tomorrow', () => {
    const now = Date.parse('2026-12-05T07:50:00+08:00');
    try {
      checkDeadline(Date.parse('2026-11-25T20:00:00+08:00'), now);
      throw new Error('not refused');
    } catch (err) {
      expect((err as ValidationError).issues[0]?.message).toMatch(/is in the past .*Fix: a future time such as 2026-12-06T07:50:00\+08:00 \(this time tomorrow; /);
    }
  });
});

describe('a deadline given as a string of epoch milliseconds', () => {
  it('is read as such, as the CLI and a JSON number are (REST refused it, its digits masked as a phone number)', () => {
    const request = { ...SHARED, kind: 'notification' as const, phones: ['13800138000'], templateParam: { name: 'n' } };
    expect(planSend({ ...request, deadline: '4102444800000' }, ctx).deadline).toBe(4_102_444_800_000);
    expect(planSend({ ...request, deadline: 4_102_444_800_000 }, ctx).deadline).toBe(4_102_444_800_000);
    expect(() => planSend({ ...request, deadline: '41024448000001234567' }, ctx)).toThrow(ValidationError);
  });
});

describe('a deadline after the send\'s records expire', () => {
  it('is refused, naming the kind\'s retention (it was taken, and the send would be gone before it)', () => {
    const now = Date.parse('2026-12-05T08:00:00+08:00');
    const kept = { kind: 'verification', seconds: 4 * 86_400 };
    expect(() => checkDeadline(now + 4 * 86_400_000, now, kept)).not.toThrow();
    try {
      checkDeadline(Date.parse('2099-01-01T00:00:00Z'), now, kept);
      throw new Error('not refused');
    } catch (err) {
      expect((err as ValidationError).issues).toEqual([
        { field: 'deadline', message: expect.stringMatching(/^2099-01-01 08:00:00 \+08:00 is after the send's records expire: verification sends are kept 4 days \(SMSQ_RETENTION_DAYS\).*Fix: a deadline within 4 days, or leave it out$/) },
      ]);
    }
  });
});

describe('a blank number is named as a campaign row names it', () => {
  it('send and sendBatch say "(empty)" before the reason, not a bare ": "', () => {
    const send = issuesOf(() => planSend({ ...SHARED, phones: [''], templateParam: { name: 'n' } }, ctx));
    const batch = issuesOf(() => planSendBatch({ ...BATCH_SHARED, messages: [{ phone: '', signName: SHARED.signName, templateParam: { name: 'n' } }] }, ctx));
    expect(send[1]).toEqual({ field: 'phones[0]', message: expect.stringMatching(/^\(empty\): is empty: give a mobile number/) });
    expect(batch[1]).toEqual({ field: 'messages[0].phone', message: expect.stringMatching(/^\(empty\): is empty: give a mobile number/) });
  });
});

describe('a deadline at or before the epoch', () => {
  it('is a time in the past, refused as one, not as a value of the wrong form', () => {
    const request = { ...SHARED, kind: 'notification' as const, phones: ['13800138000'], templateParam: { name: 'n' } };
    for (const deadline of [new Date(0), 0, '0', new Date(-86_400_000)]) {
      try {
        planSend({ ...request, deadline }, ctx);
        throw new Error(`${String(deadline)} not refused`);
      } catch (err) {
        expect((err as ValidationError).issues).toEqual([{ field: 'deadline', message: expect.stringMatching(/^19(70-01-01|69-12-31)T\S+\+08:00 is in the past \(now 2026-12-04 /) }]);
      }
    }
  });
});
