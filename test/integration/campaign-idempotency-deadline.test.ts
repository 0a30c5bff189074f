/**
 * A keyed campaign retried after its deadline has passed, whose first request was enqueued in
 * full, is answered with that send (`duplicate: true`) from its key's done mark, before the
 * deadline is judged: refused 400 / exit 2 "nothing was enqueued", it invited a resend under a new
 * key. Its list is still read and compared: another list under the key stays 422, nothing written.
 * Real Redis, the real producer and server (inject), the CLI in process, the emulator.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { buildServer } from '../../server/build-server.js';
import { createManualClock } from '../../src/clock.js';
import { harnessPerTest } from '../support/pipeline.js';
import { cliOnHarness } from '../support/harness-cli.js';
import { redisState } from '../support/redis-state.js';

const harnesses = harnessPerTest();
const TOKEN = 'test-api-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const AD = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' } };

describe('a keyed campaign retried after its deadline is answered with its send', () => {
  it('Node API and REST (JSON list and CSV upload): the retry is the first send; another list under the key is 422 with nothing written', async () => {
    const clock = createManualClock(Date.now());
    const h = await harnesses.create({ label: 'idem-camp-deadline', clock });
    const app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'dashboard-token-0123456789' } });
    harnesses.defer(() => app.close());
    const deadline = clock.now() + 60_000;
    const rows = [{ phone: '13874000001' }, { phone: '13874000002' }, { phone: 'not a number' }];
    const settings = { ...AD, deadline, idempotencyKey: 'camp-timed' };
    const first = await h.producer.campaign(rows, settings);
    expect(first).toMatchObject({ duplicate: false, recipients: 2, rejectedCount: 1 });
    clock.advance(120_000);
    const before = await redisState(h);

    expect(await h.producer.campaign(rows, settings)).toEqual({ ...first, duplicate: true });
    const rest = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: { ...AUTH, 'idempotency-key': 'camp-timed' }, payload: { ...AD, deadline, recipients: rows } });
    expect(rest.statusCode, rest.body).toBe(202);
    expect(rest.json()).toMatchObject({ sendId: first.sendId, duplicate: true, recipients: 2, rejectedCount: 1 });

    // Another list under the key, its deadline past too: refused as another request, not answered with the first send.
    const other = await h.producer.campaign([{ phone: '13874000001' }, { phone: '13874000003' }], settings).then(() => undefined, (e: unknown) => e);
    expect(other).toMatchObject({ code: 'SMSQ_IDEMPOTENCY_KEY_REUSED', differingFields: ['recipients'] });
    const otherRest = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: { ...AUTH, 'idempotency-key': 'camp-timed' }, payload: { ...AD, deadline, recipients: rows.slice(0, 2) } });
    expect(otherRest.statusCode, otherRest.body).toBe(422);
    expect(otherRest.json().error.code).toBe('SMSQ_IDEMPOTENCY_KEY_REUSED');
    // Other settings under the key are judged as before: its deadline first.
    const otherName = await h.producer.campaign(rows, { ...settings, name: 'another' }).then(() => undefined, (e: unknown) => e);
    expect(otherName).toMatchObject({ code: 'SMSQ_INVALID_REQUEST' });
    expect(await redisState(h)).toEqual(before);

    // A CSV upload under a key of its own, retried after its deadline.
    const query = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, deadline: new Date(clock.now() + 60_000).toISOString() });
    const upload = () =>
      app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { ...AUTH, 'idempotency-key': 'camp-csv', 'content-type': 'text/csv' }, payload: 'phone,name\n13874000011,a\n13874000012,b\n' });
    const csvFirst = await upload();
    expect(csvFirst.statusCode, csvFirst.body).toBe(202);
    clock.advance(120_000);
    const csvAgain = await upload();
    expect(csvAgain.statusCode, csvAgain.body).toBe(202);
    expect(csvAgain.json()).toMatchObject({ sendId: csvFirst.json().sendId, duplicate: true, recipients: 2 });
    expect((await h.redis.keys(`${h.prefix}:send:*:counts`)).length).toBe(2);
  });

  it('CLI: smsq campaign --idempotency-key after its --deadline answers the first send, with --yes and without (no plan, no question); another --file is exit 2', async () => {
    const h = await harnesses.create({ label: 'idem-camp-deadline-cli' });
    const dir = mkdtempSync(join(tmpdir(), 'smsq-idem-deadline-'));
    const file = join(dir, 'a.csv');
    const otherFile = join(dir, 'b.csv');
    writeFileSync(file, 'phone,name\n13874100001,a\n13874100002,b\n');
    writeFileSync(otherFile, 'phone,name\n13874100001,a\n13874100003,b\n');
    const deadline = String(Date.now() + 3_000);
    const run = (f: string, ...extra: string[]) =>
      cliOnHarness(h, ['campaign', '--file', f, '--sign', N.sign, '--template', N.marketingTemplate, '--deadline', deadline, '--idempotency-key', 'cli-timed', '--json', ...extra]);
    const first = await run(file, '--yes');
    expect(first.code, first.stderr).toBe(0);
    const sent = JSON.parse(first.stdout) as { sendId: string };
    await new Promise((r) => setTimeout(r, Number(deadline) - Date.now() + 200));
    for (const extra of [['--yes'], []]) {
      const retry = await run(file, ...extra);
      expect(retry.code, retry.stderr).toBe(0);
      expect(JSON.parse(retry.stdout)).toMatchObject({ sendId: sent.sendId, duplicate: true, recipients: 2 });
    }
    const refused = await run(otherFile, '--yes');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('the idempotency key "cli-timed" stands for an earlier request whose `--file` list was different; nothing was enqueued.');
    expect((await h.redis.keys(`${h.prefix}:send:*:counts`)).length).toBe(1);
  });
});
