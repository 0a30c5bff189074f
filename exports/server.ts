/**
 * `smsq/server`: smsq's HTTP server (REST ingestion, controls, pushed reports, metrics, health,
 * the Bull Board dashboard) built from its dependencies without listening: call `listen()` on the
 * result, or `inject()` in tests.
 *
 * @packageDocumentation
 */
export { buildServer, type ServerDeps, type SmsqServer } from '../server/build-server.js';
/** For `ServerDeps.reports`: applies Alibaba's pushed SmsReport / SmsUp. */
export { openReportIngest, type OpenReportIngestOptions, type ReportIngest } from '../src/receipts/report-ingest.js';
/** Thrown by `buildServer` when authentication is missing and `insecure` is not set. */
export { ConfigError } from '../src/errors.js';
