import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { RedisConnection } from '../src/queue/connection.js';
import { IdempotencyInProgressError, IdempotencyKeyReusedError } from '../src/errors.js';
import type { Keys } from '../src/queue/keys.js';
import { luaScript } from '../src/queue/lua.js';
import { differingFields, type RequestFingerprint } from './request-fingerprint.js';
import type { RejectedNumber } from './plan.js';
import type { CampaignResult } from './campaign.js';

/**
 * An Idempotency-Key stands for one request: the first request's send id and the fingerprint of
 * its body are stored under the key. The same key with another fingerprint is refused
 * ({@link IdempotencyKeyReusedError}); the same key and body while the first request is still
 * enqueuing waits for it (bounded), then answers its send, or {@link IdempotencyInProgressError}.
 *
 * Whoever enqueues holds a lease (a key with a short expiry, renewed while it works). A request
 * whose twin died half-way finds the lease gone, takes it over and completes the same send (every
 * enqueue step is idempotent for a send id), so a retry after a crash still ends in one whole send.
 *
 * Once the enqueue has ended, the key is marked so, with the answer its request was given: the
 * key alone then proves the send was made. Its send's records may be gone before the key is (a
 * verification code's live 4 days, a key up to a year): asking the send whether it was enqueued
 * would then say no, and the retry would enqueue it again.
 */
export interface IdempotencyOptions {
  redis: RedisConnection;
  keys: Keys;
  /** How long a key returns its first send id. */
  ttlSeconds: number;
  /** Lease of the caller that enqueues; renewed every third of it. Default 15000 ms. */
  leaseMs?: number;
  /** How long a twin waits for the first request to finish before answering 409. Default 10000 ms. */
  waitMs?: number;
  /** How often a waiting twin looks again. Default 50 ms. */
  pollMs?: number;
}

/** The caller enqueues the send (new, or taking over a half-made one) and must `release` after. */
export interface OwnedKey {
  role: 'owner';
  sendId: string;
  /** True when an earlier request with this key reserved the send id (it died half-way). */
  takenOver: boolean;
  release(): Promise<void>;
}

/** The key's request is enqueued already: answer its send, enqueue nothing. */
export interface DoneKey {
  role: 'done';
  sendId: string;
  /** The answer its request was given, as {@link Idempotency.markDone} kept it; undefined for a key marked by no version that kept one. */
  answer?: KeptAnswer;
}

/** What a request under a key was answered, kept with the key once its enqueue ended (a campaign's rejected rows are kept with its list). */
export type KeptAnswer = CampaignResult & { apiCalls: number };

export interface Idempotency {
  /**
   * Claims `key` for a request with `fingerprint`, offering `freshSendId`. `isEnqueued` tells
   * whether a send id's enqueue has finished.
   */
  claim(key: string, fingerprint: RequestFingerprint, freshSendId: string, isEnqueued: (sendId: string) => Promise<boolean>): Promise<OwnedKey | DoneKey>;
  /**
   * Marks `key`'s send `sendId` as enqueued in full, keeping `answer`: from then on the key answers
   * its send without asking the send's records, which may expire before the key does.
   */
  markDone(key: string, sendId: string, answer: KeptAnswer): Promise<void>;
  /**
   * `key`'s send when the key stands for a request with `fingerprint` whose enqueue ended (its
   * mark), else undefined. Reads only: a retry is answered by it before anything that depends on
   * the time or on Redis's state (a deadline now past, numbers opted out since) could refuse it.
   */
  ended(key: string, fingerprint: RequestFingerprint): Promise<DoneKey | undefined>;
  /**
   * Marks `key`'s send as cut short (a campaign whose list stopped reading, or was stopped): it
   * holds only part of the request, so the key no longer answers a retry with it. `how` says how.
   */
  markCutShort(key: string, sendId: string, how: string): Promise<void>;
  /** How `key`'s send `sendId` was cut short, or undefined when it was not. */
  cutShort(key: string, sendId: string): Promise<string | undefined>;
  /** Takes the mark off: a retry that took the send over has enqueued the whole request into it. */
  clearCutShort(key: string): Promise<void>;
  /**
   * Keeps with `key` what its campaign read, once the whole list is in its send: the list's digest
   * (list-digest.ts), and the rejected rows its answer listed, for a repeat to answer the same.
   */
  recordList(key: string, sendId: string, list: CampaignList): Promise<void>;
  /** What {@link recordList} kept for `key`'s send `sendId`; undefined when nothing was (a key of a version before it). */
  listOf(key: string, sendId: string): Promise<CampaignList | undefined>;
}

/** A campaign's list as its idempotency key keeps it. */
export interface CampaignList {
  /** SHA-256 (hex) of its rows (list-digest.ts). */
  digest: string;
  /** How many rows it had; undefined when kept by a version before it was kept. */
  rows?: number;
  /** The rejected rows its answer listed (at most MAX_REJECTED_LISTED), reasons and lines included. */
  rejected: RejectedNumber[];
}

export function createIdempotency(options: IdempotencyOptions): Idempotency {
  const leaseMs = options.leaseMs ?? 15_000;
  const waitMs = options.waitMs ?? 10_000;
  const pollMs = options.pollMs ?? 50;
  const claimScript = luaScript(options.redis, 'claim-idempotency-key-4');
  const renewScript = luaScript(options.redis, 'renew-idempotency-lease-3');

  function hold(key: string, token: string, sendId: string, takenOver: boolean): OwnedKey {
    const lease = leaseKeysOf(key);
    // Renewed while this process enqueues (a campaign may take minutes); a dead process stops
    // renewing, and its twin takes over once the lease expires. Each renewal keeps the key's
    // record as long: a record that ran out under a live enqueue (a TTL shorter than a campaign's
    // read) let a twin claim the key as new, and two sends went out.
    const timer = setInterval(() => void renewScript(...lease, token, leaseMs).catch(() => undefined), Math.max(1, Math.floor(leaseMs / 3)));
    timer.unref();
    return {
      role: 'owner',
      sendId,
      takenOver,
      async release() {
        clearInterval(timer);
        await renewScript(...lease, token, '');
      },
    };
  }

  // The send id and how, on two lines: a mark left by an earlier key's send (the key expired and was claimed anew) is not this send's.
  const cutKey = (key: string) => `${options.keys.idempotency(key)}:cut`;
  // A hash: `send` (whose list it is, as for the cut mark), `rows` (the digest), `count` (how many rows), `rejected`
  // (gzipped JSON: up to 1000 rows whose reasons repeat; 1,000 rows, 143 KB of JSON, keep in 5.8 KB).
  const listKey = (key: string) => `${options.keys.idempotency(key)}:list`;
  // A hash: `send` (the send id whose enqueue ended, as for the cut mark), `answer` (gzipped JSON of its request's answer).
  const doneKey = (key: string) => options.keys.idempotencyDone(key);
  /** The lease, the key's record and its fields' digests: what a renewal keeps alive together (renew-idempotency-lease-3.lua). */
  const leaseKeysOf = (key: string) => [`${options.keys.idempotency(key)}:lease`, options.keys.idempotency(key), `${options.keys.idempotency(key)}:fields`] as const;
  /** The answer a mark keeps when it is `sendId`'s (a mark left by an earlier send under the key is not). */
  const answerIn = ([send, answer]: (Buffer | null)[], sendId: string): KeptAnswer | undefined =>
    send?.toString() === sendId && answer ? (JSON.parse(gunzipSync(answer).toString()) as KeptAnswer) : undefined;
  const keptAnswer = async (key: string, sendId: string) => answerIn(await options.redis.hmgetBuffer(doneKey(key), 'send', 'answer'), sendId);
  return {
    async ended(key, fingerprint) {
      const [leaseKey, recordKey] = leaseKeysOf(key);
      // One read of all three: a holder that claimed and marked its send between separate reads would pass for one that let go.
      const replies = await options.redis.multi().exists(leaseKey).get(recordKey).hmgetBuffer(doneKey(key), 'send', 'answer').exec();
      const failed = replies?.find(([err]) => err)?.[0];
      if (failed || !replies) throw failed ?? new Error('the read of an idempotency key was discarded');
      const [held, record, mark] = replies.map(([, value]) => value) as [number, string | null, (Buffer | null)[]];
      // Held: its request is still confirming that its enqueue is durable (it lets go only after),
      // and this caller's confirmation would cover none of its writes: the claim waits for it.
      if (held) return undefined;
      const space = record?.indexOf(' ') ?? -1;
      // A record from before fingerprints matches any body (claim-idempotency-key-4.lua); another body is the claim's to refuse.
      if (!record || (space >= 0 && record.slice(space + 1) !== fingerprint.digest)) return undefined;
      const sendId = space >= 0 ? record.slice(0, space) : record;
      const answer = answerIn(mark, sendId);
      return answer && { role: 'done', sendId, answer };
    },
    async markDone(key, sendId, answer) {
      const fields = { send: sendId, answer: gzipSync(JSON.stringify(answer)) };
      const [, record, digests] = leaseKeysOf(key);
      // The key's lifetime counts from here, its enqueue's end: a campaign read for longer than it held the key as long.
      // Its list too (recordList set its TTL before the enqueue): a mark outliving it answered any list as a duplicate.
      const replies = await options.redis
        .multi()
        .del(doneKey(key))
        .hset(doneKey(key), fields)
        .expire(doneKey(key), options.ttlSeconds)
        .expire(record, options.ttlSeconds)
        .expire(digests, options.ttlSeconds)
        .expire(listKey(key), options.ttlSeconds)
        .exec();
      const failed = replies?.find(([err]) => err)?.[0];
      if (failed) throw failed;
    },
    async recordList(key, sendId, list) {
      const fields: Record<string, string | Buffer> = { send: sendId, rows: list.digest };
      if (list.rows !== undefined) fields.count = String(list.rows);
      if (list.rejected.length > 0) fields.rejected = gzipSync(JSON.stringify(list.rejected));
      const replies = await options.redis.multi().del(listKey(key)).hset(listKey(key), fields).expire(listKey(key), options.ttlSeconds).exec();
      const failed = replies?.find(([err]) => err)?.[0];
      if (failed) throw failed;
    },
    async listOf(key, sendId) {
      const [send, rows, rejected, count] = await options.redis.hmgetBuffer(listKey(key), 'send', 'rows', 'rejected', 'count');
      if (send?.toString() !== sendId || !rows) return undefined;
      return {
        digest: rows.toString(),
        rejected: rejected ? (JSON.parse(gunzipSync(rejected).toString()) as RejectedNumber[]) : [],
        ...(count ? { rows: Number(count.toString()) } : {}),
      };
    },
    async markCutShort(key, sendId, how) {
      await options.redis.set(cutKey(key), `${sendId}\n${how}`, 'EX', options.ttlSeconds);
    },
    async cutShort(key, sendId) {
      const mark = await options.redis.get(cutKey(key));
      const at = mark?.indexOf('\n') ?? -1;
      return mark && at > 0 && mark.slice(0, at) === sendId ? mark.slice(at + 1) : undefined;
    },
    async clearCutShort(key) {
      await options.redis.del(cutKey(key));
    },
    async claim(key, fingerprint, freshSendId, isEnqueued) {
      const [leaseKey, recordKey, fieldsKey] = leaseKeysOf(key);
      const token = randomBytes(12).toString('hex');
      // Monotonic time, not the producer's clock (a test's frozen clock must not make this endless),
      // and not a count of looks: each look is a round trip that a busy Redis or event loop stretches.
      const deadline = performance.now() + waitMs;
      for (;;) {
        const [outcome, found, firstFields] = (await claimScript(recordKey, leaseKey, fieldsKey, doneKey(key), freshSendId, fingerprint.digest, options.ttlSeconds, leaseMs, token, fingerprint.fields)) as [string, string | null, string | null];
        const sendId = found ?? '';
        if (outcome === 'new') return hold(key, token, sendId, false);
        if (outcome === 'done') return { role: 'done', sendId, answer: await keptAnswer(key, sendId) };
        if (outcome === 'mismatch') throw new IdempotencyKeyReusedError(key, firstFields ? differingFields(firstFields, fingerprint.fields) : undefined, fingerprint.defaultKind);
        // No mark: a key whose request died before its enqueue ended, or one marked by no version (asked of the send).
        if (outcome === 'lease') {
          if (!(await isEnqueued(sendId))) return hold(key, token, sendId, true);
          await renewScript(leaseKey, recordKey, fieldsKey, token, '');
          return { role: 'done', sendId };
        }
        // Busy: the first request is still enqueuing, or confirming that its enqueue is durable
        // (it lets go only after): its send is not an answer before then, even once enqueued.
        if (performance.now() + pollMs > deadline) {
          const holdLeftMs = await options.redis.pttl(leaseKey);
          throw new IdempotencyInProgressError(key, sendId, holdLeftMs > 0 ? holdLeftMs : undefined);
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
  };
}
