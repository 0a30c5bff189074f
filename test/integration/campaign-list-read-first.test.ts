/**
 * A campaign refused for its list (a file that cannot be read, a header without a number column,
 * a list with nothing in it) leaves nothing at all in Redis, not even the account look-ups'
 * bookkeeping (the catalog cache, the pacer's key): the list's first read comes before the
 * look-ups, which were made first and wrote both. Through the producer API (campaign and its dry
 * run), `smsq campaign` (in-process runCli) and POST /v1/campaigns with a CSV upload; each on a
 * prefix of its own, on a private Redis and the emulator through the SDK, whose call record shows
 * that no look-up was made. A list read well is still checked against the account, and a source
 * refused after its first read is let go.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_USAGE } from '../../cli/errors.js';
import { createProducer, type Producer } from '../../producers/producer.js';
import { readRecipientsFile } from '../../producers/recipient-file.js';
import type { CampaignRecipient } from '../../producers/schemas.js';
import { buildServer } from '../../server/build-server.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { CampaignStoppedError, ValidationError } from '../../src/errors.js';
import { createCatalogLookup } from '../../src/queue/catalog-lookup.js';
import { runSmsqInProcess } from '../support/cli-run.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { testRedisUrl, uniquePrefix } from '../support/redis.js';

const TOKEN = 'test-api-token-0123456789';
const SETTINGS = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: '会员' } };
const LOOK_UPS = new Set(['GetSmsSign', 'GetSmsTemplate', 'QuerySmsSign', 'QuerySmsTemplate']);

const dir = mkdtempSync(join(tmpdir(), 'smsq-list-first-'));
let h: Harness;
const opened: Producer[] = [];

beforeAll(async () => {
  h = await createHarness({ label: 'list-first' });
});

afterAll(async () => {
  for (const p of opened) await p.close();
  for (const key of await h.redis.keys('{list-first*')) await h.redis.del(key);
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A producer checking the account at the door, on a prefix nothing has written to yet. */
function freshProducer(): { producer: Producer; prefix: string } {
  const prefix = uniquePrefix('list-first');
  const producer = createProducer({ redis: h.producerRedis, prefix, logger: h.logger, catalog: createCatalogLookup({ client: h.client, redis: h.redis, prefix, qps: 500 }) });
  opened.push(producer);
  return { producer, prefix };
}

async function keysOf(prefix: string): Promise<string[]> {
  return (await h.redis.keys(`${prefix}*`)).sort();
}

function lookUpsMade(): number {
  return h.emulator.calls().filter((c) => LOOK_UPS.has(c.action)).length;
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function refusal(run: Promise<unknown>): Promise<unknown> {
  const err: unknown = await run.catch((e: unknown) => e);
  expect(err, 'the campaign was refused').toBeInstanceOf(Error);
  return err;
}

const MISSING = () => join(dir, 'no-such-list.csv');
const NO_PHONE_COLUMN = () => file('no-phone.csv', 'name,city\nLi,Hangzhou\n');
const HEADER_ONLY = () => file('header-only.csv', 'phone,name\n');

describe('a list refused for itself: nothing in Redis, no look-up', () => {
  for (const [what, path, says] of [
    ['a file that cannot be read', MISSING, /cannot be read/],
    ['a header without a number column', NO_PHONE_COLUMN, /phone/],
    ['a file with only its header', HEADER_ONLY, /no valid recipient|no recipient/],
  ] as const) {
    it(`producer.campaign: ${what}`, async () => {
      const { producer, prefix } = freshProducer();
      const before = lookUpsMade();
      const err = await refusal(producer.campaign(readRecipientsFile(path()), SETTINGS));
      expect((err as Error).message).toMatch(says);
      expect(await keysOf(prefix)).toEqual([]);
      expect(lookUpsMade()).toBe(before);
    });

    it(`producer.planCampaign (the dry run): ${what}`, async () => {
      const { producer, prefix } = freshProducer();
      const before = lookUpsMade();
      const err = await refusal(producer.planCampaign(readRecipientsFile(path()), SETTINGS));
      expect((err as Error).message).toMatch(says);
      expect(await keysOf(prefix)).toEqual([]);
      expect(lookUpsMade()).toBe(before);
    });
  }

  it('producer.campaign: an empty list given as a stream', async () => {
    const { producer, prefix } = freshProducer();
    const before = lookUpsMade();
    const err = await refusal(producer.campaign((async function* () {})(), SETTINGS));
    expect(err).toBeInstanceOf(ValidationError);
    expect(await keysOf(prefix)).toEqual([]);
    expect(lookUpsMade()).toBe(before);
  });

  it('smsq campaign --file (with --yes, and --dry-run): a file that cannot be read, a header without a number column', async () => {
    for (const path of [MISSING(), NO_PHONE_COLUMN()]) {
      for (const mode of ['--yes', '--dry-run']) {
        const prefix = uniquePrefix('list-first');
        const before = lookUpsMade();
        const run = await runSmsqInProcess(['campaign', '--file', path, '--sign', N.sign, '--template', N.marketingTemplate, '--param', '{"name":"会员"}', mode], {
          env: { REDIS_URL: testRedisUrl(), SMSQ_PREFIX: prefix, SMS_MODE: 'sandbox', SMS_ENDPOINT: h.endpoint, LOG_LEVEL: 'silent', SMSQ_QUIET_HOURS: 'off' },
        });
        expect(run.code, `${path} ${mode}: ${run.stderr}`).toBe(EXIT_USAGE);
        expect(run.stderr).toMatch(/cannot be read|names no phone column/);
        expect(await keysOf(prefix)).toEqual([]);
        expect(lookUpsMade(), `${path} ${mode}`).toBe(before);
      }
    }
  });

  it('POST /v1/campaigns, a CSV upload without a number column', async () => {
    const { producer, prefix } = freshProducer();
    const app = await buildServer({ checkResponses: true, redis: h.redis, prefix, producer, logger: h.logger, apiToken: TOKEN, dashboard: { basicAuth: { user: 'ops', password: 'dashboard-password-1' } } });
    try {
      const before = lookUpsMade();
      const query = new URLSearchParams({ signName: N.sign, templateCode: N.marketingTemplate, templateParam: JSON.stringify({ name: '会员' }) });
      const res = await app.inject({ method: 'POST', url: `/v1/campaigns?${query}`, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/csv' }, payload: 'name,city\nLi,Hangzhou\n' });
      expect(res.statusCode, res.body).toBe(400);
      expect(await keysOf(prefix)).toEqual([]);
      expect(lookUpsMade()).toBe(before);
    } finally {
      await app.close();
    }
  });
});

describe('a list read well is still checked against the account', () => {
  it('an unknown template is refused after the first read, and the source is let go', async () => {
    const { producer } = freshProducer();
    let closed = false;
    async function* rows(): AsyncGenerator<CampaignRecipient> {
      try {
        yield { phone: '13800138000' };
        yield { phone: '13800138001' };
      } finally {
        closed = true;
      }
    }
    const before = lookUpsMade();
    const err = await refusal(producer.campaign(rows(), { ...SETTINGS, templateCode: 'SMS_000000404' }));
    expect(err).toBeInstanceOf(ValidationError);
    expect(JSON.stringify((err as ValidationError).issues)).toContain('templateCode');
    expect(lookUpsMade()).toBeGreaterThan(before);
    expect(closed, 'the source was closed').toBe(true);
  });

  it('a good list is enqueued whole, its first chunk read before the look-ups and handed on', async () => {
    const { producer, prefix } = freshProducer();
    const lines = ['phone', ...Array.from({ length: 2500 }, (_, i) => `138${String(i).padStart(8, '0')}`)];
    const res = await producer.campaign(readRecipientsFile(file('good.csv', `${lines.join('\n')}\n`)), SETTINGS);
    expect(res.recipients).toBe(2500);
    expect(res.rejectedCount).toBe(0);
    expect(await keysOf(prefix)).not.toEqual([]);
  });

  it('a stop while the first read waits ends the campaign at once, with nothing written', async () => {
    const { producer, prefix } = freshProducer();
    const stop = new AbortController();
    let release: (() => void) | undefined;
    async function* slow(): AsyncGenerator<CampaignRecipient> {
      await new Promise<void>((resolve) => (release = resolve));
      yield { phone: '13800138000' };
    }
    const run = producer.campaign(slow(), SETTINGS, { signal: stop.signal });
    setTimeout(() => stop.abort('test stop'), 50);
    const err = await refusal(run);
    expect(err).toBeInstanceOf(CampaignStoppedError);
    release?.();
    expect(await keysOf(prefix)).toEqual([]);
  });
});
