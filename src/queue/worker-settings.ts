/**
 * What each worker tells about the settings that decide what it sends, so that `status` says what
 * the workers do rather than what the asking process is set to. Marketing quiet hours are the
 * workers' decision (SMSQ_QUIET_HOURS of the worker that claims a chunk); a producer or server set
 * otherwise would name a wait that does not hold, or miss one that does.
 *
 * One sorted set per prefix: member `<worker id>|<quiet hours>` (`21:00-08:00`, or `off`), scored
 * with when the worker last said so (ms on its clock). A worker says it at start and every
 * {@link WORKER_SETTINGS_REFRESH_MS}, and takes it back when it closes; a word older than
 * {@link WORKER_SETTINGS_TTL_MS} is from a worker that is gone.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { RedisConnection } from './connection.js';
import type { Keys } from './keys.js';
import { newWorkerId, writeWorkerWord } from './worker-words.js';
import { parseQuietHours, quietHoursText, type QuietHours } from './quiet-hours.js';

/** How often a worker says its settings again. */
export const WORKER_SETTINGS_REFRESH_MS = 20_000;
/** A worker silent this long is not counted (it missed two refreshes). */
export const WORKER_SETTINGS_TTL_MS = 60_000;

const SEP = '|';

/** The member a worker with this id and these quiet hours writes. */
export function workerSettingsMember(workerId: string, quietHours: QuietHours | undefined): string {
  return `${workerId}${SEP}${quietHours ? quietHoursText(quietHours) : 'off'}`;
}

/**
 * The distinct quiet hours of the live workers' members, as their text (`21:00-08:00`, `off`),
 * sorted; a member this version cannot read is left out.
 */
export function distinctQuietHours(members: readonly string[]): string[] {
  const texts = new Set<string>();
  for (const m of members) {
    const text = m.slice(m.lastIndexOf(SEP) + 1);
    try {
      const q = parseQuietHours(text);
      texts.add(q ? quietHoursText(q) : 'off');
    } catch {
      // A member written by a later version with another form.
    }
  }
  return [...texts].sort();
}

export interface WorkerSettingsDeps {
  redis: RedisConnection;
  keys: Keys;
  clock: Clock;
  logger: Logger;
  quietHours: QuietHours | undefined;
  /** The id its words are said under (shared with its other words, endpoint-backoffs.ts). Default: a new one. */
  workerId?: string;
  /** Default {@link WORKER_SETTINGS_REFRESH_MS}. */
  refreshMs?: number;
  /**
   * Runs at start and with every refresh, after the word is said: what a worker checks as often
   * (its clock against Redis's, clock-skew-check.ts). Its failure is its own to say.
   */
  alsoEachTime?: () => Promise<unknown>;
}

export interface WorkerSettingsAnnouncer {
  /** Says the settings now (throws if Redis refuses), then again every refresh. */
  start(): Promise<void>;
  /** Stops repeating it and takes the word back (a failure is ignored: the word ages out). */
  stop(): Promise<void>;
}

export function createWorkerSettingsAnnouncer(deps: WorkerSettingsDeps): WorkerSettingsAnnouncer {
  const key = deps.keys.workerSettings();
  const member = workerSettingsMember(deps.workerId ?? newWorkerId(), deps.quietHours);
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  const say = () => writeWorkerWord(deps.redis, key, deps.clock.now(), member);
  return {
    async start() {
      await say();
      await deps.alsoEachTime?.();
      timer = setInterval(() => {
        say().then(
          () => (failures = 0),
          (err: unknown) => {
            if (failures++ % 10 === 0) deps.logger.warn({ err }, 'could not tell Redis this worker\'s quiet hours; status may name the local setting of whoever asks');
          },
        );
        void deps.alsoEachTime?.();
      }, deps.refreshMs ?? WORKER_SETTINGS_REFRESH_MS);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await deps.redis.zrem(key, member).catch(() => {});
    },
  };
}
