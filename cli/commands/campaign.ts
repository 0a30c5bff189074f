/** `smsq campaign --file recipients.csv`: stream a large recipient list into the queue, with progress. */
import type { Command } from 'commander';
import { z } from 'zod';
import { ENCODING_CHOICES, parseEncodingName } from '../../producers/encoding-names.js';
import { MESSAGE_KINDS } from '../../src/queue/kinds.js';
import { CampaignStoppedError, EXIT, RedisUnavailableError, RedisWritesRefusedError } from '../../src/errors.js';
import type { CliContext } from '../context.js';
import { deadlineFlag, displayName, enumFlag, sendIdFlag, switchFlag, textFlag } from '../flags.js';
import { formatCounts, renderFields } from '../format.js';
import { UsageError } from '../errors.js';
import { quietUntil } from '../../src/queue/quiet-hours.js';
import { DRY_RUN_NOTE, extendCodeFlag, jsonParamsFlag } from '../send-flags.js';
import { exitCodeOfStop, stopNote, watchForStop, type WaitStop } from '../wait-stop.js';
import { stoppedJson } from '../campaign-stop-words.js';
import type { EnqueueResult } from '../../producers/producer.js';

const schema = z.object({
  action: enumFlag(['pause', 'resume', 'cancel'], 'smsq campaign pause SEND_ID', 'must be pause, resume or cancel').optional(),
  sendId: sendIdFlag('smsq campaign pause|resume|cancel smx8raea837d634fdfd72 (the action you meant; smsq sends lists the ids)').optional(),
  file: textFlag('--file recipients.csv (or .xlsx; a header with a phone column, other columns are per-recipient params)', 4096).optional(),
  encoding: textFlag(`--encoding gbk (one of ${ENCODING_CHOICES})`, 32).optional(),
  sheet: textFlag('--sheet Sheet1', 200).optional(),
  sign: textFlag('--sign <approved signature>', 100).optional(),
  template: textFlag('--template SMS_123456789', 50).optional(),
  deadline: deadlineFlag().optional(),
  param: jsonParamsFlag('--param \'{"name":"friend"}\'').optional(),
  name: textFlag('--name spring-sale', 200).optional(),
  kind: enumFlag(MESSAGE_KINDS, '--kind marketing').optional().default('marketing'),
  idempotencyKey: textFlag('--idempotency-key spring-sale-2026', 128).optional(),
  extendCode: extendCodeFlag,
  yes: switchFlag,
  dryRun: switchFlag,
  json: switchFlag,
});

/** Flags that only an enqueue takes: every one of the schema but these (`kind` has a default, so it cannot tell whether it was given). */
const NOT_ENQUEUE_ONLY = new Set(['action', 'sendId', 'json', 'kind']);
const ENQUEUE_ONLY = (Object.keys(schema.shape) as (keyof typeof schema.shape)[]).filter((key) => !NOT_ENQUEUE_ONLY.has(key));

export function register(program: Command, ctx: CliContext): void {
  program
    .command('campaign')
    .description('stream a large recipient list (CSV) into the queue in bounded memory, with progress (Ctrl-C stops it: its send paused, holding what was read); or pause / resume / cancel one')
    .argument('[action]', 'pause | resume | cancel an existing send (omit to enqueue a campaign)')
    .argument('[send-id]', 'the send to pause, resume or cancel')
    .option('--file <path>', '(required to enqueue) CSV (comma-, tab- or semicolon-separated) or .xlsx: a header naming the phone column (phone, mobile, 手机号, ...); other columns are per-recipient params; a pipe (/dev/stdin, <(...)) with --yes only')
    .option('--encoding <name>', `the CSV's encoding: ${ENCODING_CHOICES} (default: recognised from the file)`)
    .option('--sheet <name>', 'the sheet of an .xlsx workbook to read (default: the first)')
    .option('--sign <name>', '(required to enqueue) approved signature')
    .option('--template <code>', '(required to enqueue) approved template code')
    .option('--param <json>', 'params shared by every recipient (per-recipient columns override them)')
    .option('--name <name>', 'a name for the campaign')
    .option('--kind <kind>', 'verification | notification | marketing (default: marketing)')
    .option('--idempotency-key <key>', 'repeat-safe key: the same key returns the first send id for 24 h')
    .option('--deadline <time>', 'ISO time with zone, or epoch ms; chunks not sent by then are expired, not sent late')
    .option('--extend-code <digits>', 'SmsUpExtendCode for every recipient: 1-12 digits appended to the sender number, to tell replies (SmsUp) to this campaign apart')
    .option('--yes', 'do not ask for confirmation (skips the counting pass)')
    .option('--dry-run', 'read the file, print the plan, enqueue nothing')
    .option('--json', 'print JSON on stdout')
    .action(
      ctx.action(schema, async (flags) => {
        const { confirmOrRefuse, openProducer, quietHoursLine, renderEnqueued, renderRejected, sayForcedExitAfterEnqueue, segmentsFor, warnIfNoWorker } = await import('../pipeline.js');
        const { isPipePath, readRecipientsFile } = await import('../../producers/recipient-file.js');
        const { statusJson } = await import('../status-json.js');
        const { producer, templateContent, workersSeen } = openProducer(ctx);
        if (flags.action) {
          if (!flags.sendId) throw new UsageError(`the send id is missing. Fix: smsq campaign ${flags.action} SEND_ID`);
          // pause / resume / cancel act at once: a flag meant for an enqueue (--dry-run above all) must not be taken as asked for.
          const enqueueOnly = ENQUEUE_ONLY.filter((key) => flags[key] !== undefined && flags[key] !== false).map((key) => displayName(key));
          if (enqueueOnly.length) {
            throw new UsageError(
              `${enqueueOnly.join(', ')} ${enqueueOnly.length > 1 ? 'are' : 'is'} not for \`smsq campaign ${flags.action}\`, which acts at once and takes only the send id (and --json); nothing was changed. Fix: smsq campaign ${flags.action} ${flags.sendId}${flags.action === 'cancel' ? ' (smsq status ' + flags.sendId + ' shows what it would stop)' : ''}`,
            );
          }
          const control = { action: flags.action, sendId: flags.sendId };
          // Read before the control: Redis gone then means the control was not applied, said as such (not as a read's failure).
          const before = (
            await producer.getStatus(flags.sendId).catch((err: unknown) => {
              throw err instanceof RedisUnavailableError || err instanceof RedisWritesRefusedError ? err.asControl(control) : err;
            })
          ).send.state;
          const status = await producer[flags.action](flags.sendId);
          if (flags.json) ctx.printJson(statusJson(status));
          else {
            // The reason belongs to a paused or cancelled send; on another it is a leftover of an earlier control.
            const held = status.send.state === 'paused' || status.send.state === 'cancelled';
            const unchanged = status.send.state === before ? `; nothing changed: the send was already ${before}` : '';
            // A cancel that found no recipient queued stops nothing: said, not read as a stop (only
            // then: the counts are read after the cancel has marked its queued chunks). A send sent
            // in full never gets here: its cancel is refused (SMSQ_SEND_ALREADY_SENT).
            const stopped = status.counts.cancelled + status.counts.queued;
            const nothingLeft = flags.action === 'cancel' && !unchanged && status.send.state === 'cancelled' && stopped === 0 ? '; nothing was left to cancel: every recipient was already past the API' : '';
            ctx.print(`${flags.sendId}: ${status.send.state}${held && status.send.controlReason ? ` (${status.send.controlReason})` : ''}${unchanged}${nothingLeft}; ${formatCounts(status.counts)}`);
          }
          return;
        }
        const missing = (['file', 'sign', 'template'] as const).filter((k) => !flags[k]);
        if (missing.length) {
          throw new UsageError(`${missing.map((k) => `--${k}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} required to enqueue a campaign. Fix: smsq campaign --file recipients.csv --sign <approved signature> --template SMS_123456789 (or pause / resume / cancel SEND_ID)`);
        }
        const file = flags.file as string;
        if (!flags.yes && !flags.dryRun && isPipePath(file)) {
          throw new UsageError(`--file ${file} is a pipe, which can be read only once: the counting pass before the question would use it up; nothing was enqueued. Fix: add --yes (the plan is not shown), or read it with --dry-run first from a file`);
        }
        const encoding = flags.encoding === undefined ? undefined : parseEncodingName(flags.encoding, '--encoding');
        const recipients = () => readRecipientsFile(file, { encoding, sheet: flags.sheet });
        const request = {
          signName: flags.sign as string,
          templateCode: flags.template as string,
          deadline: flags.deadline,
          templateParam: flags.param,
          name: flags.name,
          kind: flags.kind,
          idempotencyKey: flags.idempotencyKey,
          smsUpExtendCode: flags.extendCode,
        };
        const kind = flags.kind ?? 'marketing'; // the campaign request's default
        // A retry of a campaign that went out is answered before the plan, as smsq send's: its
        // checks depend on the time and on Redis (a --deadline past since). The file is read only then.
        const repeat = flags.dryRun ? undefined : await producer.repeatOf('campaign', request, recipients(), { sourceField: 'file' });
        if (repeat) {
          await warnIfNoWorker(ctx, workersSeen);
          if (flags.json) ctx.printJson(repeat);
          else ctx.print(renderEnqueued(repeat));
          return;
        }
        if (flags.dryRun || !flags.yes) {
          // A counting pass: the same validation and chunking as the real run, nothing written.
          const plan = await producer.planCampaign(recipients(), request, { sourceField: 'file' });
          // After the plan, which refuses a Redis that cannot keep SMSQ_DURABILITY before any look-up:
          // this one caches its answer and takes a pacer slot in Redis (from the plan's cache by now).
          const content = await templateContent(flags.template as string);
          const segments = segmentsFor(flags.sign as string, content, flags.param);
          const summary = renderFields([
            ['file', file],
            ['signature / template', `${flags.sign} / ${flags.template}`],
            ['extension code', flags.extendCode ?? '(none)'],
            ['content', content ?? '(unknown)'],
            ['recipients', plan.recipients],
            ['rejected rows', plan.rejectedCount],
            ['duplicates dropped', plan.duplicates],
            ['opted out (skipped)', plan.suppressed],
            ['API calls', `${plan.apiCalls} (${plan.sendSmsCalls} SendSms, ${plan.sendBatchSmsCalls} SendBatchSms)`],
            ['SMS segments', segments ? `${segments.segments} per message (${segments.chars} chars with the shared params; per-recipient values may change it), ~${segments.segments * plan.recipients} in total` : 'unknown'],
            ...quietHoursLine(kind, kind === 'marketing' ? quietUntil(ctx.now(), ctx.config.quietHours) || undefined : undefined, ctx.config.quietHours),
          ]);
          const rejected = renderRejected(plan.rejected, plan.rejectedCount);
          if (flags.dryRun) {
            if (flags.json) ctx.printJson({ dryRun: true, plan: { ...plan, segmentsPerMessage: segments?.segments ?? null } });
            else {
              ctx.print([summary, rejected].filter(Boolean).join('\n'));
              ctx.note(DRY_RUN_NOTE);
            }
            return;
          }
          ctx.note([summary, rejected].filter(Boolean).join('\n'));
          if (!(await confirmOrRefuse(ctx, `Enqueue ${plan.recipients} recipients in ${plan.apiCalls} API calls?`))) {
            ctx.note('cancelled: nothing was enqueued');
            return EXIT.refused;
          }
        }
        let lastShown = 0;
        // The newest progress and the one on screen: shown at most twice a second, the last one is
        // shown at the end all the same (a trial read "chunks 3" in the progress and 4 in the result).
        let newest = '';
        let onScreen = '';
        const show = (text: string) => {
          onScreen = text;
          if (ctx.deps.stderrIsTTY) ctx.deps.stderr.write(`\r${text}`);
          else ctx.note(text);
        };
        let sendId = '';
        // From here on a first Ctrl-C / SIGTERM stops the campaign: reading stops, its send is
        // paused with what was read enqueued in it. A second one ends the process at once.
        const watch = watchForStop(ctx, undefined);
        let res: EnqueueResult | undefined;
        watch.signal.addEventListener('abort', () => res === undefined && ctx.note(stoppingNote(sendId, watch.stopped)), { once: true });
        let reported = false;
        // The enqueue had ended: the send is whole, as `send` says of its own.
        ctx.deps.onForcedExit?.((signal) => reported || (res === undefined ? forcedExitNote(ctx, flags.json, sendId, signal) : sayForcedExitAfterEnqueue(ctx, flags.json, res, signal)));
        try {
          res = await producer
            .campaign(recipients(), request, {
              sourceField: 'file',
              signal: watch.signal,
              onProgress: (p) => {
                if (p.sendId !== '' && sendId === '') {
                  sendId = p.sendId;
                  // Before the first chunk: a run cut off (Ctrl-C, Redis) leaves this send part-way, and this is where its id is.
                  ctx.note(`send id ${p.sendId}: enqueuing (smsq status ${p.sendId} follows it)`);
                }
                // Progress is shown once chunks are written (the first call only names the send).
                if (p.chunks === 0) return;
                // Every row read is counted once, opted-out ones too (named as the result's table names them): the counts add up to `read`.
                newest = `read ${p.read}, queued ${p.queued}, rejected ${p.rejected}, duplicates ${p.duplicates}, opted out ${p.suppressed}, chunks ${p.chunks}`;
                const now = Date.now();
                if (now - lastShown < 500) return;
                lastShown = now;
                show(newest);
              },
            })
            .finally(() => {
              if (lastShown && newest !== onScreen) show(newest);
              // Ends the progress line, also before an error (a list that stopped reading part-way).
              if (ctx.deps.stderrIsTTY && lastShown) ctx.deps.stderr.write('\n');
            });
        } catch (err) {
          if (!(err instanceof CampaignStoppedError)) throw err;
          reported = true; // a second signal from here on finds the stop said
          return reportStopped(ctx, flags.json, err, watch.stopped);
        } finally {
          watch.dispose();
        }
        await warnIfNoWorker(ctx, workersSeen, watch.signal);
        if (flags.json) ctx.printJson(res);
        else ctx.print(renderEnqueued(res));
        // A stop that came once the enqueue had ended: the send is whole and goes on.
        if (!watch.stopped) return;
        ctx.note(`${stopNote(watch.stopped, res.sendId)}; to stop it: smsq campaign pause ${res.sendId} (or cancel)`);
        return exitCodeOfStop(watch.stopped);
      }),
    );
}

/** Said on the first signal, while the stop is made (writing what was read can take a moment). */
function stoppingNote(sendId: string, stop: WaitStop | undefined): string {
  const signal = stop?.reason === 'interrupted' ? stop.signal : 'stop';
  const what = sendId === '' ? 'reading stopped' : `reading stopped; pausing send ${sendId} and enqueuing what was read in it`;
  return `${signal}: stopping the campaign: ${what} (${signal} again ends this command at once)`;
}

/**
 * The campaign stopped by the first signal: the send (paused) where the output goes, what it
 * holds and the ways on on stderr; exit 130 for SIGINT, 143 for SIGTERM.
 */
function reportStopped(ctx: CliContext, json: boolean, err: CampaignStoppedError, stop: WaitStop | undefined): number {
  const { sendId, recipients, rowsRead, afterLine, wholeList } = err.stopped;
  const why: WaitStop = stop ?? { reason: 'interrupted', signal: err.stopped.by ?? 'SIGINT' };
  if (json) ctx.printJson(stoppedJson(err, why));
  else if (sendId !== undefined) {
    ctx.print(renderFields([
      ['send id', sendId],
      ['queued recipients', recipients],
      ['state', `paused (stopped ${wholeList ? 'once the whole list was read, ' : ''}${afterLine === undefined ? `after ${rowsRead} rows` : `after line ${afterLine}`})`],
    ]));
  }
  ctx.note(`${err.code}: ${err.message}`);
  return exitCodeOfStop(why);
}

/**
 * What a second signal leaves before the enqueue has ended (the process exits right after): the
 * send id first, then what may be unfinished.
 */
function forcedExitNote(ctx: CliContext, json: boolean, sendId: string, signal: string): void {
  if (sendId === '') {
    if (json) ctx.printJson({ sendId: null, recipients: 0, stopped: { reason: 'interrupted', signal, forced: true } });
    ctx.note(`forced exit (${signal}) before the send was created: nothing was enqueued`);
    return;
  }
  if (json) ctx.printJson({ sendId, stopped: { reason: 'interrupted', signal, forced: true, statusCommand: `smsq status ${sendId}`, cancelCommand: `smsq campaign cancel ${sendId}` } });
  else ctx.print(renderFields([['send id', sendId]]));
  ctx.note(
    `forced exit (${signal}) while the campaign was stopping: send ${sendId} may not be paused yet, and its enqueue may be left unfinished: what it holds then goes out as workers reach it, until the repair sweep fails the unfinished enqueue about 10 minutes after. Check on it: smsq status ${sendId}; to stop it for sure: smsq campaign cancel ${sendId}`,
  );
}
