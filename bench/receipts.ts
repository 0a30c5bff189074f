/**
 * Receipts bench: QuerySendDetails calls per recipient in query mode (target ≤ 1.2) and in push
 * mode (target 0), and Redis memory per in-flight recipient (accepted, waiting for its receipt)
 * and per recipient with a final receipt.
 *
 *   npx tsx bench/receipts.ts [--recipients 20000] [--json]
 *
 * Everything runs in this process except Redis (a private redis-server): the emulator (receipts
 * after 300 ms), one worker, a pushed-report receiver. Loopback only; bounded in time.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createProducer } from '../producers/producer.js';
import { systemClock } from '../src/clock.js';
import { SANDBOX_ACCESS_KEY } from '../src/sms/defaults.js';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N } from '../src/emulator/index.js';
import { createLogger } from '../src/logger.js';
import { createCallsQueue, createHousekeepingQueue } from '../src/queue/calls-queue.js';
import { createChunkStore } from '../src/queue/chunk-store.js';
import { createFollowUps } from '../src/queue/follow-ups.js';
import { createKeys } from '../src/queue/keys.js';
import { createSendStore } from '../src/queue/send-store.js';
import { createCompletion } from '../src/receipts/completion.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE, type ReceiptPolicies } from '../src/queue/receipt-policy.js';
import { createRecipientStore } from '../src/receipts/recipient-store.js';
import { createReportIngest } from '../src/receipts/report-ingest.js';
import { createSentNumbers } from '../src/receipts/sent-numbers.js';
import { createSuppressionList } from '../src/receipts/suppression.js';
import { PUSH_ACCEPTED } from '../server/plugins/reports.js';
import { createSmsClient } from '../src/sms/client.js';
import { createSmsWorker } from '../workers/sms-worker.js';
import { bounded, parseFlags, round, waitFor } from './support/pipeline.js';
import { benchDurability, startPrivateRedis, type PrivateRedis } from './support/redis.js';

const policy = (mode: 'all' | 'none'): ReceiptPolicies => ({
  verification: { mode, sampleRate: mode === 'all' ? 1 : 0 },
  notification: { mode, sampleRate: mode === 'all' ? 1 : 0 },
  marketing: { mode, sampleRate: mode === 'all' ? 1 : 0 },
});

export interface ReceiptsFigures {
  recipients: number;
  queryMode: { queriesPerRecipient: number; target: string; seconds: number };
  pushMode: { queriesPerRecipient: number; target: string; seconds: number };
  redisBytesPerInFlightRecipient: number;
  /** The receipt entry each recipient adds once final (kept for the retention period). */
  redisBytesPerReceiptEntry: number;
  /** The events stream after the run: bounded by its MAXLEN (100,000 events), not per recipient. */
  eventsStreamBytes: number;
}

async function runMode(redis: PrivateRedis, mode: 'query' | 'push', recipients: number): Promise<{ queries: number; seconds: number; inFlightBytes: number; receiptBytes: number; eventsBytes: number }> {
  const logger = createLogger({ level: 'warn' });
  const emulator = createEmulator({ flowControl: false, delivery: { delayMs: 300, failureRatio: 0.02 }, retention: { calls: 500_000, acceptedSends: 100_000, recipients: recipients + 10, recipientsPerNumber: 4, flowControlKeys: 1000 } });
  const { endpoint } = await emulator.listen();
  const connection = redis.connect();
  const prefix = `{smsq-bench-receipts-${mode}}`;
  const keys = createKeys(prefix);
  const client = createSmsClient({ endpoint, protocol: 'http', credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
  const receiptPolicies = policy(mode === 'query' ? 'all' : 'none');
  // Query mode: the first look comes after receipts are final (300 ms), as in production (30 s
  // against receipts that mostly take seconds); push mode never looks.
  const receiptSchedule = { lookDelaysMs: [1500, 4000], windowMs: 120_000 };
  let closeIngest = async () => {};
  if (mode === 'push') {
    const calls = createCallsQueue({ connection, prefix });
    const housekeeping = createHousekeepingQueue({ connection, prefix });
    const followUps = createFollowUps({ calls, housekeeping, clock: systemClock, receiptPolicies: DEFAULT_RECEIPT_POLICIES, receiptSchedule: DEFAULT_RECEIPT_SCHEDULE });
    const ingest = createReportIngest({
      chunks: createChunkStore({ redis: connection, keys, clock: systemClock }),
      recipients: createRecipientStore({ redis: connection, keys, clock: systemClock, retentionSeconds: 86_400 }),
      completion: createCompletion({ sends: createSendStore({ redis: connection, keys }), onEnded: async () => {} }),
      followUps,
      suppression: createSuppressionList({ redis: connection, keys }),
      sentNumbers: createSentNumbers({ redis: connection, keys, retentionSeconds: 86_400, clock: systemClock }),
      clock: systemClock,
      logger,
    });
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        ingest.applyReports(JSON.parse(raw)).then(
          () => res.writeHead(200).end(JSON.stringify(PUSH_ACCEPTED)),
          () => res.writeHead(400).end('{}'),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    emulator.configure({ reportUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
    closeIngest = async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await Promise.all([calls.close(), housekeeping.close()]);
    };
  }

  const producer = createProducer({ redis: redis.connectProducer(), prefix, logger, durability: benchDurability() });
  const before = await redis.usedMemory();
  async function* rows() {
    for (let i = 0; i < recipients; i++) yield { phone: String(13600000000 + i) };
  }
  const started = Date.now();
  const res = await producer.campaign(rows(), { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'n', order: 'o' }, kind: 'notification' });
  const worker = createSmsWorker({ connection, client, logger, prefix, qps: 4500, concurrency: 32, readTimeoutMs: 3000, receiptPolicies, receiptSchedule, durability: benchDurability() });
  await worker.start();
  // In flight: every recipient accepted, no receipt recorded yet.
  await waitFor(
    async () => {
      const { counts } = await producer.getStatus(res.sendId);
      return counts.queued + counts.sending === 0 || undefined;
    },
    'all accepted',
    60_000,
    20,
  );
  const inFlightBytes = (await redis.usedMemory()) - before;
  await waitFor(async () => {
    const s = await producer.getStatus(res.sendId);
    return s.counts.delivered + s.counts.failed === recipients || undefined;
  }, 'every receipt', 180_000, 100);
  const seconds = (Date.now() - started) / 1000;
  await worker.close();
  const receiptBytes = Number(await connection.call('MEMORY', 'USAGE', keys.recipients(res.sendId), 'SAMPLES', '0'));
  const eventsBytes = Number(await connection.call('MEMORY', 'USAGE', keys.events(), 'SAMPLES', '0'));
  const queries = emulator.calls().filter((c) => c.action === 'QuerySendDetails').length;
  await producer.close();
  await closeIngest();
  await emulator.close();
  return { queries, seconds, inFlightBytes, receiptBytes, eventsBytes };
}

export async function benchReceipts(opts: { recipients?: number } = {}): Promise<ReceiptsFigures> {
  const recipients = opts.recipients ?? 20_000;
  const redis = await startPrivateRedis();
  try {
    const q = await bounded(runMode(redis, 'query', recipients), 240_000, 'query mode');
    const p = await bounded(runMode(redis, 'push', recipients), 240_000, 'push mode');
    return {
      recipients,
      queryMode: { queriesPerRecipient: round(q.queries / recipients), target: '≤ 1.2', seconds: round(q.seconds, 1) },
      pushMode: { queriesPerRecipient: round(p.queries / recipients), target: '0', seconds: round(p.seconds, 1) },
      redisBytesPerInFlightRecipient: Math.round(q.inFlightBytes / recipients),
      redisBytesPerReceiptEntry: Math.round(q.receiptBytes / recipients),
      eventsStreamBytes: q.eventsBytes,
    };
  } finally {
    await redis.stop();
  }
}

export function formatReceipts(f: ReceiptsFigures): string {
  return [
    `Receipts (${f.recipients} recipients, emulator receipts after 300 ms, 2% failed)`,
    `  QuerySendDetails calls per recipient, query mode: ${f.queryMode.queriesPerRecipient}  (target ${f.queryMode.target}; ${f.queryMode.seconds} s to every receipt)`,
    `  QuerySendDetails calls per recipient, push mode:  ${f.pushMode.queriesPerRecipient}  (target ${f.pushMode.target}; ${f.pushMode.seconds} s to every receipt)`,
    `  Redis memory per in-flight recipient: ${f.redisBytesPerInFlightRecipient} bytes (chunk payload, jobs, counts; used_memory delta)`,
    `  + its receipt entry once final: ${f.redisBytesPerReceiptEntry} bytes (MEMORY USAGE of the receipts hash / recipients)`,
    `  events stream: ${(f.eventsStreamBytes / 1e6).toFixed(1)} MB for ${f.recipients} recipients' events (capped at 100,000 events ≈ 12 MB)`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { json, values } = parseFlags(process.argv.slice(2), ['recipients']);
  const f = await benchReceipts({ recipients: values.recipients });
  if (json) console.log(JSON.stringify(f, null, 2));
  else console.log(formatReceipts(f));
  process.exit(0);
}
