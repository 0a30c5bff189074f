/**
 * Sentinel that can no longer fail over: two of the three sentinels (quorum 2) down, the primary
 * fine. Every write still goes through, so nothing showed that the next primary failure leaves
 * Redis down until someone brings it back. Real redis-server and redis-sentinel processes
 * (test/support/redis-topology.ts).
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { checkRedisDurability } from '../../src/durability/check.js';
import { createLogger } from '../../src/logger.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { startSentinelDeployment, type SentinelDeployment } from '../support/redis-topology.js';
import { waitFor } from '../support/wait.js';

describe('Sentinel quorum lost', () => {
  let deployment: SentinelDeployment;
  beforeAll(async () => {
    deployment = await startSentinelDeployment();
  }, 60_000);
  afterAll(async () => {
    await deployment?.stop();
  });

  // A sentinel whose host is down but does not refuse (connections time out) cost the check one
  // connect timeout for each question: the replicas' and then CKQUORUM, both asked from the first
  // sentinel on. CKQUORUM is asked of the sentinel that answered, on the same connection.
  it('asks CKQUORUM of the sentinel that answered the replicas question: a silent first sentinel is waited for once a check', async () => {
    const sockets = new Set<Socket>();
    let connections = 0;
    const silent = net.createServer((socket) => {
      connections += 1;
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const redis = createRedisConnection(deployment.url, { role: 'client', connectTimeoutMs: 500 }) as Redis;
    try {
      await waitFor(() => redis.status === 'ready', 'the connection through the sentinels');
      // Put ahead once the connection is up: the check reads the list the connection was made with.
      redis.options.sentinels!.unshift({ host: '127.0.0.1', port: (silent.address() as AddressInfo).port });
      const facts = await checkRedisDurability(redis, { mode: 'replicas', replicas: 1 }, logger, new Set());
      expect(facts.promotion && 'replicas' in facts.promotion ? facts.promotion.replicas : facts.promotion).toHaveLength(1);
      expect(connections, 'connections to the silent sentinel in one check').toBe(1);
      // Without the replicas' question (a mode without WAIT), CKQUORUM alone: still one.
      await checkRedisDurability(redis, { mode: 'none' }, logger, new Set());
      expect(connections).toBe(2);
      expect(lines.filter((l) => /CKQUORUM/.test(l))).toEqual([]);
    } finally {
      redis.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 30_000);

  it('the durability check warns once that the sentinels cannot fail over (SENTINEL CKQUORUM), naming the fix, and says nothing while they can', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const redis = createRedisConnection(deployment.url, { role: 'client' }) as Redis;
    try {
      await waitFor(() => redis.status === 'ready', 'the connection through the sentinels');
      const warned = new Set<string>();
      const durability = { mode: 'replicas' as const, replicas: 1 };
      await checkRedisDurability(redis, durability, logger, warned);
      expect(lines.filter((l) => /quorum|fail over/i.test(l))).toEqual([]);

      // The sentinel the connection asks first stays: the two others go.
      await deployment.sentinels[1]!.kill();
      await deployment.sentinels[2]!.kill();
      // A sentinel counts the others usable until it has not heard of them for down-after-milliseconds (1 s here).
      await waitFor(
        async () => {
          await checkRedisDurability(redis, durability, logger, warned);
          return lines.some((l) => /CKQUORUM/.test(l));
        },
        'a warning that the sentinels cannot fail over',
        15_000,
        500,
      );
      const said = lines.filter((l) => /CKQUORUM/.test(l));
      expect(said).toHaveLength(1);
      const line = JSON.parse(said[0]!) as { msg: string; fix: string; level: number };
      expect(line.level).toBe(40);
      expect(line.msg).toMatch(/^DURABILITY: the sentinels cannot fail over smsq-primary now \(SENTINEL CKQUORUM smsq-primary on 127\.0\.0\.1:\d+: NOQUORUM 1 usable Sentinels\b.*\): if the primary fails, Redis stays down until it is back; nothing fails over to a replica$/);
      expect(line.fix).toMatch(/^bring back the sentinels that are down.*SENTINEL SENTINELS smsq-primary/);
      // Said once, not at every check.
      await checkRedisDurability(redis, durability, logger, warned);
      expect(lines.filter((l) => /CKQUORUM/.test(l))).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  }, 60_000);
});
