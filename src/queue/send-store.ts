import type { RedisConnection } from './connection.js';
import type { Keys } from './keys.js';
import { luaScript } from './lua.js';
import type { MessageKind } from './kinds.js';
/**
 * What per-send counts are kept for: chunk states (a chunk's recipients all share them) and the
 * final receipt states of single recipients.
 */
export const COUNTED_STATES = ['queued', 'sending', 'unknown', 'accepted', 'delivered', 'failed', 'expired', 'cancelled', 'suppressed'] as const;
export type CountedState = (typeof COUNTED_STATES)[number];

/** What a send was, as recorded when it was enqueued. */
export interface SendRecord {
  sendId: string;
  kind: MessageKind;
  api: 'SendSms' | 'SendBatchSms';
  templateCode: string;
  /** SendSms: the signature; SendBatchSms: the distinct signatures, comma-separated. */
  signName: string;
  name?: string;
  idempotencyKey?: string;
  /** Receives the final state of the send, signed (HMAC-SHA256). */
  callbackUrl?: string;
  /** Epoch ms: chunks not sent by then are expired (SMSQ_DEADLINE). */
  deadline?: number;
  /** Recipients queued (valid, deduplicated). */
  recipients: number;
  /** Numbers refused at the door. */
  rejected: number;
  duplicates: number;
  chunks: number;
  createdAt: number;
}

/** Operator control of a send: `paused` stops new chunks; `cancelled` ends the rest. */
export type SendControl = 'active' | 'paused' | 'cancelled';

export interface SendStatus {
  send: SendRecord & {
    state: 'enqueuing' | 'active' | 'failed';
    code?: string;
    reason?: string;
    control: SendControl;
    /** Why it was paused (an operator, or auto-pause with the failure ratio). */
    controlReason?: string;
  };
  /** Recipients per state; `rejected` are the numbers refused at the door. */
  counts: Record<CountedState | 'rejected', number>;
}

export interface SendStoreOptions {
  redis: RedisConnection;
  keys: Keys;
}

export interface SendStore {
  create(rec: SendRecord, ttlSeconds: number): Promise<void>;
  /** Marks the enqueue complete, recording totals known only at the end (campaigns). */
  markEnqueued(sendId: string, totals?: Partial<Pick<SendRecord, 'recipients' | 'rejected' | 'duplicates' | 'chunks'>>): Promise<void>;
  /** The whole send fails (sign/template unusable); queued chunks fail when claimed. Idempotent. */
  fail(sendId: string, code: string, reason: string): Promise<boolean>;
  status(sendId: string): Promise<SendStatus | undefined>;
  /** Sets the control of a send; refuses to leave `cancelled`. Returns the previous control. */
  setControl(sendId: string, control: SendControl, reason: string): Promise<SendControl | undefined>;
}

/**
 * Writes a send's record (KEYS[1] send hash, KEYS[2] its counts; ARGV[1] ttl (s), then field/value
 * pairs). Only the first enqueue of a send id writes the record; a retried enqueue keeps it.
 */
const CREATE = `
redis.call('HSETNX', KEYS[2], 'queued', 0)
redis.call('EXPIRE', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1`;

/** Marks a send enqueued (KEYS[1] send hash; ARGV field/value pairs); a failed send stays failed. */
const MARK_ENQUEUED = `
if redis.call('HGET', KEYS[1], 'state') == 'failed' then ARGV[2] = 'failed' end
for i = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`;

/** Fails a send once (KEYS[1] send hash; ARGV code, reason). Returns 1 when it changed. */
const FAIL = `
if redis.call('HGET', KEYS[1], 'state') == 'failed' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'failed', 'code', ARGV[1], 'reason', ARGV[2])
return 1`;

/** Sets a send's control (KEYS[1] send hash; ARGV control, reason); `cancelled` is final. Returns the previous one. */
const SET_CONTROL = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local prev = redis.call('HGET', KEYS[1], 'control') or 'active'
if prev == 'cancelled' then return prev end
redis.call('HSET', KEYS[1], 'control', ARGV[1], 'controlReason', ARGV[2])
return prev`;

export function createSendStore({ redis, keys }: SendStoreOptions): SendStore {
  const scripts = {
    create: luaScript(redis, 'smsqCreateSend', CREATE, 2),
    markEnqueued: luaScript(redis, 'smsqMarkEnqueued', MARK_ENQUEUED, 1),
    fail: luaScript(redis, 'smsqFailSend', FAIL, 1),
    setControl: luaScript(redis, 'smsqSetControl', SET_CONTROL, 1),
  };
  return {
    async create(rec, ttlSeconds) {
      const fields: Record<string, string> = { state: 'enqueuing' };
      for (const [k, v] of Object.entries(rec)) if (v !== undefined) fields[k] = String(v);
      await scripts.create(keys.send(rec.sendId), keys.sendCounts(rec.sendId), ttlSeconds, ...Object.entries(fields).flat());
    },

    async markEnqueued(sendId, totals) {
      const fields: Record<string, string> = { state: 'active' };
      for (const [k, v] of Object.entries(totals ?? {})) if (v !== undefined) fields[k] = String(v);
      // A send that failed as a whole while enqueuing keeps its failed state.
      await scripts.markEnqueued(keys.send(sendId), ...Object.entries(fields).flat());
    },

    async fail(sendId, code, reason) {
      return (await scripts.fail(keys.send(sendId), code, reason)) === 1;
    },

    async status(sendId) {
      const [h, c] = await Promise.all([redis.hgetall(keys.send(sendId)), redis.hgetall(keys.sendCounts(sendId))]);
      if (!h.sendId) return undefined;
      const counts = Object.fromEntries(COUNTED_STATES.map((s) => [s, Number(c[s] ?? 0)])) as SendStatus['counts'];
      counts.rejected = Number(h.rejected ?? 0);
      return {
        send: {
          sendId: h.sendId,
          kind: h.kind as MessageKind,
          api: h.api as SendRecord['api'],
          templateCode: h.templateCode ?? '',
          signName: h.signName ?? '',
          name: h.name,
          idempotencyKey: h.idempotencyKey,
          callbackUrl: h.callbackUrl,
          deadline: h.deadline ? Number(h.deadline) : undefined,
          recipients: Number(h.recipients ?? 0),
          rejected: Number(h.rejected ?? 0),
          duplicates: Number(h.duplicates ?? 0),
          chunks: Number(h.chunks ?? 0),
          createdAt: Number(h.createdAt ?? 0),
          state: (h.state as SendStatus['send']['state']) ?? 'active',
          code: h.code,
          reason: h.reason,
          control: (h.control as SendControl | undefined) ?? 'active',
          controlReason: h.controlReason,
        },
        counts,
      };
    },

    async setControl(sendId, control, reason) {
      return ((await scripts.setControl(keys.send(sendId), control, reason)) as SendControl | null) ?? undefined;
    },
  };
}
