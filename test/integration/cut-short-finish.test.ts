/**
 * A send cancelled after its producer wrote its last chunk but before the producer ended its
 * enqueue: the cancel, finding the enqueue not ended, ends it at the chunks written with
 * SMSQ_ENQUEUE_CUT_SHORT ("the rest of its list was never enqueued"). Then the producer ends it,
 * having written its whole list (no chunk is taken after the cancel). A plain send's producer ends
 * it with no totals, and the code stayed: status said "cut short" and the same idempotency key
 * was refused SMSQ_IDEMPOTENCY_KEY_CUT_SHORT, though nothing was cut. Real Redis, the stores' scripts.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { createChunkStore } from '../../src/queue/chunk-store.js';
import { createKeys } from '../../src/queue/keys.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { endCutShortEnqueue } from '../../src/queue/send-cancel.js';
import { createHarness } from '../support/pipeline.js';

const CODE = { signName: 'smsq', templateCode: 'SMS_900000001', templateParam: { code: '4821' } };

describe('a producer ending its enqueue after a cancel had ended it at what was written', () => {
  it('clears the cut-short code when it ends with no totals (a plain send): it wrote its whole list', async () => {
    const h = await createHarness({ label: 'cut-short-finish' });
    try {
      const keys = createKeys(h.prefix);
      const sends = createSendStore({ redis: h.redis, keys });
      const chunks = createChunkStore({ redis: h.redis, keys, clock: systemClock });
      const sendId = 'scutshortfinish1';
      await sends.create({ sendId, kind: 'verification', api: 'SendSms', signName: CODE.signName, templateCode: CODE.templateCode, recipients: 1, rejected: 0, duplicates: 0, chunks: 1, createdAt: Date.now() }, 3600);
      await chunks.create([{ sendId, index: '0', kind: 'verification', payload: { api: 'SendSms', phones: ['13800000021'], ...CODE } }], 3600);
      // The cancel's move, then its end of the enqueue at what Redis holds.
      await h.redis.hset(keys.send(sendId), 'state', 'cancelled');
      await endCutShortEnqueue({ redis: h.redis, keys, chunks, sends }, sendId);
      expect(await h.redis.hget(keys.send(sendId), 'code')).toBe('SMSQ_ENQUEUE_CUT_SHORT');

      // The producer's own end, as producer.ts ends a plain send: no totals.
      await sends.markEnqueued(sendId);
      expect(await h.redis.hmget(keys.send(sendId), 'code', 'reason')).toEqual([null, null]);
    } finally {
      await h.close();
    }
  });
});
