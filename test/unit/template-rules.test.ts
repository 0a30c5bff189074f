import { describe, expect, it } from 'vitest';
import { checkParamValues, regionMismatch, type TemplateRules } from '../../src/sms/template-rules.js';
import { kindMismatch, kindOfTemplate } from '../../src/queue/template-kind.js';

const rules = (over: Partial<TemplateRules>): TemplateRules => ({ templateCode: 'SMS_1', templateType: 1, content: '${a}', variableAttributes: {}, ...over });
const codes = (r: TemplateRules, params: Record<string, string>) => checkParamValues(r, Object.keys(params), params, 'S').map((i) => [i.field, i.apiCode]);

describe('checkParamValues', () => {
  it('takes the only variable of a verification template as a 4-6 character code', () => {
    const r = rules({ templateType: 0, content: '验证码${code}' });
    expect(codes(r, { code: 'a1B2c3' })).toEqual([]);
    expect(codes(r, { code: '123' })).toEqual([['templateParam.code', 'isv.PARAM_LENGTH_LIMIT']]);
    expect(codes(r, { code: '1234567' })).toEqual([['templateParam.code', 'isv.PARAM_LENGTH_LIMIT']]);
  });

  it('follows the variable attributes GetSmsTemplate returns', () => {
    const r = rules({ content: '${code} ${tel}', variableAttributes: { code: 'numberCaptcha', tel: 'phone_number2' } });
    expect(codes(r, { code: '12ab' })).toEqual([['templateParam.code', 'isv.PARAM_LENGTH_LIMIT']]);
    expect(codes(r, { code: '1234', tel: '400-123-1234' })).toEqual([]);
    expect(codes(r, { tel: '13800138000' })).toEqual([]);
    expect(codes(r, { tel: 'call me' })).toEqual([['templateParam.tel', 'isv.INVALID_PARAMETERS']]);
  });

  it('refuses the link forms a trial got past the door, and leaves names and numbers alone', () => {
    const r = rules({ content: '${a}' });
    for (const link of ['bit.ly/x', 't.co/abc', 'x.com 见', 'x.com.hk', 'https\uff1a//x', 'x\u3002cn/a', '1.2.3.4/a', '10.0.0.1:8080', 'ｗｗｗ.x', 'ftp://h', 'shop.tech/a', 'x.co:8080']) {
      expect(codes(r, { a: link }), link).toEqual([['templateParam.a', 'isv.PARAM_NOT_SUPPORT_URL']]);
    }
    // Company names, titles, names and numbers a review found refused by the first version.
    const notLinks = ['Mr.Wang', 'Node.js', '3.14', 'v1.2.3', 'No.123', 'A/B', 'e.g. this', '1.2.3.4', '12.50', '2026.12.05', 'A.B.C', 'Mr.Lee', 'XX Co., Ltd.'];
    notLinks.push('XX Co.Ltd', 'Co.Ltd', 'Pte.Ltd', 'Pty.Ltd', '上海xx.Ltd', 'Inc.Co', 'Bros.Co', 'Sr.Dev', 'Jr.Dev', 'Hi.Tech', 'Sci.Tech', 'Bio.Tech 公司');
    notLinks.push('Golf.Club', 'Book.Store', 'Web.App', 'Mall.Online', 'Info.Asia', 'Mr.Li/Ms.Wang', 'Dr.Wu/李', 'Dept.IT/HR', 'Wang.Xin', 'Li.Co', 'ABC.hk 分公司', '1.2.3.4/5');
    for (const text of notLinks) {
      expect(codes(r, { a: text }), text).toEqual([]);
    }
  });

  it('refuses an empty or blank value, and invisible characters, naming them', () => {
    const r = rules({ content: '尊敬的${a}' });
    const [empty] = checkParamValues(r, ['a'], { a: '' }, 'S');
    expect(empty).toMatchObject({ field: 'templateParam.a', apiCode: 'isv.PARAM_LENGTH_LIMIT' });
    expect(empty?.message).toMatch(/^is empty: a variable holds 1-35 characters, .*Fix: give a a value$/);
    expect(checkParamValues(r, ['a'], { a: '   ' }, 'S')[0]?.message).toMatch(/^is blank \(white space only\)/);
    // Bytes that were not UTF-8 decoded as U+FFFD: the message would show them as such (a re-trial sent "王先生" in GBK).
    expect(checkParamValues(r, ['a'], { a: '\ufffd\ufffd\ufffd' }, 'S')[0]?.message).toMatch(/^holds U\+FFFD, the mark of bytes that were not UTF-8 .*Fix: send the request in UTF-8$/);
    // Half a character (a lone surrogate, from a JSON "\ud800" or a damaged UTF-16 file); a whole emoji is two halves and fine.
    expect(checkParamValues(r, ['a'], { a: '张\ud800' }, 'S')[0]).toMatchObject({ apiCode: 'isv.INVALID_PARAMETERS', message: expect.stringMatching(/^holds U\+D800, half of a character .*"\\ud800".*Fix: give a whole characters/) });
    expect(checkParamValues(r, ['a'], { a: '\udfff李' }, 'S')[0]?.message).toMatch(/^holds U\+DFFF, half/);
    expect(codes(r, { a: '李😀' })).toEqual([]);
    for (const [value, point] of [['Li\u0000', 'U+0000'], ['Li\u0007', 'U+0007'], ['\u202e1', 'U+202E'], ['a\u2066b', 'U+2066'], ['a\u007f', 'U+007F'], ['Li\u200b', 'U+200B'], ['bit\u200b.ly/x', 'U+200B'], ['example\u00ad.com', 'U+00AD'], ['\ufeffLi', 'U+FEFF'], ['a\u2028b', 'U+2028'], ['a\u0085', 'U+0085']]) {
      const [issue] = checkParamValues(r, ['a'], { a: value as string }, 'S');
      expect(issue?.message, point).toMatch(new RegExp(`^holds the invisible character ${(point as string).replace("+", "\\+")} .*Fix: remove it$`));
    }
    // Tabs and line breaks are text: an address may span lines, written on Windows too.
    expect(codes(r, { a: 'line 1\nline 2' })).toEqual([]);
    expect(codes(r, { a: '第一行\r\n第二行' })).toEqual([]);
    expect(codes(r, { a: '上海市\t浦东' })).toEqual([]);
    expect(codes(r, { a: '👨\u200d👩\u200d👧' })).toEqual([]);
    // The bidi marks reorder text as the overrides do.
    expect(checkParamValues(r, ['a'], { a: 'a\u200fb' }, 'S')[0]?.message).toMatch(/^holds the invisible character U\+200F /);
  });

  it('refuses a value with no visible character that trim() leaves (fillers, blanks, zero-width and combining marks alone), naming the first', () => {
    const r = rules({ content: '尊敬的${a}' });
    // Each shows as blank space or as nothing, and String.prototype.trim() keeps it: the person read a gap.
    const blankLooking: [string, string][] = [
      ['\u3164', 'U+3164'], // HANGUL FILLER
      ['\u115f', 'U+115F'], // HANGUL CHOSEONG FILLER
      ['\u1160', 'U+1160'], // HANGUL JUNGSEONG FILLER
      ['\uffa0', 'U+FFA0'], // HALFWIDTH HANGUL FILLER
      ['\u2800', 'U+2800'], // BRAILLE PATTERN BLANK
      ['\u200b', 'U+200B'], // ZERO WIDTH SPACE
      ['\u2060', 'U+2060'], // WORD JOINER
      ['\u180e', 'U+180E'], // MONGOLIAN VOWEL SEPARATOR (white space no more since Unicode 6.3)
      ['\u0301', 'U+0301'], // a combining mark alone
      ['\u034f\u0308', 'U+034F'], // COMBINING GRAPHEME JOINER, a mark
      ['\ufe0f', 'U+FE0F'], // a variation selector alone
      ['\u200c\u200d', 'U+200C'], // the joiners alone
      [' \u3164\u3000', 'U+3164'], // trim() takes the spaces, not the filler
      ['\ufeff\u3164\ufeff', 'U+3164'],
      ['\u2800\u0301\u180e\u3164', 'U+2800'],
    ];
    for (const [value, point] of blankLooking) {
      const issues = checkParamValues(r, ['a'], { a: value }, 'S');
      expect(issues, point).toEqual([{ field: 'templateParam.a', apiCode: 'isv.INVALID_PARAMETERS', message: expect.stringMatching(/^is blank-looking: /) }]);
      expect(issues[0]?.message, point).toContain(point);
      expect(issues[0]?.message, point).toMatch(/a gap where \$\{a\} is\. Fix: give a a value$/);
    }
    // trim() takes these (U+3000, U+FEFF, U+00A0, U+2028 are JavaScript white space): blank (white space only), as before.
    for (const value of ['\u3000', '\ufeff', '\u00a0 ', '\u2028', '\u3000\ufeff']) {
      expect(checkParamValues(r, ['a'], { a: value }, 'S')[0]?.message, JSON.stringify(value)).toMatch(/^is blank \(white space only\)/);
    }
    // Among visible characters they are not refused for it: an emoji sequence is joined by U+200D, an accent is a mark.
    for (const value of ['👨\u200d👩\u200d👧', 'e\u0301', '李\u3164明', '\u2800a', '❤\ufe0f', 'ㅤ?', '\u3164\u0301x']) {
      expect(codes(r, { a: value }), JSON.stringify(value)).toEqual([]);
    }
    // A lone surrogate is no blank: it is named as half a character.
    expect(checkParamValues(r, ['a'], { a: '\u3164\ud800' }, 'S')[0]?.message).toMatch(/^holds U\+D800, half/);
  });

  it('names what a code may not hold: a full-width digit, a space', () => {
    const r = rules({ templateType: 0, content: '验证码${code}' });
    expect(checkParamValues(r, ['code'], { code: '\uff11\uff12\uff13\uff14\uff15\uff16' }, 'S')[0]?.message).toMatch(/got "１" \(a full-width "1": write it as 1\), which a code may not hold\. Fix: /);
    expect(checkParamValues(r, ['code'], { code: '12 34' }, 'S')[0]?.message).toMatch(/got a space, which a code may not hold/);
    expect(checkParamValues(r, ['code'], { code: '123' }, 'S')[0]?.message).toMatch(/got 3 character\(s\)/);
  });

  it('refuses links inside variables and values over 35 characters', () => {
    const r = rules({ content: '${a}' });
    for (const link of ['http://a.b', 'HTTPS://x', 'www.example', 'go to t.cn/abc', 'example.com']) {
      expect(codes(r, { a: link }), link).toEqual([['templateParam.a', 'isv.PARAM_NOT_SUPPORT_URL']]);
    }
    expect(codes(r, { a: 'Dr. Li' })).toEqual([]);
    expect(codes(r, { a: '字'.repeat(35) })).toEqual([]);
    expect(codes(r, { a: '字'.repeat(36) })).toEqual([['templateParam.a', 'isv.PARAM_LENGTH_LIMIT']]);
  });

  it('refuses a message over 500 characters with the signature', () => {
    const r = rules({ content: `${'x'.repeat(450)}\${a}` });
    expect(codes(r, { a: 'y'.repeat(30) })).toEqual([]);
    const [issue] = checkParamValues(r, ['a'], { a: 'y'.repeat(35) }, '签名签名签名签名签名签名签名');
    expect(issue).toMatchObject({ field: 'templateParam', apiCode: 'isv.PARAM_LENGTH_LIMIT' });
  });
});

describe('regionMismatch', () => {
  it('wants type 3 for numbers outside the mainland and a domestic type for mainland numbers', () => {
    expect(regionMismatch(rules({ templateType: 3 }), 'international')).toBeUndefined();
    expect(regionMismatch(rules({ templateType: 3 }), 'mainland')).toMatch(/domestic template/);
    for (const t of [0, 1, 2]) {
      expect(regionMismatch(rules({ templateType: t }), 'mainland')).toBeUndefined();
      expect(regionMismatch(rules({ templateType: t }), 'international')).toMatch(/type 3/);
    }
    expect(regionMismatch(rules({ templateType: 7 }), 'international')).toBeUndefined();
  });
});

describe('kinds against templates', () => {
  const of = (templateType: number) => ({ templateCode: 'SMS_1', templateType });

  it('kindOfTemplate: verification and marketing templates name their kind; the others leave it to the default', () => {
    expect([0, 1, 2, 3, 7].map(kindOfTemplate)).toEqual(['verification', undefined, 'marketing', undefined, undefined]);
  });

  it('kindMismatch: a marketing template only as marketing; a verification template never as marketing; a notification never as verification to more than one number; the rest as anything', () => {
    const table = [0, 1, 2, 3, 7].map((type) => (['verification', 'notification', 'marketing'] as const).map((kind) => (kindMismatch(of(type), kind) === undefined ? 'ok' : 'refused')));
    expect(table).toEqual([
      ['ok', 'ok', 'refused'],
      ['refused', 'ok', 'ok'],
      ['refused', 'refused', 'ok'],
      ['ok', 'ok', 'ok'],
      ['ok', 'ok', 'ok'],
    ]);
    expect(kindMismatch(of(0), 'marketing')).toMatch(/^SMS_1 is a verification \(type 0\) template: .*Fix: `kind: "verification"`, or a marketing template/);
    expect(kindMismatch(of(1), 'verification')).toMatch(/^SMS_1 is a notification \(type 1\) template: sent as verification to a campaign, .*call of its own.*Fix: `kind: "notification"`, or leave the kind out/);
    // To one number it is one call either way: an urgent notification may take the codes' lane.
    expect(kindMismatch(of(1), 'verification', 1)).toBeUndefined();
    expect(kindMismatch(of(1), 'verification', 2)).toMatch(/sent as verification to 2 numbers, each number would take a SendSms call of its own/);
  });
});
