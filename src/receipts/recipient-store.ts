import type { RedisConnection } from '../queue/connection.js';
import type { Clock } from '../clock.js';
import { DEFAULT_EVENTS_MAXLEN } from '../queue/chunk-store.js';
import type { Keys } from '../queue/keys.js';
import { luaScript } from '../queue/lua.js';
import { sendChunkKeys } from '../queue/send-chunk-keys.js';
import { readCompactedChunk } from '../queue/send-store.js';

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
  /**
   * A pushed report whose own `report_time` was missing or could not be its receipt's (not a time,
   * or out of bounds: pushed-time.ts): `receivedAt` is when smsq received the push instead.
   */
  receivedAtFromPush?: boolean;
}

const STATE_CODE: Record<FinalRecipientState, string> = { delivered: 'd', failed: 'f', expired: 'e', suppressed: 's', rejected: 'x' };
const SOURCE_CODE: Record<RecipientReceipt['source'], string> = { query: 'q', report: 'r', window: 'w', suppression: 'u', door: 'i' };
const STATE_OF = Object.fromEntries(Object.entries(STATE_CODE).map(([k, v]) => [v, k])) as Record<string, FinalRecipientState>;
const SOURCE_OF = Object.fromEntries(Object.entries(SOURCE_CODE).map(([k, v]) => [v, k])) as Record<string, RecipientReceipt['source']>;
/**
 * The source letter of a report whose time is the push's ({@link RecipientReceipt.receivedAtFromPush}):
 * a letter, not a fifth field, because compaction packs receipts of exactly three separators
 * (compact-send.lua); a reader before it decodes it as a look-up's, the time as stored.
 */
const REPORT_AT_PUSH = 'p';

/** Longest carrier code kept (Alibaba's are a few characters: DELIVERED, MK:0001, UNDELIV). */
const MAX_CODE_LENGTH = 64;

/**
 * A carrier code as it may be stored, whoever gave it (a pushed report's err_code, a look-up's
 * ErrCode): a receipt is stored as `state|code|time|source`, and a compacted send as lines of
 * those (compact-send.lua), so a `|` or a line break in the code moved another field or made up
 * a recipient (a pushed "MK\n13869999999|d||1|r" listed 13869999999 as delivered). Those and the
 * other control characters become `_`; cut at {@link MAX_CODE_LENGTH} characters.
 */
export function storableCode(code: string): string {
  // eslint-disable-next-line no-control-regex
  return code.replace(/[|\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '_').slice(0, MAX_CODE_LENGTH);
}

/**
 * Compact value in the recipients hash: `<state letter>|<code>|<receivedAt in base-36
 * seconds>|<source letter>`, the code left out when it is `DELIVERED` on a delivered recipient.
 * Letters instead of words because a campaign keeps one entry per recipient for the retention
 * period (bytes per recipient: docs/benchmarks.md, "Figures behind the code").
 */
export function encodeReceipt(r: RecipientReceipt): string {
  const code = r.state === 'delivered' && r.code === 'DELIVERED' ? '' : storableCode(r.code);
  const at = r.receivedAt === undefined ? '' : Math.floor(r.receivedAt / 1000).toString(36);
  const source = r.source === 'report' && r.receivedAtFromPush ? REPORT_AT_PUSH : SOURCE_CODE[r.source];
  return `${STATE_CODE[r.state]}|${code}|${at}|${source}`;
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
    ...(src === REPORT_AT_PUSH ? { source: 'report' as const, receivedAtFromPush: true } : { source: SOURCE_OF[src ?? ''] ?? 'query' }),
  };
}

/**
 * Why a pushed receipt was set aside (counted, nothing else changed): the first four name one of
 * our chunks and do not match it; `unknown-out-id` names no send smsq holds (no OutId, another
 * system's, or one of a send that is gone); `malformed` is an item of the push that is no report
 * (a field missing or of another type: pushed-reports.ts), set aside while the rest apply.
 */
export const REFUSED_RECEIPT_REASONS = ['other-attempt', 'other-biz-id', 'not-recipient', 'out-of-bounds', 'unknown-out-id', 'malformed'] as const;
export type RefusedReceiptReason = (typeof REFUSED_RECEIPT_REASONS)[number];

export type ApplyResult =
  | { status: 'applied'; pending: number }
  | { status: 'duplicate'; existing: RecipientReceipt | undefined }
  | { status: 'not-accepted'; chunkState: string }
  | { status: 'refused'; reason: RefusedReceiptReason };

/** What a pushed report claims about the attempt it belongs to; checked against the chunk. */
export interface ReceiptOrigin {
  /** The OutId the report names: must be the chunk's current attempt. */
  outId: string;
  /** The BizId it names ('' when none): must be the chunk's, once the chunk knows its BizId. */
  bizId: string;
}

/** What ending a chunk's receipt window by chunk did (see {@link RecipientStore.expireByChunk}). */
export type ChunkExpiry =
  /**
   * `leftAccepted`: how many more recipients the chunk may still hold at most, beyond those
   * expired, whom the records cannot tell from another chunk's (receipts applied before chunks
   * tallied them): they stay `accepted`. 0: none.
   */
  | { status: 'expired'; expired: number; pending: number; leftAccepted: number }
  | { status: 'done'; expired: number }
  | { status: 'not-accepted'; chunkState: string };

export interface RecipientStoreOptions {
  redis: RedisConnection;
  keys: Keys;
  clock: Clock;
  retentionSeconds: number;
  eventsMaxLen?: number;
}

export interface RecipientStore {
  /** `origin`: check a pushed report against the chunk's attempt and BizId (omitted for our own look-ups). */
  apply(sendId: string, chunkId: string, phone: string, receipt: RecipientReceipt, origin?: ReceiptOrigin): Promise<ApplyResult>;
  /**
   * Ends the receipt window of an accepted chunk whose numbers cannot be read (its stored payload
   * altered): its recipients still without a final receipt become `expired` with `code`, counted
   * from the chunk's tally of receipts rather than by number, and never more than the send's
   * other chunks leave it (expire-chunk-receipts.lua), once (a second call answers `done`;
   * receipts that come later are duplicates). `reason` is recorded on the chunk.
   */
  expireByChunk(sendId: string, chunkId: string, code: string, reason: string): Promise<ChunkExpiry>;
  /** Receipts set aside so far, by reason (across every send). */
  refusedCounts(): Promise<Record<RefusedReceiptReason, number>>;
  /** Counts `n` receipts set aside for `reason` that no script looked at (a push's tally, one write). */
  countRefused(reason: RefusedReceiptReason, n: number): Promise<void>;
  /** Receipts of many recipients of one send (undefined where none is recorded). */
  getMany(sendId: string, phones: readonly string[]): Promise<(RecipientReceipt | undefined)[]>;
  /**
   * A receipt for a chunk that is no longer there because its send was compacted (send-store.ts
   * `compact`): checked as {@link apply} checks it, against what compaction kept of the chunk
   * (state, attempt's OutId, BizId, numbers), and answered as apply would have: every recipient
   * of a compacted send is final, so it is a duplicate, or refused (counted), or `not-accepted`.
   * Undefined when the send holds no compacted record of this chunk.
   */
  applyLate(sendId: string, chunkId: string, phone: string, origin?: ReceiptOrigin): Promise<ApplyResult | undefined>;
}

/** How many times expireByChunk reads a send's chunk keys before it gives up (a chunk splitting under each read). */
const EXPIRE_READS = 3;

export function createRecipientStore(options: RecipientStoreOptions): RecipientStore {
  const maxlen = options.eventsMaxLen ?? DEFAULT_EVENTS_MAXLEN;
  const applyScript = luaScript(options.redis, 'apply-receipt-6');
  const expireChunkScript = luaScript(options.redis, 'expire-chunk-receipts');
  const store: RecipientStore = {
    async apply(sendId, chunkId, phone, receipt, origin) {
      const res = (await applyScript(
        options.keys.recipients(sendId),
        options.keys.sendCounts(sendId),
        options.keys.chunk(chunkId),
        options.keys.events(),
        options.keys.recipientTotals(),
        options.keys.refusedReceipts(),
        phone,
        encodeReceipt(receipt),
        receipt.state,
        receipt.code,
        options.clock.now(),
        maxlen,
        options.retentionSeconds,
        origin?.outId ?? '',
        origin?.bizId ?? '',
      )) as [string, string];
      if (res[0] === 'applied') return { status: 'applied', pending: Number(res[1]) };
      if (res[0] === 'duplicate') return { status: 'duplicate', existing: decodeReceipt(res[1]) };
      if (res[0] === 'not-accepted' && res[1] === 'missing') {
        // The chunk was there when the caller read it and is gone now: its send may have been
        // compacted in between (a late report racing the send's end). Answered from what
        // compaction kept, as if the caller had found no chunk (report-ingest.ts).
        return (await store.applyLate(sendId, chunkId, phone, origin)) ?? { status: 'not-accepted', chunkState: 'missing' };
      }
      if (res[0] === 'not-accepted') return { status: 'not-accepted', chunkState: res[1] };
      return { status: 'refused', reason: res[0] as RefusedReceiptReason };
    },

    async expireByChunk(sendId, chunkId, code, reason) {
      let res: [string, string?, string?, string?];
      // Read again while a chunk split between the read of its keys and the script (it refuses then, changing nothing).
      for (let attempt = 1; ; attempt++) {
        // Every chunk of the send the script reads, named to it (KEYS), as Redis Cluster requires.
        const chunkKeys = await sendChunkKeys(options.redis, options.keys, sendId, Number.MAX_SAFE_INTEGER);
        res = (await expireChunkScript(
          5 + chunkKeys.length,
          options.keys.chunk(chunkId),
          options.keys.sendCounts(sendId),
          options.keys.events(),
          options.keys.recipientTotals(),
          options.keys.send(sendId),
          ...chunkKeys,
          options.clock.now(),
          maxlen,
          code,
          reason,
          // The send's chunks are read after it: `<prefix>:chunk:<sendId>.` and the index.
          options.keys.chunk(`${sendId}.`),
        )) as [string, string?, string?, string?];
        if (res[0] !== 'keys-changed' || attempt === EXPIRE_READS) break;
      }
      if (res[0] === 'keys-changed') throw new Error(`the chunks of send ${sendId} changed under each of ${EXPIRE_READS} reads`);
      if (res[0] === 'expired') return { status: 'expired', expired: Number(res[1]), pending: Number(res[2]), leftAccepted: Number(res[3]) };
      if (res[0] === 'done') return { status: 'done', expired: Number(res[1]) };
      return { status: 'not-accepted', chunkState: res[1] ?? 'missing' };
    },

    async refusedCounts() {
      const h = await options.redis.hgetall(options.keys.refusedReceipts());
      return Object.fromEntries(REFUSED_RECEIPT_REASONS.map((r) => [r, Number(h[r] ?? 0)])) as Record<RefusedReceiptReason, number>;
    },

    async countRefused(reason, n) {
      if (n > 0) await options.redis.hincrby(options.keys.refusedReceipts(), reason, n);
    },

    async applyLate(sendId, chunkId, phone, origin) {
      const chunk = await readCompactedChunk(options.redis, options.keys, sendId, chunkId);
      if (!chunk) return undefined;
      // null: not a recipient of this chunk.
      const receipt = chunk.recipients.find((r) => r.phone === phone)?.receipt ?? null;
      const refuse = async (reason: RefusedReceiptReason): Promise<ApplyResult> => {
        await store.countRefused(reason, 1);
        return { status: 'refused', reason };
      };
      if (origin && origin.outId !== '') {
        if (origin.outId !== chunk.wholeOutId) return refuse('other-attempt');
        if (chunk.bizId !== '' && origin.bizId !== chunk.bizId) return refuse('other-biz-id');
      }
      if (chunk.state !== 'accepted') return { status: 'not-accepted', chunkState: chunk.state };
      if (receipt === null) return refuse('not-recipient');
      return { status: 'duplicate', existing: decodeReceipt(receipt) };
    },

    async getMany(sendId, phones) {
      if (phones.length === 0) return [];
      const values = await options.redis.hmget(options.keys.recipients(sendId), ...phones);
      return values.map((v) => decodeReceipt(v));
    },
  };
  return store;
}
