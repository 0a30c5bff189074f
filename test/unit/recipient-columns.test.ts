import { describe, expect, it } from 'vitest';
import { checkParamColumns } from '../../producers/recipient-columns.js';

const at = (...params: string[]) => ({ params, field: 'file:1' });

describe('checkParamColumns: a file header against its template, once for the file', () => {
  it('accepts columns that are the variables, and variables the shared params give', () => {
    expect(checkParamColumns(at('name', 'order'), ['name', 'order'], undefined, 'SMS_1')).toEqual([]);
    expect(checkParamColumns(at('order'), ['name', 'order'], { name: '会员' }, 'SMS_1')).toEqual([]);
    expect(checkParamColumns(at(), [], undefined, 'SMS_1')).toEqual([]);
  });

  it('names a column in the wrong case and the variable it was meant for, without also calling that variable missing', () => {
    const issues = checkParamColumns(at('Name', 'order'), ['name', 'order'], undefined, 'SMS_1');
    expect(issues).toEqual([
      { field: 'file:1', message: expect.stringMatching(/^column "Name" is not a variable of template SMS_1 \(it uses \$\{name\}, \$\{order\}; nothing was enqueued\)\. Fix: rename the column "name" \(variable names must match exactly\)$/) },
    ]);
  });

  it('matches a likely variable without spaces, "_" and "-": "Order No" for ${orderNo}', () => {
    expect(checkParamColumns(at('Order No'), ['orderNo'], undefined, 'SMS_1')[0]?.message).toMatch(/Fix: rename the column "orderNo"/);
  });

  it('a column that is no variable at all: rename or delete', () => {
    expect(checkParamColumns(at('city'), ['name'], { name: 'x' }, 'SMS_1')).toEqual([
      { field: 'file:1', message: expect.stringMatching(/column "city" is not a variable.*Fix: rename it after one of those variables, or delete the column$/) },
    ]);
    expect(checkParamColumns(at('city'), [], undefined, 'SMS_1')[0]?.message).toMatch(/\(it has no variables; nothing was enqueued\)\. Fix: delete the column$/);
  });

  it('a variable no column and no shared param fills', () => {
    expect(checkParamColumns(at('name'), ['name', 'order'], undefined, 'SMS_1')).toEqual([
      { field: 'file:1', message: expect.stringMatching(/^template SMS_1 uses \$\{order\}, but no column is named "order" and no shared param gives it \(nothing was enqueued\)\. Fix: add a column "order", or give every recipient the same value with `templateParam: \{"order":"\.\.\."\}`$/) },
    ]);
  });

  it('a wrong-case column for a variable the shared params give: rename it for own values, or delete it', () => {
    expect(checkParamColumns(at('Name'), ['name'], { name: '会员' }, 'SMS_1')[0]?.message).toMatch(/Fix: rename the column "name" to give each recipient their own value .*, or delete it to give all the shared one$/);
  });

  it('two columns meant for one variable: the first is told to take its name, the second is only extra', () => {
    const issues = checkParamColumns(at('Name', 'NAME'), ['name'], undefined, 'SMS_1');
    expect(issues.map((i) => i.message)).toEqual([expect.stringMatching(/column "Name" .*Fix: rename the column "name"/), expect.stringMatching(/column "NAME" .*Fix: rename it after one of those variables, or delete the column$/)]);
  });

  it('a wrong-case column whose right name is also a column is only an extra column', () => {
    const issues = checkParamColumns(at('name', 'Name'), ['name'], undefined, 'SMS_1');
    expect(issues.map((i) => i.message)).toEqual([expect.stringMatching(/column "Name" .*Fix: rename it after one of those variables, or delete the column/)]);
  });
});
