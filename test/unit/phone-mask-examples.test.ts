/**
 * Refusals mask the phone numbers in them, not every long digit run: a fix's own example number
 * (EXAMPLE_PHONE after "e.g.") shows whole; a number anyone gave stays masked, the example's
 * digits included, and so does the whole part of a decimal number (a phone typed with decimals).
 */
import { describe, expect, it } from 'vitest';
import { campaignSource } from '../../producers/recipient-source.js';
import { ValidationError } from '../../src/errors.js';
import { maskPhonesInText } from '../../src/sms/phone-mask.js';

describe('phone masking in refusals', () => {
  it("a campaign given a non-iterable is told the fix's example whole", () => {
    expect(() => campaignSource(42, 'recipients')).toThrow("Fix: pass e.g. [{ phone: '13800138000' }]");
  });

  // [text, as masked]: the example's digits given by anyone, a number ending a sentence, two numbers joined by a dot.
  const stillMasked: [string, string][] = [
    ["quote it: phone: '13800138000' (a number loses a leading + or 0)", "quote it: phone: '138****8000' (a number loses a leading + or 0)"],
    ['e.g. 13900139000', 'e.g. 139****9000'],
    ['sent to 13800138000.', 'sent to 138****8000.'],
    ['13800138000.13900139000', '138****8000.139****9000'],
    // A phone cell typed with decimals: its refusal quotes it. An epoch deadline with a fraction
    // (1796686351000.5) is masked the same way; a phone shown whole would be worse.
    ['column phone: 13800138042.7 is a number with decimals', 'column phone: 138****8042.7 is a number with decimals'],
    ['got 13800138000, e.g. 13800138000', 'got 138****8000, e.g. 13800138000'],
  ];
  it.each(stillMasked)('a number anyone gave stays masked: %s', (text, masked) => {
    expect(maskPhonesInText(text)).toBe(masked);
    expect(new ValidationError([{ field: 'phones[0]', message: text }]).issues[0]?.message).toBe(masked);
  });
});
