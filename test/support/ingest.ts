import { createHmac } from 'node:crypto';
import { uniformRetention } from '../../src/queue/retention.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../src/clock.js';
import { DEFAULT_RECEIPT_POLICIES, DEFAULT_RECEIPT_SCHEDULE } from '../../src/queue/receipt-policy.js';
import { openReportIngest, type ReportIngest } from '../../src/receipts/report-ingest.js';
import { PUSH_ACCEPTED } from '../../server/plugins/reports.js';
import type { Harness } from './pipeline.js';
/** The pushed-report ingest wired to a harness's Redis, as the server wires it; on `clock` (default the system's). */
export function ingestFor(h: Harness, clock: Clock = systemClock): { ingest: ReportIngest; close(): Promise<void> } {
  return openReportIngest({
    redis: h.redis,
    prefix: h.prefix,
    clock,
    logger: h.logger,
    retention: uniformRetention(86_400),
    receiptPolicies: DEFAULT_RECEIPT_POLICIES,
    receiptSchedule: DEFAULT_RECEIPT_SCHEDULE,
  });
}

/** A local HTTP receiver; `handler` gets each parsed JSON body and returns the status to answer. */
export async function startReceiver(handler: (body: unknown, headers: Record<string, string | string[] | undefined>, raw: string) => Promise<number> | number): Promise<{ url: string; close(): Promise<void>; server: Server }> {
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      void (async () => {
        let status = 500;
        try {
          status = await handler(JSON.parse(raw), req.headers, raw);
        } catch {
          status = 500;
        }
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 200 ? JSON.stringify(PUSH_ACCEPTED) : '{}');
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A callback receiver that answers 200 and records each body with whether its signature checks out against `secret`. */
export async function startSignedReceiver(secret: string): Promise<{ url: string; close(): Promise<void>; got: { body: unknown; ok: boolean }[] }> {
  const got: { body: unknown; ok: boolean }[] = [];
  const receiver = await startReceiver((body, headers, raw) => {
    const expected = `sha256=${createHmac('sha256', secret).update(`${String(headers['x-smsq-timestamp'])}.${raw}`).digest('hex')}`;
    got.push({ body, ok: headers['x-smsq-signature'] === expected });
    return 200;
  });
  return { url: receiver.url, close: receiver.close, got };
}
