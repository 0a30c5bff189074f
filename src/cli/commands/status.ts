/** `smsq status SEND_ID [--recipients]`: counts by state, and per-recipient states. */
import type { Command } from 'commander';
import { z } from 'zod';
import { systemClock } from '../../clock.js';
import { NotFoundError } from '../../errors.js';
import { createChunkStore } from '../../queue/chunk-store.js';
import { createKeys } from '../../queue/keys.js';
import { createSendStore } from '../../queue/send-store.js';
import { sendRecipients } from '../../queue/send-recipients.js';
import type { CliContext } from '../context.js';
import { switchFlag, textFlag } from '../flags.js';
import { renderFields, renderTable } from '../format.js';
import { openRedis } from '../pipeline.js';

const schema = z.object({
  sendId: textFlag('smsq status s1a2b3c4d5e6f', 100),
  recipients: switchFlag,
  json: switchFlag,
});

export function register(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('counts by state for a send, and per-recipient states with --recipients')
    .argument('<send-id>', 'the id printed by send, send-batch or campaign')
    .option('--recipients', 'list every recipient with its state')
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(schema, async (flags) => {
        const redis = openRedis(ctx);
        const keys = createKeys(ctx.config.prefix);
        const status = await createSendStore({ redis, keys }).status(flags.sendId);
        if (!status) throw new NotFoundError(`send ${flags.sendId}`);
        const recipients = [];
        if (flags.recipients) {
          const chunks = createChunkStore({ redis, keys, clock: systemClock });
          for await (const r of sendRecipients(chunks, flags.sendId, status.send.chunks)) recipients.push(r);
        }
        if (flags.json) {
          ctx.printJson({ ...status, ...(flags.recipients ? { recipients } : {}) });
          return;
        }
        const s = status.send;
        ctx.print(
          renderFields([
            ['send id', s.sendId],
            ['state', s.state + (s.code ? ` (${s.code}${s.reason ? `: ${s.reason}` : ''})` : '')],
            ['kind', s.kind],
            ['signature / template', `${s.signName} / ${s.templateCode}`],
            ['recipients', `${s.recipients} queued, ${s.rejected} rejected at the door, ${s.duplicates} duplicates dropped`],
            ['created', new Date(s.createdAt).toISOString()],
            ...Object.entries(status.counts)
              .filter(([k, v]) => v > 0 && k !== 'split')
              .map(([k, v]) => [k, v] as const),
          ]),
        );
        if (flags.recipients) {
          ctx.print(
            renderTable(
              [{ header: 'phone' }, { header: 'state' }, { header: 'code' }, { header: 'biz id' }, { header: 'attempts' }],
              recipients.map((r) => [r.phone, r.state, r.code ?? '-', r.bizId ?? '-', r.attempts]),
            ),
          );
        }
      }),
    );
}
