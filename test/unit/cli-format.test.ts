import { describe, expect, it } from 'vitest';
import {
  approvalWord,
  auditWord,
  cleanCell,
  cstIso,
  displayWidth,
  renderFields,
  renderTable,
  sendStatusWord,
  templateTypeWord,
  truncate,
  withIsoTimes,
  withIsoTimesDeep,
} from '../../cli/format.js';

describe('cli format', () => {
  it('renders status numbers and audit states as words', () => {
    expect([0, 1, 2, 10].map(approvalWord)).toEqual(['reviewing', 'approved', 'rejected', 'cancelled']);
    expect(approvalWord(7)).toBe('unknown (7)');
    expect(['AUDIT_STATE_INIT', 'AUDIT_STATE_PASS', 'AUDIT_STATE_NOT_PASS', 'AUDIT_STATE_CANCEL', 'AUDIT_SATE_CANCEL'].map(auditWord)).toEqual([
      'reviewing',
      'approved',
      'rejected',
      'cancelled',
      'cancelled',
    ]);
    expect([1, 2, 3].map(sendStatusWord)).toEqual(['waiting', 'failed', 'delivered']);
    expect(templateTypeWord(0)).toBe('verification');
    expect(templateTypeWord(9)).toBe('type 9');
  });

  it('aligns columns by terminal width, Chinese characters counting two', () => {
    expect(displayWidth('验证码')).toBe(6);
    const out = renderTable(
      [{ header: 'name' }, { header: 'n', align: 'right' }],
      [
        ['验证码', 1],
        ['ab', 10],
      ],
    ).split('\n');
    expect(out).toEqual(['name     n', '验证码   1', 'ab      10']);
  });

  it('cuts long cells and strips control characters', () => {
    expect(truncate('abcdefghij', 5)).toBe('abcd…');
    expect(truncate('验证码验证码', 5)).toBe('验证…');
    expect(cleanCell('a\nb\u001b[31mc')).toBe('a b [31mc');
    expect(renderTable([{ header: 'x', maxWidth: 4 }], [['abcdefgh']])).toBe('x\nabc…');
  });

  it('aligns field labels', () => {
    expect(renderFields([
      ['code', 'SMS_1'],
      ['variables', '${code}'],
    ])).toBe('code       SMS_1\nvariables  ${code}');
  });
});

describe('Alibaba times in JSON', () => {
  it('turns a China time as Alibaba writes it into ISO 8601 with the offset, and leaves what it cannot read', () => {
    expect(cstIso('2026-12-04 07:42:22')).toBe('2026-12-04T07:42:22.000+08:00');
    expect(cstIso('soon')).toBe('soon');
    expect(cstIso(undefined)).toBeUndefined();
    expect(withIsoTimes({ phoneNum: '13800138000', sendDate: '2026-12-04 07:42:22', receiveDate: '' }, ['sendDate', 'receiveDate'])).toEqual({
      phoneNum: '13800138000',
      sendDate: '2026-12-04T07:42:22.000+08:00',
      receiveDate: '',
    });
  });

  it('turns every such time at any depth, for records whose time fields are not listed (qualifications)', () => {
    expect(withIsoTimesDeep({ createDate: '2025-01-01 08:00:00', groupId: 1, remark: 'passed 2025-01-01 08:00:00', docs: [{ effTime: '2030-01-01 00:00:00' }] })).toEqual({
      createDate: '2025-01-01T08:00:00.000+08:00',
      groupId: 1,
      remark: 'passed 2025-01-01 08:00:00',
      docs: [{ effTime: '2030-01-01T00:00:00.000+08:00' }],
    });
  });
});

describe('renderTable of many rows', () => {
  it('renders 400,000 rows (a large send\'s recipients: the widths were taken with Math.max(...cells), "Maximum call stack size exceeded")', () => {
    const rows = Array.from({ length: 400_000 }, (_, i) => [String(13800000000 + i), i % 7 === 0 ? 'delivered' : 'accepted']);
    const text = renderTable([{ header: 'phone' }, { header: 'state' }], rows);
    const lines = text.split('\n');
    expect(lines).toHaveLength(400_001);
    expect(lines[0]).toBe('phone        state');
    expect(lines[1]).toBe('13800000000  delivered');
  });
});
