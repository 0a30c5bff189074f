import type { Redis } from 'ioredis';
import type { SmsClient } from '../sms/types.js';
import { luaScript } from './lua.js';

/**
 * Paces Dysmsapi calls across every process: before each call, a Lua script reserves the next free
 * slot on one Redis clock (`TIME`), slots `1 / (margin × qps)` seconds apart; the caller sleeps
 * until its slot and calls. Spacing the calls themselves (not job starts, as BullMQ's window does)
 * is what keeps every sliding second under the cap whatever happens between a job's start and its
 * request. Measured (bench/pipeline-limiter.ts) busiest second and average: see README.
 *
 * `reserveSlot(key, spacing µs, farthest reservation allowed ahead µs)` returns the wait in µs
 * before the reserved slot, or -1 when the queue of slots is too long (the caller retries a little
 * later without holding a slot). A Lua function, so that the send path's claim script can reserve
 * the slot of its call in the same round trip (chunk-scripts.ts).
 */
export const RESERVE_SLOT_LUA = `
local function reserveSlot(key, spacing, maxAhead)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local slot = tonumber(redis.call('GET', key) or '0')
  if slot < now then slot = now end
  local wait = slot - now
  if wait > maxAhead then return -1 end
  -- %.0f, not tostring: Lua 5.1 prints numbers with 14 significant digits, which would round a
  -- 16-digit µs timestamp to 100 µs and shrink the spacing.
  redis.call('SET', key, string.format('%.0f', slot + spacing), 'PX', 60000)
  return wait
end
`;

/** KEYS[1] the next free slot (µs since the epoch, Redis clock); ARGV[1] spacing (µs), ARGV[2] farthest ahead (µs). */
const RESERVE_SCRIPT = `${RESERVE_SLOT_LUA}
return reserveSlot(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
`;

/** What a script needs to reserve a slot itself with {@link RESERVE_SLOT_LUA}. */
export interface PacerSlotArgs {
  key: string;
  intervalMicros: number;
  maxAheadMicros: number;
}

export interface CallPacerOptions {
  redis: Redis;
  /** The shared slot key (hash-tagged like every smsq key). */
  key: string;
  /** The account cap in calls per second (SMS_QPS). */
  qps: number;
  /** Share of the cap used, leaving room for the few ms between a slot and its request. Default 0.975. */
  margin?: number;
  /** Reservations further ahead than this are refused and retried. Default 2000 ms. */
  maxAheadMs?: number;
  /**
   * A caller that wakes more than this after its slot (a busy event loop) takes a new slot instead
   * of calling late: late calls would bunch up with punctual ones and crowd a sliding second.
   * Default 20 ms: {@link pacedRate} leaves room for 25 ms of lateness at every cap, and on a
   * CPU-bound machine 10 ms threw away a fifth of all slots (bench/pipeline-limiter.ts at Q = 3000:
   * average 0.82 × Q with 10 ms, 0.88–0.92 with 20 ms, busiest second 0.95 → 0.98).
   */
  maxLateMs?: number;
}

export interface CallPacer {
  /** Resolves when this caller may make one call. */
  acquire(): Promise<void>;
  /** Slot spacing in microseconds. */
  readonly intervalMicros: number;
  /** For a script that reserves the slot along with other work (the send path's claim). */
  readonly slotArgs: PacerSlotArgs;
  /**
   * Waits for a slot such a script reserved: `askedAt` is `performance.now()` from before the
   * script was sent, `waitMicros` what `reserveSlot` returned. Takes a new slot (like `acquire`)
   * when the reservation was refused or this caller woke too late for it.
   */
  awaitReserved(askedAt: number, waitMicros: number): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Calls a second the pacer hands out for a cap of `qps`: the relative margin, and one whole call
 * less, because evenly spaced calls can put one more call than their rate into a sliding second
 * (at 40/s a 2.5% margin alone leaves no room at all). Never below half the cap.
 */
export function pacedRate(qps: number, margin = 0.975): number {
  return Math.max(qps * margin - 1, qps / 2);
}

export function createCallPacer(o: CallPacerOptions): CallPacer {
  const intervalMicros = Math.ceil(1e6 / pacedRate(o.qps, o.margin));
  const maxAhead = (o.maxAheadMs ?? 2000) * 1000;
  const maxLate = o.maxLateMs ?? 20;
  const reserve = luaScript(o.redis, 'smsqPacerReserve', RESERVE_SCRIPT, 1);
  /** Sleeps until the reserved slot; false when there is none (refused) or it was missed. */
  const untilSlot = async (askedAt: number, wait: number): Promise<boolean> => {
    if (wait < 0) {
      await sleep(maxAhead / 2000);
      return false;
    }
    // The slot, on this process's clock: no earlier than when we asked plus the wait.
    const slot = askedAt + wait / 1000;
    if (wait >= 1000) await sleep(Math.ceil(wait / 1000));
    return performance.now() - slot <= maxLate;
  };
  const acquire = async () => {
    for (;;) {
      const asked = performance.now();
      if (await untilSlot(asked, Number(await reserve(o.key, intervalMicros, maxAhead)))) return;
    }
  };
  return {
    intervalMicros,
    slotArgs: { key: o.key, intervalMicros, maxAheadMicros: maxAhead },
    acquire,
    async awaitReserved(askedAt, waitMicros) {
      if (!(await untilSlot(askedAt, waitMicros))) await acquire();
    },
  };
}

/** An SmsClient whose every call first waits for its slot. */
export function pacedSmsClient(client: SmsClient, pacer: CallPacer): SmsClient {
  const paced = {} as Record<keyof SmsClient, unknown>;
  for (const name of Object.keys(METHODS) as (keyof SmsClient)[]) {
    const method = client[name] as (...args: unknown[]) => Promise<unknown>;
    paced[name] = async (...args: unknown[]) => {
      await pacer.acquire();
      return method.apply(client, args);
    };
  }
  return paced as SmsClient;
}

/** Every SmsClient method (exhaustive by type), so a new one cannot bypass the pacer. */
const METHODS = {
  sendSms: 1,
  sendBatchSms: 1,
  querySendDetails: 1,
  querySendStatistics: 1,
  querySmsSignList: 1,
  querySmsTemplateList: 1,
  getSmsSign: 1,
  getSmsTemplate: 1,
  querySmsQualificationRecord: 1,
  querySingleSmsQualification: 1,
} as const satisfies Record<keyof SmsClient, 1>;
