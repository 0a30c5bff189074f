/**
 * The list of sends (producer.listSends, GET /v1/sends), against real Redis: newest first, filtered
 * by kind and state, paged by cursor; ids of expired sends are trimmed (by their kind's longest
 * retention) when a send is created and skipped (and removed) when their send is gone sooner; a
 * producer whose clock is behind another's indexes its sends after theirs; sends indexed before
 * the per-kind streams (the sorted set of earlier versions) are listed with the new ones; bad
 * parameters are refused by field and write nothing.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { ValidationError } from '../../src/errors.js';
import { createKeys } from '../../src/queue/keys.js';
import { MESSAGE_KINDS } from '../../src/queue/kinds.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { buildServer } from '../../server/build-server.js';
import { harnessPerTest } from '../support/pipeline.js';
import type { Producer } from '../../producers/producer.js';

const harnesses = harnessPerTest();
const MKT = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'marketing' as const };
const NOTE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'notification' as const };

async function pageThrough(producer: Producer, request: { kind?: 'marketing' | 'notification' | 'verification'; state?: string; limit: number }) {
  const ids: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await producer.listSends({ ...request, ...(cursor === undefined ? {} : { cursor }) });
    expect(page.sends.length).toBeLessThanOrEqual(request.limit);
    ids.push(page.sends.map((s) => s.send.sendId));
    cursor = page.next ?? undefined;
  } while (cursor !== undefined && ids.length < 50);
  return ids;
}

describe('the list of sends', () => {
  it('lists sends newest first, by kind and state, a page at a time, each once', async () => {
    const clock = createManualClock(Date.UTC(2026, 11, 4, 3, 0, 0));
    const h = await harnesses.create({ label: 'send-list', clock });
    const made: { sendId: string; kind: string }[] = [];
    for (let i = 0; i < 7; i++) {
      const kind = i % 2 === 0 ? MKT : NOTE;
      // Two sends share a createdAt: the cursor still lists each once.
      if (i !== 3) clock.advance(1000);
      const r = await h.producer.send({ ...kind, phones: [String(13800138000 + i)] });
      made.push({ sendId: r.sendId, kind: kind.kind });
    }
    const all = (await pageThrough(h.producer, { limit: 2 })).flat();
    const byAge = [...made].reverse();
    // Same createdAt (sends 2 and 3): each once, the later-created first.
    const expected = byAge.map((m) => m.sendId);
    expect(new Set(all)).toEqual(new Set(expected));
    expect(all).toHaveLength(7);
    expect(all[0]).toBe(made[6]?.sendId);
    expect(all[6]).toBe(made[0]?.sendId);

    const marketing = (await pageThrough(h.producer, { kind: 'marketing', limit: 3 })).flat();
    expect(marketing).toEqual(byAge.filter((m) => m.kind === 'marketing').map((m) => m.sendId));

    await h.producer.pause(made[1]!.sendId);
    await h.producer.cancel(made[2]!.sendId);
    expect((await pageThrough(h.producer, { state: 'paused', limit: 5 })).flat()).toEqual([made[1]!.sendId]);
    expect((await pageThrough(h.producer, { state: 'cancelled', limit: 5 })).flat()).toEqual([made[2]!.sendId]);
    const active = (await pageThrough(h.producer, { state: 'active', limit: 10 })).flat();
    expect(active).toHaveLength(5);
    expect(active).not.toContain(made[1]!.sendId);
  });

  it('trims ids of expired sends when a send of their kind is created, and skips and removes ids whose send is gone', async () => {
    const clock = createManualClock(Date.UTC(2026, 11, 4, 3, 0, 0));
    const h = await harnesses.create({ label: 'send-list-ttl', clock });
    const keys = createKeys(h.prefix);
    const indexed = async (kind: 'notification' | 'marketing') => (await h.redis.xrange(keys.sendIndex(kind), '-', '+')).map(([, fields]) => fields[1]);
    const old = await h.producer.send({ ...NOTE, phones: ['13800138000'] });
    const lost = await h.producer.send({ ...NOTE, phones: ['13800138001'] });
    const campaign = await h.producer.send({ ...MKT, phones: ['13800138003'] });
    // A send record gone before its retention (deleted, or lost by Redis): skipped and removed.
    await h.redis.del(keys.send(lost.sendId));
    const page = await h.producer.listSends();
    expect(page.sends.map((s) => s.send.sendId)).toEqual([campaign.sendId, old.sendId]);
    expect(page.next).toBeNull();
    expect(await indexed('notification')).toEqual([old.sendId]);
    // Eight days later (past the notification retention, 7 days; marketing keeps 30): creating a
    // notification trims the older notification ids, and leaves the marketing ones.
    clock.advance(8 * 86_400_000);
    const fresh = await h.producer.send({ ...NOTE, phones: ['13800138002'] });
    expect(await indexed('notification')).toEqual([fresh.sendId]);
    expect(await indexed('marketing')).toEqual([campaign.sendId]);
    // A producer that gives notifications a shorter retention trims by the longest one given.
    const sends = createSendStore({ redis: h.redis, keys });
    clock.advance(2 * 86_400_000);
    const short = { sendId: 'sshortretention1', kind: 'notification' as const, api: 'SendSms' as const, templateCode: 'SMS_1', signName: 'S', recipients: 1, rejected: 0, duplicates: 0, chunks: 1, createdAt: clock.now() };
    await sends.create(short, 86_400);
    expect(await indexed('notification')).toEqual([fresh.sendId, short.sendId]);
    expect(await h.redis.hget(keys.sendIndexHorizon(), 'notification')).toBe(String(7 * 86_400));
  });

  it('indexes the sends of a producer whose clock is behind another\'s after theirs, each once', async () => {
    const start = Date.UTC(2026, 11, 4, 3, 0, 0);
    const clock = createManualClock(start);
    const h = await harnesses.create({ label: 'send-list-clock', clock });
    const keys = createKeys(h.prefix);
    const a = await h.producer.send({ ...NOTE, phones: ['13800138000'] });
    // Another producer, 5 s behind, creates two sends in one of its ms; then one back in step.
    clock.set(start - 5000);
    const b = await h.producer.send({ ...NOTE, phones: ['13800138001'] });
    const c = await h.producer.send({ ...NOTE, phones: ['13800138002'] });
    clock.set(start);
    const d = await h.producer.send({ ...NOTE, phones: ['13800138003'] });
    const ids = (await h.redis.xrange(keys.sendIndex('notification'), '-', '+')).map(([id]) => id);
    expect(ids).toEqual([`${start}-0`, `${start}-1`, `${start}-2`, `${start}-3`]);
    expect((await pageThrough(h.producer, { limit: 3 })).flat()).toEqual([d.sendId, c.sendId, b.sendId, a.sendId]);
    // The record keeps the producer's own time.
    expect((await h.producer.getStatus(b.sendId)).send.createdAt).toBe(start - 5000);
  });

  it('lists the sends indexed before the streams (a sorted set, after an upgrade) with the new ones, by time, until they are gone', async () => {
    const start = Date.UTC(2026, 11, 4, 3, 0, 0);
    const clock = createManualClock(start);
    const h = await harnesses.create({ label: 'send-list-upgrade', clock });
    const keys = createKeys(h.prefix);
    /** What a producer of the version before left: the record, and its id in the sorted set scored by createdAt. */
    const asBefore = async (sendId: string) => {
      const createdAt = (await h.producer.getStatus(sendId)).send.createdAt;
      for (const kind of MESSAGE_KINDS) {
        for (const [id, fields] of await h.redis.xrange(keys.sendIndex(kind), '-', '+')) if (fields[1] === sendId) await h.redis.xdel(keys.sendIndex(kind), id);
      }
      await h.redis.zadd(keys.sends(), createdAt, sendId);
    };
    const send = async (kind: typeof NOTE | typeof MKT, phone: string) => {
      clock.advance(1000);
      return (await h.producer.send({ ...kind, phones: [phone] })).sendId;
    };
    // Before the upgrade: three sends, two of them at one createdAt (listed in reverse id order, as before).
    const o1 = await send(NOTE, '13800138000');
    const o2 = await send(MKT, '13800138001');
    clock.advance(-1000);
    const o3 = await send(NOTE, '13800138002');
    for (const id of [o1, o2, o3]) await asBefore(id);
    for (const kind of MESSAGE_KINDS) await h.redis.del(keys.sendIndex(kind));
    await h.redis.del(keys.sendIndexHorizon());
    const [later, earlier] = [o2, o3].sort().reverse() as [string, string];
    // A page read before the upgrade, as its cursor named the place then: [1, createdAt, sendId].
    const before = Buffer.from(JSON.stringify([1, start + 2000, later])).toString('base64url');
    expect((await h.producer.listSends({ cursor: before })).sends.map((s) => s.send.sendId)).toEqual([earlier, o1]);

    // After: new sends in the streams, and one more in the sorted set from a producer not yet upgraded.
    const n1 = await send(NOTE, '13800138003');
    const rolling = await send(MKT, '13800138004');
    await asBefore(rolling);
    const n2 = await send(MKT, '13800138005');
    const newestFirst = [n2, rolling, n1, later, earlier, o1];
    for (const limit of [1, 2, 4, 10]) expect((await pageThrough(h.producer, { limit })).flat()).toEqual(newestFirst);
    expect((await pageThrough(h.producer, { kind: 'marketing', limit: 1 })).flat()).toEqual([n2, rolling, o2]);
    expect((await pageThrough(h.producer, { kind: 'notification', limit: 2 })).flat()).toEqual([n1, o3, o1]);
    await h.producer.pause(o1);
    expect((await pageThrough(h.producer, { state: 'paused', limit: 5 })).flat()).toEqual([o1]);
    // An id of the sorted set whose send is gone is skipped and removed, as before.
    await h.redis.del(keys.send(o3));
    expect((await pageThrough(h.producer, { limit: 3 })).flat()).toEqual(newestFirst.filter((id) => id !== o3));
    expect(await h.redis.zscore(keys.sends(), o3)).toBeNull();
    // The sorted set keeps an id a year, as before; then it is gone, and the streams list alone (a
    // kind's stream is trimmed when a send of that kind is created: the marketing one still holds
    // n2, whose record has not expired in real time).
    clock.advance(366 * 86_400_000);
    const fresh = await send(NOTE, '13800138006');
    expect(await h.redis.exists(keys.sends())).toBe(0);
    expect((await h.producer.listSends()).sends.map((s) => s.send.sendId)).toEqual([fresh, n2]);
  });

  it('refuses bad parameters by field', async () => {
    const h = await harnesses.create({ label: 'send-list-bad' });
    await expect(h.producer.listSends({ limit: 0 })).rejects.toMatchObject({ code: 'SMSQ_INVALID_REQUEST', issues: [{ field: 'limit' }] });
    await expect(h.producer.listSends({ state: 'sleeping' })).rejects.toBeInstanceOf(ValidationError);
    await expect(h.producer.listSends({ cursor: 'not-a-cursor' })).rejects.toMatchObject({ issues: [{ field: 'cursor' }] });
  });

  it('GET /v1/sends answers pages of statuses and names bad query parameters', async () => {
    const h = await harnesses.create({ label: 'send-list-http' });
    const app = await buildServer({ redis: h.redis, prefix: h.prefix, producer: h.producer, logger: h.logger, apiToken: 't', dashboard: { token: 'd' }, checkResponses: true });
    harnesses.defer(() => app.close());
    const a = await h.producer.send({ ...NOTE, phones: ['13800138000'] });
    const b = await h.producer.send({ ...MKT, phones: ['13800138001'] });
    const auth = { authorization: 'Bearer t' };
    const first = await app.inject({ url: '/v1/sends?limit=1', headers: auth });
    expect(first.statusCode).toBe(200);
    const body = first.json() as { sends: { send: { sendId: string } }[]; next: string };
    expect(body.sends.map((s) => s.send.sendId)).toEqual([b.sendId]);
    const second = await app.inject({ url: `/v1/sends?limit=1&cursor=${body.next}`, headers: auth });
    expect((second.json() as { sends: { send: { sendId: string } }[] }).sends.map((s) => s.send.sendId)).toEqual([a.sendId]);
    const kinds = await app.inject({ url: '/v1/sends?kind=marketing', headers: auth });
    expect((kinds.json() as { sends: unknown[]; next: null }).sends).toHaveLength(1);

    const bad = await app.inject({ url: '/v1/sends?kind=promo&state=sleeping&limit=500&cursor=zz&color=red', headers: auth });
    expect(bad.statusCode).toBe(400);
    const fields = (bad.json() as { error: { code: string; issues: { field: string }[] } }).error;
    expect(fields.code).toBe('SMSQ_INVALID_REQUEST');
    expect(fields.issues.map((i) => i.field).sort()).toEqual(['query.color', 'query.kind', 'query.limit', 'query.state']);
    const badCursor = await app.inject({ url: '/v1/sends?cursor=zz', headers: auth });
    expect((badCursor.json() as { error: { issues: { field: string }[] } }).error.issues[0]?.field).toBe('query.cursor');
    expect((await app.inject({ url: '/v1/sends' })).statusCode).toBe(401);
  });
});
