/**
 * An explicit null in a field that may be left out is told so: "null is not a value here", not the
 * type's own fix (`smsUpExtendCode: null` was told a number loses its leading zeros, `name: null` to
 * write the value in double quotes). A field that must be given keeps its fix (leaving it out is no fix).
 */
import { describe, expect, it } from 'vitest';
import { SendRequest } from '../../producers/schemas.js';
import { ValidationError, type FieldIssue } from '../../src/errors.js';
import { parseNamingUnknownFields } from '../../src/unknown-fields.js';
import { issuesFromZod } from '../../server/schemas.js';

const REQUEST = { phones: ['13800138000'], signName: 'smsq沙箱', templateCode: 'SMS_900000002', templateParam: { name: 'Li', order: '1' } };
const NULL_GIVEN = 'null is not a value here. Fix: give a value or leave the field out';

function issuesOf(body: unknown): FieldIssue[] {
  try {
    parseNamingUnknownFields(SendRequest, body, 'a send request');
  } catch (err) {
    if (err instanceof ValidationError) return err.issues;
    throw err;
  }
  return [];
}

describe('null in a field', () => {
  it('optional: says null is not a value here, to give one or leave the field out (the producer, and the server\'s parse)', () => {
    const body = { ...REQUEST, name: null, smsUpExtendCode: null, callbackUrl: null };
    const fromServer = issuesFromZod(SendRequest.safeParse(body).error!.issues, '', 'json', SendRequest);
    for (const issues of [issuesOf(body), fromServer]) {
      expect(issues.find((i) => i.field === 'name')?.message).toBe(`must be a string, got null: ${NULL_GIVEN}`);
      expect(issues.find((i) => i.field === 'smsUpExtendCode')?.message).toBe(`must be a string of 1-12 digits, got null: ${NULL_GIVEN}`);
      expect(issues.map((i) => i.message).join('\n')).not.toMatch(/double quotes|leading zeros/);
    }
  });

  it('required: keeps the type\'s fix, not "leave the field out"', () => {
    const issue = issuesOf({ ...REQUEST, signName: null }).find((i) => i.field === 'signName');
    expect(issue?.message).not.toContain('leave the field out');
  });
});
