import { describe, expect, it } from 'vitest';
import { normalizePhone, normalizePhones } from '../../src/sms/phone.js';
import { describeNumbers } from '../../src/sms/phone-list.js';

describe('normalizePhone', () => {
  it.each([
    ['13800138000', '13800138000'],
    ['+8613800138000', '13800138000'],
    ['+86 138-0013-8000', '13800138000'],
    ['008613800138000', '13800138000'],
    ['8613800138000', '13800138000'],
    [' 138 0013 8000 ', '13800138000'],
    ['19912345678', '19912345678'],
  ])('mainland %s → %s', (raw, phone) => {
    expect(normalizePhone(raw)).toEqual({ ok: true, phone, region: 'mainland' });
  });

  it.each([
    ['+852 9123 4567', '85291234567'],
    ['0085291234567', '85291234567'],
    ['85291234567', '85291234567'],
    ['+853 6612 3456', '85366123456'],
    ['+886 912 345 678', '886912345678'],
    ['+1 (202) 555-0123', '12025550123'],
    ['+44 7911 123456', '447911123456'],
    ['6591234567', '6591234567'],
  ])('international %s → %s', (raw, phone) => {
    expect(normalizePhone(raw)).toEqual({ ok: true, phone, region: 'international' });
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['1380013800a', /contains "a"/],
    ['+', /no digits/],
    ['12345678901', /second digit must be 3–9.*\+1/],
    ['1380013800', /11 digits, got 10/],
    ['138001380001', /11 digits, got 12/],
    ['+86 2012345678', /must start with 1/],
    ['+86 1380013800', /11 digits, got 10/],
    ['+8612012345678', /second digit/],
    ['013800138000', /starts with 0/],
    ['+0123456789', /never start with 0/],
    ['+852123', /too short/],
    ['+1234567890123456', /a \+1 .*10 digits|too long/],
    ['+4412345678901234', /too long/],
    ['86138001380', /13 digits/],
    ['+1 202 555 012', /10 digits after the 1/],
  ])('rejects %j with a reason', (raw, reason) => {
    const r = normalizePhone(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.input).toBe(raw);
      expect(r.reason).toMatch(reason);
    }
  });
});

describe('normalizePhones', () => {
  it('deduplicates after normalisation, keeps order, collects invalid ones', () => {
    const r = normalizePhones(['13900139000', '+86 138 0013 8000', 'oops', '13800138000', '008613900139000', '85291234567', '']);
    expect(r.valid).toEqual(['13900139000', '13800138000', '85291234567']);
    expect(r.duplicates).toBe(2);
    expect(r.invalid.map((i) => i.input)).toEqual(['oops', '']);
    expect(r.invalid.every((i) => i.reason.length > 0)).toBe(true);
  });

  it('handles an empty list', () => {
    expect(normalizePhones([])).toEqual({ valid: [], invalid: [], duplicates: 0 });
  });
});

describe('one entry that holds several numbers, and full-width digits', () => {
  it.each([
    ['13800138000;13900139000', 2, '";"'],
    ['13800138000 13900139000', 2, 'spaces'],
    ['13800138000，13900139000、+85291234567', 3, '"，"'],
  ])('%s is refused as %i numbers with %s between them (it read as a bad character, or 22 digits)', (raw, count, between) => {
    const r = normalizePhone(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe(`holds ${count} numbers, with ${between} between them: give one number per entry`);
  });

  it('reads full-width digits and ＋ as the ASCII ones, and leaves one number written in groups alone', () => {
    expect(normalizePhone('１３８００１３８０００')).toMatchObject({ ok: true, phone: '13800138000' });
    expect(normalizePhone('＋86 138 0013 8000')).toMatchObject({ ok: true, phone: '13800138000' });
    expect(normalizePhone('+852 9123 4567')).toMatchObject({ ok: true, phone: '85291234567' });
  });
});

describe('what a spreadsheet or a landline looks like', () => {
  it.each([
    ['1.38001E+10', /^is in scientific notation, as a spreadsheet shows a long number .*format the phone column as text/],
    ['13800138000.0', /^ends in "\.0", as a spreadsheet stores a number cell/],
    ['01012345678', /^looks like a mainland landline \(0 and an area code\): SMS go to mobile numbers only/],
    ['075512345678', /^looks like a mainland landline/],
  ])('%s says so (it read as a bad character, a wrong length, or +852)', (raw, reason) => {
    const r = normalizePhone(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe('describeNumbers', () => {
  it('masks each number of an entry that holds several, not the entry as one made-up number', () => {
    // '13800138000;13900139000' was shown as 138****9000, a number nobody typed.
    expect(describeNumbers(['13800138000;13900139000'])).toBe('138****8000;139****9000');
    expect(describeNumbers(['138-0013-8000/139-0013-9000'])).toBe('138****8000/139****9000');
    expect(describeNumbers(['138 0013 8000', '+86 138-0013-8000'])).toBe('138****8000, +86****8000');
    expect(describeNumbers(['1380013800'])).toBe('138****3800');
    // Text with a number in it stays masked whole, as before.
    expect(describeNumbers(['Zhang San 13800138000'])).toBe('Zha****8000');
  });

  it('shows an entry with too few digits for any number as typed, as the rejected table and masked text show it (`12345` was `****`)', () => {
    expect(describeNumbers(['12345', '张三', '123456'])).toBe('12345, 张三, 123456');
    expect(describeNumbers(['x'.repeat(30)])).toBe(`${'x'.repeat(20)}…`);
    expect(describeNumbers(['1234567'])).toBe('****'); // seven digits may be a number: masked, whole as before
  });
});


describe('a number refused for its length or its digits', () => {
  it.each([
    ['1380013800', 'a mainland mobile number has 11 digits, got 10: check it for a missing or extra digit'],
    ['+86 1380013800', 'a mainland number after +86 must have 11 digits, got 10: check it for a missing or extra digit'],
    ['+86 23800138000', 'a mainland number after +86 must start with 1 (mobile numbers only), got "238****8000": give the person\'s mobile number'],
    ['12800138000', 'a mainland mobile number\'s second digit must be 3–9, got "12..." (a US/Canada number needs its +1 written out): check the number'],
    ['+1 415555123', 'a +1 (US/Canada) number has 10 digits after the 1, got 9: check it for a missing or extra digit'],
    ['+', 'has no digits after the + or 00: write the number after its country code'],
    ['+852 123', 'too short for an international number (6 digits; country code + number is 8–15): check it for missing digits'],
    ['+852 1234567890123456', 'too long (19 digits; country code + number is at most 15): check it for extra digits, or two numbers run together'],
  ])('%j says what to do about it, not only what is wrong (a --phones list of up to 1,000 had no fix at all)', (raw, reason) => {
    expect(normalizePhone(raw)).toEqual({ ok: false, input: raw, reason });
  });
});

describe('invisible characters pasted with a number', () => {
  it('at either end they are trimmed as a no-break space is: zero-width space, BOM, word joiner, bidi marks', () => {
    for (const raw of ['13800138000\u200b', '\u200b13800138000', '\u00a013800138000', '\ufeff13800138000\u2060', '\u202a13800138000\u202c', '\u200e+86 138 0013 8000\u200f']) {
      expect(normalizePhone(raw), JSON.stringify(raw)).toEqual({ ok: true, phone: '13800138000', region: 'mainland' });
    }
  });

  it('inside a number they are refused by code point and name (it said `contains ""`)', () => {
    const r = normalizePhone('138001\u200b38000');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe('contains the invisible character U+200B ZERO WIDTH SPACE (it comes with a number copied from a web page or a spreadsheet): use digits only, with an optional leading + or 00 for the country code');
    expect(normalizePhone('138\u00ad0013\u00ad8000')).toMatchObject({ ok: false, reason: expect.stringMatching(/^contains the invisible character U\+00AD SOFT HYPHEN /) });
    expect(normalizePhone('1380\u00070138000')).toMatchObject({ ok: false, reason: expect.stringMatching(/^contains the invisible character U\+0007 \(/) });
    // A visible one is quoted as before.
    expect(normalizePhone('1380013800a')).toMatchObject({ ok: false, reason: expect.stringMatching(/^contains "a": /) });
  });
});
