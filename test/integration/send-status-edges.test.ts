/**
 * Three things `smsq status`, `smsq sends` and the REST reads said wrong or not at all (an operator
 * trial): a chunk left `sending` by a worker killed mid-call showed no reason (read as "being sent
 * now"); a paused send still showed its last rate; a campaign still enqueuing listed `recipients 0`.
 * Real Redis, the emulator, a real worker process killed with SIGKILL while the emulator holds its call.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { CALLS_QUEUE, createKeys } from '../../src/queue/keys.js';
import { chunkIdOf } from '../../src/queue/chunk-store.js';
import { jobIds } from '../../src/queue/job-schemas.js';
import { buildServer } from '../../server/build-server.js';
import { createHarness, FAST_TIMING, type Harness } from '../support/pipeline.js';
import { testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { workerProcesses } from '../support/worker-processes.js';
import { runSmsqInProcess } from '../support/cli-run.js';

let h: Harness | undefined;
const closers: (() => Promise<unknown>)[] = [];
const processes = workerProcesses();
afterEach(async () => {
  processes.killAll();
  for (const close of closers.splice(0)) await close();
  await h?.close();
  h = undefined;
});

async function cli(harness: Harness, argv: string[]) {
  const env = { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: harness.prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: harness.endpoint, LOG_LEVEL: 'warn', SMSQ_QUIET_HOURS: 'off' };
  return runSmsqInProcess(argv, { env });
}

async function server(harness: Harness) {
  const app = await buildServer({ redis: harness.redis, prefix: harness.prefix, producer: harness.producer, logger: harness.logger, apiToken: 't', dashboard: { token: 'd' }, checkResponses: true });
  closers.push(() => app.close());
  // The REST API's token, or the dashboard's for the campaigns page.
  return (url: string, token = 't') => app.inject({ url, headers: { authorization: `Bearer ${token}` } });
}

const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1' }, kind: 'verification' as const };

describe('a chunk left sending by a worker killed mid-call', () => {
  it('says worker-lost once the job lock lapses, not while the worker is alive mid-call; reading it writes nothing; the next worker looks it up and sends nothing twice', async () => {
    // The emulator takes the call at once and holds its answer: the worker is mid-call for 10 s.
    h = await createHarness({ label: 'lost', emulator: { latencyMs: 10_000 } });
    const harness = h;
    const keys = createKeys(harness.prefix);
    const phone = '13840000001';
    const { sendId } = await harness.producer.send({ ...CODE, phones: [phone] });
    const child = await processes.start(
      { redisUrl: testRedisUrl(), prefix: harness.prefix, endpoint: harness.endpoint },
      // A read timeout beyond the held answer (the settling window covers it, as the worker requires).
      { readTimeoutMs: 15_000, reconcile: { ...FAST_TIMING.reconcile, settleMs: 40_000 } },
    );
    await waitFor(() => harness.emulator.calls().some((c) => c.action === 'SendSms'), 'the call to reach the emulator');
    // Alive and mid-call: its lock (1 s here) is renewed. Sampled over three lock lifetimes: never worker-lost.
    const seen = new Set<string>();
    for (const until = Date.now() + 3 * FAST_TIMING.lockDurationMs; Date.now() < until; ) {
      const s = await harness.producer.getStatus(sendId);
      expect(s.counts.sending).toBe(1);
      seen.add(s.wait?.reason ?? 'none');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect([...seen]).not.toContain('worker-lost');

    child.kill('SIGKILL');
    await once(child, 'exit');
    const lost = await waitFor(async () => {
      const s = await harness.producer.getStatus(sendId);
      return s.wait?.reason === 'worker-lost' ? s : undefined;
    }, 'worker-lost once the killed worker’s lock lapses', 10_000);
    expect(lost.counts.sending).toBe(1);
    expect(lost.wait).toMatchObject({ reason: 'worker-lost', chunks: 1, recipients: 1, checkEveryMs: 30_000 });

    // Read-only: what the stalled-job check and the next claim act on is as it was.
    const chunkKey = keys.chunk(chunkIdOf(sendId, '0'));
    const jobKey = `${harness.prefix}:${CALLS_QUEUE}:${jobIds.send(chunkIdOf(sendId, '0'), 1)}`;
    const snapshot = async () => [await harness.redis.hgetall(chunkKey), await harness.redis.hgetall(jobKey), await harness.redis.lrange(`${harness.prefix}:${CALLS_QUEUE}:active`, 0, -1), await harness.redis.hgetall(keys.sendCounts(sendId))];
    const before = await snapshot();
    const text = await cli(harness, ['status', sendId]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^waiting\s+the worker calling 1 recipient in 1 chunk stopped mid-call \(its job's lock lapsed\)(: a running worker's stalled-job check takes the job back within about 30 s|, and no worker runs to take the job back: start one \(smsq worker\);) .*looked up \(QuerySendDetails\) before anything is resent$/m);
    const json = JSON.parse((await cli(harness, ['status', sendId, '--json'])).stdout) as { wait: { reason: string } };
    expect(json.wait.reason).toBe('worker-lost');
    const get = await server(harness);
    const rest = await get(`/v1/sends/${sendId}`);
    expect(rest.statusCode, rest.body).toBe(200);
    expect((rest.json() as { wait: unknown }).wait).toMatchObject({ reason: 'worker-lost', chunks: 1, recipients: 1 });
    expect(await snapshot()).toEqual(before);

    // A worker takes the job back, looks the attempt up, finds it accepted: no second SMS.
    harness.emulator.configure({ latencyMs: 0 });
    await harness.startWorker();
    const after = await waitFor(async () => {
      const s = await harness.producer.getStatus(sendId);
      return s.counts.sending + s.counts.unknown === 0 ? s : undefined;
    }, 'the lost call looked up', 30_000);
    expect(after.wait?.reason).not.toBe('worker-lost');
    expect(harness.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone))).toHaveLength(1);
  }, 90_000);
});

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

describe('a campaign still enqueuing', () => {
  it('lists the recipients written so far, marked so, in sends (text, --json, REST) and status alike; the total once enqueued', async () => {
    h = await createHarness({ label: 'enqueuing' });
    const harness = h;
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    // 3,000 rows (batches of 1,000 then 2,000: three chunks written), then the list waits; 500 more once released.
    async function* rows() {
      for (let i = 0; i < 3500; i++) {
        if (i === 3000) await held;
        yield { phone: String(13850000000 + i) };
      }
    }
    let written = 0;
    let sendId = '';
    const done = harness.producer.campaign(rows(), { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'notification' }, {
      onProgress: (p) => {
        written = p.written;
        sendId = p.sendId;
      },
    });
    closers.push(async () => {
      release();
      await done.catch(() => undefined);
    });
    await waitFor(() => written === 3000, 'three chunks written', 20_000);

    const status = await harness.producer.getStatus(sendId);
    expect(status.send.state).toBe('enqueuing');
    expect(status.send).toMatchObject({ recipients: 3000, recipientsSoFar: true });
    const listed = (await harness.producer.listSends()).sends.find((s) => s.send.sendId === sendId);
    expect(listed?.send).toMatchObject({ recipients: 3000, recipientsSoFar: true });

    const table = await cli(harness, ['sends']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`^${sendId}\\s.*\\senqueuing\\s+\\S+\\s+3000 so far\\s`, 'm'));
    const json = JSON.parse((await cli(harness, ['sends', '--json'])).stdout) as { sends: { send: { sendId: string; recipients: number; recipientsSoFar?: boolean } }[] };
    expect(json.sends.find((s) => s.send.sendId === sendId)?.send).toMatchObject({ recipients: 3000, recipientsSoFar: true });
    expect((await cli(harness, ['status', sendId])).stdout).toMatch(/^recipients\s+3000 enqueued so far \(still enqueuing/m);
    const get = await server(harness);
    const rest = await get('/v1/sends');
    expect(rest.statusCode, rest.body).toBe(200);
    expect((rest.json() as typeof json).sends.find((s) => s.send.sendId === sendId)?.send).toMatchObject({ recipients: 3000, recipientsSoFar: true });
    expect(((await get(`/v1/sends/${sendId}`)).json() as (typeof json)['sends'][number]).send).toMatchObject({ recipients: 3000, recipientsSoFar: true });
    const page = await get('/admin/campaigns', 'd');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('3000 recipients so far');
    expect((await get(`/admin/campaigns/${sendId}`, 'd')).body).toContain('3000 queued so far (still enqueuing)');

    release();
    await done;
    const enqueued = await harness.producer.getStatus(sendId);
    expect(enqueued.send.recipients).toBe(3500);
    expect(enqueued.send).not.toHaveProperty('recipientsSoFar');
    expect((await cli(harness, ['sends'])).stdout).toMatch(new RegExp(`^${sendId}\\s.*\\s3500\\s`, 'm'));
  }, 60_000);
});
