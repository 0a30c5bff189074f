import type { Queue } from 'bullmq';
import type { Clock } from '../src/clock.js';
import type { Logger } from '../src/logger.js';
import type { CallMetricsRecorder } from '../src/metrics/call-metrics.js';
import type { ChunkStore } from '../src/queue/chunk-store.js';
import type { FollowUps } from '../src/queue/follow-ups.js';
import type { Completion } from '../src/receipts/completion.js';
import type { SmsClient } from '../src/sms/types.js';
import type { RedisConnection } from '../src/queue/connection.js';
import type { ThrottleLog } from '../src/queue/throttle-log.js';
import type { AccountGuard } from './account-guard.js';

/** What every processor of the calls queue (send, reconcile, receipt) works with. */
export interface CallJobDeps {
  client: SmsClient;
  chunks: ChunkStore;
  /** The calls queue: follow-ups and `rateLimit` after a throttle. */
  queue: Queue;
  followUps: FollowUps;
  /** Redis: an endpoint fault's put-back gives the job's start back (endpoint-put-back.ts). */
  redis: RedisConnection;
  guard: AccountGuard;
  completion: Completion;
  clock: Clock;
  logger: Logger;
  /** Limiter waits, receipt latency and auto-pauses for /metrics. Optional. */
  metrics?: Pick<CallMetricsRecorder, 'recordLimiterWait' | 'recordReceipt' | 'recordAutoPause'>;
  /** Throttle answers, logged for `status`. Optional. */
  throttles?: ThrottleLog;
}
