/**
 * What `smsq status`, `smsq sends` and the REST reads said wrong (an operator trial): a paused send
 * still showed its last rate. Real Redis, the emulator, a real worker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { buildServer } from '../../server/build-server.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

let h: Harness | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await h?.close();
  h = undefined;
});

async function cli(harness: Harness, argv: string[]) {
  const stdout = collector();
  const stderr = collector();
  const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: harness.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: harness.endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off' };
  const code = await runCli(argv, { stdout, stderr, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

async function server(harness: Harness) {
  const app = await buildServer({ redis: harness.redis, prefix: harness.prefix, producer: harness.producer, logger: harness.logger, apiToken: 't', dashboard: { token: 'd' }, checkResponses: true });
  closers.push(() => app.close());
  // The REST API's token, or the dashboard's for the campaigns page.
  return (url: string, token = 't') => app.inject({ url, headers: { authorization: `Bearer ${token}` } });
}

const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1' }, kind: 'verification' as const };

describe('a paused send', () => {
  it('shows no rate (status text, --json, REST), though recipients went past the API while it was active', async () => {
    h = await createHarness({ label: 'paused-rate' });
    const harness = h;
    const phones = Array.from({ length: 30 }, (_, i) => String(13840000100 + i));
    const { sendId } = await harness.producer.send({ ...CODE, phones });
    await harness.startWorker({ qps: 4, concurrency: 1 });
    await waitFor(async () => (await harness.producer.getStatus(sendId)).counts.accepted >= 3, 'some recipients sent', 30_000);
    await harness.producer.pause(sendId);
    const status = await harness.producer.getStatus(sendId);
    expect(status.send.state).toBe('paused');
    expect(status.counts.accepted + status.counts.delivered).toBeGreaterThan(0);
    expect(status.pace).toBeUndefined();
    const text = await cli(harness, ['status', sendId]);
    expect(text.stdout).toMatch(/^state\s+paused/m);
    expect(text.stdout).not.toMatch(/^rate\s/m);
    expect(JSON.parse((await cli(harness, ['status', sendId, '--json'])).stdout)).not.toHaveProperty('pace');
    const rest = await (await server(harness))(`/v1/sends/${sendId}`);
    expect(rest.statusCode).toBe(200);
    expect(rest.json()).not.toHaveProperty('pace');
  }, 60_000);
});
