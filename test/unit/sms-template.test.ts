import { describe, expect, it } from 'vitest';
import { checkTemplateParams, extractTemplateVars } from '../../src/sms/template.js';
import { noParamsFixFor } from '../../producers/plan.js';

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

  it('a missing variable is told the fix: no params at all names the request\'s own setting (each surface spells it), a key missing names the key to add', () => {
    // `smsq send` without --param was told "pass e.g. {...}", and a batch "; add ...": no "Fix:".
    expect(checkTemplateParams(['code'], undefined, 'templateParam', noParamsFixFor('templateParam'))).toEqual([
      expect.objectContaining({ field: 'templateParam.code', message: 'the template uses ${code} but no params were given. Fix: `templateParam: {"code":"..."}`' }),
    ]);
    expect(noParamsFixFor('messages[0].templateParam')).toBeUndefined();
    // Params of a list item (a batch message, a campaign recipient): the item's field, which the field names already.
    expect(checkTemplateParams(['order'], undefined, 'recipients[0].params')).toEqual([
      expect.objectContaining({ field: 'recipients[0].params.order', message: 'the template uses ${order} but no params were given. Fix: give them, e.g. {"order":"..."}' }),
    ]);
    expect(checkTemplateParams(['name', 'order'], { name: 'A' }, 'messages[1].templateParam')).toEqual([
      expect.objectContaining({ field: 'messages[1].templateParam.order', message: 'missing: the template uses ${order}. Fix: add "order":"..."' }),
    ]);
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
