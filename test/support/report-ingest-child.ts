/**
 * `smsq server`'s report ingest (openReportIngest, wired as the server wires it) in a process of
 * its own, for tests that SIGKILL it at an exact command (test/support/command-trap.ts in front of
 * its Redis): it applies one push and prints the result as one JSON line, then exits.
 * Usage: node <the run's build>/test/support/report-ingest-child.js '<json ReportIngestChildConfig>'
 */
import { systemClock } from '../../src/clock.js';
import { createLogger } from '../../src/logger.js';
import { createRedisConnection } from '../../src/queue/connection.js';
import type { ReceiptPolicies, ReceiptSchedule } from '../../src/queue/receipt-policy.js';
import { uniformRetention } from '../../src/queue/retention.js';
import { openReportIngest } from '../../src/receipts/report-ingest.js';

export interface ReportIngestChildConfig {
  redisUrl: string;
  prefix: string;
  receiptPolicies: ReceiptPolicies;
  receiptSchedule: ReceiptSchedule;
  /** The pushed SmsReport array. */
  push: unknown[];
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as ReportIngestChildConfig;
// A `client` connection, as `smsq server` opens it.
const redis = createRedisConnection(cfg.redisUrl, { role: 'client' });
const { ingest, close } = openReportIngest({
  redis,
  prefix: cfg.prefix,
  clock: systemClock,
  logger: createLogger({ level: 'silent' }),
  retention: uniformRetention(86_400),
  receiptPolicies: cfg.receiptPolicies,
  receiptSchedule: cfg.receiptSchedule,
  durability: { mode: 'none' },
});
const result = await ingest.applyReports(cfg.push);
process.stdout.write(`${JSON.stringify(result)}\n`);
await close();
redis.disconnect();
process.exit(0);
