/**
 * What each worker says while it backs off from an SMS_ENDPOINT it cannot reach
 * (workers/endpoint-backoff.ts): it takes no job, and when every worker does, queued chunks wait
 * with nothing in Redis to say why, the reason only in each worker's log. `status` names it.
 *
 * One sorted set per prefix: member `<worker id>|<fault code>|<endpoint host[:port]>` (the host
 * alone: SMS_ENDPOINT has no credentials, and one that looks otherwise is left out), scored with
 * when the worker's back-off step ends (ms on its clock). Said at each step, taken back when a call
 * is answered again or the worker closes. A word counts until {@link ENDPOINT_BACKOFF_GRACE_MS}
 * after its step ends: by then a worker still refused has met the fault again and said its next
 * step, so a word that old is from a worker that was answered, has nothing to call, or is gone.
 * `/metrics` counts the live workers that back off, by code ({@link countBackingOff}), whether or
 * not all of them do: the alert rules compare it with the live workers.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { RedisConnection } from './connection.js';
import type { Keys } from './keys.js';
import { WORKER_BACKOFF_CODES } from '../sms/error-codes.js';
import { workerIdOf, writeWorkerWord } from './worker-words.js';

/**
 * How long after its step ends a word still counts. Covers what comes between the end of a step and
 * the word of the next: taking a job again (BullMQ blocks up to 1 s for one), waiting for its pacer
 * slot (up to 2 s ahead), and the refused call itself.
 */
export const ENDPOINT_BACKOFF_GRACE_MS = 10_000;

const SEP = '|';
// host[:port], a bracketed IPv6 address with a port, as SMS_ENDPOINT takes them (src/sms/client.ts):
// no `@`, `/` or `|`, so no credential and no separator.
const ENDPOINT_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const FAULT_CODE = /^[A-Za-z0-9._-]+$/;

/** One step of one worker's back-off, as it says it. */
export interface EndpointBackoffStep {
  /** The fault's code (`ConnectionRefused`, `HostNotFound`). */
  fault: string;
  /** SMS_ENDPOINT's host[:port]; undefined when the call did not say where it went. */
  endpoint: string | undefined;
  /** When the step ends (ms). */
  until: number;
}

/** The member a worker with this id writes for `fault` at `endpoint` (an endpoint that is not a plain host[:port] is left out). */
export function endpointBackoffMember(workerId: string, fault: string, endpoint: string | undefined): string {
  const host = endpoint !== undefined && ENDPOINT_HOST.test(endpoint) ? endpoint : '';
  return [workerId, FAULT_CODE.test(fault) ? fault : 'unknown', host].join(SEP);
}

/** The live back-offs: which workers, when the first of their steps ends, and what they meet. */
export interface EndpointBackoffs {
  workerIds: string[];
  /** The earliest end of their steps (ms): when the first of them takes a job again. */
  until: number;
  /** The fault and endpoint most of them meet (the first sorted, on a tie); `endpoint` '' when not known. */
  fault: string;
  endpoint: string;
  /** Any other fault and endpoint that some of them meet, sorted. */
  others: { fault: string; endpoint: string }[];
}

/** One word of a live worker, as read. */
interface LiveWord {
  workerId: string;
  fault: string;
  /** '' when not known. */
  endpoint: string;
  /** When its step ends (ms). */
  until: number;
}

/**
 * The words in `withScores` (ZRANGEBYSCORE ... WITHSCORES of the words still counted: member,
 * score, ...) of the live workers, and those workers' ids. The live workers are those that said
 * their settings within their TTL (`liveSettings`: worker-settings.ts members, which begin with the
 * same worker id); a word of a worker no longer live is left out. With no live settings at all
 * (none said them), the words are all there is. A member this version cannot read is left out.
 */
function liveWords(withScores: readonly string[], liveSettings: readonly string[]): { live: Set<string>; words: LiveWord[] } {
  const live = new Set(liveSettings.map(workerIdOf));
  const words: LiveWord[] = [];
  for (let i = 0; i + 1 < withScores.length; i += 2) {
    const parts = (withScores[i] as string).split(SEP);
    const until = Number(withScores[i + 1]);
    if (parts.length !== 3 || !parts[0] || !parts[1] || !Number.isFinite(until)) continue;
    if (live.size > 0 && !live.has(parts[0])) continue;
    words.push({ workerId: parts[0], fault: parts[1], endpoint: parts[2] ?? '', until });
  }
  return { live, words };
}

/**
 * The back-offs in `withScores` (as {@link liveWords} reads them) when every live worker backs
 * off, else undefined: a worker that reaches its endpoint sends what the others put back, so the
 * back-offs hold nothing up and naming them would mislead.
 */
export function parseEndpointBackoffs(withScores: readonly string[], liveSettings: readonly string[] = []): EndpointBackoffs | undefined {
  const { live, words } = liveWords(withScores, liveSettings);
  const workers = new Set<string>();
  const pairs = new Map<string, number>();
  let until = Infinity;
  for (const word of words) {
    workers.add(word.workerId);
    const pair = `${word.fault}${SEP}${word.endpoint}`;
    pairs.set(pair, (pairs.get(pair) ?? 0) + 1);
    until = Math.min(until, word.until);
  }
  if (workers.size === 0 || workers.size < live.size) return undefined;
  const ranked = [...pairs].sort(([a, n], [b, m]) => m - n || (a < b ? -1 : 1)).map(([pair]) => pair);
  const split = (pair: string) => {
    const [fault = '', endpoint = ''] = pair.split(SEP);
    return { fault, endpoint };
  };
  const [first, ...rest] = ranked;
  return { workerIds: [...workers].sort(), until, ...split(first as string), others: rest.sort().map(split) };
}

/** The `code` of a back-off whose fault this version does not know (a later version's code, or a word's `unknown`). */
export const OTHER_BACKOFF_CODE = 'other';

/** What `/metrics` says of the workers and their back-offs. */
export interface WorkerBackoffCounts {
  /** Live workers: those that said their settings within their TTL (worker-settings.ts). */
  live: number;
  /**
   * Live workers backing off now, by code: each code of WORKER_BACKOFF_CODES and
   * {@link OTHER_BACKOFF_CODE}, every one present (0 when none), so the label set stays bounded.
   */
  backingOff: Record<string, number>;
}

/**
 * The live workers and those of them backing off, by code, from the same words as
 * {@link parseEndpointBackoffs} (and the same live workers), whether or not every one backs off. A
 * worker is counted once, by its latest word: one it could not take back (a failed write) lingers
 * until its step ends.
 */
export function countBackingOff(withScores: readonly string[], liveSettings: readonly string[]): WorkerBackoffCounts {
  const { live, words } = liveWords(withScores, liveSettings);
  const latest = new Map<string, LiveWord>();
  for (const word of words) if ((latest.get(word.workerId)?.until ?? -Infinity) < word.until) latest.set(word.workerId, word);
  const backingOff: Record<string, number> = Object.fromEntries([...WORKER_BACKOFF_CODES, OTHER_BACKOFF_CODE].map((code) => [code, 0]));
  for (const { fault } of latest.values()) {
    const code = WORKER_BACKOFF_CODES.includes(fault) ? fault : OTHER_BACKOFF_CODE;
    backingOff[code] = (backingOff[code] ?? 0) + 1;
  }
  return { live: live.size, backingOff };
}

export interface EndpointBackoffAnnouncerDeps {
  redis: RedisConnection;
  keys: Keys;
  clock: Clock;
  logger: Logger;
  /** This worker's id (worker-words.ts), the one its settings are said under. */
  workerId: string;
}

export interface EndpointBackoffAnnouncer {
  /** Says this worker backs off for `step`. Never rejects: a failed word is logged, and said again at the next step or aged out. */
  say(step: EndpointBackoffStep): Promise<void>;
  /** Takes the word back (a call was answered). Never rejects. */
  takeBack(): Promise<void>;
  /** Takes the word back; later words are ignored. */
  stop(): Promise<void>;
}

export function createEndpointBackoffAnnouncer(deps: EndpointBackoffAnnouncerDeps): EndpointBackoffAnnouncer {
  const key = deps.keys.workerEndpointBackoffs();
  /** The member said now; undefined while this worker does not back off. */
  let member: string | undefined;
  let stopped = false;
  let failures = 0;

  // Each write is sent when it is decided, so that they reach Redis in the order they were decided.
  const write = async (score: number, add: string | undefined, remove: string | undefined): Promise<void> => {
    try {
      await writeWorkerWord(deps.redis, key, score, add, remove);
      failures = 0;
    } catch (err) {
      if (failures++ % 10 === 0) deps.logger.warn({ err }, 'could not tell Redis that this worker backs off from SMS_ENDPOINT; status may not name it');
    }
  };
  const takeBack = (): Promise<void> => {
    const said = member;
    member = undefined;
    return said === undefined ? Promise.resolve() : write(deps.clock.now(), undefined, said);
  };

  return {
    say(step) {
      if (stopped) return Promise.resolve();
      const before = member;
      member = endpointBackoffMember(deps.workerId, step.fault, step.endpoint);
      return write(step.until, member, before);
    },
    takeBack: () => (stopped ? Promise.resolve() : takeBack()),
    stop() {
      stopped = true;
      return takeBack();
    },
  };
}
