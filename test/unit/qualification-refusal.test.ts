/**
 * Which answers of QuerySingleSmsQualification say "no such qualification group". Only documented
 * codes: `isv.INVALID_PARAMETERS` (Dysmsapi's invalid-parameter code, what the emulator answers) and
 * `QualificationNotExist` (Alibaba's code for a qualification id it cannot find, on
 * ChangeSignatureQualification's page). The matcher also took guessed shapes (`isv.*QUALIFICATION*`,
 * `isv.PARAM*`), and with them documented codes that mean something else: `isv.PARAM_LENGTH_LIMIT`
 * and `isv.PARAM_NOT_SUPPORT_URL` are about template variables.
 */
import { describe, expect, it } from 'vitest';
import { refusesTheGroupId } from '../../cli/commands/qualifications.js';

describe('an unknown qualification group is told as such only for the codes documented to mean it', () => {
  it('the invalid-parameter code and Alibaba\'s qualification-not-found code', () => {
    for (const code of ['isv.INVALID_PARAMETERS', 'QualificationNotExist']) expect(refusesTheGroupId(code), code).toBe(true);
  });

  it('guessed shapes and codes about something else keep their own words', () => {
    for (const code of ['isv.PARAMETERS_ERROR', 'isv.QUALIFICATION_NOT_EXIST', 'isv.PARAM_LENGTH_LIMIT', 'isv.PARAM_NOT_SUPPORT_URL', 'isv.INVALID_JSON_PARAM', 'SmsQualificationNotPassed']) {
      expect(refusesTheGroupId(code), code).toBe(false);
    }
  });

  it('a permanent refusal about something else keeps its own words (it was told "the account has no qualification group")', () => {
    for (const code of ['isv.BUSINESS_LIMIT_CONTROL', 'isv.SMS_SIGNATURE_ILLEGAL', 'isv.AMOUNT_NOT_ENOUGH', 'Forbidden.RAM', 'NotDysmsapi', 'isv.UNKNOWN']) expect(refusesTheGroupId(code), code).toBe(false);
  });
});
