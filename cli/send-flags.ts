/** Flags shared by the send commands (waiting for a send: wait-for-send.ts). */
import type { Command } from 'commander';
import { z } from 'zod';
import { smsUpExtendCode } from '../producers/schemas.js';
import { EXIT } from '../src/errors.js';
import { repeatedKeysOf } from '../src/duplicate-keys.js';
import { UsageError } from './errors.js';
import { durationFlag, switchFlag } from './flags.js';

/** The longest `--timeout`: quiet hours hold marketing for at most a night. */
const MAX_WAIT_TIMEOUT_MS = 24 * 3_600_000;

/** The zod fields of the flags every send command shares (spread into its schema). */
export const SEND_COMMAND_FLAGS = {
  yes: switchFlag,
  wait: switchFlag,
  timeout: durationFlag(1000, MAX_WAIT_TIMEOUT_MS, '--timeout 30s (or 5m, 1h30m)').optional(),
  dryRun: switchFlag,
  json: switchFlag,
};

/** The flags every send command shares, as parsed. */
export type SendCommandFlags = z.output<z.ZodObject<typeof SEND_COMMAND_FLAGS>>;

/** Said after a `--dry-run` plan in text: the plan alone does not say that nothing happened. */
export const DRY_RUN_NOTE = 'dry run: nothing was enqueued; the same command without --dry-run sends it';

/** Refuses flags that contradict each other, before anything is read or planned. */
export function refuseConflictingSendFlags(flags: Pick<SendCommandFlags, 'dryRun' | 'wait' | 'timeout'>): void {
  if (flags.dryRun && flags.wait) throw new UsageError('--wait waits for a send, and --dry-run enqueues none. Fix: drop --wait to see the plan, or drop --dry-run to send and wait');
  if (flags.timeout !== undefined && !flags.wait) throw new UsageError('--timeout limits --wait, which is not given; nothing was enqueued. Fix: add --wait, or drop --timeout');
}

/** Declares the flags every send command shares. */
export function withSendOptions(command: Command): Command {
  return command
    .option('--yes', 'do not ask for confirmation')
    .option('--wait', 'wait until every recipient is past the API (accepted or failed; not for receipts), with progress and what holds it on stderr')
    .option('--timeout <duration>', `with --wait: stop waiting after this long (e.g. 30s, 5m, 1h30m; at most 24h), exit ${EXIT.waitStopped}; the send is not cancelled`)
    .option('--dry-run', 'print the plan and enqueue nothing')
    .option('--json', 'print JSON on stdout');
}

/**
 * `--extend-code`: the request's own rule, not a text flag, which would trim it. A code with spaces
 * around its digits is refused (`--extend-code " 07" has spaces around its digits ...`), as every
 * other door refuses it, and before the environment is read.
 */
export const extendCodeFlag = smsUpExtendCode.optional();

/** A JSON object of string values, given as one flag. */
export function jsonParamsFlag(fix: string) {
  return z.string().transform((s, zctx) => {
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch {
      zctx.addIssue({ code: 'custom', message: `is not valid JSON. Fix: ${fix}` });
      return z.NEVER;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
      zctx.addIssue({ code: 'custom', message: `must be a JSON object whose values are strings. Fix: ${fix}` });
      return z.NEVER;
    }
    // JSON.parse keeps a repeated key's last value: {"code":"111111","code":"222222"} sent 222222 without a word.
    const repeated = repeatedKeysOf(s);
    if (repeated.length > 0) {
      const named = repeated.map((key) => JSON.stringify(key));
      const keys = named.length === 1 ? `the key ${named[0]}` : `the keys ${named.slice(0, -1).join(', ')} and ${named[named.length - 1]}`;
      zctx.addIssue({ code: 'custom', message: `gives ${keys} twice (JSON keeps only the last); nothing was done. Fix: give each key once, e.g. ${fix}` });
      return z.NEVER;
    }
    return v as Record<string, string>;
  });
}
