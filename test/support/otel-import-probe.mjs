// Preloaded into a child `smsq` (node --import) by test/integration/tracing-cli.test.ts: records
// every OpenTelemetry package the process imports, in the file SMSQ_IMPORT_PROBE_FILE names.
import { register } from 'node:module';
import process from 'node:process';

register('./otel-import-hooks.mjs', import.meta.url, { data: { file: process.env.SMSQ_IMPORT_PROBE_FILE } });
