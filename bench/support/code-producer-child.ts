/**
 * The priority bench's producer of verification codes, in a process of its own as an order
 * pipeline's would be: the bench process hosts the emulator, whose HTTP work would otherwise delay
 * every `send()` round trip of the producer. Sends one code every `minGapMs`..`maxGapMs` (uniform)
 * on its own timer, each to its own number.
 * Requests: `codes` {phones, minGapMs, maxGapMs, send} → {codes: SentCode[], loopDelayMs}; `cpu`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createProducer } from '../../producers/producer.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import { childConfig, cpuSeconds, serveChild } from './children.js';
import { benchDurability } from './redis.js';

export interface CodeProducerConfig {
  redisUrl: string;
  prefix: string;
}

export interface CodesRun {
  phones: string[];
  minGapMs: number;
  maxGapMs: number;
  /** What each code sends, apart from its number. */
  send: { signName: string; templateCode: string; templateParam: Record<string, string> };
}

export interface SentCode {
  phone: string;
  sendId: string;
  /** Date.now() just before send() was called (the emulator's acceptedAt is on the same clock). */
  enqueuedAt: number;
  /** How long send() took. */
  enqueueMs: number;
}

export interface CodesResult {
  codes: SentCode[];
  /** This process's event-loop delay while it sent (ms beyond the monitor's 5 ms timer). */
  loopDelayMs: { p50: number; p99: number; max: number };
}

const cfg = childConfig<CodeProducerConfig>();
const connection = createRedisConnection(cfg.redisUrl, { role: 'client' });
const producer = createProducer({ redis: connection, prefix: cfg.prefix, durability: benchDurability() });
// A client connection refuses commands until it is ready.
if (connection.status !== 'ready') await new Promise((resolve) => connection.once('ready', resolve));

async function codes(run: CodesRun): Promise<CodesResult> {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const sent: Promise<SentCode>[] = [];
  for (const phone of run.phones) {
    await new Promise((r) => setTimeout(r, run.minGapMs + Math.random() * (run.maxGapMs - run.minGapMs)));
    const enqueuedAt = Date.now();
    sent.push(
      producer.send({ phones: [phone], kind: 'verification', ...run.send }).then((res) => ({ phone, sendId: res.sendId, enqueuedAt, enqueueMs: Date.now() - enqueuedAt })),
    );
  }
  const done = await Promise.all(sent);
  loop.disable();
  // The histogram holds whole timer intervals: the resolution itself is not delay.
  const ms = (ns: number) => Math.max(0, Math.round((ns - 5e6) / 1e5) / 10);
  return { codes: done, loopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) } };
}

serveChild({ codes: (a) => codes(a as CodesRun), cpu: () => cpuSeconds() }, { pid: process.pid }, async () => {
  await producer.close();
  connection.disconnect();
});
