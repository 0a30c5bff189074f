import type { RedisConnection } from './connection.js';
import { UndeclaredTransitionError } from '../errors.js';
import type { Keys } from './keys.js';
import { luaScript } from './lua.js';
import { sendChunkKeys } from './send-chunk-keys.js';
import type { MessageKind } from './kinds.js';
import { controlOf, declaredRule, SEND_LIFECYCLE, SEND_STATES, type SendControl, type SendControlMove, type SendState } from './lifecycle.js';
import { systemClock, type Clock } from '../clock.js';
import { DEFAULT_EVENTS_MAXLEN } from './chunk-store.js';
import type { SendPace, SendWait } from './send-wait.js';
import { WITHDRAWN_INDEX_KEEP, withdrawalOutcome } from './withdrawal.js';

export type { SendControl } from './lifecycle.js';

/** One change of a send's state, and when (ms). */
export interface SendStateChange {
  state: SendState;
  at: number;
}

/** The history field as written by the scripts (`state:ms`, space-separated; send-state.lua). */
export function parseSendHistory(text: string | undefined): SendStateChange[] {
  if (!text) return [];
  return text.split(' ').flatMap((entry) => {
    const [state, at] = entry.split(':');
    return state && (SEND_STATES as readonly string[]).includes(state) && at ? [{ state: state as SendState, at: Number(at) }] : [];
  });
}
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
  /**
   * The extension code (SmsUpExtendCode) its recipients go out with: a send's or campaign's; a
   * batch's distinct codes, comma-separated, past the first ten counted (producers/extend-codes.ts).
   * Absent when none has one, and for a send enqueued before it was recorded.
   */
  smsUpExtendCode?: string;
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
  send: Omit<SendRecord, 'rejected' | 'duplicates'> & {
    /**
     * Numbers refused at the door and rows dropped as duplicates; null when they were never
     * recorded: its enqueue was ended at the chunks written (SMSQ_ENQUEUE_CUT_SHORT,
     * SMSQ_ENQUEUE_ABANDONED) before its producer recorded them (a campaign does at its end).
     */
    rejected: number | null;
    duplicates: number | null;
    /**
     * True while its enqueue has not finished and its total is not recorded yet (a campaign records
     * it at the end): `recipients` then counts those written so far, in chunks Redis holds.
     */
    recipientsSoFar?: true;
    /** See the send lifecycle (lifecycle.ts). */
    state: SendState;
    /** When it reached `state` (ms). */
    stateChangedAt: number;
    /** Every change of state, oldest first (a record from before states were timed: its current state only). */
    history: SendStateChange[];
    /** When its enqueue finished (ms; absent while enqueuing). */
    enqueuedAt?: number;
    code?: string;
    reason?: string;
    /** What an operator asked for, derived from `state`: `paused` stops new chunks; `cancelled` ends the rest. */
    control: SendControl;
    /** Why it was paused (an operator, or auto-pause with the failure ratio). */
    controlReason?: string;
  };
  /** Recipients per state; `rejected` are the numbers refused at the door. */
  counts: Record<CountedState | 'rejected', number>;
  /** Why it waits now (the producer's status; absent when it is moving or has ended). See send-wait.ts. */
  wait?: SendWait;
  /** How fast it goes, and when it should be sent at that pace (the producer's status). */
  pace?: SendPace;
}

export interface SendStoreOptions {
  redis: RedisConnection;
  keys: Keys;
  /** Times each change of state. Default: the system clock. */
  clock?: Clock;
  /** Approximate length the events stream is trimmed to. Default {@link DEFAULT_EVENTS_MAXLEN}. */
  eventsMaxLen?: number;
}

/** How long the sorted set of send ids written before the per-kind streams keeps an id (a year: the longest retention allowed, what it kept). */
export const LEGACY_INDEX_SECONDS = 365 * 86_400;

/** Sends with more recipients than this (refused at the door included) are not compacted: one script run reads them all. */
export const COMPACT_MAX_RECIPIENTS = 1000;

/** The field of a compacted send hash that holds its record and counts; its presence marks the send compacted. */
export const COMPACT_FIELD = 'z';

/**
 * The field of a compacted send hash that keeps its extension code (SmsUpExtendCode) as recorded,
 * beside {@link COMPACT_FIELD} rather than in it: a reader of the packing before it (any version)
 * reads that field by position, and passes over a field it does not know.
 */
export const COMPACT_EXTEND_CODE_FIELD = 'e';

/** The order of the values packed in {@link COMPACT_FIELD} after its version (compact-send.lua). */
const PACKED = ['kind', 'api', 'templateCode', 'signName', 'name', 'idempotencyKey', 'callbackUrl', 'deadline', 'recipients', 'rejected', 'duplicates', 'chunks', 'createdAt', 'stateChangedAt', 'history', 'enqueuedAt', 'code', 'reason', 'controlReason'] as const;
/** Packed as ms after createdAt. */
const RELATIVE = new Set<string>(['stateChangedAt', 'enqueuedAt']);
/** Packed bare in version 2 ('' when absent or 0). */
const BARE = new Set<string>(['deadline', 'recipients', 'rejected', 'duplicates', 'chunks']);
/** The letters compact-send.lua writes for names that recur (a name without one is written whole). */
const STATE_OF_LETTER: Record<string, string> = { e: 'enqueuing', a: 'active', p: 'paused', s: 'sent', c: 'completed', x: 'cancelled', t: 'expired', f: 'failed' };
const COUNT_OF_LETTER: Record<string, string> = { q: 'queued', s: 'sending', u: 'unknown', a: 'accepted', d: 'delivered', f: 'failed', e: 'expired', c: 'cancelled', p: 'suppressed' };
const CHUNK_OF_LETTER: Record<string, string> = { a: 'accepted', f: 'failed', e: 'expired', c: 'cancelled' };
const NAME_OF_LETTER: Record<string, Record<string, string>> = {
  kind: { v: 'verification', n: 'notification', m: 'marketing' },
  api: { s: 'SendSms', b: 'SendBatchSms' },
};
const unletter = (map: Record<string, string>, v: string) => (v.length === 1 ? (map[v] ?? v) : v);

/** Field `name` of a compacted send hash: compact-send.lua cuts a long value into `name`, `name.1`, `name.2`, ... */
export function compactValue(h: Readonly<Record<string, string>>, name: string): string | undefined {
  let value = h[name];
  if (value === undefined) return undefined;
  for (let k = 1; h[`${name}.${k}`] !== undefined; k++) value += h[`${name}.${k}`];
  return value;
}

/**
 * A packed history as written before (`state:ms`, space-separated): its entries are
 * `<letter><time after createdAt>`, or `<state>:<time after createdAt>` for a state without a
 * letter, each version writing the time its way (`time` reads it).
 */
function unpackHistory(packed: string, time: (at: string) => string): string {
  return packed
    .split(' ')
    .filter((entry) => entry !== '')
    .map((entry) => {
      const colon = entry.indexOf(':');
      const [state, at] = colon < 0 ? [unletter(STATE_OF_LETTER, entry.slice(0, 1)), entry.slice(1)] : [entry.slice(0, colon), entry.slice(colon + 1)];
      return `${state}:${time(at)}`;
    })
    .join(' ');
}

/** A time after createdAt as a version 2 record writes it (base-36 ms, or '=' and as written), as written before: decimal ms. */
function timeAfter(created: number, v: string): string {
  if (v.startsWith('=')) return v.slice(1);
  const delta = parseInt(v, 36);
  return Number.isNaN(delta) ? v : String(created + delta);
}

/**
 * The fields of a send hash and of its counts hash as they were before compaction, from a
 * compacted send hash (`state` and {@link COMPACT_FIELD}); see compact-send.lua. Reads both
 * versions of the packing.
 */
export function unpackCompactSend(sendId: string, state: string | undefined, packed: string): { h: Record<string, string>; c: Record<string, string> } {
  const values = packed.split('\x1f');
  return unpackFields(sendId, state, values, values[0] === '2' ? version2Value(values) : version1Value(values));
}

/** A packed value, not empty, as the field it stands for. */
type PackedValue = (name: (typeof PACKED)[number], packed: string) => string;

/**
 * The walk both packings share: `sendId` and `state` as given, templateCode and signName written
 * bare (read as '' when absent either way), an empty value absent; the rest read by `value`.
 */
function unpackFields(sendId: string, state: string | undefined, values: string[], value: PackedValue): { h: Record<string, string>; c: Record<string, string> } {
  const h: Record<string, string> = { sendId };
  if (state !== undefined) h.state = state;
  PACKED.forEach((name, i) => {
    const v = values[i + 1] ?? '';
    if (name === 'templateCode' || name === 'signName') {
      h[name] = v;
      return;
    }
    if (v !== '') h[name] = value(name, v);
  });
  return { h, c: parseCompactCounts(values[PACKED.length + 1] ?? '') };
}

/** Version 1: every value but those two written '=value', times in ms after createdAt. */
function version1Value(values: string[]): PackedValue {
  const created = Number((values[1 + PACKED.indexOf('createdAt')] ?? '').slice(1) || 0);
  return (name, v) => {
    const value = v.slice(1);
    const letters = NAME_OF_LETTER[name];
    if (letters) return unletter(letters, value);
    if (RELATIVE.has(name) && value !== '' && !Number.isNaN(Number(value))) return String(created + Number(value));
    if (name === 'history') return unpackHistory(value, (at) => String(created + Number(at)));
    return value;
  };
}

/** Version 2 (compact-send.lua's header): letters and bare numbers without '=', times in base 36. */
function version2Value(values: string[]): PackedValue {
  const createdText = values[1 + PACKED.indexOf('createdAt')] ?? '';
  const created = createdText.startsWith('=') ? Number(createdText.slice(1)) || 0 : parseInt(createdText, 36) || 0;
  return (name, v) => {
    const letters = NAME_OF_LETTER[name];
    if (letters) return unletter(letters, v);
    if (BARE.has(name)) return v;
    if (name === 'createdAt') return createdText.startsWith('=') ? v.slice(1) : String(created);
    if (RELATIVE.has(name)) return timeAfter(created, v);
    if (name === 'history') return unpackHistory(v, (at) => timeAfter(created, at));
    return v.slice(1);
  };
}

/** The createdAt (ms) of a compacted send hash, which its chunks' times are packed after (version 2). */
export function compactCreatedAt(sendId: string, h: Readonly<Record<string, string>>): number {
  const packed = compactValue(h, COMPACT_FIELD);
  return packed === undefined ? 0 : Number(unpackCompactSend(sendId, h.state, packed).h.createdAt ?? 0);
}

/** One chunk as compact-send.lua keeps it (as version 1 wrote it: a head line `@index|state|code|bizId|attempt|sentAt|outId`, `|undone` after it since), then a line per recipient. */
export interface CompactChunk {
  index: string;
  state: string;
  code: string;
  bizId: string;
  attempt: string;
  /** Base 36 ms, or '=' and as written; '' none. */
  sentAt: string;
  /** The OutId's nonce, or '=' and the whole OutId; '' none. */
  outId: string;
  /** Of its claims (`attempt`), those undone before their call; '' none (or compacted before it was kept). */
  undone: string;
  /** Each recipient's number and its receipt as stored ('' none recorded). */
  recipients: { phone: string; receipt: string }[];
}

/**
 * The chunks kept in field `r<i>` of a compacted send hash (chunk i, or its split children when it
 * was split), in order. A version 2 head line (`#`: one-letter state, '' for an accepted chunk's
 * OK, sentAt after createdAt) is read as version 1 wrote it, with `createdAt` (see {@link compactCreatedAt}).
 */
export function parseCompactChunks(text: string, createdAt: number): CompactChunk[] {
  const chunks: CompactChunk[] = [];
  let current: CompactChunk | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('@') || line.startsWith('#')) {
      const [index = '', state = '', code = '', bizId = '', attempt = '', sentAt = '', outId = '', undone = ''] = line.slice(1).split('|');
      current = { index, state, code, bizId, attempt, sentAt, outId, undone, recipients: [] };
      if (line.startsWith('#')) {
        current.state = unletter(CHUNK_OF_LETTER, state);
        if (current.state === 'accepted') current.code = code === '' ? 'OK' : code === '=' ? '' : code;
        if (sentAt !== '' && !sentAt.startsWith('=')) current.sentAt = (createdAt + parseInt(sentAt, 36)).toString(36);
      }
      chunks.push(current);
      continue;
    }
    if (!current) continue;
    const bar = line.indexOf('|');
    current.recipients.push(bar < 0 ? { phone: line, receipt: '' } : { phone: line.slice(0, bar), receipt: line.slice(bar + 1) });
  }
  return chunks;
}

/** The whole OutId of a compacted chunk (`<chunk id>.<attempt>-<nonce>`, or as kept after '='); '' none. */
export function compactChunkOutId(chunk: CompactChunk, chunkId: string): string {
  if (chunk.outId === '') return '';
  return chunk.outId.startsWith('=') ? chunk.outId.slice(1) : `${chunkId}.${chunk.attempt}-${chunk.outId}`;
}

/** A chunk as its compacted send keeps it, with its whole OutId ({@link compactChunkOutId}). */
export type CompactedChunk = CompactChunk & { wholeOutId: string };

/**
 * A chunk as its compacted send keeps it, with its whole OutId ({@link compactChunkOutId}):
 * undefined when the send is not compacted (or is gone) or keeps no such chunk. Reads the whole
 * send hash: for what arrives after a send ended (a late report, a late answer), not per call.
 */
export async function readCompactedChunk(redis: RedisConnection, keys: Keys, sendId: string, chunkId: string): Promise<CompactedChunk | undefined> {
  const index = chunkId.slice(sendId.length + 1);
  const h = await redis.hgetall(keys.send(sendId));
  const text = compactValue(h, `r${index.split('-')[0] ?? ''}`);
  if (text === undefined) return undefined;
  const chunk = parseCompactChunks(text, compactCreatedAt(sendId, h)).find((c) => c.index === index);
  return chunk && { ...chunk, wholeOutId: compactChunkOutId(chunk, chunkId) };
}

export type CompactResult =
  | { compacted: true; chunks: number }
  | { compacted: false; reason: 'missing' | 'compacted' | 'not-ended' | 'not-enqueued' | 'not-announced' | 'too-large' | 'pending' | 'chunk-missing' | 'chunk-not-final' | 'chunk-unreadable' | 'child-not-final' | 'chunk-keys-changed' };

/** The counts of a compacted send (`<letter><n>`, or `state=n` for a state without a letter, space-separated; compact-send.lua). */
export function parseCompactCounts(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(' ')) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
    else if (pair.length > 1) out[unletter(COUNT_OF_LETTER, pair.slice(0, 1))] = pair.slice(1);
  }
  return out;
}

/** A move of the send's state, as a script answered it. */
export interface SendMove {
  from: SendState;
  to: SendState;
}

export interface SendStore {
  /**
   * Writes the record (living `ttlSeconds`) and lists it in the index of sends (its kind's stream,
   * create-send-5.lua), whose entries older than the longest retention given to the kind are
   * trimmed; ids in the sorted set written before the streams are trimmed after `legacyIndexSeconds`
   * (default a year, what that index kept).
   */
  create(rec: SendRecord, ttlSeconds: number, legacyIndexSeconds?: number): Promise<void>;
  /**
   * Marks the enqueue complete, recording totals known only at the end (campaigns). Returns the
   * send's state after (it may have been sent, or even completed, while it was enqueuing), or
   * undefined when there is no such send.
   */
  markEnqueued(sendId: string, totals?: Partial<Pick<SendRecord, 'recipients' | 'rejected' | 'duplicates' | 'chunks' | 'api'>>): Promise<SendState | undefined>;
  /**
   * Ends the enqueue of a send whose producer did not (send-cancel.ts), at what Redis holds of it:
   * its totals as counted from its chunks, `code` and `reason`. SMSQ_ENQUEUE_CUT_SHORT (the
   * default) is written only to a cancelled send, SMSQ_ENQUEUE_ABANDONED only to one the repair
   * sweep failed as abandoned; nothing to a send whose enqueue has ended (its producer's totals
   * stand). Rows refused and duplicates its producer never recorded become unknown (null in
   * {@link status}). Returns its state, or undefined when there is no such send.
   */
  endCutShort(sendId: string, totals: Pick<SendRecord, 'recipients' | 'chunks' | 'api'>, reason: string, code?: EndedShortCode): Promise<SendState | undefined>;
  /**
   * Records how far its recipients got, from its counts: `sent`, `expired` or `completed` as the
   * lifecycle allows. Returns the move (from = to when it did not move), its callback URL, and
   * `announce`: true when it is in an end state (whoever moved it there) and its end was not yet
   * announced: its callback is due; then call {@link markAnnounced}. `pending`: its recipients
   * still unsent or awaiting a receipt, as the script read them (absent while it is enqueuing).
   */
  settle(sendId: string): Promise<(SendMove & { callbackUrl?: string; announce: boolean; pending?: number }) | undefined>;
  /** Records that the send's end was announced (its callback job added, or none due): settle says `announce` no more. */
  markAnnounced(sendId: string): Promise<void>;
  /**
   * Reduces a finished send's records to what `status` and its recipient pages read, in its send
   * hash (compact-send.lua), once nothing more can arrive for it: an end state, enqueued,
   * announced, no recipient pending. Otherwise nothing changes and the reason is returned.
   */
  compact(sendId: string): Promise<CompactResult>;
  /** Whether the send was compacted (its chunks, counts and receipts are gone by design). */
  isCompacted(sendId: string): Promise<boolean>;
  /**
   * The whole send fails: `fail` (sign/template unusable), `abandon` (its producer died while
   * enqueuing); queued chunks fail when claimed. Idempotent. True when it moved now. `code`:
   * required unless the trigger records a fixed one (lifecycle.ts).
   */
  fail(sendId: string, trigger: 'fail' | 'abandon', reason: string, code?: string): Promise<boolean>;
  status(sendId: string): Promise<SendStatus | undefined>;
  /**
   * An operator's move (pause, resume, cancel), or a withdrawal's (withdrawal.ts), where the send
   * lifecycle allows; a cancelled send stays cancelled. `onlyIfReason`: moved only while its
   * controlReason is exactly that (a withdrawn send's mark). Returns the move (from = to when it
   * did not move; undefined: no such send). A withdrawal, and any move that ends one, is recorded
   * with it for `/metrics` (the index of withdrawn sends, the withdrawals counter: withdrawal.ts).
   */
  setControl(sendId: string, trigger: SendControlMove, reason: string, onlyIfReason?: string): Promise<SendMove | undefined>;
}

export function createSendStore({ redis, keys, clock = systemClock, eventsMaxLen = DEFAULT_EVENTS_MAXLEN }: SendStoreOptions): SendStore {
  const scripts = {
    create: luaScript(redis, 'create-send-5'),
    markEnqueued: luaScript(redis, 'mark-enqueued-3'),
    settle: luaScript(redis, 'settle-send-3'),
    markAnnounced: luaScript(redis, 'mark-announced-1'),
    fail: luaScript(redis, 'fail-send-2'),
    setControl: luaScript(redis, 'set-control-5'),
    compact: luaScript(redis, 'compact-send'),
  };
  return {
    async create(rec, ttlSeconds, legacyIndexSeconds = LEGACY_INDEX_SECONDS) {
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(rec)) if (v !== undefined) fields[k] = String(v);
      // The first entry of its history: the script writes only a record that does not exist yet.
      fields.stateChangedAt = String(rec.createdAt);
      fields.history = `${SEND_LIFECYCLE.start}:${rec.createdAt}`;
      // Written with the deadline, so that a send of this version is told from one of the version
      // before, which did not count them (send-state.lua deadlineExpiredOf).
      if (rec.deadline !== undefined) fields.deadlineExpired = '0';
      declaredRule(SEND_LIFECYCLE, 'enqueue', { fields: Object.keys(fields) });
      await scripts.create(
        keys.send(rec.sendId),
        keys.sendCounts(rec.sendId),
        keys.sendIndex(rec.kind),
        keys.sendIndexHorizon(),
        keys.sends(),
        ttlSeconds,
        rec.createdAt,
        rec.sendId,
        rec.kind,
        legacyIndexSeconds,
        ...Object.entries(fields).flat(),
      );
    },

    async markEnqueued(sendId, totals) {
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(totals ?? {})) if (v !== undefined) fields[k] = String(v);
      declaredRule(SEND_LIFECYCLE, 'enqueued', { fields: Object.keys(fields) });
      // A send that failed as a whole (or was paused, cancelled) while enqueuing keeps its state.
      const state = (await scripts.markEnqueued(keys.send(sendId), keys.sendCounts(sendId), keys.events(), clock.now(), eventsMaxLen, ...Object.entries(fields).flat())) as SendState | null;
      return state ?? undefined;
    },

    async endCutShort(sendId, totals, reason, code = 'SMSQ_ENQUEUE_CUT_SHORT') {
      const fields = { recipients: String(totals.recipients), chunks: String(totals.chunks), api: totals.api, code, reason };
      declaredRule(SEND_LIFECYCLE, 'enqueued', { fields: Object.keys(fields), code: fields.code });
      const state = (await scripts.markEnqueued(keys.send(sendId), keys.sendCounts(sendId), keys.events(), clock.now(), eventsMaxLen, ...Object.entries(fields).flat())) as SendState | null;
      return state ?? undefined;
    },

    async settle(sendId) {
      const [from, to, callbackUrl, announce, pending] = (await scripts.settle(keys.send(sendId), keys.sendCounts(sendId), keys.events(), clock.now(), eventsMaxLen)) as [string, string, string, number, number];
      if (!from) return undefined;
      return { from: from as SendState, to: to as SendState, ...(callbackUrl ? { callbackUrl } : {}), announce: announce === 1, ...(pending >= 0 ? { pending } : {}) };
    },

    async markAnnounced(sendId) {
      await scripts.markAnnounced(keys.send(sendId), clock.now());
    },

    async isCompacted(sendId) {
      return (await redis.hexists(keys.send(sendId), COMPACT_FIELD)) === 1;
    },

    async compact(sendId) {
      // Every chunk key the script reads and deletes, named to it (KEYS), as Redis Cluster requires.
      const chunkKeys = await sendChunkKeys(redis, keys, sendId, COMPACT_MAX_RECIPIENTS);
      const [outcome, detail] = (await scripts.compact(
        6 + chunkKeys.length,
        keys.send(sendId),
        keys.sendCounts(sendId),
        keys.recipients(sendId),
        keys.receiptWindow(),
        keys.sendOutcomes(sendId),
        keys.sendParked(sendId),
        ...chunkKeys,
        keys.chunk(`${sendId}.`),
        COMPACT_MAX_RECIPIENTS,
      )) as [string, string];
      return outcome === 'compacted' ? { compacted: true, chunks: Number(detail) } : { compacted: false, reason: detail as Extract<CompactResult, { compacted: false }>['reason'] };
    },

    async fail(sendId, trigger, reason, code) {
      const recorded = code ?? declaredRule(SEND_LIFECYCLE, trigger).code;
      if (recorded === undefined) throw new UndeclaredTransitionError(SEND_LIFECYCLE.name, trigger, 'it records a code, and none was given');
      declaredRule(SEND_LIFECYCLE, trigger, { code: recorded });
      return (await scripts.fail(keys.send(sendId), keys.events(), trigger, recorded, reason, clock.now(), eventsMaxLen)) === 1;
    },

    async status(sendId) {
      const [first, live] = await Promise.all([redis.hgetall(keys.send(sendId)), redis.hgetall(keys.sendCounts(sendId))]);
      // Compacted between the two reads: its counts are in the send hash now.
      const read = first[COMPACT_FIELD] === undefined && first.sendId && Object.keys(live).length === 0 ? await redis.hgetall(keys.send(sendId)) : first;
      // A compacted send keeps its record and final counts packed in its own hash (its counts hash is gone).
      const packed = compactValue(read, COMPACT_FIELD);
      const { h, c } = packed === undefined ? { h: read, c: live } : unpackCompactSend(sendId, read.state, packed);
      if (!h.sendId) return undefined;
      const counts = Object.fromEntries(COUNTED_STATES.map((s) => [s, Number(c[s] ?? 0)])) as SendStatus['counts'];
      counts.rejected = Number(h.rejected ?? 0);
      const state = stateOf(h);
      const history = parseSendHistory(h.history);
      const stateChangedAt = Number(h.stateChangedAt ?? history.at(-1)?.at ?? h.createdAt ?? 0);
      const recorded = Number(h.recipients ?? 0);
      // A campaign's total is written when its enqueue ends; until then its chunks' counts say what Redis holds of it.
      const soFar = !h.enqueuedAt && recorded === 0;
      return {
        send: {
          sendId: h.sendId,
          kind: h.kind as MessageKind,
          api: h.api as SendRecord['api'],
          templateCode: h.templateCode ?? '',
          signName: h.signName ?? '',
          smsUpExtendCode: packed === undefined ? h.smsUpExtendCode : compactValue(read, COMPACT_EXTEND_CODE_FIELD),
          name: h.name,
          idempotencyKey: h.idempotencyKey,
          callbackUrl: h.callbackUrl,
          deadline: h.deadline ? Number(h.deadline) : undefined,
          recipients: soFar ? writtenOf(counts) : recorded,
          ...(soFar ? { recipientsSoFar: true } : {}),
          rejected: unrecorded(h, 'rejected'),
          duplicates: unrecorded(h, 'duplicates'),
          chunks: Number(h.chunks ?? 0),
          createdAt: Number(h.createdAt ?? 0),
          state,
          stateChangedAt,
          history: history.length ? history : [{ state, at: stateChangedAt }],
          enqueuedAt: h.enqueuedAt ? Number(h.enqueuedAt) : undefined,
          code: h.code,
          reason: h.reason,
          control: controlOf(state),
          controlReason: h.controlReason,
        },
        counts,
      };
    },

    async setControl(sendId, trigger, reason, onlyIfReason = '') {
      declaredRule(SEND_LIFECYCLE, trigger);
      const moved = (await scripts.setControl(
        keys.send(sendId),
        keys.events(),
        keys.withdrawnSends(),
        keys.withdrawals(),
        keys.pausedSends(),
        trigger,
        reason,
        clock.now(),
        eventsMaxLen,
        onlyIfReason,
        withdrawalOutcome(trigger, reason, onlyIfReason) ?? '',
        WITHDRAWN_INDEX_KEEP,
      )) as [string, string] | null;
      return moved ? { from: moved[0] as SendState, to: moved[1] as SendState } : undefined;
    },
  };
}

/** The codes of an enqueue ended at the chunks written, its producer gone (send-cancel.ts). */
const ENDED_SHORT_CODES = ['SMSQ_ENQUEUE_CUT_SHORT', 'SMSQ_ENQUEUE_ABANDONED'] as const;
export type EndedShortCode = (typeof ENDED_SHORT_CODES)[number];

/**
 * A total of the record, or null where an enqueue ended at the chunks written had none recorded
 * (mark-enqueued-3.lua drops the campaign's placeholder 0s then): its producer died first.
 */
function unrecorded(h: Record<string, string>, field: 'rejected' | 'duplicates'): number | null {
  if (h[field] === undefined && (ENDED_SHORT_CODES as readonly string[]).includes(h.code ?? '')) return null;
  return Number(h[field] ?? 0);
}

/** Recipients in chunks written (every chunk state; opted-out numbers are not in chunks). */
function writtenOf(counts: SendStatus['counts']): number {
  return COUNTED_STATES.reduce((sum, state) => (state === 'suppressed' ? sum : sum + counts[state]), 0);
}

/**
 * The state of a record. One written before sends had these states kept the operator's control
 * apart (`control` paused or cancelled on an active send): read as the state it stands for.
 */
function stateOf(h: Record<string, string>): SendState {
  const state = (SEND_STATES as readonly string[]).includes(h.state ?? '') ? (h.state as SendState) : 'active';
  if (state === 'active' && (h.control === 'paused' || h.control === 'cancelled')) return h.control;
  return state;
}
