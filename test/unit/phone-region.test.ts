import { describe, expect, it } from 'vitest';
import { planSend, planSendBatch } from '../../producers/plan.js';
import { requestFingerprint } from '../../producers/request-fingerprint.js';
import { ValidationError } from '../../src/errors.js';
import { normalizePhone } from '../../src/sms/phone.js';
import { readsAsMainland, regionRefusal } from '../../src/sms/phone-region.js';
import type { TemplateRules } from '../../src/sms/template-rules.js';

const US = '+1 385 555 0123';
/** The same 11 digits: a China Mobile number. */
const CN = '13855550123';
const HK = '+852 9123 4567';

const rules = (templateType: number): TemplateRules => ({ templateCode: `SMS_90${templateType}`, templateType, content: 'code ${code}', variableAttributes: {} });
const refusal = (r: TemplateRules | undefined, raw: string) => {
  const n = normalizePhone(raw);
  if (!n.ok) throw new Error(`${raw} is not a number: ${n.reason}`);
  return regionRefusal(r, n.region, n.phone);
};

describe('numbers whose wire form is also a mainland mobile number', () => {
  it('are exactly the +1 numbers with an area code 3-9: no other country code and length gives such digits', () => {
    // Every country code 1-999 with every length and first digit: the digits that read as
    // mainland all start with 1 (country codes are prefix-free, and 1 is the only one starting so).
    const found = new Set<string>();
    for (let cc = 1; cc <= 999; cc++) {
      for (let total = 8; total <= 15; total++) {
        const nationalLength = total - String(cc).length;
        if (nationalLength < 1) continue;
        for (let first = 1; first <= 9; first++) {
          const n = normalizePhone(`+${cc} ${first}${'5'.repeat(nationalLength - 1)}`);
          if (n.ok && readsAsMainland(n.region, n.phone)) found.add(`+1, ${n.phone.length - 1} digits, area code ${n.phone[1]}..`);
        }
      }
    }
    expect([...found].sort()).toEqual([3, 4, 5, 6, 7, 8, 9].map((d) => `+1, 10 digits, area code ${d}..`));
    // 00 is the same as +; +1 2xx reads 12... (no mainland mobile starts so); a bare number is mainland.
    expect(readsAsMainland('international', '13855550123')).toBe(true);
    const written = ['001 385 555 0123', '+1 202 555 0123', CN, '+86 138 5555 0123'].map((raw) => normalizePhone(raw));
    expect(written.map((n) => n.ok && readsAsMainland(n.region, n.phone))).toEqual([true, false, false, false]);
  });
});

describe('regionRefusal', () => {
  it('without the template (no catalog, or no answer): refuses only a +1 number that reads as mainland, naming why and the fix', () => {
    expect(refusal(undefined, US)).toMatch(
      /^is a US\/Canada \(\+1\) number that Dysmsapi gets as the 11 digits of a Chinese mainland mobile number: under a mainland template it would reach a person in China, and the template's type is not known here .*Fix: .*catalog \(createCatalogLookup.*international template \(type 3\)$/,
    );
    expect(refusal(undefined, US)).not.toContain('55550123');
    for (const ok of [CN, HK, '+1 202 555 0123', '+86 138 0013 8000']) expect(refusal(undefined, ok), ok).toBeUndefined();
  });

  it('an international template (type 3) takes a +1 number and refuses the bare 11 digits (they would go to US/Canada), saying how a US number is written', () => {
    expect(refusal(rules(3), US)).toBeUndefined();
    expect(refusal(rules(3), CN)).toMatch(/mainland number needs a domestic template.*a US\/Canada number is written with its \+1$/);
  });

  it('any other type refuses the +1 number, the digital type (7, which takes other international numbers) included', () => {
    for (const t of [0, 1, 2]) expect(refusal(rules(t), US), `type ${t}`).toMatch(/needs an international .*type 3/);
    expect(refusal(rules(7), HK)).toBeUndefined();
    expect(refusal(rules(7), CN)).toBeUndefined();
    expect(refusal(rules(7), US)).toMatch(/^is a US\/Canada \(\+1\) number .*SMS_907 is digital \(type 7\), not international\. Fix: send \+1 numbers with an international template/);
  });
});

describe('a +1 number and the mainland number with its digits in one request are two people, not duplicates', () => {
  const ctx = (r?: TemplateRules) => ({ now: Date.parse('2026-12-05T10:00:00+08:00'), ...(r ? { rules: r } : {}) });
  const send = { signName: 'smsq沙箱', templateCode: 'SMS_901', templateParam: { code: '1234' }, kind: 'notification' as const };
  const to = (plan: { chunks: { phones: string[] }[] }) => plan.chunks.flatMap((c) => c.phones);

  it('without the template: the +1 number is rejected with its reason, the mainland one sent; alone, the +1 number refuses the request', () => {
    const plan = planSend({ ...send, phones: [US, CN] }, ctx());
    expect(to(plan)).toEqual([CN]);
    expect(plan.duplicates).toBe(0);
    expect(plan.rejected).toEqual([{ input: US, reason: expect.stringMatching(/^is a US\/Canada \(\+1\) number/) }]);
    let err: unknown;
    try {
      planSend({ ...send, phones: [US] }, ctx());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues).toEqual([
      { field: 'phones', message: 'no valid phone number among 1 (nothing was enqueued)' },
      { field: 'phones[0]', message: expect.stringMatching(/^\+1 \*+0123: is a US\/Canada \(\+1\) number/) },
    ]);
    const batch = planSendBatch({ templateCode: 'SMS_901', kind: 'notification', messages: [US, CN].map((phone) => ({ phone, signName: 'smsq沙箱', templateParam: { code: '1234' } })) }, ctx());
    expect(to(batch)).toEqual([CN]);
    expect(batch.rejected).toEqual([{ input: US, reason: expect.stringMatching(/^messages\[0\]\.phone: is a US\/Canada/) }]);
  });

  it('a mainland template sends the mainland number (it was dropped with the +1 one), an international one the +1 number', () => {
    const mainland = planSend({ ...send, phones: [US, CN] }, ctx(rules(1)));
    expect([to(mainland), mainland.duplicates, mainland.rejected.map((r) => r.input)]).toEqual([[CN], 0, [US]]);
    const international = planSend({ ...send, templateCode: 'SMS_903', phones: [CN, US, US] }, ctx(rules(3)));
    expect([to(international), international.duplicates, international.rejected.map((r) => r.input)]).toEqual([[CN], 1, [CN]]);
    expect(international.recipients).toBe(1);
  });

  it('an idempotency key does not take one for the other', () => {
    const fp = (phones: string[]) => requestFingerprint('send', { ...send, phones }).digest;
    expect(fp([US])).not.toBe(fp([CN]));
    expect(fp([US])).toBe(fp(['+13855550123']));
    expect(fp([CN])).toBe(fp(['+86 138 5555 0123']));
  });
});
