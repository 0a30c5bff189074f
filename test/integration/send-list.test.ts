/**
 * The list of sends (producer.listSends, GET /v1/sends), against real Redis: newest first, filtered
 * by kind and state, paged by cursor; ids of expired sends are trimmed when a send is created and
 * skipped (and removed) when their send is gone sooner; bad parameters are refused by field and
 * write nothing.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { ValidationError } from '../../src/errors.js';
import { createKeys } from '../../src/queue/keys.js';
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
    // Same createdAt (sends 2 and 3): reverse id order, as the index gives them.
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

  it('trims ids of expired sends when a send is created, and skips and removes ids whose send is gone', async () => {
    const clock = createManualClock(Date.UTC(2026, 11, 4, 3, 0, 0));
    const h = await harnesses.create({ label: 'send-list-ttl', clock });
    const keys = createKeys(h.prefix);
    const old = await h.producer.send({ ...NOTE, phones: ['13800138000'] });
    const lost = await h.producer.send({ ...NOTE, phones: ['13800138001'] });
    // A send record gone before its retention (deleted, or lost by Redis): skipped and removed.
    await h.redis.del(keys.send(lost.sendId));
    const page = await h.producer.listSends();
    expect(page.sends.map((s) => s.send.sendId)).toEqual([old.sendId]);
    expect(page.next).toBeNull();
    expect(await h.redis.zscore(keys.sends(), lost.sendId)).toBeNull();
    // A year and a day later (past the longest retention allowed): creating a send trims the older
    // ids. Sends of shorter-lived kinds are gone long before; the list drops their ids as above.
    clock.advance(366 * 86_400_000);
    const fresh = await h.producer.send({ ...NOTE, phones: ['13800138002'] });
    expect(await h.redis.zrange(keys.sends(), 0, -1)).toEqual([fresh.sendId]);
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
