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
import type { PauseNotice } from './pause-notice.js';

/** What every processor of the calls queue (send, reconcile, receipt) works with. */
export interface CallJobDeps {
  client: SmsClient;
  chunks: ChunkStore;
  /** The calls queue: follow-ups and `rateLimit` after a throttle. */
  queue: Queue;
  followUps: FollowUps;
  /** Redis: an endpoint fault's put-back gives the job's start back (put-back.ts). */
  redis: RedisConnection;
  guard: AccountGuard;
  completion: Completion;
  clock: Clock;
  logger: Logger;
  /** Limiter waits, receipt latency and auto-pauses for /metrics. Optional. */
  metrics?: Pick<CallMetricsRecorder, 'recordLimiterWait' | 'recordReceipt' | 'recordAutoPause' | 'recordReconcileResult'>;
  /** Throttle answers, logged for `status`. Optional. */
  throttles?: ThrottleLog;
  /**
   * The account's pause after a throttle answer, as this process knows it (no Redis round trip): a
   * send claim or a look-up that reaches its slot during it makes no call (pause-notice.ts,
   * lookup-slot.ts). Optional.
   */
  pauses?: Pick<PauseNotice, 'remainingMs' | 'announce'>;
}
