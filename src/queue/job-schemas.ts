import { z } from 'zod';
import { MAX_ATTEMPT } from './out-id.js';
import { DETAILS_DAYS } from '../sms/dates.js';

/**
 * The last index of a reconcile look-up's SendDates: the attempt's day and the next near
 * midnight, or, after an adoption, every day from the attempt before it (priorSentAt), at most the
 * {@link DETAILS_DAYS} QuerySendDetails answers for, and the margin's day on each side.
 */
export const RECONCILE_LAST_DATE_INDEX = DETAILS_DAYS + 1;

/** Job names on the calls queue; each job makes exactly one Dysmsapi call. */
export const JOB = Object.freeze({
  send: 'send',
  reconcile: 'reconcile',
  receipt: 'receipt',
  expire: 'receipt-expire',
  callback: 'callback',
} as const);

const id = z.string().min(1).max(200);

/**
 * A chunk's id is its send's id, a dot and its index (chunkIdOf), and the scripts a job runs move
 * the counts of the send the job names: a job naming a chunk of another send (made by hand, or by
 * a program that is not smsq) would claim it past that send's pause, cancel or deadline and move
 * counts of a send it is not part of. Refused before anything is read.
 */
function ofItsSend<T extends z.ZodType<{ sendId: string; chunkId: string }>>(schema: T): T {
  return schema.refine((d) => d.chunkId.length > d.sendId.length + 1 && d.chunkId.startsWith(`${d.sendId}.`) && !d.chunkId.includes('.', d.sendId.length + 1), {
    path: ['chunkId'],
    error: (issue) => {
      const d = issue.input as { sendId: string; chunkId: string };
      return `"${d.chunkId}" is not a chunk of send ${d.sendId} (a chunk id is its send id, a dot and its index, as ${d.sendId}.0)`;
    },
  }) as T;
}

/** A chunk to send. The payload lives in the chunk hash, so jobs stay small and resends reuse it. */
export const SendJobData = ofItsSend(z.object({ sendId: id, chunkId: id }));
export type SendJobData = z.infer<typeof SendJobData>;

/** A look-up of an attempt whose outcome is unknown. */
export const ReconcileJobData = ofItsSend(z.object({
  sendId: id,
  chunkId: id,
  /** The attempt being looked up; a newer attempt makes this job obsolete. At most MAX_ATTEMPT (out-id.ts): no OutId of ours names more. */
  attempt: z.number().int().positive().max(MAX_ATTEMPT),
  /** 1 for the first look. */
  look: z.number().int().positive(),
  /**
   * Which of the attempt's candidate SendDates (UTC+8) this job queries: 0, or 1 near midnight;
   * more after an adoption from a record whose attempt was days older (reconcile-processor.ts).
   */
  dateIndex: z.number().int().min(0).max(RECONCILE_LAST_DATE_INDEX),
  /** QuerySendDetails page; each page is its own job so that one job stays one API call. */
  page: z.number().int().positive(),
  /**
   * When the attempt was made (ms). The chunk's record has it too, unless Redis lost the claim:
   * then this is what dates the look-up. Absent in jobs of earlier versions.
   */
  sentAt: z.number().int().positive().optional(),
  /** The attempt's OutId, for the same reason. Absent in jobs of earlier versions. */
  outId: z.string().min(1).max(255).optional(),
  /**
   * How many times a look-up of this attempt was made anew after BullMQ failed its job at the start
   * limit (src/queue/lookup-restart.ts: each waits longer). Absent: none (and in jobs of earlier versions).
   */
  restarts: z.number().int().min(0).optional(),
}));
export type ReconcileJobData = z.infer<typeof ReconcileJobData>;

/** BullMQ job ids may not contain ':'; ours use '.' separators and are deterministic. */
export const jobIds = Object.freeze({
  send: (chunkId: string, attempt: number) => `s.${chunkId}.a${attempt}`,
  reconcile: (chunkId: string, attempt: number, look: number) => `r.${chunkId}.a${attempt}.l${look}`,
  /** One page of one look: the id the reconcile job is added under. */
  reconcilePage: (data: { chunkId: string; attempt: number; look: number; dateIndex: number; page: number }) =>
    `r.${data.chunkId}.a${data.attempt}.l${data.look}.d${data.dateIndex}.p${data.page}`,
  /**
   * One receipt look-up; one made anew where a failed one stood (workers/lookup-start-limit.ts) has
   * the same place and a new id: BullMQ adds nothing under the id of the failed job it keeps.
   */
  receipt: (data: { chunkId: string; look: number; cursor: number; dateIndex: number; page: number; restarts?: number }) =>
    `q.${data.chunkId}.l${data.look}.c${data.cursor}.d${data.dateIndex}.p${data.page}${data.restarts ? `.r${data.restarts}` : ''}`,
  callback: (sendId: string) => `cb.${sendId}`,
});

/** The chunk a send or look-up job id names (`s.<chunkId>.a<attempt>`, `r.<chunkId>.a<attempt>.l…`: {@link jobIds}), read when its data is not. */
export function chunkOfJob(jobId: string): string {
  return jobId.slice(2, jobId.lastIndexOf('.a'));
}

/** A receipt look-up: one QuerySendDetails for the next recipient of a chunk still without a receipt. */
export const ReceiptJobData = ofItsSend(z.object({
  sendId: id,
  chunkId: id,
  /** 1-based look at the chunk; each look walks its recipients once. */
  look: z.number().int().positive(),
  /** Index of the recipient in the chunk to start from. */
  cursor: z.number().int().min(0),
  dateIndex: z.number().int().min(0).max(1),
  page: z.number().int().positive(),
  /** Recipients found still waiting during this look (another look follows when > 0). */
  waiting: z.number().int().min(0),
  /**
   * How many times a receipt look-up of this chunk was made anew after BullMQ failed its job at the
   * start limit (src/queue/lookup-restart.ts: each waits longer); the jobs after it carry it on.
   * Absent: none (and in jobs of earlier versions).
   */
  restarts: z.number().int().min(0).optional(),
}));
export type ReceiptJobData = z.infer<typeof ReceiptJobData>;

/** Housekeeping: recipients of an accepted chunk still without a receipt when the window ends. */
export const ExpireJobData = ofItsSend(z.object({ sendId: id, chunkId: id }));
export type ExpireJobData = z.infer<typeof ExpireJobData>;

/** Housekeeping: tell a send's callback URL its final state. */
export const CallbackJobData = z.object({ sendId: id });
export type CallbackJobData = z.infer<typeof CallbackJobData>;
