import type { RedisConnection } from '../queue/connection.js';
import type { Clock } from '../clock.js';
import { DEFAULT_EVENTS_MAXLEN } from '../queue/chunk-store.js';
import type { Keys } from '../queue/keys.js';
import { luaScript } from '../queue/lua.js';

/** Receipt states of one recipient, beyond its chunk's state. All are final. */
export const FINAL_RECIPIENT_STATES = ['delivered', 'failed', 'expired', 'suppressed', 'rejected'] as const;
export type FinalRecipientState = (typeof FINAL_RECIPIENT_STATES)[number];

/** A recipient's receipt, as stored in the send's recipients hash. */
export interface RecipientReceipt {
  state: FinalRecipientState;
  /** `DELIVERED`, the carrier's code, or a smsq code (`SMSQ_RECEIPT_WINDOW`, `SMSQ_OPTED_OUT`). */
  code: string;
  /** When the handset received it (ms), if known. */
  receivedAt: number | undefined;
  /** Where the receipt came from. */
  source: 'query' | 'report' | 'window' | 'suppression' | 'door';
}

const STATE_CODE: Record<FinalRecipientState, string> = { delivered: 'd', failed: 'f', expired: 'e', suppressed: 's', rejected: 'x' };
const SOURCE_CODE: Record<RecipientReceipt['source'], string> = { query: 'q', report: 'r', window: 'w', suppression: 'u', door: 'i' };
const STATE_OF = Object.fromEntries(Object.entries(STATE_CODE).map(([k, v]) => [v, k])) as Record<string, FinalRecipientState>;
const SOURCE_OF = Object.fromEntries(Object.entries(SOURCE_CODE).map(([k, v]) => [v, k])) as Record<string, RecipientReceipt['source']>;

/**
 * Compact value in the recipients hash, ~25 bytes: `<state letter>|<code>|<receivedAt in base-36
 * seconds>|<source letter>`, the code left out when it is `DELIVERED` on a delivered recipient.
 * A recipient costs ~76 bytes of Redis in all (field, value, hash entry) against ~108 with words.
 */
export function encodeReceipt(r: RecipientReceipt): string {
  const code = r.state === 'delivered' && r.code === 'DELIVERED' ? '' : r.code;
  const at = r.receivedAt === undefined ? '' : Math.floor(r.receivedAt / 1000).toString(36);
  return `${STATE_CODE[r.state]}|${code}|${at}|${SOURCE_CODE[r.source]}`;
}

export function decodeReceipt(v: string | null | undefined): RecipientReceipt | undefined {
  if (!v) return undefined;
  const [s, code, at, src] = v.split('|');
  const state = STATE_OF[s ?? ''];
  if (!state) return undefined;
  return {
    state,
    code: code || (state === 'delivered' ? 'DELIVERED' : ''),
    receivedAt: at ? parseInt(at, 36) * 1000 : undefined,
    source: SOURCE_OF[src ?? ''] ?? 'query',
  };
}

/**
 * apply: record a final receipt for one recipient of an accepted chunk. Idempotent (a repeat or an
 * out-of-order report changes nothing: a final state never goes back) and atomic with the per-send
 * counts and the event.
 * KEYS[1] recipients hash, KEYS[2] send counts, KEYS[3] chunk hash, KEYS[4] events stream, KEYS[5] recipient totals
 * ARGV[1] phone, ARGV[2] encoded receipt, ARGV[3] state, ARGV[4] code, ARGV[5] now, ARGV[6] maxlen,
 * ARGV[7] ttl seconds
 * Returns {'applied', pending} | {'duplicate', existing} | {'not-accepted', chunkState}
 *   pending = recipients of the send still without an outcome (queued, sending, unknown, accepted)
 */
const APPLY_SCRIPT = `
local chunkState = redis.call('HGET', KEYS[3], 'state')
if chunkState ~= 'accepted' then return {'not-accepted', chunkState or 'missing'} end
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return {'duplicate', existing} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[7]) end
redis.call('HINCRBY', KEYS[2], 'accepted', -1)
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
redis.call('HINCRBY', KEYS[5], 'accepted', -1)
redis.call('HINCRBY', KEYS[5], ARGV[3], 1)
local f = redis.call('HMGET', KEYS[3], 'sendId', 'index')
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*', 'type', 'recipient', 'sendId', f[1], 'chunkId', f[1] .. '.' .. f[2],
  'phone', ARGV[1], 'state', ARGV[3], 'code', ARGV[4], 'at', ARGV[5])
local c = redis.call('HMGET', KEYS[2], 'queued', 'sending', 'unknown', 'accepted')
local pending = 0
for _, v in ipairs(c) do pending = pending + tonumber(v or '0') end
return {'applied', tostring(pending)}
`;

export type ApplyResult =
  | { status: 'applied'; pending: number }
  | { status: 'duplicate'; existing: RecipientReceipt | undefined }
  | { status: 'not-accepted'; chunkState: string };

export interface RecipientStoreOptions {
  redis: RedisConnection;
  keys: Keys;
  clock: Clock;
  retentionSeconds: number;
  eventsMaxLen?: number;
}

export interface RecipientStore {
  apply(sendId: string, chunkId: string, phone: string, receipt: RecipientReceipt): Promise<ApplyResult>;
  /** Receipts of many recipients of one send (undefined where none is recorded). */
  getMany(sendId: string, phones: readonly string[]): Promise<(RecipientReceipt | undefined)[]>;
}

export function createRecipientStore(o: RecipientStoreOptions): RecipientStore {
  const maxlen = o.eventsMaxLen ?? DEFAULT_EVENTS_MAXLEN;
  const applyScript = luaScript(o.redis, 'smsqApplyReceipt', APPLY_SCRIPT, 5);
  return {
    async apply(sendId, chunkId, phone, receipt) {
      const res = (await applyScript(
        o.keys.recipients(sendId),
        o.keys.sendCounts(sendId),
        o.keys.chunk(chunkId),
        o.keys.events(),
        o.keys.recipientTotals(),
        phone,
        encodeReceipt(receipt),
        receipt.state,
        receipt.code,
        o.clock.now(),
        maxlen,
        o.retentionSeconds,
      )) as [string, string];
      if (res[0] === 'applied') return { status: 'applied', pending: Number(res[1]) };
      if (res[0] === 'duplicate') return { status: 'duplicate', existing: decodeReceipt(res[1]) };
      return { status: 'not-accepted', chunkState: res[1] };
    },

    async getMany(sendId, phones) {
      if (phones.length === 0) return [];
      const values = await o.redis.hmget(o.keys.recipients(sendId), ...phones);
      return values.map((v) => decodeReceipt(v));
    },
  };
}
