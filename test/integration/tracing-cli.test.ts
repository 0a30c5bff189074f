/**
 * Tracing from the environment, in a real `smsq` process: without `OTEL_*` no OpenTelemetry
 * package is even imported (a module hook records every import); with
 * `OTEL_EXPORTER_OTLP_ENDPOINT` the send's spans reach an OTLP/HTTP collector (a local one here)
 * as protobuf, with the configured headers, and without the phone numbers.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, DEFAULT_FIXTURE_NAMES as N, type Emulator } from '../../src/emulator/index.js';
import { spawnSmsq } from '../support/cli-process.js';
import { createTestConnection, deleteKeys, testRedisUrl, uniquePrefix } from '../support/redis.js';

const PHONE = '13800138000';
const dir = mkdtempSync(join(tmpdir(), 'smsq-otel-'));
const prefix = uniquePrefix('otel-cli');
const redis = createTestConnection();
let emulator: Emulator;
let emulatorEndpoint: string;
let collector: Server;
let collectorUrl: string;
const exports: { path: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];

beforeAll(async () => {
  emulator = createEmulator({ delivery: { delayMs: 20 } });
  emulatorEndpoint = (await emulator.listen()).endpoint;
  collector = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      exports.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(parts) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await deleteKeys(redis, prefix);
  redis.disconnect();
  await emulator.close();
  await new Promise((resolve) => collector.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** `smsq send` to one number in a child process; returns what it imported of OpenTelemetry. */
async function sendWith(otel: NodeJS.ProcessEnv, probe: string): Promise<{ code: number | string; imported: string[]; stderr: string; stdout: string }> {
  const env = {
    REDIS_URL: testRedisUrl(),
    SMSQ_PREFIX: prefix,
    SMS_MODE: 'sandbox',
    SMS_ENDPOINT: emulatorEndpoint,
    LOG_LEVEL: 'warn',
    SMSQ_IMPORT_PROBE_FILE: probe,
    ...otel,
  };
  const args = ['send', '--phones', PHONE, '--sign', N.sign, '--template', N.notificationTemplate, '--param', '{"name":"Ada","order":"A1"}', '--yes', '--json'];
  const cli = spawnSmsq(args, env, ['--import', './test/support/otel-import-probe.mjs']);
  const code = await cli.exited;
  return { code, imported: existsSync(probe) ? readFileSync(probe, 'utf8').split('\n').filter(Boolean) : [], stderr: cli.stderr, stdout: cli.stdout };
}

describe('smsq with and without OTEL_*', () => {
  it('without OTEL_* imports no OpenTelemetry package', async () => {
    const run = await sendWith({}, join(dir, 'off.txt'));
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ sendId: expect.any(String) });
    expect(run.imported).toEqual([]);
  }, 60_000);

  it('with OTEL_EXPORTER_OTLP_ENDPOINT exports the send\'s spans over OTLP/HTTP (protobuf), with the headers, without the number', async () => {
    const run = await sendWith(
      { OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, OTEL_EXPORTER_OTLP_HEADERS: 'x-smsq-test=secret%20one', OTEL_SERVICE_NAME: 'smsq-cli-test' },
      join(dir, 'on.txt'),
    );
    expect(run.code, run.stderr).toBe(0);
    // The probe sees the loads: the check above could have failed.
    expect(run.imported).toEqual(expect.arrayContaining(['@opentelemetry/api', '@opentelemetry/sdk-trace', 'bullmq-otel', '@opentelemetry/exporter-trace-otlp-proto']));
    const traces = exports.filter((e) => e.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces[0]!.headers['content-type']).toBe('application/x-protobuf');
    expect(traces[0]!.headers['x-smsq-test']).toBe('secret one');
    const body = Buffer.concat(traces.map((t) => t.body));
    for (const text of ['smsq send', 'addBulk calls', 'smsq-cli-test', 'smsq.send_id']) expect(body.includes(Buffer.from(text)), text).toBe(true);
    expect(body.includes(Buffer.from(PHONE))).toBe(false);
    expect(run.stderr).not.toContain('secret one');
  }, 60_000);
});
