/**
 * Records live as long as their kind's retention (issue 14): a verification code's send, counts,
 * chunk and receipts expire after days, a campaign's after a month, in a real Redis. A receipt
 * stored later expires with its chunk, whatever the ingest was told.
 */
import { describe, expect, it } from 'vitest';
import { createProducer } from '../../producers/producer.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createKeys } from '../../src/queue/keys.js';
import { createSendStore } from '../../src/queue/send-store.js';
import { createRecipientStore } from '../../src/receipts/recipient-store.js';
import { systemClock } from '../../src/clock.js';
import { harnessPerTest } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const DAY = 86_400;
const harnesses = harnessPerTest();

describe('retention per kind', () => {
  it('gives each kind its own lifetime by default, and a receipt the lifetime of its chunk', async () => {
    const h = await harnesses.create({ label: 'retention' });
    const keys = createKeys(h.prefix);
    const code = await h.producer.send({ kind: 'verification', phones: ['13800138000'], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' } });
    const campaign = await h.producer.send({ kind: 'marketing', phones: ['13800138001', 'not-a-number'], signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'Ada' } });
    const ttl = async (key: string) => h.redis.ttl(key);
    const near = (days: number) => [days * DAY - 60, days * DAY] as const;
    for (const [sendId, days] of [
      [code.sendId, 4],
      [campaign.sendId, 30],
    ] as const) {
      for (const key of [keys.send(sendId), keys.sendCounts(sendId), keys.chunk(`${sendId}.0`)]) {
        const left = await ttl(key);
        expect(left, key).toBeGreaterThanOrEqual(near(days)[0]);
        expect(left, key).toBeLessThanOrEqual(near(days)[1]);
      }
    }
    // The campaign's number refused at the door is listed among its recipients for as long.
    expect(await ttl(keys.recipients(campaign.sendId))).toBeGreaterThanOrEqual(near(30)[0]);

    // A receipt applied to the code is kept with its chunk (4 days), not the ingest's 30 days.
    await h.startWorker();
    await waitFor(async () => ((await h.producer.getStatus(code.sendId)).counts.accepted === 1 ? true : undefined), 'the code accepted');
    const store = createRecipientStore({ redis: h.redis, keys, clock: systemClock, retentionSeconds: 30 * DAY });
    const applied = await store.apply(code.sendId, `${code.sendId}.0`, '13800138000', { state: 'delivered', code: 'DELIVERED', receivedAt: Date.now(), source: 'query' });
    expect(applied.status).toBe('applied');
    const left = await ttl(keys.recipients(code.sendId));
    expect(left).toBeGreaterThanOrEqual(near(4)[0]);
    expect(left).toBeLessThanOrEqual(near(4)[1]);
  });

  it('takes the producer option per kind, seconds', async () => {
    const h = await harnesses.create({ label: 'retention-option' });
    const producer = createProducer({ redis: h.producerRedis, prefix: h.prefix, retention: { notification: 2 * DAY }, retentionSeconds: 9 * DAY });
    harnesses.defer(() => producer.close());
    const keys = createKeys(h.prefix);
    const note = await producer.send({ kind: 'notification', phones: ['13800138002'], signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } });
    const code = await producer.send({ kind: 'verification', phones: ['13800138003'], signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '654321' } });
    expect(await h.redis.ttl(keys.send(note.sendId))).toBeGreaterThan(2 * DAY - 60);
    expect(await h.redis.ttl(keys.send(note.sendId))).toBeLessThanOrEqual(2 * DAY);
    expect(await h.redis.ttl(keys.chunk(`${code.sendId}.0`))).toBeGreaterThan(9 * DAY - 60);
    expect(await h.redis.ttl(keys.chunk(`${code.sendId}.0`))).toBeLessThanOrEqual(9 * DAY);
  });
});

describe('the index of sends under retention per kind', () => {
  it('keeps a campaign listed while a verification code, shorter-lived, is created days later', async () => {
    const h = await harnesses.create({ label: 'retention-index' });
    const keys = createKeys(h.prefix);
    const sends = createSendStore({ redis: h.redis, keys });
    const now = Date.now();
    const base = { api: 'SendSms' as const, templateCode: N.marketingTemplate, signName: N.sign, recipients: 1, rejected: 0, duplicates: 0, chunks: 1 };
    const indexed = async (kind: 'marketing' | 'verification') => (await h.redis.xrange(keys.sendIndex(kind), '-', '+')).map(([, fields]) => fields[1]);
    await sends.create({ ...base, sendId: 'smcampaign10daysago', kind: 'marketing', createdAt: now - 10 * DAY * 1000 }, 30 * DAY);
    await sends.create({ ...base, sendId: 'smcodenow', kind: 'verification', createdAt: now }, 4 * DAY);
    expect((await h.producer.listSends()).sends.map((s) => s.send.sendId)).toEqual(['smcodenow', 'smcampaign10daysago']);
    // A code created past the verification retention trims the older codes' entries, not the campaign's.
    await sends.create({ ...base, sendId: 'smcodelater', kind: 'verification', createdAt: now + 21 * DAY * 1000 }, 4 * DAY);
    expect(await indexed('verification')).toEqual(['smcodelater']);
    expect(await indexed('marketing')).toEqual(['smcampaign10daysago']);
    // Past the marketing retention, a campaign created then lets the entry go.
    await sends.create({ ...base, sendId: 'smcampaignlater', kind: 'marketing', createdAt: now + 21 * DAY * 1000 }, 30 * DAY);
    expect(await indexed('marketing')).toEqual(['smcampaignlater']);
  });
});
