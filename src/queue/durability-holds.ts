/**
 * What each worker says while it holds its claims because Redis does not keep its durability mode
 * (src/durability/watch.ts): jobs wait and no SMS goes out, which from outside looks like a queue
 * that simply does not move. `status` names it as a wait, `/metrics` counts the workers.
 *
 * One sorted set per prefix: member `<worker id>|<refusal>` (the RedisNotDurableError's message,
 * which names the setting and its fix), scored with when the worker last said so (ms on its clock).
 * A worker says it when the hold begins (or its reason changes) and every
 * {@link DURABILITY_HOLD_REFRESH_MS} while it lasts, and takes it back when the mode holds again or
 * it closes; a word older than {@link DURABILITY_HOLD_TTL_MS} is from a worker that is gone.
 * Writing it while Redis is "not durable" is fine: it is no claim, and a lost word only ages out.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { RedisConnection } from './connection.js';
import type { Keys } from './keys.js';
import { newWorkerId, writeWorkerWord } from './worker-words.js';

/** How often a holding worker says so again. */
export const DURABILITY_HOLD_REFRESH_MS = 20_000;
/** A hold not said again this long is not counted (its worker missed two refreshes). */
export const DURABILITY_HOLD_TTL_MS = 60_000;

const SEP = '|';

/** The live workers' holds: how many workers hold, and their distinct refusals, sorted. */
export interface DurabilityHolds {
  workers: number;
  refusals: string[];
}

/** The member a worker with this id writes while it holds for `refusal`. */
export function durabilityHoldMember(workerId: string, refusal: string): string {
  return `${workerId}${SEP}${refusal}`;
}

/**
 * The holds of the live workers' members (read with their age already bounded), or undefined when
 * none holds. The worker id never has a `|` (host:pid:hex); the refusal may.
 */
export function parseDurabilityHolds(members: readonly string[]): DurabilityHolds | undefined {
  const workers = new Set<string>();
  const refusals = new Set<string>();
  for (const m of members) {
    const at = m.indexOf(SEP);
    if (at <= 0 || at === m.length - 1) continue;
    workers.add(m.slice(0, at));
    refusals.add(m.slice(at + 1));
  }
  return workers.size ? { workers: workers.size, refusals: [...refusals].sort() } : undefined;
}

export interface DurabilityHoldDeps {
  redis: RedisConnection;
  keys: Keys;
  clock: Clock;
  logger: Logger;
  /** Default {@link DURABILITY_HOLD_REFRESH_MS}. */
  refreshMs?: number;
}

export interface DurabilityHoldAnnouncer {
  /**
   * Says that this worker holds its claims for `refusal`, or, with undefined, that it no longer
   * does. Resolves once Redis has it; never rejects (a failed word is logged and said again at the
   * next refresh, or ages out).
   */
  say(refusal: string | undefined): Promise<void>;
  /** Stops repeating it and takes the word back; later words are ignored. */
  stop(): Promise<void>;
}

export function createDurabilityHoldAnnouncer(deps: DurabilityHoldDeps): DurabilityHoldAnnouncer {
  const key = deps.keys.workerDurabilityHolds();
  const workerId = newWorkerId();
  /** The member said now; undefined while this worker does not hold. */
  let member: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failures = 0;

  // Each write is sent when it is decided, so that they reach Redis in the order they were decided.
  const write = async (add: string | undefined, remove: string | undefined): Promise<void> => {
    try {
      await writeWorkerWord(deps.redis, key, deps.clock.now(), add, remove);
      failures = 0;
    } catch (err) {
      if (failures++ % 10 === 0) deps.logger.warn({ err }, 'could not tell Redis whether this worker holds its claims for durability; status and /metrics may not show it');
    }
  };
  const stopRefresh = () => {
    clearInterval(timer);
    timer = undefined;
  };

  return {
    say(refusal) {
      if (stopped) return Promise.resolve();
      const before = member;
      member = refusal === undefined ? undefined : durabilityHoldMember(workerId, refusal);
      if (member === undefined) {
        stopRefresh();
        return before === undefined ? Promise.resolve() : write(undefined, before);
      }
      if (!timer) {
        timer = setInterval(() => {
          if (member !== undefined) void write(member, undefined);
        }, deps.refreshMs ?? DURABILITY_HOLD_REFRESH_MS);
        timer.unref();
      }
      return write(member, before);
    },
    async stop() {
      stopped = true;
      stopRefresh();
      const said = member;
      member = undefined;
      if (said !== undefined) await write(undefined, said);
    },
  };
}
