import { describe, expect, it } from 'vitest';
import { flagOfField } from '../../cli/request-flags.js';

describe('flagOfField: refusals name the flag the user typed', () => {
  it('maps the request fields the send commands fill, params by name', () => {
    expect(['templateCode', 'signName', 'phones', 'templateParam', 'idempotencyKey', 'deadline', 'kind', 'name'].map(flagOfField)).toEqual([
      '--template',
      '--sign',
      '--phones',
      '--param',
      '--idempotency-key',
      '--deadline',
      '--kind',
      '--name',
    ]);
    expect(flagOfField('templateParam.code')).toBe('--param code');
  });

  it('leaves fields that no flag fills as they are: a file line, a message of a batch file, a flag already', () => {
    expect(['file:3', 'messages[0].templateParam.code', '--date', '(request)'].map(flagOfField)).toEqual(['file:3', 'messages[0].templateParam.code', '--date', '(request)']);
  });
});
