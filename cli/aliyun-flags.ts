/**
 * The aliyun CLI's flag names (`aliyun dysmsapi send-sms --phone-numbers ... --sign-name ...`, as
 * the SMS skill teaches them) answered with smsq's: people coming from it type them, and commander
 * refused `--sign-name` on `send` with no suggestion, its names being too far from `--sign` for
 * its edit distance. The answer is commander's own unknown-option error with the suggestion
 * commander would give (`(Did you mean --sign? ...)`), so that `--json` carries it in `action` as
 * it carries commander's.
 */
import type { Command } from 'commander';

/** What smsq takes instead of an aliyun flag: a flag of the command, or (`smsq ...`) an argument. */
export interface SmsqEquivalent {
  use: string;
  /** Said after the suggestion; default: that it is smsq's name for the aliyun flag (or takes it as an argument). */
  note?: string;
}

const IN_A_FILE = (aliyun: string) => `The messages go in a file (a JSON list of {"phone","signName","templateParam"}, or CSV), where the aliyun CLI takes ${aliyun}.`;

/** Per smsq command: the aliyun CLI's flag name and what smsq takes instead. Flags smsq shares with it (--page-size, --sign-name on stats, --biz-id) are not here. */
export const ALIYUN_FLAGS: Readonly<Record<string, Readonly<Record<string, SmsqEquivalent>>>> = {
  send: {
    '--phone-numbers': { use: '--phones' },
    '--phone-number': { use: '--phones' },
    '--sign-name': { use: '--sign' },
    '--template-code': { use: '--template' },
    '--template-param': { use: '--param' },
    '--sms-up-extend-code': { use: '--extend-code' },
  },
  'send-batch': {
    '--template-code': { use: '--template' },
    '--phone-number-json': { use: '--file', note: IN_A_FILE('--phone-number-json') },
    '--sign-name-json': { use: '--file', note: IN_A_FILE('--sign-name-json') },
    '--template-param-json': { use: '--file', note: IN_A_FILE('--template-param-json') },
  },
  campaign: {
    '--sign-name': { use: '--sign' },
    '--template-code': { use: '--template' },
    '--template-param': { use: '--param' },
  },
  signs: { '--page-index': { use: '--page' } },
  templates: { '--page-index': { use: '--page' } },
  sign: { '--sign-name': { use: 'smsq sign <name>' } },
  template: { '--template-code': { use: 'smsq template <code>' } },
  details: {
    '--phone-number': { use: '--phone' },
    '--phone-numbers': { use: '--phone' },
    '--send-date': { use: '--date' },
    '--current-page': { use: '--page' },
  },
  stats: {
    '--start-date': { use: '--start' },
    '--end-date': { use: '--end' },
    '--is-globe': { use: '--globe' },
    '--page-index': { use: '--page' },
  },
  qualifications: {
    '--page-no': { use: '--page' },
    '--qualification-group-name': { use: '--name' },
    '--company-name': { use: '--company' },
    '--legal-person-name': { use: '--legal-person' },
  },
  qualification: { '--qualification-group-id': { use: 'smsq qualification <group-id>' } },
  // Not an aliyun command, but the same habit: a page of sends is --limit.
  sends: { '--page-size': { use: '--limit' } },
};

/** The line commander prints under an unknown option, for an aliyun flag name; undefined for any other. */
export function aliyunSuggestion(command: string, flag: string): string | undefined {
  const equivalent = ALIYUN_FLAGS[command]?.[flag];
  if (equivalent === undefined) return undefined;
  const argument = equivalent.use.startsWith('smsq ');
  const note = equivalent.note ?? (argument ? `smsq takes what the aliyun CLI's ${flag} gives as an argument.` : `It is smsq's name for the aliyun CLI's ${flag}.`);
  return `(Did you mean ${equivalent.use}? ${note})`;
}

/** commander's unknown-option check (internal: absent from its typings). */
interface UnknownOptionCheck {
  unknownOption(flag: string): never;
}

/** Makes each command of `program` answer an aliyun flag name with smsq's (see the file comment). */
export function suggestForAliyunFlags(program: Command): void {
  for (const command of program.commands) {
    if (ALIYUN_FLAGS[command.name()] === undefined) continue;
    const check = command as unknown as UnknownOptionCheck;
    if (typeof check.unknownOption !== 'function') continue; // a commander without it: its own message stands
    const commanders = check.unknownOption.bind(command);
    check.unknownOption = (flag: string): never => {
      // `--phone-numbers=138...`: the name alone is quoted, not the value (numbers stay out of errors).
      const name = flag.split('=')[0] ?? flag;
      const suggestion = aliyunSuggestion(command.name(), name);
      if (suggestion === undefined) return commanders(flag);
      return command.error(`error: unknown option '${name}'\n${suggestion}`, { code: 'commander.unknownOption' });
    };
  }
}
