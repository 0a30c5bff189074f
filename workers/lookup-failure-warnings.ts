/**
 * The worker's log lines for reconcile look-ups that could not be made (QuerySendDetails timing
 * out, reset, a gateway error): one warn line the first time a chunk's look-up fails, saying when
 * it is tried next; its later failures at debug; and at most one summary every `everyMs` while
 * they go on, with counts by code. One warn line per failed try flooded the log in an outage (320
 * lines for 32 chunks in 10 minutes), none saying when the next try was.
 */
import { formatTime } from '../src/china-time.js';
import type { Clock } from '../src/clock.js';
import type { Logger } from '../src/logger.js';

export interface LookupFailure {
  sendId: string;
  chunkId: string;
  attempt: number;
  look: number;
  code: string;
  errorClass: string;
  /** How long until BullMQ tries it again (ms), when it retries it with its back-off; absent when it does not (a last try, a throttle or account answer, a fault of this worker's own, each said elsewhere). */
  retryInMs?: number;
  /** Its tries are spent: the attempt is given up (expired as unknown, not resent). */
  lastTry?: boolean;
}

export interface LookupFailureWarnings {
  failed(f: LookupFailure): void;
  /** A look-up of the chunk was answered. */
  answered(chunkId: string): void;
}

/** Chunks remembered as failing at most; past it the memory starts again (a first failure said again is harmless). */
const REMEMBERED_MAX = 100_000;

export function createLookupFailureWarnings(options: { logger: Logger; clock: Clock; everyMs?: number }): LookupFailureWarnings {
  const everyMs = options.everyMs ?? 60_000;
  const log = options.logger;
  const failing = new Set<string>();
  // Failures not said at warn since the last summary, by code; when the last summary (or first line) was.
  let unsaid = new Map<string, number>();
  let unsaidChunks = new Set<string>();
  let saidAt = 0;
  let total = 0;
  const summarise = (now: number) => {
    const repeats = [...unsaid.values()].reduce((a, b) => a + b, 0);
    if (repeats === 0 || now - saidAt < everyMs) return;
    const codes = [...unsaid].map(([code, n]) => `${code} ×${n}`).join(', ');
    log.warn(
      { failures: repeats, chunks: unsaidChunks.size, overMs: now - saidAt, codes: Object.fromEntries(unsaid), failingChunks: failing.size },
      `look-ups still failing: ${repeats} more failed tr${repeats === 1 ? 'y' : 'ies'} of ${unsaidChunks.size} chunk${unsaidChunks.size === 1 ? '' : 's'} in the last ${Math.round((now - saidAt) / 1000)} s (${codes}); ` +
        'each is tried again with back-off (at most a minute apart), and nothing is resent until a look-up answers',
    );
    saidAt = now;
    unsaid = new Map();
    unsaidChunks = new Set();
  };
  return {
    failed(f) {
      const now = options.clock.now();
      total++;
      // The delay as BullMQ computed it; its time from the one clock read above (two reads said 3999 ms of a 4000 ms delay).
      const nextTryAt = f.retryInMs === undefined ? undefined : now + f.retryInMs;
      const fields = { sendId: f.sendId, chunkId: f.chunkId, attempt: f.attempt, look: f.look, code: f.code, errorClass: f.errorClass, ...(nextTryAt !== undefined ? { nextTryAt, retryInMs: f.retryInMs } : {}) };
      const next = nextTryAt === undefined ? '' : `: tried again at ${formatTime(nextTryAt)} (in ${Math.round((f.retryInMs ?? 0) / 1000)} s), the chunk in doubt until a look-up answers, nothing resent meanwhile`;
      if (f.lastTry) {
        failing.delete(f.chunkId);
        log.warn(fields, `look-up failed at its last try (${f.code}): its recipients expire as unknown (SMSQ_OUTCOME_UNKNOWN), not resent`);
        return;
      }
      if (!failing.has(f.chunkId)) {
        if (failing.size >= REMEMBERED_MAX) failing.clear();
        failing.add(f.chunkId);
        if (failing.size === 1 && unsaid.size === 0) saidAt = now;
        log.warn(fields, `look-up failed (${f.code})${next}`);
        return;
      }
      log.debug(fields, `look-up failed again (${f.code})${next}`);
      unsaid.set(f.code, (unsaid.get(f.code) ?? 0) + 1);
      unsaidChunks.add(f.chunkId);
      summarise(now);
    },
    answered(chunkId) {
      if (!failing.delete(chunkId) || failing.size > 0) return;
      log.info({ failures: total }, `look-ups answer again: ${total} failed tr${total === 1 ? 'y' : 'ies'} since they began failing`);
      total = 0;
      unsaid = new Map();
      unsaidChunks = new Set();
    },
  };
}
