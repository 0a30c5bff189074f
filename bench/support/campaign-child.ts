/**
 * The producer of the campaign bench, alone in its process so `process.resourceUsage().maxRSS` is
 * the producer's peak. Request `run` {file, request} → reads the CSV with `readRecipientsCsv` and
 * enqueues it with `producer.campaign()`; answers the time, the result and the memory figures.
 * The bench runs it compiled with plain node (as a service runs smsq's producer) and, for
 * comparison, under tsx like the other bench children.
 */
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';
import { Redis } from 'ioredis';
import { readRecipientsCsv } from '../../producers/csv-recipients.js';
import { createProducer } from '../../producers/producer.js';
import { benchDurability } from './redis.js';
import { childConfig, serveChild } from './children.js';

export interface CampaignChildConfig {
  redisUrl: string;
  prefix: string;
}

export interface CampaignRun {
  file: string;
  request: Record<string, unknown>;
}

export interface CampaignChildResult {
  ms: number;
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

/** A resident set taken apart (MB): V8's heap by space, array buffers, and the rest of the process. */
export interface RssParts {
  rss: number;
  /** The young generation (both semi-spaces), as resident. */
  newSpace: number;
  oldSpace: number;
  /** Code, large objects and the other spaces of the V8 heap. */
  otherHeap: number;
  /** Backing stores of ArrayBuffers (Buffers, typed arrays: the duplicate set's pages among them). */
  arrayBuffers: number;
  /** Resident pages mapped from files (the node binary, shared libraries); 0 where /proc is not there. */
  fileBacked: number;
  /** The rest: memory that node, V8 and the libraries allocate outside the heap (malloc), and freed memory not given back. */
  other: number;
}

function fileBackedBytes(): number {
  try {
    const m = /^RssFile:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The parts of the resident set now, MB. */
function rssParts(): RssParts {
  const rss = process.memoryUsage.rss();
  let newSpace = 0;
  let oldSpace = 0;
  let otherHeap = 0;
  for (const s of getHeapSpaceStatistics()) {
    if (s.space_name === 'new_space') newSpace += s.physical_space_size;
    else if (s.space_name === 'old_space') oldSpace += s.physical_space_size;
    else otherHeap += s.physical_space_size;
  }
  const arrayBuffers = process.memoryUsage().arrayBuffers;
  const fileBacked = fileBackedBytes();
  const mb = (b: number) => b / 1e6;
  return {
    rss: mb(rss),
    newSpace: mb(newSpace),
    oldSpace: mb(oldSpace),
    otherHeap: mb(otherHeap),
    arrayBuffers: mb(arrayBuffers),
    fileBacked: mb(fileBacked),
    other: mb(rss - newSpace - oldSpace - otherHeap - arrayBuffers - fileBacked),
  };
}

const cfg = childConfig<CampaignChildConfig>();
const redis = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
await redis.ping();
const producer = createProducer({ redis, prefix: cfg.prefix, durability: benchDurability() });
const readyParts = rssParts();
const readyRssMB = readyParts.rss;

serveChild(
  {
    async run(args) {
      const { file, request } = args as CampaignRun;
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
      const r = await producer.campaign(readRecipientsCsv(file), request);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      clearInterval(sampler);
      sample();
      const result: CampaignChildResult = {
        ms,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        recipients: r.recipients,
        rejectedCount: r.rejectedCount,
        duplicates: r.duplicates,
        chunks: r.chunks,
        maxRssMB: (process.resourceUsage().maxRSS * 1024) / 1e6,
        readyRssMB,
        sampledPeakMB: {
          heapUsed: peak.heapUsed / 1e6,
          heapTotal: peak.heapTotal / 1e6,
          external: peak.external / 1e6,
          rss: peak.rss / 1e6,
        },
        rssParts: { ready: readyParts, peak: peakParts },
      };
      return result;
    },
  },
  { pid: process.pid },
  async () => {
    await producer.close();
    redis.disconnect();
  },
);
