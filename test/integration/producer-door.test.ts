/**
 * The Node API's door, from an integrator's trial: a misspelt field was dropped (a retry with
 * `idempotency_key` sent twice), a retry of a campaign whose list broke off was answered
 * `duplicate: true` while the send stayed paused and the rest was never queued, a retry that
 * completed a cut-off send said "nothing new was enqueued", a Date deadline was "Invalid input",
 * and a closed producer still enqueued. Against real Redis; the producer only (no worker needed).
 */
import { describe, expect, it } from 'vitest';
import { createProducer } from '../../producers/producer.js';
import { buildServer } from '../../server/build-server.js';
import type { CampaignRecipient } from '../../producers/schemas.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { IdempotencyKeyCutShortError, ListInterruptedError, ProducerClosedError, RedisNotDurableError, ValidationError } from '../../src/errors.js';
import { startPrivateRedis } from '../../src/runtime/private-redis.js';
import { createHarness, harnessPerTest, type Harness } from '../support/pipeline.js';
import { createCheckingProducer } from '../support/checking-producer.js';

const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' as const };
const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const CAMPAIGN = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' } };
const harnesses = harnessPerTest();

/** Send records written under the harness's prefix: none after a refusal. */
const sendKeys = (h: Harness) => h.redis.keys(`${h.prefix}:send:*`);

async function refusal(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** `n` rows of a list that breaks off (its cursor dies) before row `failAt`; -1: it reads whole. */
async function* list(n: number, failAt = -1): AsyncGenerator<CampaignRecipient> {
  for (let i = 0; i < n; i++) {
    if (i === failAt) throw new Error('db cursor died');
    yield { phone: String(13500000000 + i) };
  }
}

describe('a field the request does not have is refused by name, with the field meant; nothing is written', () => {
  it('send: idempotency_key, deadLine and templateParams are refused (they were dropped: a retry sent twice)', async () => {
    const h = await harnesses.create({ label: 'door-unknown' });
    // Typed requests: a misspelt field does not compile (what a JavaScript caller can still pass is refused at run time).
    // @ts-expect-error idempotency_key is not a field of a send request
    const typo = { ...CODE, phones: ['13800138005'], idempotency_key: 'k-typo' } satisfies Parameters<typeof h.producer.send>[0];
    for (let attempt = 0; attempt < 2; attempt++) {
      const err = await refusal(h.producer.send(typo));
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues).toEqual([{ field: 'idempotency_key', message: 'is not a field of a send request. Fix: write it as idempotencyKey (field names must match exactly)' }]);
    }
    const err = (await refusal(h.producer.send({ ...NOTE, phones: ['13800138006'], deadLine: Date.now() + 60_000, templateParams: { name: 'x' } } as never))) as ValidationError;
    expect(err.issues).toEqual([
      { field: 'deadLine', message: 'is not a field of a send request. Fix: write it as deadline (field names must match exactly)' },
      { field: 'templateParams', message: 'is not a field of a send request. Fix: write it as templateParam (field names must match exactly)' },
    ]);
    // Nothing close: the fields there are.
    const far = (await refusal(h.producer.send({ ...NOTE, phones: ['13800138007'], priority: 'high' } as never))) as ValidationError;
    expect(far.issues[0]).toEqual({ field: 'priority', message: expect.stringMatching(/^is not a field of a send request\. Fix: remove it, or use one of its fields: phones, signName, templateCode, templateParam, .*idempotencyKey/) });
    // What JavaScript may pass: refused, typed.
    await expect(h.producer.send(null as never)).rejects.toMatchObject({ code: 'SMSQ_INVALID_REQUEST' });
    expect(await sendKeys(h)).toEqual([]);
  });

  it('sendBatch (its messages too), campaign and the plans refuse them the same way', async () => {
    const h = await harnesses.create({ label: 'door-unknown-all' });
    const batch = { templateCode: N.notificationTemplate, messages: [{ phone: '13800138010', sign_name: N.sign, templateParam: { name: 'a', order: '1' } }] };
    const err = (await refusal(h.producer.sendBatch(batch as never))) as ValidationError;
    expect(err.issues).toContainEqual({ field: 'messages[0].sign_name', message: 'is not a field of an item of a batch request. Fix: write it as signName (field names must match exactly)' });
    await expect(h.producer.planSendBatch(batch as never)).rejects.toBeInstanceOf(ValidationError);
    const settings = { ...CAMPAIGN, idempotencykey: 'spring' };
    const campaignErr = (await refusal(h.producer.campaign(list(3), settings as never))) as ValidationError;
    expect(campaignErr.issues).toEqual([{ field: 'idempotencykey', message: 'is not a field of a campaign request. Fix: write it as idempotencyKey (field names must match exactly)' }]);
    await expect(h.producer.planCampaign(list(3), settings as never)).rejects.toBeInstanceOf(ValidationError);
    expect(await sendKeys(h)).toEqual([]);
  });
});

describe('deadline', () => {
  it('takes a Date (the natural JS type); an Invalid Date is refused saying what is accepted', async () => {
    const h = await harnesses.create({ label: 'door-deadline' });
    const at = new Date(Date.now() + 3_600_000);
    const sent = await h.producer.send({ ...NOTE, phones: ['13800138020'], deadline: at });
    expect((await h.producer.getStatus(sent.sendId)).send.deadline).toBe(at.getTime());
    const err = (await refusal(h.producer.send({ ...NOTE, phones: ['13800138021'], deadline: new Date('not a date') }))) as ValidationError;
    expect(err.issues).toEqual([{ field: 'deadline', message: expect.stringMatching(/^must be a Date, an ISO 8601 time with a zone .* or epoch milliseconds, got an Invalid Date\. Fix: /) }]);
    const wrongType = (await refusal(h.producer.send({ ...NOTE, phones: ['13800138021'], deadline: true } as never))) as ValidationError;
    expect(wrongType.issues[0]?.message).toMatch(/^must be a Date, an ISO 8601 time .*, got a boolean\. Fix: /);
    // The same deadline as a Date or as epoch ms is the same request for an idempotency key.
    const a = await h.producer.send({ ...NOTE, phones: ['13800138022'], deadline: at, idempotencyKey: 'dated' });
    const b = await h.producer.send({ ...NOTE, phones: ['13800138022'], deadline: at.getTime(), idempotencyKey: 'dated' });
    expect(b).toMatchObject({ sendId: a.sendId, duplicate: true });
  });
});

describe('deadline written as text', () => {
  // A trial's deadlines `2026-12-07T09:00:00+0800` (ISO 8601's basic offset) and
  // `2026-12-07 09:00:00+08:00` (RFC 3339's space for the T) were refused as no time at all.
  it('takes an offset without its colon and a space for the T, as the same time; a time without a zone is still refused, writing nothing', async () => {
    const h = await harnesses.create({ label: 'door-deadline-text' });
    const at = Math.ceil((Date.now() + 3_600_000) / 1000) * 1000;
    const china = new Date(at + 8 * 3_600_000).toISOString().slice(0, 19);
    const [day, time] = [china.slice(0, 10), china.slice(11)];
    for (const [i, deadline] of [`${day}T${time}+0800`, `${day} ${time}+08:00`, `${day} ${time}+0800`].entries()) {
      const sent = await h.producer.send({ ...NOTE, phones: [`1380013804${i}`], deadline });
      expect((await h.producer.getStatus(sent.sendId)).send.deadline, deadline).toBe(at);
    }
    // The same instant in another form is the same request for an idempotency key.
    const a = await h.producer.send({ ...NOTE, phones: ['13800138045'], deadline: `${day}T${time}+08:00`, idempotencyKey: 'text-deadline' });
    const b = await h.producer.send({ ...NOTE, phones: ['13800138045'], deadline: `${day} ${time}+0800`, idempotencyKey: 'text-deadline' });
    expect(b).toMatchObject({ sendId: a.sendId, duplicate: true });
    // The suite's Redis is shared with other files: what a refusal would write is under this prefix.
    const keysBefore = (await h.redis.keys(`${h.prefix}:*`)).sort();
    for (const deadline of [`${day}T${time}`, `${day} ${time}`, `${day}T${time}+08`, '2026-02-30T09:00:00+0800', `${day}T${time}+2400`]) {
      const err = (await refusal(h.producer.send({ ...NOTE, phones: ['13800138046'], deadline }))) as ValidationError;
      expect(err, deadline).toBeInstanceOf(ValidationError);
      expect(err.issues, deadline).toEqual([{ field: 'deadline', message: expect.stringMatching(/^must be a Date, an ISO 8601 time with a zone .*, got .*\. Fix: /) }]);
    }
    expect((await h.redis.keys(`${h.prefix}:*`)).sort()).toEqual(keysBefore);
  });
});

describe('a closed producer', () => {
  it('refuses every call with SMSQ_PRODUCER_CLOSED and writes nothing (it enqueued)', async () => {
    const h = await harnesses.create({ label: 'door-closed' });
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix });
    const first = await producer.send({ ...CODE, phones: ['13800138030'] });
    await producer.close();
    const before = (await sendKeys(h)).sort();
    const err = await refusal(producer.send({ ...CODE, phones: ['13800138031'] }));
    expect(err).toBeInstanceOf(ProducerClosedError);
    expect(err).toMatchObject({ code: 'SMSQ_PRODUCER_CLOSED', message: expect.stringContaining('producer.send() was called after producer.close(); nothing was enqueued or changed') });
    await expect(producer.campaign(list(3), CAMPAIGN)).rejects.toMatchObject({ code: 'SMSQ_PRODUCER_CLOSED' });
    await expect(producer.sendBatch({ templateCode: N.notificationTemplate, messages: [{ phone: '13800138032', signName: N.sign, templateParam: { name: 'a', order: '1' } }] })).rejects.toMatchObject({ code: 'SMSQ_PRODUCER_CLOSED' });
    await expect(producer.cancel(first.sendId)).rejects.toMatchObject({ code: 'SMSQ_PRODUCER_CLOSED' });
    await expect(producer.getStatus(first.sendId)).rejects.toMatchObject({ code: 'SMSQ_PRODUCER_CLOSED' });
    expect((await sendKeys(h)).sort()).toEqual(before);
    expect((await h.producer.getStatus(first.sendId)).send.state).toBe('active');
    // Closing twice is no error.
    await producer.close();
  });
});

describe('a retry under the key of a campaign whose list was cut short', () => {
  it('is refused, naming the send, its state, what it holds and the ways on; nothing is written, and it stays so once resumed', async () => {
    const h = await harnesses.create({ label: 'door-cut-short' });
    const settings = { ...CAMPAIGN, idempotencyKey: 'spring-sale' };
    const broke = await refusal(h.producer.campaign(list(2500, 1500), settings));
    expect(broke).toBeInstanceOf(ListInterruptedError);
    const { sendId } = broke as ListInterruptedError;
    const chunksBefore = (await h.redis.keys(`${h.prefix}:chunk:*`)).sort();

    // It answered { duplicate: true, recipients: 1500 } and the rest was never queued.
    const err = await refusal(h.producer.campaign(list(2500), settings));
    expect(err).toBeInstanceOf(IdempotencyKeyCutShortError);
    expect(err).toMatchObject({ code: 'SMSQ_IDEMPOTENCY_KEY_CUT_SHORT', idempotencyKey: 'spring-sale', sendId, state: 'paused', recipients: 1500, cutShort: 'its list stopped reading after 1500 rows' });
    expect((err as Error).message).toBe(
      `the idempotency key "spring-sale" stands for send ${sendId}, a campaign cut short when its list stopped reading after 1500 rows: it holds only the 1500 recipients read before, and it is paused (nothing more of it goes out); nothing was enqueued by this request. ` +
        `Fix: resume it to send them (producer.resume, smsq campaign resume ${sendId}, or POST /v1/sends/${sendId}/resume) and send the rest of the list as a new campaign under a new idempotency key (this one stands for this send); ` +
        `or cancel it (producer.cancel, smsq campaign cancel ${sendId}, or POST /v1/sends/${sendId}/cancel) and send the whole list under a new idempotency key (this one stands for this send)`,
    );
    expect((await h.redis.keys(`${h.prefix}:chunk:*`)).sort()).toEqual(chunksBefore);
    expect((await h.producer.getStatus(sendId)).send).toMatchObject({ state: 'paused', recipients: 1500 });

    // Over HTTP, the same settings under the same Idempotency-Key: 409 in the error shape, nothing written.
    const app = await buildServer({ checkResponses: true, redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: 'test-api-token-0123456789', dashboard: { token: 'dashboard-token-0123456789' } });
    harnesses.defer(() => app.close());
    const { idempotencyKey: _key, ...body } = settings;
    const answer = await app.inject({
      method: 'POST',
      url: '/v1/campaigns',
      headers: { authorization: 'Bearer test-api-token-0123456789', 'idempotency-key': 'spring-sale' },
      payload: { ...body, recipients: [{ phone: '13500000000' }, { phone: '13500002000' }] },
    });
    expect(answer.statusCode).toBe(409);
    expect(answer.json()).toMatchObject({ error: { code: 'SMSQ_IDEMPOTENCY_KEY_CUT_SHORT', message: expect.stringContaining(`stands for send ${sendId}, a campaign cut short`) } });
    expect((await h.redis.keys(`${h.prefix}:chunk:*`)).sort()).toEqual(chunksBefore);

    // Resumed, it still holds part of the list: the key still does not stand for the whole.
    await h.producer.resume(sendId);
    await expect(h.producer.campaign(list(2500), settings)).rejects.toThrow(/it holds only the 1500 recipients read before, and it was resumed since \(now active\); .* Fix: send the rest of the list as a new campaign under a new idempotency key/);
    // The rest under a new key goes.
    const rest = await h.producer.campaign((async function* () { for await (const r of list(2500)) if (Number(r.phone) >= 13500001500) yield r; })(), { ...settings, idempotencyKey: 'spring-sale-rest' });
    expect(rest).toMatchObject({ duplicate: false, completedEarlier: false, recipients: 1000 });
  });

  it('a campaign that ended whole under its key still answers a retry with its send', async () => {
    const h = await harnesses.create({ label: 'door-whole' });
    const settings = { ...CAMPAIGN, idempotencyKey: 'whole' };
    const first = await h.producer.campaign(list(1200), settings);
    await h.producer.pause(first.sendId);
    expect(await h.producer.campaign(list(1200), settings)).toMatchObject({ sendId: first.sendId, duplicate: true, completedEarlier: false, recipients: 1200 });
  });
});

describe('a retry that completes a send an earlier request began', () => {
  /** The earlier request "died" before its enqueue ended: as the repair sweep and a retry find it. */
  // As a request cut off before its enqueue ended leaves it: no enqueuedAt, and its key not marked ended.
  async function unfinished(h: Harness, sendId: string, key: string) {
    await h.redis.hset(`${h.prefix}:send:${sendId}`, 'state', 'enqueuing');
    await h.redis.hdel(`${h.prefix}:send:${sendId}`, 'enqueuedAt');
    await h.redis.del(`${h.prefix}:idem:${key}:done`);
  }

  it('says so (completedEarlier: true), not duplicate: true ("nothing new was enqueued")', async () => {
    const h = await harnesses.create({ label: 'door-completed' });
    const request = { ...NOTE, phones: ['13800138040', '13800138041'], idempotencyKey: 'order-7' };
    const first = await h.producer.send(request);
    expect(first).toMatchObject({ duplicate: false, completedEarlier: false });
    await unfinished(h, first.sendId, 'order-7');
    expect(await h.producer.send(request)).toMatchObject({ sendId: first.sendId, duplicate: false, completedEarlier: true, recipients: 2 });
    expect(await h.producer.send(request)).toMatchObject({ sendId: first.sendId, duplicate: true, completedEarlier: false });

    const settings = { ...CAMPAIGN, idempotencyKey: 'camp-7' };
    const campaign = await h.producer.campaign(list(1500), settings);
    await unfinished(h, campaign.sendId, 'camp-7');
    expect(await h.producer.campaign(list(1500), settings)).toMatchObject({ sendId: campaign.sendId, duplicate: false, completedEarlier: true, recipients: 1500 });
    expect((await h.producer.getStatus(campaign.sendId)).send).toMatchObject({ state: 'active', recipients: 1500 });
  });
});

describe('a send refused because Redis cannot keep the durability mode', () => {
  it('writes nothing to that Redis: the check comes before the account look-ups (they left the catalog cache and the pacer key, a new user\'s trial)', async () => {
    const redis = await startPrivateRedis({ appendfsync: 'everysec' });
    // Its own harness: closed before that Redis stops (a harness per test closes after the test).
    const h = await createHarness({ label: 'door-not-durable', redisUrl: redis.url });
    try {
      const producer = createCheckingProducer(h);
      try {
        const err = await refusal(producer.send({ ...NOTE, phones: ['13800138008'] }));
        expect(err).toBeInstanceOf(RedisNotDurableError);
        expect(await h.redis.keys(`${h.prefix}*`)).toEqual([]);
        expect(h.emulator.calls()).toEqual([]);
        // The request's own faults still come first.
        expect(await refusal(producer.send({ ...NOTE, phones: ['1380013800'] }))).toBeInstanceOf(ValidationError);
      } finally {
        await producer.close();
      }
    } finally {
      await h.close();
      await redis.stop();
    }
  });
});
