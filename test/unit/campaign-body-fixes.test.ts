/**
 * A JSON campaign body's refusals name the fix in the recipient's own terms: a template param
 * written beside phone is told to go under params (it was told "not a field… remove it"), and a
 * param of the wrong type is shown quoted under its own name (it was shown {"code":"123456"}).
 */
import { describe, expect, it } from 'vitest';
import { ValidationError, type FieldIssue } from '../../src/errors.js';
import { CampaignBody, parseOrThrow } from '../../server/schemas.js';

function issuesOf(body: unknown): FieldIssue[] {
  try {
    parseOrThrow(CampaignBody, body);
  } catch (err) {
    if (err instanceof ValidationError) return err.issues;
    throw err;
  }
  return [];
}

describe('a JSON campaign body', () => {
  const body = {
    signName: 'smsq沙箱',
    templateCode: 'SMS_900000003',
    recipients: [
      { phone: '13800138000', name: 'Li' },
      { phone: '13900139000', params: { name: 5 } },
    ],
  };
  it('tells a param beside phone to go under params, and a param of the wrong type quoted under its own name', () => {
    const issues = issuesOf(body);
    expect(issues.find((i) => i.field === 'recipients[0].name')?.message).toBe(
      'is not a field of a recipient ({phone, params?}). Fix: a template param goes under params, e.g. {"phone":"138-0013-8000","params":{"name":"..."}}; anything else, remove it',
    );
    expect(issues.find((i) => i.field === 'recipients[1].params.name')?.message).toBe('template parameter values must be strings. Fix: quote the value, e.g. {"name":"5"}');
  });

  it('still names the field meant for a misspelt one (phnoe → phone)', () => {
    const issues = issuesOf({ ...body, recipients: [{ phnoe: '13800138000' }] });
    expect(issues.find((i) => i.field === 'recipients[0].phnoe')?.message).toMatch(/Fix: write it as phone/);
  });
});
