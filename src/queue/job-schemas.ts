import { z } from 'zod';

/** Job names on the calls queue; each job makes exactly one Dysmsapi call. */
export const JOB = Object.freeze({
  send: 'send',
  reconcile: 'reconcile',
} as const);

const id = z.string().min(1).max(200);

/** A chunk to send. The payload lives in the chunk hash, so jobs stay small and resends reuse it. */
export const SendJobData = z.object({ sendId: id, chunkId: id });
export type SendJobData = z.infer<typeof SendJobData>;

/** A look-up of an attempt whose outcome is unknown. */
export const ReconcileJobData = z.object({
  sendId: id,
  chunkId: id,
  /** The attempt being looked up; a newer attempt makes this job obsolete. */
  attempt: z.number().int().positive(),
  /** 1 for the first look. */
  look: z.number().int().positive(),
  /** Which of the attempt's candidate SendDates (UTC+8) this job queries: 0, or 1 near midnight. */
  dateIndex: z.number().int().min(0).max(1),
  /** QuerySendDetails page; each page is its own job so that one job stays one API call. */
  page: z.number().int().positive(),
});
export type ReconcileJobData = z.infer<typeof ReconcileJobData>;

/** BullMQ job ids may not contain ':'; ours use '.' separators and are deterministic. */
export const jobIds = Object.freeze({
  send: (chunkId: string, attempt: number) => `s.${chunkId}.a${attempt}`,
  reconcile: (chunkId: string, attempt: number, look: number) => `r.${chunkId}.a${attempt}.l${look}`,
});
