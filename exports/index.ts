/**
 * `smsq`: the producer API. Validates a request, splits it into chunks (one Dysmsapi call each) and
 * enqueues them durably on Redis for the workers of `smsq/worker`; then reads back a send's status,
 * its recipients and its events, and pauses, resumes or cancels it.
 *
 * Everything not exported by `smsq`, `smsq/worker`, `smsq/server` or `smsq/emulator` is private
 * and may change in any release. docs/package.md has an example.
 *
 * @packageDocumentation
 */

/** The producer and what its calls take and return. */
export { createProducer, type Producer, type ProducerOptions, type EnqueueResult, type CampaignCallOptions, type RecipientPage, type RecipientPageRequest } from '../producers/producer.js';
export type { SendRequest, SendBatchRequest, CampaignRequest, CampaignRecipient } from '../producers/schemas.js';
/** A request's `kind`, which decides its chunking, its place in line, quiet hours and opt-outs. */
export type { MessageKind } from '../src/queue/kinds.js';
export type { CampaignProgress, CampaignResult } from '../producers/campaign.js';
export type { SendMilestone, WaitForSendOptions, WaitForSendResult } from '../producers/wait-for-send.js';
export type { SendPlan, RejectedNumber } from '../producers/plan.js';
export type { SendStatus, SendRecord, SendControl, CountedState } from '../src/queue/send-store.js';
export type { SendState } from '../src/queue/lifecycle.js';
export type { SendWait, SendPace } from '../src/queue/send-wait.js';
export type { SendListRequest, SendListPage } from '../src/queue/send-index.js';
export type { RecipientState, RecipientStateName } from '../src/receipts/send-recipients.js';
export type { EventConsumer, SmsqEvent } from '../src/receipts/events.js';
/** A campaign's recipients streamed from a file (`.csv` or `.xlsx`), for `producer.campaign`. */
export { readRecipientsFile, type RecipientFileOptions } from '../producers/recipient-file.js';
export type { RecipientSource } from '../producers/recipient-source.js';

/** The Redis connection a producer is given (`role: 'client'` fails fast while Redis is down). */
export { clientCommandTimeoutMs, createRedisConnection, type RedisClientCertificate, type RedisConnection, type RedisConnectionOptions, type RedisRole } from '../src/queue/connection.js';

/** Optional: checks requests against the account's signatures and templates before enqueueing. */
export { createCatalogLookup, type CatalogLookup, type CatalogLookupOptions, type CatalogEntry } from '../src/queue/catalog-lookup.js';
export { createSmsClient, SmsClientOptionsError, type SmsClientOptions, type SmsCredential } from '../src/sms/client.js';
export type { SmsClient } from '../src/sms/types.js';

/** Durability, logging and time, as the options above name them. */
export type { DurabilityOptions, DurabilityMode } from '../src/durability/mode.js';
export { createLogger, type Logger, type LoggerFactoryOptions } from '../src/logger.js';
export { systemClock, type Clock } from '../src/clock.js';

/** Errors a caller catches; `code` is stable (one of {@link SMSQ_CODES}), messages are not. */
export {
  SMSQ_CODES,
  SmsqError,
  isSmsqError,
  ValidationError,
  ConfigError,
  NotFoundError,
  SendNotFoundError,
  RedisUnavailableError,
  type ControlOfSend,
  RedisAuthRefusedError,
  type RedisAuthReply,
  RedisDatabaseRefusedError,
  RedisClusterNodeError,
  RedisWritesRefusedError,
  type WriteRefusal,
  type WriteRefusalKind,
  NotDurableError,
  RedisNotDurableError,
  IdempotencyKeyReusedError,
  IdempotencyInProgressError,
  IdempotencyKeyCutShortError,
  SendWithdrawnError,
  ProducerClosedError,
  ProducerConnectionError,
  SendEndedError,
  SendAlreadySentError,
  SendCancelledError,
  ListInterruptedError,
  type CutOffCampaign,
  CampaignStoppedError,
  type StoppedCampaign,
  UndeclaredTransitionError,
  type SmsqCode,
  type FieldIssue,
} from '../src/errors.js';
export { RedisUrlError } from '../src/queue/redis-url.js';
export { SmsError, isSmsError } from '../src/sms/errors.js';
