/**
 * What the campaigns page shows beyond a send's status: its counts over time and its top failure
 * codes. Both are derived from the events stream (every chunk and recipient change, with its code)
 * by whoever reads the page: each read first catches the tally up (at most once per
 * `catchUpEveryMs` across every server, a lock in Redis), adding failed and expired recipients per
 * code and taking a sample of the counts of every send that moved (at most one per
 * `sampleEveryMs` per send). Nothing is added to the send path: no Redis command per Dysmsapi call
 * or per receipt, and no work at all while nobody looks.
 *
 * What that costs in truth: a series has samples only for the times someone had the page open (the
 * chart joins them with a straight line, and its first point is the send's creation, every
 * recipient queued); a tally covers the events still in the stream when it caught up (the stream is
 * trimmed to its last ~100,000 events), so after a long time without a reader, the codes of the
 * oldest failures may be missing. Both expire with the send: each takes its send record's remaining
 * lifetime (its kind's retention) whenever it is written.
 */
import type { RedisConnection } from '../queue/connection.js';
import type { Clock } from '../clock.js';
import type { Keys } from '../queue/keys.js';
import { luaScript } from '../queue/lua.js';
import type { CountedState } from '../queue/send-store.js';

/** One sample of a send's counts. */
export interface CountsSample {
  /** When it was taken (ms). */
  at: number;
  counts: Partial<Record<CountedState, number>>;
}

/** Recipients that ended without delivery under one code. */
export interface FailureCode {
  code: string;
  recipients: number;
}

export interface CampaignTrackerOptions {
  redis: RedisConnection;
  keys: Keys;
  clock: Clock;
  /**
   * Lifetime of a series or tally whose send record has none (s; a record written by hand): each
   * otherwise takes its send's (sample-counts-3.lua, tally-failure-codes.lua).
   */
  retentionSeconds: number;
  /** Least time between two catch-ups, across every reader (ms). Default 2000 (the page's refresh). */
  catchUpEveryMs?: number;
  /** Least time between two samples of one send (ms). Default 5000. */
  sampleEveryMs?: number;
  /** Samples kept per send (the oldest are dropped). Default 720 (an hour at one per 5 s). */
  maxSamples?: number;
  /**
   * Least recipients a send needs to be sampled by a catch-up. Default 100: a verification code's
   * chart says nothing its counts do not, and sampling every one of them would cost a list each.
   * A send's own page samples it whatever its size.
   */
  sampleMinRecipients?: number;
  /** Events read per catch-up at most; the rest wait for the next one. Default 20000. */
  maxEventsPerCatchUp?: number;
}

export interface CampaignTracker {
  /** Reads the events added since the last catch-up (any reader's), unless one ran within `catchUpEveryMs`. */
  catchUp(): Promise<void>;
  /** Samples one send's counts now, whatever its size (unless sampled within `sampleEveryMs`): a send's page does, so that its chart starts when it is first looked at. */
  sample(sendId: string): Promise<void>;
  /** A send's samples, oldest first. */
  series(sendId: string): Promise<CountsSample[]>;
  /** Each send's failure codes, most recipients first, at most `top` of them. */
  failureCodes(sendIds: readonly string[], top?: number): Promise<Map<string, FailureCode[]>>;
}

/** Recipient states that end without delivery, and so count towards a send's failure codes. */
const UNDELIVERED = new Set(['failed', 'expired']);
/** Events per XRANGE. */
const READ_BATCH = 1000;

type StreamEntries = [string, string[]][];

function fieldsOf(flat: string[]): Record<string, string> {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i] as string] = flat[i + 1] as string;
  return f;
}

export function createCampaignTracker(options: CampaignTrackerOptions): CampaignTracker {
  const { redis, keys, clock } = options;
  const catchUpEveryMs = options.catchUpEveryMs ?? 2000;
  const sampleEveryMs = options.sampleEveryMs ?? 5000;
  const maxSamples = options.maxSamples ?? 720;
  const maxEvents = options.maxEventsPerCatchUp ?? 20_000;
  const sampleMinRecipients = options.sampleMinRecipients ?? 100;
  const tally = luaScript(redis, 'tally-failure-codes');
  const sampleCounts = luaScript(redis, 'sample-counts-3');

  const sampleOf = (minRecipients: number) => async (sendId: string) => {
    await sampleCounts(keys.sendSeries(sendId), keys.sendCounts(sendId), keys.send(sendId), clock.now(), sampleEveryMs, maxSamples, options.retentionSeconds, minRecipients);
  };

  return {
    async catchUp() {
      const turn = await redis.set(keys.campaignTrackerLock(), String(clock.now()), 'PX', catchUpEveryMs, 'NX');
      if (turn === null) return;
      const start = (await redis.get(keys.campaignTrackerCursor())) ?? '';
      let place = start;
      const codes = new Map<string, Map<string, number>>();
      const moved = new Set<string>();
      for (let read = 0; read < maxEvents; ) {
        const entries = (await redis.xrange(keys.events(), place === '' ? '-' : `(${place}`, '+', 'COUNT', READ_BATCH)) as StreamEntries;
        for (const [id, flat] of entries) {
          place = id;
          const e = fieldsOf(flat);
          if (!e.sendId) continue;
          moved.add(e.sendId);
          // A send's own move (type=send: failed, expired) names no recipient: its chunks' events count them.
          if (e.type === 'send' || !UNDELIVERED.has(e.state ?? '') || !e.code) continue;
          const perSend = codes.get(e.sendId) ?? new Map<string, number>();
          perSend.set(e.code, (perSend.get(e.code) ?? 0) + (e.type === 'recipient' ? 1 : Number(e.n ?? 1)));
          codes.set(e.sendId, perSend);
        }
        read += entries.length;
        if (entries.length < READ_BATCH) break;
      }
      if (place === start) return;
      const sendIds = [...codes.keys()];
      const added = await tally(
        1 + 2 * sendIds.length,
        keys.campaignTrackerCursor(),
        ...sendIds.flatMap((id) => [keys.sendFailureCodes(id), keys.send(id)]),
        start,
        place,
        options.retentionSeconds,
        JSON.stringify(sendIds.map((id) => Object.fromEntries(codes.get(id) ?? []))),
      );
      if (added !== 1) return; // another reader tallied these events first; it samples them too
      await Promise.all([...moved].map(sampleOf(sampleMinRecipients)));
    },

    sample: sampleOf(0),

    async series(sendId) {
      const raw = await redis.lrange(keys.sendSeries(sendId), 0, -1);
      const out: CountsSample[] = [];
      for (const line of raw) {
        const space = line.indexOf(' ');
        try {
          out.push({ at: Number(line.slice(0, space)), counts: JSON.parse(line.slice(space + 1)) as CountsSample['counts'] });
        } catch {
          // A sample that is not ours: skipped rather than failing the page.
        }
      }
      return out;
    },

    async failureCodes(sendIds, top = 3) {
      const hashes = await Promise.all(sendIds.map((id) => redis.hgetall(keys.sendFailureCodes(id))));
      return new Map(
        sendIds.map((id, i) => [
          id,
          Object.entries(hashes[i] ?? {})
            .map(([code, n]) => ({ code, recipients: Number(n) }))
            .filter((c) => c.recipients > 0)
            .sort((a, b) => b.recipients - a.recipients || a.code.localeCompare(b.code))
            .slice(0, top),
        ]),
      );
    },
  };
}
