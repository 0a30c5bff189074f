/**
 * Redis key names. Every key of one deployment shares the prefix, which carries a hash tag
 * (`{smsq}`) so that BullMQ's keys and ours live on one Redis Cluster slot and Lua scripts may
 * touch them together.
 */
import type { MessageKind } from './kinds.js';

export const DEFAULT_PREFIX = '{smsq}';

/** The one queue through which every Dysmsapi call passes, so its limiter counts all of them. */
export const CALLS_QUEUE = 'calls';

/** Work that makes no Dysmsapi call (receipt-window expiry, callbacks): outside the limiter. */
export const HOUSEKEEPING_QUEUE = 'housekeeping';

/**
 * The queues the server's dashboard and /metrics show: every queue smsq's workers take from. The
 * first is the one whose workers make `/readyz` ready. `smsq server` and an embedded `buildServer`
 * both default to these (the latter showed `calls` alone: callbacks were invisible).
 */
export const SERVER_QUEUES: readonly string[] = Object.freeze([CALLS_QUEUE, HOUSEKEEPING_QUEUE]);

export interface Keys {
  prefix: string;
  send(sendId: string): string;
  sendCounts(sendId: string): string;
  sendChunks(sendId: string): string;
  chunk(chunkId: string): string;
  /** Jobs of a paused send waiting for `resume`. */
  sendParked(sendId: string): string;
  /** The last chunk outcomes of a send (1 ok, 0 failed), for auto-pause. */
  sendOutcomes(sendId: string): string;
  /** Receipt states per recipient (only recipients whose state differs from their chunk's). */
  recipients(sendId: string): string;
  idempotency(key: string): string;
  /** An idempotency key's mark that its send's enqueue ended (hash: `send`, `answer`; producers/idempotency.ts). */
  idempotencyDone(key: string): string;
  /** The index of sends of one kind (stream: entry `i <sendId>`, its id from createdAt), newest listed first (send-index.ts, create-send-5.lua). */
  sendIndex(kind: MessageKind): string;
  /** The longest retention any producer gave each kind (hash: kind → s): how long the kind's index keeps an entry. */
  sendIndexHorizon(): string;
  /** The index of sends written before the per-kind streams (sorted set: sendId scored by createdAt, ms): read until it is empty. */
  sends(): string;
  /** A send's counts sampled over time for the campaigns page (list of `at:json`, capped; campaign-tracker.ts). */
  sendSeries(sendId: string): string;
  /** A send's failed recipients per code, tallied from the events stream for the campaigns page (campaign-tracker.ts). */
  sendFailureCodes(sendId: string): string;
  /** The events stream entry the campaigns page's tally has read up to. */
  campaignTrackerCursor(): string;
  /** Held while one reader of the campaigns page catches the tally up, so readers do not race. */
  campaignTrackerLock(): string;
  account(): string;
  /** Stream of state changes, for consumers with a consumer group. */
  events(): string;
  /** Numbers that opted out of marketing (SmsUp replies TD / T / 退订). */
  suppressed(): string;
  /** Recipients per state across every send (the /metrics gauge); moved by the same scripts as per-send counts. */
  recipientTotals(): string;
  /** The next free call slot of the account-wide pacer (µs, Redis clock). */
  pacer(): string;
  /** Pub/sub channel (not a key): a throttle answer's pause, in ms, for every worker's waiting claims (workers/pause-notice.ts). */
  pauseNotices(): string;
  /** Pushed receipts set aside (another attempt, another BizId, not a recipient), counted by reason. */
  refusedReceipts(): string;
  /** Fields of pushed reports refused while the report was applied (an unreadable `report_time`, `send_time`), counted by field. */
  reportFieldsRefused(): string;
  /** Pushed replies (SmsUp) set aside (malformed), counted by reason (receipts/refused-replies.ts). */
  refusedReplies(): string;
  /**
   * Numbers smsq was asked to send to, logged per day and bucket (see receipts/sent-numbers.ts):
   * an opt-out must name one. `day`: days since the epoch (UTC).
   */
  sentNumberLog(day: number, bucket: number): string;
  /** What every {@link sentNumberLog} key starts with (`<this><day>:<bucket>`), for the scripts that name them. */
  sentNumberLogPrefix(): string;
  /** What the sets of sent numbers written before the log start with (`<this><bucket>`); read, no longer written. */
  legacySentNumberPrefix(): string;
  /** Accepted chunks scored by when their receipt window ends (ms); the window sweep expires them. */
  receiptWindow(): string;
  /** An approved signature or template as GetSmsSign / GetSmsTemplate answered (the door's cache). */
  catalog(kind: 'sign' | 'template', name: string): string;
  /** The repair sweep's leader lease: one sweeper at a time across every worker and `smsq repair`. */
  repairLease(): string;
  /** What each live worker says of its settings (sorted set `<worker>|<quiet hours>` scored by its last word, ms; worker-settings.ts). */
  workerSettings(): string;
  /** Which live workers hold their claims because Redis does not keep their durability mode (sorted set `<worker>|<refusal>` scored by its last word, ms; durability-holds.ts). */
  workerDurabilityHolds(): string;
  /** Which live workers back off from an SMS_ENDPOINT they cannot reach (sorted set `<worker>|<fault>|<host[:port]>` scored by when the step ends, ms; endpoint-backoffs.ts). */
  workerEndpointBackoffs(): string;
  /** Dysmsapi's throttle answers of the last minute (sorted set scored by when the pause they caused ends, ms; send-wait-facts.ts). */
  throttles(): string;
  /**
   * Written by a request whose other writes may all have changed nothing (a cancel of a send
   * already cancelled), so that its WAIT or WAITAOF has a write of its own connection to wait for:
   * a connection that wrote nothing is confirmed at once, whatever the replicas hold.
   */
  durabilityFence(): string;
  /**
   * Sends withdrawn at enqueue and held for a retry (sorted set: sendId scored by when it was
   * withdrawn, ms), written by set-control-5.lua with each withdrawal and its end; read by
   * `/metrics` (`smsq_sends_withdrawn`), which drops those no longer held.
   */
  withdrawnSends(): string;
  /** Withdrawals at enqueue and how held ones ended, counted by set-control-5.lua (hash: outcome → count; withdrawal.ts). */
  withdrawals(): string;
  /**
   * Sends paused by an operator (sorted set: sendId scored by when it was paused, ms), written by
   * set-control-5.lua with each pause and each move out of it; read by `/metrics`
   * (`smsq_sends_paused`, src/metrics/paused-sends.ts), which drops the sends it finds ended or gone.
   */
  pausedSends(): string;
}

export function createKeys(prefix: string = DEFAULT_PREFIX): Keys {
  return {
    prefix,
    send: (id) => `${prefix}:send:${id}`,
    sendCounts: (id) => `${prefix}:send:${id}:counts`,
    sendChunks: (id) => `${prefix}:send:${id}:chunks`,
    chunk: (id) => `${prefix}:chunk:${id}`,
    recipients: (id) => `${prefix}:send:${id}:rcpt`,
    sendParked: (id) => `${prefix}:send:${id}:parked`,
    sendOutcomes: (id) => `${prefix}:send:${id}:outcomes`,
    idempotency: (key) => `${prefix}:idem:${key}`,
    idempotencyDone: (key) => `${prefix}:idem:${key}:done`,
    sendIndex: (kind) => `${prefix}:sends:${kind}`,
    sendIndexHorizon: () => `${prefix}:sends:horizon`,
    sends: () => `${prefix}:sends`,
    sendSeries: (id) => `${prefix}:send:${id}:series`,
    sendFailureCodes: (id) => `${prefix}:send:${id}:failure-codes`,
    campaignTrackerCursor: () => `${prefix}:campaigns:events-cursor`,
    campaignTrackerLock: () => `${prefix}:campaigns:lock`,
    account: () => `${prefix}:account`,
    events: () => `${prefix}:events`,
    suppressed: () => `${prefix}:suppressed`,
    recipientTotals: () => `${prefix}:recipients`,
    pacer: () => `${prefix}:pacer`,
    pauseNotices: () => `${prefix}:pause-notices`,
    receiptWindow: () => `${prefix}:receipt-window`,
    catalog: (kind, name) => `${prefix}:catalog:${kind}:${name}`,
    refusedReceipts: () => `${prefix}:receipts-refused`,
    reportFieldsRefused: () => `${prefix}:report-fields-refused`,
    refusedReplies: () => `${prefix}:replies-refused`,
    sentNumberLog: (day, bucket) => `${prefix}:sent-numbers:${day}:${bucket}`,
    sentNumberLogPrefix: () => `${prefix}:sent-numbers:`,
    legacySentNumberPrefix: () => `${prefix}:sent-to:`,
    repairLease: () => `${prefix}:repair:lease`,
    workerSettings: () => `${prefix}:workers:settings`,
    workerDurabilityHolds: () => `${prefix}:workers:durability-held`,
    workerEndpointBackoffs: () => `${prefix}:workers:endpoint-backoff`,
    throttles: () => `${prefix}:throttles`,
    durabilityFence: () => `${prefix}:durability-fence`,
    withdrawnSends: () => `${prefix}:metrics:withdrawn`,
    withdrawals: () => `${prefix}:metrics:withdrawals`,
    pausedSends: () => `${prefix}:metrics:paused`,
  };
}
