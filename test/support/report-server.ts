/**
 * A harness and smsq's REST server on it with pushed reports served, as `smsq server` builds it
 * when SMSQ_REPORT_TOKEN is set: for the tests of the report endpoints and of the doors around them.
 */
import { buildServer, type SmsqServer } from '../../server/build-server.js';
import { ingestFor } from './ingest.js';
import type { Harness, harnessPerTest } from './pipeline.js';

/** The tokens the server is built with. */
export const SERVER_TOKENS = { api: 'test-api-token-0123456789', report: 'report-token-abcdef0123456789', dashboard: 'dashboard-token-0123456789' } as const;

/** A new harness of `harnesses` labelled `label` and the server on it (responses checked against their schemas), both closed when the test ends. */
export async function startReportServer(harnesses: ReturnType<typeof harnessPerTest>, label: string): Promise<{ h: Harness; app: SmsqServer }> {
  const h = await harnesses.create({ label });
  const { ingest, close } = ingestFor(h);
  harnesses.defer(close);
  const app = await buildServer({
    redis: h.redis,
    prefix: h.prefix,
    producer: h.producer,
    logger: h.logger,
    apiToken: SERVER_TOKENS.api,
    dashboard: { token: SERVER_TOKENS.dashboard },
    reports: { ingest, token: SERVER_TOKENS.report },
    checkResponses: true,
  });
  harnesses.defer(() => app.close());
  return { h, app };
}
