/**
 * A campaign cut off by Redis, as `smsq server` answers an API client (503): the fix names the
 * routes the client calls (`GET /v1/sends/ID/recipients`), not the `smsq` command or the server's
 * environment variable an operator has (they are in the server's log, which says them as before).
 */
import { describe, expect, it } from 'vitest';
import { RedisUnavailableError, RedisWritesRefusedError, type CutOffCampaign } from '../../src/errors.js';
import { toHttpError } from '../../server/errors.js';

const LIMITS = { bodyLimit: 1_000_000, csvBodyLimit: 1_000_000 };
const cutOffs: [string, CutOffCampaign][] = [
  ['without a key', { sendId: 'smx1', written: 100 }],
  ['with a key', { sendId: 'smx1', written: 100, idempotencyKey: 'spring-1' }],
  ['being stopped', { sendId: 'smx1', written: 100, stopping: 'SIGINT' }],
];

describe('a campaign cut off by Redis, answered to an API client', () => {
  it.each(cutOffs)('%s: names the routes, not the CLI nor the server\'s environment', (_, campaign) => {
    const errors = [new RedisUnavailableError('redis://127.0.0.1:6379', 'no answer within 500 ms', undefined, true, false, campaign), new RedisWritesRefusedError('redis://127.0.0.1:6379', { kind: 'OOM', shownBy: 'OOM command not allowed' }, 'nothing was enqueued', undefined, campaign)];
    for (const err of errors) {
      const http = toHttpError(err, LIMITS, 'req-1');
      expect(http.statusCode).toBe(503);
      expect(http.message).not.toMatch(/smsq (status|campaign)|SMSQ_REPAIR_ENQUEUE_GRACE_MS|producer\./);
      expect(http.message).toMatch(campaign.idempotencyKey === undefined && campaign.stopping === undefined ? /GET \/v1\/sends\/smx1\/recipients/ : /smx1/);
      if (campaign.stopping !== undefined) expect(http.message).toContain('POST /v1/sends/smx1/cancel');
      // The operator's own words stay in the message the server logs.
      expect(err.message).toContain('`repair.enqueueGraceMs`');
    }
  });
});
