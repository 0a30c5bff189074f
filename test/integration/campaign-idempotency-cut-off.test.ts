/**
 * A campaign's Idempotency-Key stands for its recipient list even when its first request was cut
 * off before its enqueue ended: a repeat whose list differs from what the first read (as far as
 * it read it) is refused 422 SMSQ_IDEMPOTENCY_KEY_REUSED naming the list, writing nothing, where
 * it "completed" the send with its own list (numbers of list B sent under a key that stood for
 * list A, the first's rows kept beside them). A repeat with the same list completes the send, each
 * recipient once. Cut off for real: the first producer's connection runs through a command trap
 * (test/support/command-trap.ts) that drops it at an exact command (the job of a chunk, or the
 * script that marks the enqueue ended), as when its process or Redis dies there: that command
 * never reaches Redis, what came before it was answered. Real Redis, the real producer and
 * server (inject); no worker, so what is queued stays as the requests left it.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createProducer } from '../../producers/producer.js';
import type { CampaignRecipient } from '../../producers/schemas.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { luaSource } from '../../src/queue/lua-source.js';
import { readStoredPayload } from '../../src/queue/stored-payload.js';
import { buildServer } from '../../server/build-server.js';
import { startCommandTrap } from '../support/command-trap.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { createProducerConnection, testRedisUrl } from '../support/redis.js';
import { redisState } from '../support/redis-state.js';

const harnesses = harnessPerTest();
const TOKEN = 'test-api-token-0123456789';
const SETTINGS = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' } };

/** How many chunks of `sendId` hold each number (chunk records 0.. in order, as a retry reads them). */
async function chunkedPerPhone(h: Harness, sendId: string): Promise<Map<string, number>> {
  const per = new Map<string, number>();
  for (let i = 0; ; i++) {
    const payload = await h.redis.hget(`${h.prefix}:chunk:${sendId}.${i}`, 'payload');
    if (payload === null) return per;
    const stored = readStoredPayload(payload);
    if (!stored.ok) throw new Error(stored.problem);
    for (const phone of stored.payload.phones) per.set(phone, (per.get(phone) ?? 0) + 1);
  }
}

async function* rowsOf(phones: readonly string[]): AsyncGenerator<CampaignRecipient> {
  for (const phone of phones) yield { phone };
}

const numbers = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(from + i));

/** The text by which a script is recognised on the wire: its SHA (EVALSHA) and the start of its text (EVAL). */
const scriptCall = (script: string) => {
  const { lua } = luaSource(script);
  return [createHash('sha1').update(lua).digest('hex'), lua.slice(0, 120)];
};

/**
 * The campaign of `list` under `key`, by a producer whose connection is dropped at the first
 * command holding one of `patterns`: it fails there. Its hold on the key is then let go, as its
 * expiry (15 s) would once its process is dead. Returns its send id.
 */
async function cutOff(h: Harness, key: string, list: readonly string[], patterns: readonly string[]): Promise<string> {
  const trap = await startCommandTrap({ port: Number(new URL(testRedisUrl()).port) });
  harnesses.defer(() => trap.close());
  const trapped = createProducerConnection(`redis://127.0.0.1:${trap.port}`);
  const dying = createProducer({ redis: trapped, prefix: h.prefix, logger: h.logger });
  let sendId = '';
  try {
    trap.arm(patterns, async () => void trapped.disconnect());
    const first = await dying.campaign(rowsOf(list), { ...SETTINGS, idempotencyKey: key }, { onProgress: (p) => (sendId = p.sendId) }).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    await trap.sprung();
    expect(first?.code, first?.message).toBe('SMSQ_REDIS_UNAVAILABLE');
  } finally {
    await dying.close().catch(() => undefined);
    trapped.disconnect();
  }
  await h.redis.del(`${h.prefix}:idem:${key}:lease`);
  expect((await h.producer.getStatus(sendId)).send).toMatchObject({ state: 'enqueuing' });
  return sendId;
}

/** The repeat under `key` with `list` is refused 422 naming the list, and Redis is as it was before it. */
async function refusedWritingNothing(h: Harness, key: string, list: readonly string[]): Promise<void> {
  const before = await redisState(h);
  await expect(h.producer.campaign(rowsOf(list), { ...SETTINGS, idempotencyKey: key })).rejects.toMatchObject({ code: 'SMSQ_IDEMPOTENCY_KEY_REUSED', differingFields: ['recipients'] });
  expect(await redisState(h)).toEqual(before);
}

/** The repeat under `key` with the first's own `list` completes send `sendId`: every number of the list in one chunk of it. */
async function completes(h: Harness, key: string, list: readonly string[], sendId: string): Promise<void> {
  const done = await h.producer.campaign(rowsOf(list), { ...SETTINGS, idempotencyKey: key });
  expect(done).toMatchObject({ sendId, duplicate: false, completedEarlier: true, recipients: list.length });
  const per = await chunkedPerPhone(h, sendId);
  expect(per.size).toBe(list.length);
  expect(list.filter((p) => per.get(p) !== 1)).toEqual([]);
  expect((await h.producer.getStatus(sendId)).send).toMatchObject({ recipients: list.length, state: 'active' });
  // And once more: now the first send, whole.
  expect(await h.producer.campaign(rowsOf(list), { ...SETTINGS, idempotencyKey: key })).toMatchObject({ sendId, duplicate: true, recipients: list.length });
}

describe('a campaign cut off part-way through its list, repeated under its idempotency key', () => {
  it('cut off after writing chunks of list A: a repeat with another list (Node API, REST) is 422 naming the list and writes nothing; A itself completes the send, each number once', async () => {
    const h = await harnesses.create({ label: 'idem-cut-part' });
    const key = 'cut-part-1';
    const a = numbers(13512000000, 10_000);
    // Killed as the job of chunk 5 is added: chunks 0..6 are written (1,000 numbers each), the jobs of 3..6 not.
    const sendId = await cutOff(h, key, a, ['.5.a1']);
    const written = await chunkedPerPhone(h, sendId);
    expect(written.size).toBe(7000);

    // One number of the first chunk otherwise: another list.
    const b = [...a];
    b[500] = '13799999999';
    await refusedWritingNothing(h, key, b);
    // Another list altogether, and A with a number less at its start.
    await refusedWritingNothing(h, key, numbers(13698000000, 10_000));
    await refusedWritingNothing(h, key, a.slice(1));

    const app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: TOKEN, dashboard: { token: 'dashboard-token-0123456789' } });
    harnesses.defer(() => app.close());
    const before = await redisState(h);
    const posted = await app.inject({
      method: 'POST',
      url: '/v1/campaigns',
      headers: { authorization: `Bearer ${TOKEN}`, 'idempotency-key': key },
      payload: { ...SETTINGS, recipients: b.map((phone) => ({ phone })) },
    });
    expect(posted.statusCode, posted.body).toBe(422);
    expect(posted.json().error.code).toBe('SMSQ_IDEMPOTENCY_KEY_REUSED');
    expect(posted.json().error.message).toContain('stands for an earlier request whose `recipients` was different; nothing was enqueued');
    expect(await redisState(h)).toEqual(before);

    await completes(h, key, a, sendId);
  }, 60_000);

  it('cut off after writing chunks of list A: A itself, repeated at once, completes the send, each number once', async () => {
    const h = await harnesses.create({ label: 'idem-cut-same' });
    const a = numbers(13532000000, 10_000);
    const sendId = await cutOff(h, 'cut-same-1', a, ['.5.a1']);
    await completes(h, 'cut-same-1', a, sendId);
  }, 60_000);

  it('cut off after reading and keeping its whole list, before its enqueue was marked ended: a repeat with another list is 422 writing nothing; A itself completes the send', async () => {
    const h = await harnesses.create({ label: 'idem-cut-whole' });
    const key = 'cut-whole-1';
    const a = numbers(13522000000, 5000);
    const sendId = await cutOff(h, key, a, scriptCall('mark-enqueued-3'));
    expect(await h.redis.hget(`${h.prefix}:idem:${key}:list`, 'send')).toBe(sendId);
    expect((await chunkedPerPhone(h, sendId)).size).toBe(5000);

    // The first's list and one row more; one number otherwise near its end; one row less.
    await refusedWritingNothing(h, key, [...a, '13799999999']);
    const b = [...a];
    b[4990] = '13799999999';
    await refusedWritingNothing(h, key, b);
    await refusedWritingNothing(h, key, a.slice(0, -1));

    await completes(h, key, a, sendId);
  }, 60_000);
});
