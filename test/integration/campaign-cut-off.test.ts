/**
 * Redis goes away part-way through a campaign, after chunks of it are queued (and workers may have
 * sent them). The refusal said "retry it with the same idempotency key" whether or not one was
 * given, and named no send: an operator re-ran the command, and a second campaign went to the
 * 31,000 numbers already sent. It now names the send and what was queued, and the fix that fits:
 * the same key again (which completes that send), or, without a key, not the same command again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createProducer } from '../../producers/producer.js';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { RedisAuthRefusedError, RedisUnavailableError } from '../../src/errors.js';
import { Redis } from 'ioredis';
import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';
import { createProducerConnection, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';
import { printedByCli } from '../support/cli-run.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** 2,500 rows; Redis is stopped once 2,000 are read and the first chunk is queued (chunks are written while rows are read). */
async function* rowsThatOutliveRedis(redis: PrivateRedis, queued: () => number) {
  for (let i = 0; i < 2500; i++) {
    if (i === 2000) {
      await waitFor(() => queued() >= 1000, 'the first chunk to be queued');
      await redis.stop();
    }
    yield { phone: String(13870000000 + i) };
  }
}

async function campaignCutOff(idempotencyKey?: string) {
  const redis = await startPrivateRedis();
  stops.push(() => redis.stop());
  const connection = createProducerConnection(redis.url, undefined, { lazyConnect: true });
  connection.on('error', () => {});
  stops.push(async () => connection.disconnect());
  const producer = createProducer({ redis: connection, prefix: uniquePrefix('cutoff'), connectTimeoutMs: 300 });
  stops.push(() => producer.close().catch(() => {}));
  const settings = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'notification' as const, ...(idempotencyKey ? { idempotencyKey } : {}) };
  let written = 0;
  const err = await producer.campaign(rowsThatOutliveRedis(redis, () => written), settings, { onProgress: (p) => (written = p.written) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RedisUnavailableError);
  return { err: err as RedisUnavailableError, url: redis.url, written };
}

describe('Redis lost part-way through a campaign', () => {
  it('without an idempotency key: names the send and what was queued, and says the same command again would send them twice', async () => {
    const { err, url, written } = await campaignCutOff();
    // The count is what Redis confirmed written (the last write reported), not what was routed into chunks not yet written.
    expect(written).toBeGreaterThanOrEqual(1000);
    expect(err.campaign).toEqual({ sendId: expect.stringMatching(/^smx/), written, idempotencyKey: undefined });
    const sendId = err.campaign?.sendId as string;
    const partWay = `part-way through a campaign: send ${sendId} was created, and ${written} recipients were confirmed enqueued in it (more may have been written as Redis went away; workers may have sent them already). No idempotency key was given, so the same request again would enqueue them again as a new send.`;
    // A Node caller is told its own calls and options: the producer's recipientPage, the worker's repair.enqueueGraceMs.
    expect(err.message).toBe(
      `Redis at \`redis: "${url}"\` does not answer (${err.reason}) ${partWay} Fix: once Redis answers, \`producer.recipientPage("${sendId}")\` shows which numbers went out (the repair sweep ends an enqueue left unfinished as failed about 10 minutes after (\`repair.enqueueGraceMs\`): what went out stays sent, the rest of it is not sent); send the others as a new campaign, with an idempotency key so that a retry completes it`,
    );
    expect(err.message).not.toMatch(/REDIS_URL|SMSQ_|smsq /);
    expect(err.message).not.toContain('retry it with the same idempotency key');
    // The CLI prints the command and the variables, as it did.
    expect(printedByCli(err).stderr).toBe(
      `error SMSQ_REDIS_UNAVAILABLE: Redis at REDIS_URL=${url} does not answer (${err.reason}) ${partWay} Fix: once Redis answers, smsq status ${sendId} --recipients shows which numbers went out (the repair sweep ends an enqueue left unfinished as failed about 10 minutes after (SMSQ_REPAIR_ENQUEUE_GRACE_MS): what went out stays sent, the rest of it is not sent); send the others as a new campaign, with an idempotency key so that a retry completes it\n`,
    );
  });

  it('with an idempotency key: the same key again completes that send', async () => {
    const { err } = await campaignCutOff('spring-sale');
    expect(err.message).toMatch(/part-way through a campaign: send smx\w+ was created, and \d+ recipients were confirmed enqueued in it/);
    expect(err.campaign).toMatchObject({ idempotencyKey: 'spring-sale' });
    const sendId = err.campaign?.sendId as string;
    expect(err.message).toContain('Fix: once Redis answers, and before the repair sweep ends an enqueue left unfinished as failed about 10 minutes after (`repair.enqueueGraceMs`)');
    expect(err.message).toContain(`make the same request with the same idempotency key (spring-sale): it completes send ${sendId}, never twice. Later, \`producer.recipientPage("${sendId}")\` shows which numbers went out`);
    expect(err.message).not.toMatch(/REDIS_URL|SMSQ_|smsq /);
    const cli = printedByCli(err).stderr;
    expect(cli).toContain('Fix: once Redis answers, and before the repair sweep ends an enqueue left unfinished as failed about 10 minutes after (SMSQ_REPAIR_ENQUEUE_GRACE_MS)');
    expect(cli).toContain(`it completes send ${sendId}, never twice. Later, smsq status ${sendId} --recipients shows which numbers went out`);
  });
});

/** 2,500 rows; once 2,000 are read and the first chunk is queued, `revoke` takes a command from the producer's user. */
async function* rowsThatOutliveAGrant(revoke: () => Promise<unknown>, queued: () => number) {
  for (let i = 0; i < 2500; i++) {
    if (i === 2000) {
      await waitFor(() => queued() >= 1000, 'the first chunk to be queued');
      await revoke();
    }
    yield { phone: String(13870000000 + i) };
  }
}

describe('Redis refusing a command to its user part-way through a campaign (NOPERM)', () => {
  // A trial's finding: the ACL refusal became "that command was not run" with no send id and no
  // count, so the caller could neither find nor cancel the send it had half written.
  it('names the send and what was queued, as an outage does, and says the refused command was not run', async () => {
    const redis = await startPrivateRedis();
    stops.push(() => redis.stop());
    // This test's own Redis: the suite's shared one keeps its users.
    const admin = new Redis(redis.url);
    stops.push(async () => admin.disconnect());
    await admin.call('ACL', 'SETUSER', 'campaigner', 'on', '>campaigner-pw', '~*', '&*', '+@all');
    const url = redis.url.replace('redis://', 'redis://campaigner:campaigner-pw@');
    const connection = createProducerConnection(url, undefined, { lazyConnect: true });
    stops.push(async () => connection.disconnect());
    const prefix = uniquePrefix('noperm');
    const producer = createProducer({ redis: connection, prefix, connectTimeoutMs: 300 });
    stops.push(() => producer.close().catch(() => {}));
    const settings = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'notification' as const, idempotencyKey: 'acl-cut' };
    let written = 0;
    // Every chunk is written by a script: without EVALSHA (and EVAL) the next write is refused.
    const revoke = () => admin.call('ACL', 'SETUSER', 'campaigner', '-evalsha', '-eval');
    const err = await producer.campaign(rowsThatOutliveAGrant(revoke, () => written), settings, { onProgress: (p) => (written = p.written) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RedisAuthRefusedError);
    const refused = err as RedisAuthRefusedError;
    expect(refused).toMatchObject({ code: 'SMSQ_REDIS_AUTH', reply: 'NOPERM' });
    expect(written).toBeGreaterThanOrEqual(1000);
    expect(refused.campaign).toEqual({ sendId: expect.stringMatching(/^smx/), written, idempotencyKey: 'acl-cut' });
    const sendId = refused.campaign?.sendId as string;
    const redacted = url.replace('campaigner-pw', '<redacted>');
    expect(refused.message).toMatch(
      new RegExp(`^Redis at REDIS_URL=${redacted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} refused a command to its user \\(NOPERM.*\\) part-way through a campaign: send ${sendId} was created, and ${written} recipients were confirmed enqueued in it \\(workers may have sent them already\\); the refused command and the rest of the list were not written\\. `),
    );
    expect(refused.message).toContain('Fix: once that user may run the commands, keys and channels smsq uses (ACL SETUSER USER +@all ~* &*)');
    expect(refused.message).toContain(`make the same request with the same idempotency key (acl-cut): it completes send ${sendId}`);
    expect(refused.message).not.toContain('campaigner-pw');
    expect(refused.apiMessage).toContain(`(NOPERM) part-way through a campaign (that command was not run): send ${sendId} was created`);
    // The send is there to be found (and cancelled), holding what was written.
    expect(await admin.exists(`${prefix}:send:${sendId}`)).toBe(1);
  });
});

describe('Redis refusing the credentials on a reconnect part-way through a campaign (WRONGPASS, NOAUTH)', () => {
  // The part-way line said "refused a command to its user" with the ACL grant as fix whatever the
  // reply, and the REST message "nothing was read or written" beside the send it had half written.
  for (const reply of ['WRONGPASS', 'NOAUTH'] as const) {
    it(`${reply}: says the credentials were refused, the fix is the password, and names the send and what was queued`, async () => {
      const redis = await startPrivateRedis();
      stops.push(() => redis.stop());
      const admin = new Redis(redis.url);
      stops.push(async () => admin.disconnect());
      // WRONGPASS: the user's password rotated; NOAUTH: a password required where none is given.
      const url = reply === 'WRONGPASS' ? redis.url.replace('redis://', 'redis://campaigner:campaigner-pw@') : redis.url;
      if (reply === 'WRONGPASS') await admin.call('ACL', 'SETUSER', 'campaigner', 'on', '>campaigner-pw', '~*', '&*', '+@all');
      const connection = createProducerConnection(url, undefined, { lazyConnect: true });
      connection.on('error', () => {});
      stops.push(async () => connection.disconnect());
      const prefix = uniquePrefix(`cut-${reply.toLowerCase()}`);
      const producer = createProducer({ redis: connection, prefix, connectTimeoutMs: 300 });
      stops.push(() => producer.close().catch(() => {}));
      const settings = { signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'notification' as const, idempotencyKey: `${reply}-cut` };
      let written = 0;
      // The credentials change, and the campaign's connection is cut: it connects again with the old
      // ones, and is refused before the campaign's next write.
      const rotate = async () => {
        const refusedAgain = new Promise<void>((resolve) => connection.on('error', (e: Error) => e.message.includes(reply) && resolve()));
        if (reply === 'WRONGPASS') await admin.call('ACL', 'SETUSER', 'campaigner', 'resetpass', '>rotated-pw');
        else await admin.call('ACL', 'SETUSER', 'default', 'resetpass', '>required-pw');
        await admin.call('CLIENT', 'KILL', 'SKIPME', 'yes');
        await refusedAgain;
      };
      const err = await producer.campaign(rowsThatOutliveAGrant(rotate, () => written), settings, { onProgress: (p) => (written = p.written) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RedisAuthRefusedError);
      const refused = err as RedisAuthRefusedError;
      expect(refused).toMatchObject({ code: 'SMSQ_REDIS_AUTH', reply });
      expect(written).toBeGreaterThanOrEqual(1000);
      const sendId = refused.campaign?.sendId as string;
      expect(refused.campaign).toEqual({ sendId: expect.stringMatching(/^smx/), written, idempotencyKey: `${reply}-cut` });
      expect(refused.message).toContain(`refused the credentials given on reconnecting (${reply}`);
      expect(refused.message).toContain(`part-way through a campaign: send ${sendId} was created, and ${written} recipients were confirmed enqueued in it`);
      expect(refused.message).toContain('Fix: once REDIS_URL');
      expect(refused.message).toContain(reply === 'NOAUTH' ? 'gives the password this Redis now requires' : 'a password rotated in Redis, rotated in REDIS_URL too');
      expect(refused.message).not.toContain('ACL SETUSER');
      expect(refused.message).toContain(`make the same request with the same idempotency key (${reply}-cut): it completes send ${sendId}`);
      expect(refused.apiMessage).toContain(`send ${sendId}`);
      expect(refused.apiMessage).toContain(`Redis refused the credentials this server is configured with (${reply}) on reconnecting part-way through a campaign: send ${sendId} was created`);
      expect(refused.apiMessage).not.toContain('nothing was read or written');
    }, 30_000);
  }
});
