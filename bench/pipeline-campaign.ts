/**
 * A 1,000,000-recipient campaign from CSV: `npx tsx bench/pipeline-campaign.ts [--json]
 * [--recipients N]`.
 *
 * - Writes a CSV of N distinct mainland numbers (header `phone`) in a temp dir.
 * - A fresh private Redis; no worker runs. A child process (bench/support/campaign-child.ts) runs
 *   `producer.campaign(readRecipientsCsv(file), {marketing template, shared params})`.
 * - Figures: seconds for `campaign()` (target ≤ 5), the producer process's peak RSS
 *   (`process.resourceUsage().maxRSS`, target ≤ 150 MB), and Redis memory per recipient
 *   (`INFO memory` used_memory after − before, ÷ N; target ≤ 150 bytes).
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds, onExitRemove, spawnChild, stopAll, type BenchChild } from './support/children.js';
import { BENCH_PREFIX, bounded, machineBusySeconds, N, parseFlags, round } from './support/pipeline.js';
import { startPrivateRedis } from './support/redis.js';
import type { CampaignChildConfig, CampaignChildResult, CampaignRun } from './support/campaign-child.js';

export interface CampaignOptions {
  recipients: number;
}

export const CAMPAIGN_DEFAULTS: CampaignOptions = { recipients: 1_000_000 };

export interface CampaignBenchResult {
  benchmark: 'campaign-1m';
  recipients: number;
  csvBytes: number;
  chunks: number;
  rejected: number;
  seconds: number;
  secondsTarget: '<= 5';
  recipientsPerSecond: number;
  producerPeakRssMB: number;
  producerReadyRssMB: number;
  /** Peaks of the producer's heap during the campaign (sampled every 20 ms), MB. */
  producerHeapPeakMB: { used: number; total: number };
  rssTarget: '<= 150';
  redisBytesPerRecipient: number;
  redisTarget: '<= 150';
  redisUsedMemoryDeltaMB: number;
  /** Keys Redis holds after the campaign. */
  redisKeys: number;
  /** CPU cores used during the campaign: redis-server, and everything else on the machine. */
  cpu: { redis: number; machine: number | null };
  pass: { seconds: boolean; rss: boolean; redis: boolean };
}

/** Writes `count` distinct mainland numbers under a `phone` header; resolves when flushed. */
async function writeCsv(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('phone\n');
  const block = 10_000;
  for (let i = 0; i < count; i += block) {
    const lines: string[] = [];
    // Spread over several prefixes (135..139) so the numbers look like a real list, all distinct.
    for (let j = i; j < Math.min(count, i + block); j++) lines.push(String(13500000000 + (j % 5) * 100000000 + Math.floor(j / 5)));
    if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export async function runCampaign(opts: Partial<CampaignOptions> = {}): Promise<CampaignBenchResult> {
  const o = { ...CAMPAIGN_DEFAULTS, ...opts };
  const dir = mkdtempSync(join(tmpdir(), 'smsq-bench-csv-'));
  const unhookDir = onExitRemove(dir);
  const file = join(dir, 'recipients.csv');
  const redis = await startPrivateRedis();
  let child: BenchChild | undefined;
  try {
    await writeCsv(file, o.recipients);
    const admin = redis.connect();
    const cfg: CampaignChildConfig = { redisUrl: redis.url, prefix: BENCH_PREFIX };
    child = await spawnChild('bench/support/campaign-child.ts', cfg);
    const before = await redis.usedMemory();
    const run: CampaignRun = {
      file,
      request: { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: '会员' }, kind: 'marketing', name: 'bench 1M' },
    };
    const c0 = { redis: await redis.cpuSeconds(), machine: machineBusySeconds(), self: cpuSeconds() };
    const t0 = performance.now();
    const r = await child.request<CampaignChildResult>('run', run, 120_000);
    const wall = (performance.now() - t0) / 1000;
    const c1 = { redis: await redis.cpuSeconds(), machine: machineBusySeconds(), self: cpuSeconds() };
    const after = await redis.usedMemory();
    const keys = await admin.dbsize();
    if (r.recipients !== o.recipients) throw new Error(`expected ${o.recipients} recipients queued, got ${r.recipients} (rejected ${r.rejectedCount}, duplicates ${r.duplicates})`);
    const perRecipient = (after - before) / o.recipients;
    const seconds = r.ms / 1000;
    return {
      benchmark: 'campaign-1m',
      recipients: r.recipients,
      csvBytes: statSync(file).size,
      chunks: r.chunks,
      rejected: r.rejectedCount,
      seconds: round(seconds, 2),
      secondsTarget: '<= 5',
      recipientsPerSecond: Math.round(r.recipients / seconds),
      producerPeakRssMB: round(r.maxRssMB, 1),
      producerReadyRssMB: round(r.readyRssMB, 1),
      producerHeapPeakMB: { used: round(r.sampledPeakMB.heapUsed, 1), total: round(r.sampledPeakMB.heapTotal, 1) },
      rssTarget: '<= 150',
      redisBytesPerRecipient: round(perRecipient, 1),
      redisTarget: '<= 150',
      redisUsedMemoryDeltaMB: round((after - before) / 1e6, 1),
      redisKeys: keys,
      cpu: {
        redis: round((c1.redis - c0.redis) / wall, 2),
        machine: c0.machine !== undefined && c1.machine !== undefined ? round((c1.machine - c0.machine) / wall, 2) : null,
      },
      pass: { seconds: seconds <= 5, rss: r.maxRssMB <= 150, redis: perRecipient <= 150 },
    };
  } finally {
    await stopAll([child]);
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
    unhookDir();
  }
}

export function formatCampaign(r: CampaignBenchResult): string {
  const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  return [
    `Campaign from CSV: ${r.recipients.toLocaleString('en')} recipients (${(r.csvBytes / 1e6).toFixed(1)} MB CSV) → ${r.chunks} SendSms chunks, no worker running`,
    `  campaign() seconds                  ${r.seconds.toFixed(2).padStart(6)}   (${r.recipientsPerSecond.toLocaleString('en')} recipients/s)   target <= 5  ${mark(r.pass.seconds)}`,
    `  producer peak RSS (MB)              ${r.producerPeakRssMB.toFixed(1).padStart(6)}   (${r.producerReadyRssMB.toFixed(1)} MB when ready; heap peak ${r.producerHeapPeakMB.used} used / ${r.producerHeapPeakMB.total} MB total)   target <= 150  ${mark(r.pass.rss)}`,
    `  Redis bytes per recipient           ${r.redisBytesPerRecipient.toFixed(1).padStart(6)}   (used_memory +${r.redisUsedMemoryDeltaMB} MB, ${r.redisKeys} keys)   target <= 150  ${mark(r.pass.redis)}`,
    `  CPU (cores) during the campaign: redis ${r.cpu.redis}; whole machine ${r.cpu.machine ?? '?'}`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { json, values } = parseFlags(process.argv.slice(2), ['recipients']);
  bounded(runCampaign(values as Partial<CampaignOptions>), 300_000, 'the campaign bench')
    .then((r) => console.log(json ? JSON.stringify(r, null, 2) : formatCampaign(r)))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
