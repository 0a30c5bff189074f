import type { Enqueuer } from './enqueuer.js';

/**
 * An enqueuer whose every write first calls `check`, which throws once the writes can no longer
 * go where the first ones went (the producer's connection was lost since: producer.ts campaign).
 * The check runs right before each write is handed to the connection, with no wait between them,
 * so no reconnect can come in between.
 *
 * Why: a campaign streams its list for minutes, and a connection lost meanwhile comes back to
 * whatever server is the primary by then. After a failover to a replica that lagged, that server
 * lacks the send's record, its idempotency key and its last chunks, and a campaign that went on
 * writing put the rest of its chunks there, a send no record names: workers sent them, and the
 * retry under the same key (which the final refusal advised) enqueued the whole list again as a
 * new send (test/integration/campaign-failover.test.ts: 3,000 of 6,000 recipients sent twice).
 */
export function enqueuerOnOneConnection(enqueuer: Enqueuer, check: () => void): Enqueuer {
  const guarded: Enqueuer = {
    async createSend(record) {
      check();
      await enqueuer.createSend(record);
    },
    async addChunks(sendId, kind, firstIndex, payloads, listRead) {
      // Each step checked: a reconnect between the chunks and their jobs must stop the jobs too.
      await guarded.writeChunks(sendId, kind, firstIndex, payloads, listRead);
      await guarded.addJobs(sendId, kind, firstIndex, payloads.length);
    },
    async writeChunks(sendId, kind, firstIndex, payloads, listRead) {
      check();
      await enqueuer.writeChunks(sendId, kind, firstIndex, payloads, listRead);
    },
    async addJobs(sendId, kind, firstIndex, count) {
      check();
      await enqueuer.addJobs(sendId, kind, firstIndex, count);
    },
    async finish(sendId, totals) {
      check();
      await enqueuer.finish(sendId, totals);
    },
    async recordSuppressed(sendId, kind, phones) {
      check();
      await enqueuer.recordSuppressed(sendId, kind, phones);
    },
    async recordRejected(sendId, kind, rejected) {
      check();
      await enqueuer.recordRejected(sendId, kind, rejected);
    },
  };
  return guarded;
}
