import { describe, expect, it } from 'vitest';
import { countSegments, renderContent } from '../../src/sms/segments.js';

describe('countSegments', () => {
  it('counts one segment up to 70 characters', () => {
    expect(countSegments('')).toEqual({ chars: 0, segments: 0, tooLong: false });
    expect(countSegments('a')).toEqual({ chars: 1, segments: 1, tooLong: false });
    expect(countSegments('字'.repeat(70))).toEqual({ chars: 70, segments: 1, tooLong: false });
  });
  it('bills longer text per 67 characters', () => {
    expect(countSegments('字'.repeat(71)).segments).toBe(2);
    expect(countSegments('字'.repeat(134)).segments).toBe(2);
    expect(countSegments('字'.repeat(135)).segments).toBe(3);
  });
  it('flags more than 500 characters', () => {
    expect(countSegments('a'.repeat(500))).toEqual({ chars: 500, segments: 8, tooLong: false });
    expect(countSegments('a'.repeat(501))).toMatchObject({ chars: 501, tooLong: true });
  });
  it('counts code points, so an emoji counts once', () => {
    expect(countSegments('😀').chars).toBe(1);
    expect(countSegments('😀'.repeat(70)).segments).toBe(1);
    expect(countSegments('😀'.repeat(71)).segments).toBe(2);
  });
});

describe('renderContent', () => {
  it('prefixes the signature and fills variables; the signature counts toward length', () => {
    const text = renderContent('阿里云', '验证码${code}，${min}分钟有效', { code: '123456', min: '5' });
    expect(text).toBe('【阿里云】验证码123456，5分钟有效');
    expect(countSegments(text).chars).toBe(5 + 15);
  });
  it('leaves variables without a param visible', () => {
    expect(renderContent('S', 'x${a}y')).toBe('【S】x${a}y');
  });
  it('pushes a 67-character body over one segment once the signature is added', () => {
    const body = 'a'.repeat(67);
    expect(countSegments(body).segments).toBe(1);
    expect(countSegments(renderContent('签名', body)).segments).toBe(2);
  });
});
