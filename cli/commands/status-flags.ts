/**
 * The flags of `smsq status`, apart from status.ts, which parses them, so that status-run.ts takes
 * them as the schema gives them (see cli/commands/index.ts).
 */
import { z } from 'zod';
import { decodeRecipientCursor, MAX_RECIPIENT_PAGE } from '../../src/queue/recipient-cursor.js';
import { checkCursorFlag, enumFlag, intFlag, sendIdFlag, switchFlag, textFlag } from '../flags.js';

export const statusFlags = z
  .object({
  sendId: sendIdFlag('smsq status smx8raea837d634fdfd72 (the id send printed; smsq sends lists them)'),
  recipients: switchFlag,
  limit: intFlag(1, MAX_RECIPIENT_PAGE, '--limit 1000').optional(),
  cursor: textFlag('pass the cursor the previous page printed, unchanged', 400).optional(),
  watch: switchFlag,
  until: enumFlag(['sent', 'final', 'auto'], '--until sent', 'must be sent, final or auto').optional(),
  json: switchFlag,
  })
  // Checked before anything is read, so that a bad cursor is named as the flag it came in (without
  // --recipients, runStatus says --cursor needs it). A cursor names its send: checked against it.
  .superRefine((flags, ctx) => {
    const { cursor } = flags;
    if (cursor !== undefined && flags.recipients) checkCursorFlag(ctx, (field) => decodeRecipientCursor(flags.sendId, cursor, field), ['cursor']);
  });

export type StatusFlags = z.output<typeof statusFlags>;
