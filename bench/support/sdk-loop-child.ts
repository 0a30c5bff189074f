/**
 * The bare-SDK baseline of the worker-overhead bench: `@alicloud/dysmsapi20170525` called directly,
 * `concurrency` loops of `sendSmsWithOptions`, one number per SendSms, configured exactly as smsq's
 * client configures the SDK (same endpoint, timeouts, User-Agent, no retries).
 * Requests: `run` {count, concurrency, phoneBase} → {ms, ok, failed, cpuSeconds}.
 */
import * as $Dysmsapi from '@alicloud/dysmsapi20170525';
import { createBareSdk } from './bare-sdk.js';
import { childConfig, cpuSeconds, serveChild } from './children.js';

export interface SdkLoopConfig {
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
  templateCode: string;
  templateParam: Record<string, string>;
  readTimeoutMs: number;
}

export interface SdkLoopRun {
  count: number;
  concurrency: number;
  /** Numbers are phoneBase, phoneBase + 1, ... (one per call, as the worker's backlog). */
  phoneBase: number;
}

export interface SdkLoopResult {
  ms: number;
  ok: number;
  failed: number;
  cpuSeconds: number;
}

const cfg = childConfig<SdkLoopConfig>();
const { sdk, runtime } = createBareSdk(cfg);

async function run({ count, concurrency, phoneBase }: SdkLoopRun): Promise<SdkLoopResult> {
  let next = 0;
  let ok = 0;
  let failed = 0;
  // As a caller would: the request is built per call (the params serialised per call too).
  const loop = async () => {
    while (next < count) {
      const i = next++;
      const r = new $Dysmsapi.SendSmsRequest({
        phoneNumbers: String(phoneBase + i),
        signName: cfg.signName,
        templateCode: cfg.templateCode,
        templateParam: JSON.stringify(cfg.templateParam),
        outId: `bare-${phoneBase + i}`,
      });
      try {
        const res = await sdk.sendSmsWithOptions(r, runtime);
        if (res.body?.code === 'OK') ok++;
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { ms: performance.now() - t0, ok, failed, cpuSeconds: cpuSeconds() - cpu0 };
}

serveChild({ run: (a) => run(a as SdkLoopRun), cpu: () => cpuSeconds() }, { pid: process.pid });
