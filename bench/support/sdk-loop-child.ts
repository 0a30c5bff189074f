/**
 * The bare-SDK baseline of the worker-overhead bench: `@alicloud/dysmsapi20170525` called directly,
 * `concurrency` loops of `sendSmsWithOptions`, one number per SendSms, configured exactly as smsq's
 * client configures the SDK (same endpoint, timeouts, User-Agent, no retries).
 * Requests: `run` {count, concurrency, phoneBase} → {ms, failed}; `cpu` (CPU seconds so far).
 */
import { bareSendRequest, createBareSdk, type BareSdkConfig, type BareSendShape } from './bare-sdk.js';
import { childConfig, cpuSeconds, serveChild } from './children.js';
import { runLanes } from './lanes.js';

export interface SdkLoopConfig extends BareSdkConfig, BareSendShape {}

export interface SdkLoopRun {
  count: number;
  concurrency: number;
  /** Numbers are phoneBase, phoneBase + 1, ... (one per call, as the worker's backlog). */
  phoneBase: number;
}

export interface SdkLoopResult {
  ms: number;
  failed: number;
}

const cfg = childConfig<SdkLoopConfig>();
const { sdk, runtime } = createBareSdk(cfg);

async function run({ count, concurrency, phoneBase }: SdkLoopRun): Promise<SdkLoopResult> {
  let failed = 0;
  const t0 = performance.now();
  await runLanes(count, concurrency, async (i) => {
    try {
      const res = await sdk.sendSmsWithOptions(bareSendRequest(cfg, String(phoneBase + i), `bare-${phoneBase + i}`), runtime);
      if (res.body?.code !== 'OK') failed++;
    } catch {
      failed++;
    }
  });
  return { ms: performance.now() - t0, failed };
}

serveChild({ run: (a) => run(a as SdkLoopRun), cpu: () => cpuSeconds() }, { pid: process.pid });
