/** What a message is for; it decides chunking, priority and (later) quiet hours and suppression. */
export const MESSAGE_KINDS = ['verification', 'notification', 'marketing'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/**
 * BullMQ priorities (1 is served first). Every job gets one: BullMQ serves its plain wait list
 * before prioritised jobs, so a job without a priority would jump the queue.
 * Reconcile jobs take the priority of the send they resolve.
 */
export const PRIORITY: Readonly<Record<MessageKind, number>> = Object.freeze({
  verification: 1,
  notification: 2,
  marketing: 3,
});

/**
 * Receipt look-ups come after transactional sends (codes and notifications always go first) and
 * level with marketing: BullMQ serves one priority first-in first-out, so a long campaign does not
 * starve look-ups and look-ups do not stall the campaign.
 */
export const RECEIPT_PRIORITY = PRIORITY.marketing;

/** Maximum numbers per API call for each chunk shape. */
export const CHUNK_LIMITS = Object.freeze({
  /** SendSms shares one signature and params across up to 1000 numbers. */
  sendSms: 1000,
  /** SendBatchSms takes up to 100 personalised messages. */
  sendBatchSms: 100,
  /** Verification codes always go one number per SendSms, never batched. */
  verification: 1,
});

/**
 * The kind a follow-up job of a chunk is ranked by when the chunk record's own kind does not read
 * (stored-payload.ts): notification's. Only the job's place in the queue depends on it: the job
 * reads the record again, and what it does is decided from that.
 */
export function rankingKind(kind: MessageKind | undefined): MessageKind {
  return kind ?? 'notification';
}
