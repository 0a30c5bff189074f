/**
 * The floor of the campaign bench's producer: a process with ioredis and BullMQ loaded, one
 * connection and a Queue ready, and nothing of smsq. It announces its resident set, taken apart,
 * when ready (bench/pipeline-campaign.ts `--floor 1`).
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { childConfig, serveChild } from './children.js';
import { rssParts } from './rss-parts.js';

const cfg = childConfig<{ redisUrl: string; prefix: string }>();
const redis = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue('floor', { connection: redis, prefix: cfg.prefix });
await queue.waitUntilReady();
await redis.ping();

serveChild({}, rssParts(), async () => {
  await queue.close();
  redis.disconnect();
});
