import { describe, expect, it } from 'vitest';
import { checkTemplateParams, extractTemplateVars } from '../../src/sms/template.js';

describe('extractTemplateVars', () => {
  it('returns unique names in order of first use', () => {
    expect(extractTemplateVars('您的验证码为${code}，${min}分钟内有效。${code}')).toEqual(['code', 'min']);
  });
  it('returns nothing for a template without variables or with malformed ones', () => {
    expect(extractTemplateVars('Hello')).toEqual([]);
    expect(extractTemplateVars('${} ${ a} $code {code}')).toEqual([]);
  });
});

describe('checkTemplateParams', () => {
  const content = '尊敬的${name}，您的订单${orderNo}已发货';

  it('accepts params that fit', () => {
    expect(checkTemplateParams(content, { name: '张三', orderNo: 'A1' })).toEqual([]);
    expect(checkTemplateParams('no vars', undefined)).toEqual([]);
  });

  it('reports every missing variable with its field', () => {
    const issues = checkTemplateParams(content, { name: 'x' });
    expect(issues).toEqual([expect.objectContaining({ field: 'templateParam.orderNo', severity: 'error', kind: 'missing' })]);
    expect(checkTemplateParams(['code'], undefined).map((i) => [i.field, i.kind])).toEqual([['templateParam.code', 'missing']]);
  });

  it('refuses non-string values and says how to fix them', () => {
    const [issue] = checkTemplateParams(['code'], { code: 123456 });
    expect(issue).toMatchObject({ field: 'templateParam.code', severity: 'error', kind: 'not_string' });
    expect(issue?.message).toContain('"code":"123456"');
    expect(checkTemplateParams(['a'], { a: null })[0]?.kind).toBe('not_string');
    expect(checkTemplateParams(['a'], { a: { x: 1 } })[0]?.kind).toBe('not_string');
  });

  it('refuses keys the template does not use', () => {
    const issues = checkTemplateParams(['code'], { code: '1', cdoe: '2' });
    expect(issues).toEqual([expect.objectContaining({ field: 'templateParam.cdoe', severity: 'error', kind: 'extra' })]);
  });

  it('names the variable a key in another case or spelling was meant for, on both lines', () => {
    const issues = checkTemplateParams(['code', 'order_no'], { Code: '123456', 'Order-No': 'A1' });
    expect(issues.map((i) => [i.field, i.kind])).toEqual([
      ['templateParam.code', 'missing'],
      ['templateParam.order_no', 'missing'],
      ['templateParam.Code', 'extra'],
      ['templateParam.Order-No', 'extra'],
    ]);
    expect(issues[0]?.message).toContain('"Code" was given (variable names must match exactly). Fix: rename "Code" to "code"');
    expect(issues[2]?.message).toContain('Fix: rename it "code" (variable names must match exactly)');
    expect(issues[3]?.message).toContain('Fix: rename it "order_no"');
  });

  it('points a variable at one loose match only, and keeps the plain fix for the rest', () => {
    const issues = checkTemplateParams(['code'], { CODE: '1', Code: '2', cdoe: '3' });
    const extra = issues.filter((i) => i.kind === 'extra');
    expect(issues.find((i) => i.kind === 'missing')?.message).toContain('rename "CODE" to "code"');
    expect(extra.map((i) => i.message.includes('rename it "code"'))).toEqual([true, false, false]);
    expect(extra[2]?.message).toContain('check the spelling');
  });

  it('refuses params that are not an object', () => {
    for (const p of ['{"code":"1"}', ['1'], 5]) {
      expect(checkTemplateParams(['code'], p)).toEqual([expect.objectContaining({ field: 'templateParam', kind: 'not_object', severity: 'error' })]);
    }
  });

  it('uses the given field prefix', () => {
    expect(checkTemplateParams(['code'], {}, 'templateParams[3]')[0]?.field).toBe('templateParams[3].code');
  });
});
