/**
 * The aliyun CLI's flag names (`aliyun dysmsapi send-sms --phone-numbers ... --sign-name ...`, as
 * the SMS skill teaches them) answered with smsq's: people coming from it type them, and commander
 * refused `--sign-name` on `send` with no suggestion, its names being too far from `--sign` for
 * its edit distance, and `--region` with "Did you mean --version?". The answer is commander's own
 * unknown-option error with one more line: the flag smsq takes (`(Did you mean --sign? ...)`, as
 * commander words a suggestion, so that `--json` carries it in `action` as it carries commander's),
 * the setting that does the flag's job (`--read-timeout`: SMS_READ_TIMEOUT_MS), or why smsq needs
 * nothing in its place (`--region`). docs/aliyun-cli.md maps the same names; a unit test holds the two together.
 */
import type { Command } from 'commander';

/** What smsq has in place of an aliyun flag. */
export type SmsqEquivalent =
  /** A flag of the command, or (`smsq ...`) an argument; `note` is said after the suggestion (default: that it is smsq's name for the aliyun flag, or takes it as an argument). */
  | { use: string; note?: string }
  /** An environment variable, read by every process: smsq has no flag for it. `note` says how it is given. */
  | { setting: string; note: string }
  /** Nothing: `drop` says why (`not needed: ...`, `not offered: ...`). */
  | { drop: string };

const IN_A_FILE = (aliyun: string) => `The messages go in a file (a JSON list of {"phone","signName","templateParam"}, or CSV), where the aliyun CLI takes ${aliyun}.`;

const REGION: SmsqEquivalent = { drop: 'not needed: Dysmsapi has one endpoint, dysmsapi.aliyuncs.com, and SMS_ENDPOINT overrides it' };

/** A short option of the skill's wrapper (`send_sms.sh send -p ... -s ... -t ... -tp ...`), `long` in its table, and smsq's flag for it. */
const WRAPPER = (short: string, long: string, use: string): SmsqEquivalent => ({ use, note: `It is smsq's name for send_sms.sh's ${short} (${long}).` });

/** The aliyun CLI's flags of every Dysmsapi call (its global ones; the skill gives --api-version, --user-agent and --read-timeout on each). */
const EVERY_CALL: Readonly<Record<string, SmsqEquivalent>> = {
  '--read-timeout': { setting: 'SMS_READ_TIMEOUT_MS', note: "in milliseconds, for every call (default 3000; the aliyun CLI's --read-timeout 3 is in seconds)" },
  '--connect-timeout': { setting: 'SMS_READ_TIMEOUT_MS', note: 'which bounds the connect too, in milliseconds (default 3000)' },
  '--profile': { setting: 'ALIBABA_CLOUD_PROFILE', note: "which the SDK's default credential chain reads in live mode" },
  '--access-key-id': { setting: 'ALIBABA_CLOUD_ACCESS_KEY_ID', note: "with ALIBABA_CLOUD_ACCESS_KEY_SECRET, which the SDK's default credential chain reads in live mode (a key on the command line would stay in the shell's history)" },
  '--access-key-secret': { setting: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', note: "with ALIBABA_CLOUD_ACCESS_KEY_ID, which the SDK's default credential chain reads in live mode (a secret on the command line would stay in the shell's history)" },
  '--endpoint': { setting: 'SMS_ENDPOINT', note: 'host[:port] (default dysmsapi.aliyuncs.com in live mode)' },
  '--region': REGION,
  '-r': REGION,
  '--api-version': { drop: 'not needed: smsq always calls Dysmsapi 2017-05-25' },
  '--user-agent': { drop: 'not needed: smsq sends its own, smsq/<version>' },
};

/** The aliyun wrapper's pre-check of the signature and template, which every smsq send makes. */
const VERIFY: SmsqEquivalent = { drop: 'not needed: every send checks the signature, the template and its params against the account before anything is enqueued' };
/** SendSms / SendBatchSms's OutId, which smsq sets itself. */
const OUT_ID: SmsqEquivalent = { drop: 'not offered: smsq gives every attempt an OutId of its own, which finds a timed-out call again before anything is resent; keep your id with the send instead: its send id, or --idempotency-key' };

/**
 * Per smsq command: the aliyun CLI's flag name and what smsq takes instead ({@link EVERY_CALL} for
 * each command that stands for an aliyun action), and smsq's own name from another command where
 * one command names a thing differently (stats --sign: --sign-name). Flags smsq shares with it
 * (--page-size, --sign-name on stats, --biz-id) are not here.
 */
export const ALIYUN_FLAGS: Readonly<Record<string, Readonly<Record<string, SmsqEquivalent>>>> = {
  send: {
    ...EVERY_CALL,
    '--verify': VERIFY,
    '--out-id': OUT_ID,
    '--phone-numbers': { use: '--phones' },
    '--phone-number': { use: '--phones' },
    '--sign-name': { use: '--sign' },
    '--template-code': { use: '--template' },
    '--template-param': { use: '--param' },
    '--sms-up-extend-code': { use: '--extend-code' },
    '-p': WRAPPER('-p', '--phone-numbers', '--phones'),
    '-s': WRAPPER('-s', '--sign-name', '--sign'),
    '-t': WRAPPER('-t', '--template-code', '--template'),
    '-tp': WRAPPER('-tp', '--template-param', '--param'),
    '-o': OUT_ID,
  },
  'send-batch': {
    ...EVERY_CALL,
    '--verify': VERIFY,
    '--out-id': OUT_ID,
    '--sms-up-extend-code-json': { use: '--file', note: 'Each message carries its own code in the file: smsUpExtendCode in a JSON message, an extend_code column in CSV.' },
    '--template-code': { use: '--template' },
    '--phone-number-json': { use: '--file', note: IN_A_FILE('--phone-number-json') },
    '--sign-name-json': { use: '--file', note: IN_A_FILE('--sign-name-json') },
    '--template-param-json': { use: '--file', note: IN_A_FILE('--template-param-json') },
    '-t': WRAPPER('-t', '--template-code', '--template'),
    '-o': OUT_ID,
  },
  campaign: {
    ...EVERY_CALL,
    '--verify': VERIFY,
    '--sign-name': { use: '--sign' },
    '--template-code': { use: '--template' },
    '--template-param': { use: '--param' },
    '-s': WRAPPER('-s', '--sign-name', '--sign'),
    '-t': WRAPPER('-t', '--template-code', '--template'),
    '-tp': WRAPPER('-tp', '--template-param', '--param'),
  },
  signs: { ...EVERY_CALL, '--page-index': { use: '--page' } },
  templates: { ...EVERY_CALL, '--page-index': { use: '--page' } },
  sign: { ...EVERY_CALL, '--sign-name': { use: 'smsq sign <name>' } },
  template: { ...EVERY_CALL, '--template-code': { use: 'smsq template <code>' } },
  details: {
    ...EVERY_CALL,
    '--phone-number': { use: '--phone' },
    '--phone-numbers': { use: '--phone' },
    '--send-date': { use: '--date' },
    '--current-page': { use: '--page' },
    // send_sms.sh query-status -p NUMBER --send-date ... --biz-id ...
    '-p': WRAPPER('-p', '--phone-numbers', '--phone'),
  },
  stats: {
    ...EVERY_CALL,
    // Not the aliyun CLI's but send's name (the other way round from send --sign-name): told to
    // drop it, a caller widened the statistics to every signature.
    '--sign': { use: '--sign-name', note: "smsq stats names the signature as Dysmsapi's QuerySendStatistics does; --sign is send's and campaign's name for it." },
    '--start-date': { use: '--start' },
    '--end-date': { use: '--end' },
    '--is-globe': { use: '--globe' },
    '--page-index': { use: '--page' },
  },
  qualifications: {
    ...EVERY_CALL,
    '--page-no': { use: '--page' },
    '--qualification-group-name': { use: '--name' },
    '--company-name': { use: '--company' },
    '--legal-person-name': { use: '--legal-person' },
  },
  qualification: { ...EVERY_CALL, '--qualification-group-id': { use: 'smsq qualification <group-id>' } },
  // Not an aliyun command, but the same habit: a page of sends is --limit.
  sends: { '--page-size': { use: '--limit' } },
};

/**
 * The aliyun CLI's action names (`aliyun dysmsapi send-sms`, as the skill teaches them) and the
 * skill wrapper's (`send_sms.sh list-signs`), with smsq's command for each: commander matched them
 * by edit distance alone, `send-sms` with `sends` (which lists sends), the rest with nothing.
 */
export const ALIYUN_COMMANDS: Readonly<Record<string, { smsq: string; by: 'aliyun' | 'wrapper' }>> = {
  'send-sms': { smsq: 'send', by: 'aliyun' },
  'send-batch-sms': { smsq: 'send-batch', by: 'aliyun' },
  'query-send-details': { smsq: 'details', by: 'aliyun' },
  'query-send-statistics': { smsq: 'stats', by: 'aliyun' },
  'query-sms-sign-list': { smsq: 'signs', by: 'aliyun' },
  'get-sms-sign': { smsq: 'sign', by: 'aliyun' },
  'query-sms-sign': { smsq: 'sign', by: 'aliyun' },
  'query-sms-template-list': { smsq: 'templates', by: 'aliyun' },
  'get-sms-template': { smsq: 'template', by: 'aliyun' },
  'query-sms-template': { smsq: 'template', by: 'aliyun' },
  'query-sms-qualification-record': { smsq: 'qualifications', by: 'aliyun' },
  'query-single-sms-qualification': { smsq: 'qualification', by: 'aliyun' },
  'list-signs': { smsq: 'signs', by: 'wrapper' },
  'list-templates': { smsq: 'templates', by: 'wrapper' },
  'query-sign': { smsq: 'sign', by: 'wrapper' },
  'query-template': { smsq: 'template', by: 'wrapper' },
  'query-status': { smsq: 'details', by: 'wrapper' },
  'query-statistics': { smsq: 'stats', by: 'wrapper' },
};

/** The words before an action on the aliyun command line (`aliyun dysmsapi send-sms`), which smsq needs none of. */
const ALIYUN_PREFIXES: ReadonlySet<string> = new Set(['aliyun', 'dysmsapi']);

/** `SendSms` (the API's name, which the aliyun CLI also takes) as `send-sms`; a kebab name as it is. */
const kebab = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/**
 * smsq's answer to a command line whose first word is no command of smsq's (`args`: from that word
 * on) when it is an aliyun action, the wrapper's, or `aliyun` / `dysmsapi` before one; undefined
 * for any other. `commands`: smsq's command names.
 */
export function aliyunCommandAnswer(args: readonly string[], commands: readonly string[]): AliyunAnswer | undefined {
  let prefixes = 0;
  while (ALIYUN_PREFIXES.has(args[prefixes] ?? '')) prefixes += 1;
  const typed = args[prefixes];
  const entry = typed === undefined ? undefined : ALIYUN_COMMANDS[kebab(typed)];
  if (prefixes > 0) {
    const words = args.slice(0, prefixes).join(' ');
    const line = `(${words}: not needed: smsq calls Dysmsapi itself, and its commands are Dysmsapi's actions.)`;
    const mapped = entry?.smsq ?? (typed !== undefined && commands.includes(typed) ? typed : undefined);
    if (mapped === undefined) return { line, fix: `drop ${words} and give smsq's command (smsq --help lists them; docs/aliyun-cli.md maps the aliyun CLI's)` };
    return { line, fix: `smsq ${mapped} instead of smsq ${words} ${typed} (see smsq ${mapped} --help)` };
  }
  if (typed === undefined || entry === undefined) return undefined;
  const whose = entry.by === 'aliyun' ? "the aliyun CLI's" : "send_sms.sh's";
  return { line: `(Did you mean ${entry.smsq}? It is smsq's name for ${whose} ${typed}.)`, fix: `smsq ${entry.smsq} instead of smsq ${typed} (see smsq ${entry.smsq} --help)` };
}

/** smsq's answer to an aliyun flag name: the line under commander's "unknown option", and what to do. */
export interface AliyunAnswer {
  /** In parentheses, as commander words its suggestions: `(Did you mean --sign? ...)`, `(--region: not needed: ...)`. */
  line: string;
  /** What to type instead, without "Fix: ". */
  fix: string;
}

/** smsq's answer to the aliyun flag `flag` given to `command`; undefined for any other name. */
export function aliyunAnswer(command: string, flag: string): AliyunAnswer | undefined {
  const equivalent = ALIYUN_FLAGS[command]?.[flag];
  if (equivalent === undefined) return undefined;
  if ('setting' in equivalent) {
    return { line: `(${flag}: smsq takes ${equivalent.setting} from the environment instead, ${equivalent.note}.)`, fix: `drop ${flag} and set ${equivalent.setting} in the environment` };
  }
  if ('drop' in equivalent) return { line: `(${flag}: ${equivalent.drop}.)`, fix: `drop ${flag}` };
  const argument = equivalent.use.startsWith('smsq ');
  const note = equivalent.note ?? (argument ? `smsq takes what the aliyun CLI's ${flag} gives as an argument.` : `It is smsq's name for the aliyun CLI's ${flag}.`);
  return { line: `(Did you mean ${equivalent.use}? ${note})`, fix: argument ? `${equivalent.use}, the value as an argument, not after ${flag}` : `${equivalent.use} instead of ${flag}` };
}

/** The line commander prints under an unknown option, for an aliyun flag name; undefined for any other. */
export function aliyunSuggestion(command: string, flag: string): string | undefined {
  return aliyunAnswer(command, flag)?.line;
}

/** commander's unknown-option check (internal: absent from its typings). */
interface UnknownOptionCheck {
  unknownOption(flag: string): never;
}

/** commander's unknown-command check (internal: absent from its typings). */
interface UnknownCommandCheck {
  unknownCommand(): never;
}

/**
 * Makes each command of `program` answer an aliyun flag name with smsq's (see the file comment),
 * and `program` an aliyun action's name with smsq's command ({@link aliyunCommandAnswer}).
 */
export function suggestForAliyunFlags(program: Command): void {
  const programCheck = program as unknown as UnknownCommandCheck;
  if (typeof programCheck.unknownCommand === 'function') {
    const commanders = programCheck.unknownCommand.bind(program);
    programCheck.unknownCommand = (): never => {
      const answer = aliyunCommandAnswer(program.args, program.commands.map((c) => c.name()));
      if (answer === undefined) return commanders();
      return program.error(`error: unknown command '${program.args[0] ?? ''}'\n${answer.line}`, { code: 'commander.unknownCommand' });
    };
  }
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
