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
 * KEYS[1] the next free slot (µs since the epoch, Redis clock)
 * ARGV[1] slot spacing (µs), ARGV[2] farthest reservation allowed ahead (µs)
 * Returns the wait in µs before the reserved slot, or -1 when the queue of slots is too long (the
 * caller retries a little later without holding a slot).
 */
const RESERVE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local wait = slot - now
if wait > tonumber(ARGV[2]) then return -1 end
-- %.0f, not tostring: Lua 5.1 prints numbers with 14 significant digits, which would round a
-- 16-digit µs timestamp to 100 µs and shrink the spacing.
redis.call('SET', KEYS[1], string.format('%.0f', slot + tonumber(ARGV[1])), 'PX', 60000)
return wait
`;

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
   * Default 10 ms.
   */
  maxLateMs?: number;
}

export interface CallPacer {
  /** Resolves when this caller may make one call. */
  acquire(): Promise<void>;
  /** Slot spacing in microseconds. */
  readonly intervalMicros: number;
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
  const maxLate = o.maxLateMs ?? 10;
  const reserve = luaScript(o.redis, 'smsqPacerReserve', RESERVE_SCRIPT, 1);
  return {
    intervalMicros,
    async acquire() {
      for (;;) {
        const asked = performance.now();
        const wait = Number(await reserve(o.key, intervalMicros, maxAhead));
        if (wait < 0) {
          await sleep(maxAhead / 2000);
          continue;
        }
        // The slot, on this process's clock: no earlier than when we asked plus the wait.
        const slot = asked + wait / 1000;
        if (wait >= 1000) await sleep(Math.ceil(wait / 1000));
        if (performance.now() - slot <= maxLate) return;
      }
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
