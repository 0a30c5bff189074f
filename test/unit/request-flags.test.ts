import { describe, expect, it } from 'vitest';
import { flagOfField, idempotencyRefusalFor, inFlagTerms } from '../../cli/request-flags.js';
import { IdempotencyKeyReusedError } from '../../src/errors.js';
import { mention } from '../../src/setting-mention.js';

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
    expect(['file:3', 'messages[0].templateParam.code', '--date', '(body)'].map(flagOfField)).toEqual(['file:3', 'messages[0].templateParam.code', '--date', '(body)']);
  });
});

describe('inFlagTerms: a fix names a setting by its flag, as the CLI takes it', () => {
  it('writes each mention as its flag with the value as typed in a shell; the rest of the message as it is', () => {
    const message = `SMS_1 is a marketing (type 2) template. Fix: ${mention('kind', 'marketing')}, or a notification template (see \`smsq templates\`)`;
    expect(inFlagTerms(message)).toBe('SMS_1 is a marketing (type 2) template. Fix: `--kind marketing`, or a notification template (see `smsq templates`)');
    expect(inFlagTerms(`Fix: ${mention('templateParam', { order: '...' })}`)).toBe(`Fix: \`--param '{"order":"..."}'\``);
    expect(inFlagTerms(`Fix: ${mention('sheet', '名单')} or ${mention('sheet', 'Mar 2')} or ${mention('sheet', 'Jan')}`)).toBe('Fix: `--sheet "名单"` or `--sheet "Mar 2"` or `--sheet Jan`');
    expect(inFlagTerms(`Fix: drop ${mention('encoding')}`)).toBe('Fix: drop `--encoding`');
    // A list as --phones takes it: comma-separated, one word.
    expect(inFlagTerms(`give one number per entry, as ${mention('phones', ['A', 'B'])}`)).toBe('give one number per entry, as `--phones A,B`');
    expect(['sheet', 'encoding'].map(flagOfField)).toEqual(['--sheet', '--encoding']);
  });

  it('quotes a value for the shell so that pasting the fix gives the flag that value: a sheet named Li$HOME`id`st was told as --sheet "Li$HOME`id`st", which runs id and expands $HOME', () => {
    expect(inFlagTerms(`Fix: ${mention('sheet', 'Li$HOME`id`st')}`)).toBe("Fix: `--sheet 'Li$HOME`id`st'`");
    expect(inFlagTerms(`Fix: ${mention('sheet', "Wang's list!")}`)).toBe("Fix: `--sheet 'Wang'\\''s list!'`");
    expect(inFlagTerms(`Fix: ${mention('templateParam', { name: "O'Brien" })}`)).toBe(`Fix: \`--param '{"name":"O'\\''Brien"}'\``);
  });

  it('writes the recipient file as `--file` with a name, which is what tells a workbook from a CSV list; its issues keep the field `file`', () => {
    expect(inFlagTerms(`if it is an Excel workbook, give it as one: ${mention('file', 'list.xlsx')}`)).toBe('if it is an Excel workbook, give it as one: `--file list.xlsx`');
    expect(flagOfField('file')).toBe('file');
  });
});

describe('idempotencyRefusalFor: a key\'s refusal names the settings of the command run', () => {
  const ANOTHER = 'the idempotency key "k" was used for a different request; nothing was enqueued. Fix: use a new key for a new request, or repeat the first request exactly';

  it('as its flags, or as fields of send-batch\'s --file', () => {
    expect(idempotencyRefusalFor(new IdempotencyKeyReusedError('k', ['kind', 'name'], 'marketing'), 'campaign').message).toBe(
      'the idempotency key "k" stands for an earlier request whose `--kind` and `--name` were different (a request without `--kind` counts as `--kind marketing`); nothing was enqueued. Fix: to repeat that request, give it the same `--kind` and `--name` as the first; for a new request, use a new idempotency key',
    );
    expect(idempotencyRefusalFor(new IdempotencyKeyReusedError('k', ['callbackUrl', 'kind']), 'send-batch').message).toBe(
      'the idempotency key "k" stands for an earlier request whose `callbackUrl` in `--file` and `--kind` were different (a request without `--kind` counts as `--kind notification`); nothing was enqueued. Fix: to repeat that request, give it the same `callbackUrl` in `--file` and `--kind` as the first; for a new request, use a new idempotency key',
    );
  });

  it('says only that the key is another request\'s when a setting that differs is not one the command has', () => {
    for (const [command, fields] of [
      ['send', ['callbackUrl']],
      ['send', ['name', 'phones']],
      ['send', ['messages', 'phones', 'signName']],
      ['send-batch', ['phones']],
      ['send-batch', ['signName']],
      ['campaign', ['callbackUrl']],
      ['campaign', ['phones']],
    ] as const) {
      const said = idempotencyRefusalFor(new IdempotencyKeyReusedError('k', fields), command);
      expect(said, `${command}: ${fields.join(', ')}`).toBeInstanceOf(IdempotencyKeyReusedError);
      expect(said.message, `${command}: ${fields.join(', ')}`).toBe(ANOTHER);
    }
  });
});
