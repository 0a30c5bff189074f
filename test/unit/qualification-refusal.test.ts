import { describe, expect, it } from 'vitest';
import { refusesTheGroupId } from '../../cli/commands/qualifications.js';

describe('an unknown qualification group is told as such only when the answer refused the id', () => {
  it('a refused parameter is the id the account does not have', () => {
    for (const code of ['isv.INVALID_PARAMETERS', 'isv.PARAMETERS_ERROR', 'isv.QUALIFICATION_NOT_EXIST']) expect(refusesTheGroupId(code), code).toBe(true);
  });

  it('a permanent refusal about something else keeps its own words (it was told "the account has no qualification group")', () => {
    for (const code of ['isv.BUSINESS_LIMIT_CONTROL', 'isv.SMS_SIGNATURE_ILLEGAL', 'isv.AMOUNT_NOT_ENOUGH', 'Forbidden.RAM', 'NotDysmsapi', 'isv.UNKNOWN']) expect(refusesTheGroupId(code), code).toBe(false);
  });
});
