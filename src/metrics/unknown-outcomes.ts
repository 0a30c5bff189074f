/**
 * Indexes attempts whose outcome is unknown, for the alert on outcomes left unknown longer than the
 * settle window. Every way into `unknown` (an answer lost, a worker dead mid-call, a record that
 * lost writes, a chunk the repair sweep finds) schedules a reconcile look-up, so the index is fed
 * where look-ups are scheduled rather than in each of those places; `/metrics` drops the entries
 * it finds resolved (src/metrics/alert-state.ts).
 */
import type { Clock } from '../clock.js';
import type { FollowUps } from '../queue/follow-ups.js';
import type { CallMetricsRecorder } from './call-metrics.js';

/** `followUps` whose reconcile look-ups also record their attempt as unknown (first look-up's time wins). */
export function indexUnknownOutcomes(followUps: FollowUps, recorder: Pick<CallMetricsRecorder, 'recordUnknownOutcome'>, clock: Clock): FollowUps {
  return {
    ...followUps,
    async reconcile(data, kind, at) {
      await followUps.reconcile(data, kind, at);
      recorder.recordUnknownOutcome(data.chunkId, data.attempt, clock.now());
    },
  };
}
