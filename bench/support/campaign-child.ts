/**
 * The producer of the campaign bench, alone in its process so `process.resourceUsage().maxRSS` is
 * the producer's peak. Request `run` {file, request} → reads the CSV with `readRecipientsCsv` and
 * enqueues it with `producer.campaign()`; answers the time, the result and the memory figures.
 * Request `read` {file} (in a process of its own) → only reads the CSV the same way, for the floor.
 * The bench runs it compiled with plain node (as a service runs smsq's producer) and, for
 * comparison, under tsx like the other bench children.
 */
import { createRedisConnection } from '../../src/queue/connection.js';
import { readRecipientsCsv } from '../../producers/csv-recipients.js';
import { createProducer } from '../../producers/producer.js';
import type { CampaignRequest } from '../../producers/schemas.js';
import { recipientChunksOf } from '../../producers/recipient-source.js';
import { benchDurability } from './redis.js';
import { childConfig, serveChild } from './children.js';
import { rssParts, type RssParts } from './rss-parts.js';

export type { RssParts } from './rss-parts.js';

export interface CampaignChildConfig {
  redisUrl: string;
  prefix: string;
}

export interface CampaignRun {
  file: string;
  request: CampaignRequest;
}

export interface CampaignChildResult {
  ms: number;
  /** The send made ('' for `read`). */
  sendId: string;
  recipients: number;
  rejectedCount: number;
  duplicates: number;
  chunks: number;
  /** CPU seconds (user + system) this process spent in the campaign call. */
  cpuSeconds: number;
  /** Peak resident set of this process (MB, 1e6 bytes), from `process.resourceUsage().maxRSS`. */
  maxRssMB: number;
  /** Resident set when the process was ready (modules loaded, connected), MB. */
  readyRssMB: number;
  /** Peaks of `process.memoryUsage()` sampled every 20 ms during the campaign, MB. */
  sampledPeakMB: { heapUsed: number; heapTotal: number; external: number; rss: number };
  /** What the resident set was made of when ready, and at the highest RSS sampled during the campaign. */
  rssParts: { ready: RssParts; peak: RssParts };
}

const cfg = childConfig<CampaignChildConfig>();
const redis = createRedisConnection(cfg.redisUrl, { role: 'client' });
// A client connection (createProducer takes no other) refuses commands until it is ready.
if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
const producer = createProducer({ redis, prefix: cfg.prefix, durability: benchDurability() });
const readyParts = rssParts();
const readyRssMB = readyParts.rss;

/** Memory figures of a call, sampled every 20 ms while it runs. */
type Measured = Pick<CampaignChildResult, 'ms' | 'cpuSeconds' | 'maxRssMB' | 'readyRssMB' | 'sampledPeakMB' | 'rssParts'>;

async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; figures: Measured }> {
  const peak = { heapUsed: 0, heapTotal: 0, external: 0, rss: 0 };
  let peakParts = rssParts();
  const sample = () => {
    const m = process.memoryUsage();
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
    peak.external = Math.max(peak.external, m.external);
    if (m.rss > peak.rss) peakParts = rssParts();
    peak.rss = Math.max(peak.rss, m.rss);
  };
  const sampler = setInterval(sample, 20);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  sample();
  return {
    value,
    figures: {
      ms,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      maxRssMB: (process.resourceUsage().maxRSS * 1024) / 1e6,
      readyRssMB,
      sampledPeakMB: { heapUsed: peak.heapUsed / 1e6, heapTotal: peak.heapTotal / 1e6, external: peak.external / 1e6, rss: peak.rss / 1e6 },
      rssParts: { ready: readyParts, peak: peakParts },
    },
  };
}

serveChild(
  {
    async run(args) {
      const { file, request } = args as CampaignRun;
      const { value: r, figures } = await measured(() => producer.campaign(readRecipientsCsv(file), request));
      const result: CampaignChildResult = { ...figures, sendId: r.sendId, recipients: r.recipients, rejectedCount: r.rejectedCount, duplicates: r.duplicates, chunks: r.chunks };
      return result;
    },
    /** The floor under `run`: the same file read the same way (chunk by chunk), its rows counted and dropped; nothing is written. */
    async read(args) {
      const { file } = args as Pick<CampaignRun, 'file'>;
      const { value: rows, figures } = await measured(async () => {
        const chunks = recipientChunksOf(readRecipientsCsv(file));
        if (!chunks) throw new Error('readRecipientsCsv hands over no chunks');
        let n = 0;
        for await (const list of chunks) n += list.length;
        return n;
      });
      const result: CampaignChildResult = { ...figures, sendId: '', recipients: rows, rejectedCount: 0, duplicates: 0, chunks: 0 };
      return result;
    },
  },
  { pid: process.pid },
  async () => {
    await producer.close();
    redis.disconnect();
  },
);
