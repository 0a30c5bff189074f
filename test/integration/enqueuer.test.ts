/**
 * The enqueuer sends a send's first jobs right behind its records, relying on Redis running one
 * connection's commands in order: it refuses a queue on another connection.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEnqueuer } from '../../producers/enqueuer.js';
import { createCallsQueue } from '../../src/queue/calls-queue.js';
import { systemClock } from '../../src/clock.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { uniformRetention } from '../../src/queue/retention.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { createTestConnection, deleteKeys, uniquePrefix } from '../support/redis.js';

const redis = createTestConnection();
const other = createTestConnection();
const prefix = uniquePrefix('enqueuer');
const keys = createKeys(prefix);
const ownQueue = createCallsQueue({ connection: redis, prefix });
const otherQueue = createCallsQueue({ connection: other, prefix });
afterAll(async () => {
  await Promise.all([ownQueue.close(), otherQueue.close()]);
  await deleteKeys(redis, prefix);
  redis.disconnect();
  other.disconnect();
});

describe('enqueuer', () => {
  it("takes a queue on the records' connection and refuses one on another", () => {
    const deps = { keys, redis, chunks: createChunkStore({ redis, keys, clock: systemClock }), sends: createSendStore({ redis, keys }), retention: uniformRetention(3600) };
    expect(() => createEnqueuer({ ...deps, queue: ownQueue })).not.toThrow();
    expect(() => createEnqueuer({ ...deps, queue: otherQueue })).toThrow(/the queue must be on the records' connection/);
  });
});
