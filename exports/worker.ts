/**
 * `smsq/worker`: the worker that makes the Dysmsapi calls of the queue `smsq` producers fill, one
 * call per job, under one account-wide rate cap shared by every worker process through Redis; it
 * reconciles unknown outcomes, looks up receipts and expires what the receipt window leaves.
 *
 * @packageDocumentation
 */

/** The worker and its options. */
export { createSmsWorker, type SmsWorker, type SmsWorkerOptions, type RepairOptions } from '../workers/sms-worker.js';
/** What `SmsWorker.outstandingClaims()` answers: the chunks a process exiting now leaves `sending`, by stage. */
export type { OutstandingClaims } from '../workers/claims-outstanding.js';
export type { ReconcileTiming } from '../src/queue/follow-ups.js';
export { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE, type ReceiptPolicies, type ReceiptPolicy, type ReceiptSchedule } from '../src/queue/receipt-policy.js';
export { DEFAULT_QUIET_HOURS, type QuietHours } from '../src/queue/quiet-hours.js';
export { DEFAULT_FLOW_CONTROL_POLICY, type FlowControlPolicy, type FlowWindow } from '../src/queue/flow-control-policy.js';
export type { DurabilityOptions, DurabilityMode } from '../src/durability/mode.js';
/** The call metrics `smsq worker` records (pass as `metrics`; `smsq server`'s /metrics, or `buildServer`'s, reads them from Redis). */
export { createCallMetricsRecorder, type CallMetricsRecorder, type CallMetricsRecorderOptions } from '../src/metrics/call-metrics.js';

/** What a worker is given: a BullMQ-ready connection (`role: 'worker'`), the SMS client, a logger. */
export { createRedisConnection, type RedisClientCertificate, type RedisConnection, type RedisConnectionOptions, type RedisRole } from '../src/queue/connection.js';
export { createSmsClient, SmsClientOptionsError, type SmsClientOptions, type SmsCredential } from '../src/sms/client.js';
export { LIVE_ENDPOINT } from '../src/sms/defaults.js';
export type { SmsClient } from '../src/sms/types.js';
export { createLogger, type Logger, type LoggerFactoryOptions } from '../src/logger.js';
export { systemClock, type Clock } from '../src/clock.js';
/**
 * Thrown by `createSmsWorker` for options that cannot work (each line names the option and the fix),
 * by `start()` for a Redis that refuses the credentials or the database, or cannot keep the
 * durability mode, and by `createRedisConnection` for a URL it cannot read.
 */
export { ConfigError, RedisAuthRefusedError, RedisDatabaseRefusedError, RedisNotDurableError, type RedisAuthReply } from '../src/errors.js';
export { RedisUrlError } from '../src/queue/redis-url.js';
