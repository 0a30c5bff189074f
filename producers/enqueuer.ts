import { longestRetention, type Retention } from '../src/queue/retention.js';
import type { Queue } from 'bullmq';
import { systemClock, type Clock } from '../src/clock.js';
import type { RedisConnection } from '../src/queue/connection.js';
import type { ChunkPayload } from '../src/queue/chunk-payload.js';
import { chunkIdOf, type ChunkStore, type ListRead } from '../src/queue/chunk-store.js';
import { JOB, jobIds, type SendJobData } from '../src/queue/job-schemas.js';
import { PRIORITY, type MessageKind } from '../src/queue/kinds.js';
import type { Keys } from '../src/queue/keys.js';
import { luaScript } from '../src/queue/lua.js';
import { encodeReceipt } from '../src/receipts/recipient-store.js';
import type { SendRecord, SendStore } from '../src/queue/send-store.js';
import { createSentNumbers } from '../src/receipts/sent-numbers.js';
import type { RejectedNumber } from './plan.js';

export interface EnqueuerDeps {
  keys: Keys;
  redis: RedisConnection;
  /** On `redis` itself (BullMQ uses a connection it is given): jobs then follow records in order. */
  queue: Queue;
  chunks: ChunkStore;
  sends: SendStore;
  /** Lifetime of each kind's send, chunk and recipient records (src/queue/retention.ts). */
  retention: Retention;
  /** Dates the log of sent numbers. Default the system clock. */
  clock?: Clock;
}

/**
 * Writes a send's records and jobs. Every step is idempotent for a given send id (chunk ids are
 * `sendId.index`, job ids are derived from chunk ids), so an enqueue interrupted half-way can be
 * run again with the same send id and the same chunks without sending anything twice.
 */
export interface Enqueuer {
  createSend(record: SendRecord): Promise<void>;
  /**
   * Writes chunks `firstIndex..` and their jobs; chunk records before jobs, so no job is orphaned.
   * `listRead`: how far a campaign under an idempotency key had read its list, kept with them.
   */
  addChunks(sendId: string, kind: MessageKind, firstIndex: number, payloads: readonly ChunkPayload[], listRead?: ListRead): Promise<void>;
  /**
   * `addChunks` in two steps, for a caller that sends the chunk records together with other writes
   * of the same send: the jobs of chunks `firstIndex..firstIndex + count - 1` may be added once
   * `writeChunks` of those chunks has resolved, or called right after it (the queue shares the
   * records' connection, and Redis runs one connection's commands in the order they were sent).
   */
  writeChunks(sendId: string, kind: MessageKind, firstIndex: number, payloads: readonly ChunkPayload[], listRead?: ListRead): Promise<void>;
  addJobs(sendId: string, kind: MessageKind, firstIndex: number, count: number): Promise<void>;
  finish(sendId: string, totals?: Partial<Pick<SendRecord, 'recipients' | 'rejected' | 'duplicates' | 'chunks' | 'api'>>): Promise<void>;
  /** Records opted-out numbers as `suppressed` recipients of the send (idempotent). */
  recordSuppressed(sendId: string, kind: MessageKind, phones: readonly string[]): Promise<void>;
  /**
   * Lists numbers refused at the door as `rejected` recipients (for `status --recipients`). Their
   * count is in the send record already, so the counts do not move.
   */
  recordRejected(sendId: string, kind: MessageKind, rejected: readonly Pick<RejectedNumber, 'input' | 'code'>[]): Promise<void>;
}

/** The stored receipts of numbers refused at the door and of opted-out numbers (constant). */
const REJECTED_AT_DOOR = {
  SMSQ_INVALID_NUMBER: encodeReceipt({ state: 'rejected', code: 'SMSQ_INVALID_NUMBER', receivedAt: undefined, source: 'door' }),
  SMSQ_INVALID_RECIPIENT: encodeReceipt({ state: 'rejected', code: 'SMSQ_INVALID_RECIPIENT', receivedAt: undefined, source: 'door' }),
} as const;
const OPTED_OUT = encodeReceipt({ state: 'suppressed', code: 'SMSQ_OPTED_OUT', receivedAt: undefined, source: 'suppression' });

export function createEnqueuer({ keys, redis, queue, chunks, sends, retention, clock = systemClock }: EnqueuerDeps): Enqueuer {
  if ((queue.opts.connection as unknown) !== redis) throw new Error('createEnqueuer: the queue must be on the records\' connection (jobs must follow their records in order)');
  const recordSuppressed = luaScript(redis, 'record-suppressed-3');
  // Opt-outs are believed from numbers sent to within the longest retention of any kind.
  const sentNumbers = createSentNumbers({ redis, keys, retentionSeconds: longestRetention(retention), clock });
  return {
    async recordRejected(sendId, kind, rejected) {
      if (rejected.length === 0) return;
      const key = keys.recipients(sendId);
      const p = redis.pipeline();
      for (const r of rejected) p.hsetnx(key, r.input.slice(0, 64), REJECTED_AT_DOOR[r.code ?? 'SMSQ_INVALID_NUMBER']);
      p.expire(key, retention[kind]);
      await execOrThrow(p.exec());
    },
    async recordSuppressed(sendId, kind, phones) {
      if (phones.length === 0) return;
      await recordSuppressed(keys.recipients(sendId), keys.sendCounts(sendId), keys.recipientTotals(), retention[kind], OPTED_OUT, ...phones);
    },

    async createSend(record) {
      await sends.create(record, retention[record.kind]);
    },

    async addChunks(sendId, kind, firstIndex, payloads, listRead) {
      await this.writeChunks(sendId, kind, firstIndex, payloads, listRead);
      await this.addJobs(sendId, kind, firstIndex, payloads.length);
    },

    async writeChunks(sendId, kind, firstIndex, payloads, listRead) {
      if (payloads.length === 0) return;
      // The numbers are remembered with their chunks, so that an SmsUp reply from one of them is believed.
      await Promise.all([
        chunks.create(
          payloads.map((payload, i) => ({ sendId, index: String(firstIndex + i), kind, payload })),
          retention[kind],
          listRead,
        ),
        sentNumbers.record(payloads.map((p) => p.phones)),
      ]);
    },

    async addJobs(sendId, kind, firstIndex, count) {
      if (count === 0) return;
      await queue.addBulk(
        Array.from({ length: count }, (_, i) => {
          const chunkId = chunkIdOf(sendId, String(firstIndex + i));
          const data: SendJobData = { sendId, chunkId };
          return { name: JOB.send, data, opts: { jobId: jobIds.send(chunkId, 1), priority: PRIORITY[kind] } };
        }),
      );
    },

    async finish(sendId, totals) {
      await sends.markEnqueued(sendId, totals);
    },
  };
}

async function execOrThrow(result: Promise<[Error | null, unknown][] | null>): Promise<void> {
  const rows = await result;
  const failed = rows?.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}

/** An enqueuer that writes nothing and counts the calls it would plan (dry runs, confirmations). */
export function createCountingEnqueuer(): Enqueuer & { calls: Record<ChunkPayload['api'], number> } {
  const calls: Record<ChunkPayload['api'], number> = { SendSms: 0, SendBatchSms: 0 };
  return {
    calls,
    async createSend() {},
    async addChunks(sendId, kind, first, payloads) {
      await this.writeChunks(sendId, kind, first, payloads);
    },
    async writeChunks(_sendId, _kind, _first, payloads) {
      for (const p of payloads) calls[p.api]++;
    },
    async addJobs() {},
    async finish() {},
    async recordSuppressed() {},
    async recordRejected() {},
  };
}
