/**
 * Pushed receipts: each recipient's SmsReport is due at its receipt time; due reports are POSTed to
 * the report URL as JSON arrays (up to `batchSize` per request). An answer other than HTTP 200
 * (or no answer) re-pushes the same batch after each of the retry delays in turn, as Alibaba does,
 * so a receiver can see a report more than once. The schedule runs on the emulator's clock:
 * `deliverDue()` pushes what is due now; with the system clock a timer calls it.
 */
import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { formatCstDateTime } from './cst-time.js';
import { DELIVERED, errorMessageFor } from './delivery.js';
import { MinHeap } from './min-heap.js';
import type { StoredRecipient } from './record-store.js';

/** One SmsReport entry, field names and formats as Alibaba pushes them. */
export interface SmsReport {
  phone_number: string;
  /** `yyyy-MM-dd HH:mm:ss`, UTC+8. */
  send_time: string;
  report_time: string;
  success: boolean;
  err_code: string;
  err_msg: string;
  sms_size: string;
  biz_id: string;
  out_id: string;
}

export function toSmsReport(r: StoredRecipient): SmsReport {
  return {
    phone_number: r.phone,
    send_time: formatCstDateTime(r.acceptedAt),
    report_time: formatCstDateTime(r.dueAt),
    success: r.finalCode === DELIVERED,
    err_code: r.finalCode,
    err_msg: errorMessageFor(r.finalCode),
    sms_size: String(r.smsSize),
    biz_id: r.bizId,
    out_id: r.outId,
  };
}

export interface ReportPusherOptions {
  clock: Clock;
  logger: Logger;
  /** Read at push time, so `configure({ reportUrl })` applies to reports already scheduled. */
  url: () => string | undefined;
  retryDelaysMs: readonly number[];
  /** Reports per POST. Default 100. */
  batchSize?: number;
  /** Wall-clock wait for the receiver's answer before counting the push as failed. Default 5000 ms. */
  timeoutMs?: number;
}

type Scheduled = { at: number; record: StoredRecipient } | { at: number; batch: SmsReport[]; attempt: number };

export class ReportPusher {
  private readonly heap = new MinHeap<Scheduled>();
  private readonly inflight = new Set<ClientRequest>();
  private chain: Promise<void> = Promise.resolve();
  private draining = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly batchSize: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: ReportPusherOptions) {
    this.batchSize = opts.batchSize ?? 100;
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  /** Schedules a recipient's report at its receipt time. */
  schedule(record: StoredRecipient): void {
    this.heap.push({ at: record.dueAt, record });
  }

  /** Reports and re-pushes waiting for their time. */
  pending(): number {
    return this.heap.size;
  }

  /** Pushes everything due now; resolves once every receiver has answered (or failed). */
  deliverDue(): Promise<void> {
    const next = this.chain.then(() => this.drain());
    this.chain = next.catch((err: unknown) => this.opts.logger.error({ err }, 'emulator: report push failed'));
    return this.chain;
  }

  /** Calls `deliverDue()` every `intervalMs` (wall clock); the timer does not keep the process alive. */
  start(intervalMs = 50): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.draining && this.heap.size > 0) void this.deliverDue();
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and abandons pushes in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const req of this.inflight) req.destroy();
    await this.chain;
  }

  clear(): void {
    this.heap.clear();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      const now = this.opts.clock.now();
      const fresh: SmsReport[] = [];
      const batches: { batch: SmsReport[]; attempt: number }[] = [];
      for (let top = this.heap.peek(); top && top.at <= now; top = this.heap.peek()) {
        this.heap.pop();
        if ('record' in top) fresh.push(toSmsReport(top.record));
        else batches.push(top);
      }
      for (let i = 0; i < fresh.length; i += this.batchSize) batches.push({ batch: fresh.slice(i, i + this.batchSize), attempt: 0 });
      if (batches.length === 0) return;
      const url = this.opts.url();
      if (!url) {
        this.opts.logger.debug({ batches: batches.length }, 'emulator: no report URL, due reports dropped');
        return;
      }
      await Promise.all(batches.map((b) => this.push(url, b.batch, b.attempt)));
    } finally {
      this.draining = false;
    }
  }

  private async push(url: string, batch: SmsReport[], attempt: number): Promise<void> {
    let outcome: string;
    try {
      const status = await this.post(url, JSON.stringify(batch));
      if (status === 200) return;
      outcome = `HTTP ${status}`;
    } catch (err) {
      outcome = err instanceof Error ? err.message : String(err);
    }
    const delays = this.opts.retryDelaysMs;
    if (attempt < delays.length) {
      const delay = delays[attempt] as number;
      this.heap.push({ at: this.opts.clock.now() + delay, batch, attempt: attempt + 1 });
      this.opts.logger.debug({ outcome, attempt, delay, reports: batch.length }, 'emulator: report push refused, will re-push');
    } else {
      this.opts.logger.warn({ outcome, attempts: attempt + 1, reports: batch.length }, 'emulator: report push refused, giving up');
    }
  }

  private post(url: string, body: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(target, {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json;charset=utf-8', 'content-length': Buffer.byteLength(body) },
      });
      this.inflight.add(req);
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.on('close', () => {
        this.inflight.delete(req);
        reject(new Error('connection closed before an answer'));
      });
      req.end(body);
    });
  }
}
