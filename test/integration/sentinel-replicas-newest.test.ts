/**
 * The check's questions to the sentinels (src/durability/sentinel-replicas.ts: the promotion order
 * a failover would follow, and CKQUORUM) when the first sentinel REDIS_URL lists missed a failover
 * the others made: it still describes the old primary X, its replicas and its quorum.
 *
 * X has two replicas: Xr, preferred (`replica-priority 10`), and Xb (100). With
 * SMSQ_DURABILITY_REPLICAS=all on X the count is 2 and every confirmation includes Xr: the check
 * passes. Then the sentinels are split as a partition through a failover would split them
 * (test/support/sentinel-failover.ts failOverApart: s2 and s3 fail another primary Y over to Y2 at
 * a raised epoch; s1, first in REDIS_URL, keeps X at epoch 0, knowing no other sentinel), and Xr,
 * gone with the majority's side, is killed. The count finds the newest epoch naming Y2 and moves
 * the connection there, where one replica (Y) is attached and counted.
 *
 * The check asked the sentinels one after another and took the first answer: s1's, X's replicas.
 * Judged against Y2's count of 1, Xb alone "may answer without the one they would promote" (Xr,
 * priority 10), and every send on Y2 was refused (SMSQ_REDIS_NOT_DURABLE, naming X's replicas) for
 * as long as s1 stayed cut off, though Y2's own sentinels list Y alone. Its CKQUORUM, from s1
 * knowing no other sentinel, said the deployment could not fail over, when s2 and s3 just had.
 */
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { checkRedisDurability } from '../../src/durability/check.js';
import { askSentinels } from '../../src/durability/sentinel-replicas.js';
import type { DurabilityOptions } from '../../src/durability/mode.js';
import { createLogger } from '../../src/logger.js';
import { sendNotification, withProducerOn } from '../support/producer-session.js';
import { createProducerConnection } from '../support/redis.js';
import type { RedisNode } from '../support/redis-topology.js';
import { failOverApart, namedBy, onNode, sendUntilAcknowledged, sentinelView, withDeployments } from '../support/sentinel-failover.js';
import { waitFor } from '../support/wait.js';

const PREFIX = '{replicas-newest}';
const ALL: DurabilityOptions = { mode: 'fsync+replicas', replicas: 'all', timeoutMs: 1000 };
const TIMINGS = { downAfterMs: 2000, failoverTimeoutMs: 5000 };

/** The `replica-priority` s1 lists for each replica port of X. */
const prioritiesListed = (masterName: string, sentinel: RedisNode) =>
  onNode(sentinel, async (c) => {
    const entries = (await c.call('SENTINEL', 'REPLICAS', masterName)) as string[][];
    return Object.fromEntries(
      entries.map((flat) => {
        const fields = new Map<string, string>();
        for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
        return [fields.get('port'), fields.get('slave-priority') ?? fields.get('replica-priority')];
      }),
    );
  });

describe('the check asks a sentinel of the newest configuration, not the first listed', () => {
  it('after a failover the first sentinel missed: sends are acknowledged on the promoted primary, and no lost quorum is said', () =>
    withDeployments(TIMINGS, async (d, other) => {
      const s1 = d.sentinels[0] as RedisNode;
      const xr = d.replica;
      await onNode(xr, (c) => c.config('SET', 'replica-priority', '10'));
      const xb = await d.addReplica();
      const redis = createProducerConnection(d.url, ALL) as Redis;
      await withProducerOn(redis, { prefix: PREFIX, durability: ALL }, async (producer) => {
        await sendNotification(producer, '13770000000');
        expect(redis.stream?.remotePort).toBe(d.primary.port);

        await failOverApart(d, other, 2, TIMINGS);
        await waitFor(async () => (await prioritiesListed(d.masterName, s1))[String(xr.port)] === '10', "s1 to list Xr's priority", 15_000, 100);
        expect(await prioritiesListed(d.masterName, s1)).toEqual({ [String(xr.port)]: '10', [String(xb.port)]: '100' });

        await xr.kill();
        const y2 = other.replica;
        const killedAt = Date.now();
        const { refusals, acknowledgedAt } = await sendUntilAcknowledged(producer, 13770000001, 'a send acknowledged on the promoted primary', 20_000, async (refused) =>
          `${refused.length} sends refused (${[...new Set(refused)].join(' | ')}); the sentinels name ${(await namedBy(d)).join(', ')} (X ${d.primary.port}, Y2 ${y2.port}); the link is on ${redis.stream?.remotePort}`,
        );
        console.log(`replicas-newest: acknowledged ${acknowledgedAt - killedAt} ms after Xr was killed, ${refusals.length} refused before (${[...new Set(refusals)].join(' | ')})`);
        expect(redis.stream?.remotePort).toBe(y2.port);
        // s1 still missed the failover: the split held throughout.
        expect((await sentinelView(d, s1)).epoch).toBe('0');

        // What the check now asks: Y2's replica, and the quorum of the sentinels that just failed over.
        const facts = await askSentinels(redis, true);
        expect(facts?.promotion && 'replicas' in facts.promotion ? facts.promotion.replicas.map((r) => r.address) : facts).toEqual([`127.0.0.1:${other.primary.port}`]);
        expect(facts?.quorum).toBeUndefined();
        const lines: string[] = [];
        const logger = createLogger({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
        await checkRedisDurability(redis, ALL, logger);
        expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg).filter((m) => /cannot fail over/.test(m))).toEqual([]);
      });
    }), 120_000);
});
