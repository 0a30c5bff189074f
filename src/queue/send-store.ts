import type { RedisConnection } from './connection.js';
import { UndeclaredTransitionError } from '../errors.js';
import type { Keys } from './keys.js';
import { luaScript } from './lua.js';
import type { MessageKind } from './kinds.js';
import { declaredRule, SEND_CONTROL_LIFECYCLE, SEND_LIFECYCLE, type SendControl, type SendControlTrigger, type SendState } from './lifecycle.js';

export type { SendControl } from './lifecycle.js';
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

export interface SendStatus {
  send: SendRecord & {
    /** See the send lifecycle (lifecycle.ts). */
    state: SendState;
    code?: string;
    reason?: string;
    /** Operator control (the send control lifecycle): `paused` stops new chunks; `cancelled` ends the rest. */
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
  /**
   * The whole send fails: `fail` (sign/template unusable), `abandon` (its producer died while
   * enqueuing); queued chunks fail when claimed. Idempotent. True when it moved now. `code`:
   * required unless the trigger records a fixed one (lifecycle.ts).
   */
  fail(sendId: string, trigger: 'fail' | 'abandon', reason: string, code?: string): Promise<boolean>;
  status(sendId: string): Promise<SendStatus | undefined>;
  /**
   * Moves the control of a send (pause, resume, cancel) where the send control lifecycle allows;
   * a cancelled send stays cancelled. Returns the control before the call (undefined: no such send).
   */
  setControl(sendId: string, trigger: SendControlTrigger, reason: string): Promise<SendControl | undefined>;
}

export function createSendStore({ redis, keys }: SendStoreOptions): SendStore {
  const scripts = {
    create: luaScript(redis, 'create-send-3'),
    markEnqueued: luaScript(redis, 'mark-enqueued-1'),
    fail: luaScript(redis, 'fail-send-1'),
    setControl: luaScript(redis, 'set-control-1'),
  };
  return {
    async create(rec, ttlSeconds) {
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(rec)) if (v !== undefined) fields[k] = String(v);
      declaredRule(SEND_LIFECYCLE, 'enqueue', { fields: Object.keys(fields) });
      await scripts.create(keys.send(rec.sendId), keys.sendCounts(rec.sendId), keys.sends(), ttlSeconds, rec.createdAt, rec.sendId, ...Object.entries(fields).flat());
    },

    async markEnqueued(sendId, totals) {
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(totals ?? {})) if (v !== undefined) fields[k] = String(v);
      declaredRule(SEND_LIFECYCLE, 'enqueued', { fields: Object.keys(fields) });
      // A send that failed as a whole while enqueuing keeps its failed state.
      await scripts.markEnqueued(keys.send(sendId), ...Object.entries(fields).flat());
    },

    async fail(sendId, trigger, reason, code) {
      const recorded = code ?? declaredRule(SEND_LIFECYCLE, trigger).code;
      if (recorded === undefined) throw new UndeclaredTransitionError(SEND_LIFECYCLE.name, trigger, 'it records a code, and none was given');
      declaredRule(SEND_LIFECYCLE, trigger, { code: recorded });
      return (await scripts.fail(keys.send(sendId), trigger, recorded, reason)) === 1;
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

    async setControl(sendId, trigger, reason) {
      declaredRule(SEND_CONTROL_LIFECYCLE, trigger);
      return ((await scripts.setControl(keys.send(sendId), trigger, reason)) as SendControl | null) ?? undefined;
    },
  };
}
