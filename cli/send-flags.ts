/** Flags and helpers shared by the send commands. */
import type { Command } from 'commander';
import { z } from 'zod';
import type { Producer } from '../producers/producer.js';
import type { SendStatus } from '../src/queue/send-store.js';
import { UNSENT_CHUNK_STATES } from '../src/queue/lifecycle.js';
import { countIn } from '../src/receipts/completion.js';
import type { CliContext } from './context.js';
import { switchFlag } from './flags.js';

/** The zod fields of the flags every send command shares (spread into its schema). */
export const SEND_COMMAND_FLAGS = { yes: switchFlag, wait: switchFlag, dryRun: switchFlag, json: switchFlag };

/** The flags every send command shares, as parsed. */
export type SendCommandFlags = z.output<z.ZodObject<typeof SEND_COMMAND_FLAGS>>;

/** Declares the flags every send command shares. */
export function withSendOptions(command: Command): Command {
  return command
    .option('--yes', 'do not ask for confirmation')
    .option('--wait', 'wait until every recipient has an outcome')
    .option('--dry-run', 'print the plan and enqueue nothing')
    .option('--json', 'print JSON on stdout');
}

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
    return v as Record<string, string>;
  });
}

/**
 * Polls a send's status (every 250 ms) until every recipient is sent (accepted or final: none
 * queued, sending or unknown; receipts are not waited for); shows progress on stderr.
 */
export async function waitForSend(ctx: CliContext, producer: Producer, sendId: string, quiet: boolean): Promise<SendStatus> {
  let last = '';
  for (;;) {
    const s = await producer.getStatus(sendId);
    const pending = countIn(s.counts, UNSENT_CHUNK_STATES);
    const line = `${sendId}: ${s.counts.accepted} accepted, ${s.counts.failed} failed, ${pending} pending`;
    if (!quiet && line !== last) ctx.note(line);
    last = line;
    if (pending === 0 && s.send.state !== 'enqueuing') return s;
    await new Promise((r) => setTimeout(r, 250));
  }
}
