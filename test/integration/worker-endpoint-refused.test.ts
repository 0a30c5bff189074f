/**
 * A worker whose calls meet a refused connection (nothing listens at its endpoint for a moment: a
 * local proxy restarting, the emulator not up yet) backs off and calls again, as under throttling,
 * and sends once the endpoint answers. The door refuses such an endpoint (a person is there to fix
 * it), but a worker's refusal may be its own host's blip, and the account block is account-wide:
 * written for a refused connection, it stopped every worker of the deployment, on every host, for
 * SMSQ_ACCOUNT_RECHECK_MS (5 minutes by default), verification codes included.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createKeys } from '../../src/queue/keys.js';
import { lateEndpoint } from '../support/late-endpoint.js';
import { createHarness } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('a worker whose endpoint refuses the connection for a moment', () => {
  it('calls again once it answers, and blocks no worker of the account (it wrote the account block: every worker stopped for 5 minutes)', async () => {
    const h = await createHarness({ label: 'endpoint-refused' });
    closers.push(() => h.close());
    const endpoint = await lateEndpoint();
    await h.startWorker({ client: endpoint.client, accountRecheckMs: 300_000 });
    const { sendId } = await h.producer.send({ signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification', phones: ['13800138000'] });
    const account = createKeys(h.prefix).account();
    // The worker has met the refusal (a look at the send: its chunk was claimed and put back).
    await waitFor(async () => (await h.redis.hgetall(`${h.prefix}:chunk:${sendId}.0`)).code === 'ConnectionRefused' || (await h.redis.exists(account)) === 1, 'the worker to meet the refused connection', 10_000);
    expect(await h.redis.hgetall(account)).toEqual({});
    // The endpoint comes up: the code goes out without anyone resuming anything.
    const late = await endpoint.comeUp();
    closers.push(() => late.close());
    await waitFor(async () => (await h.producer.getStatus(sendId)).counts.accepted === 1, 'the code accepted once the endpoint answers', 15_000);
    expect(late.accepted().map((a) => a.phoneNumbers)).toEqual([['13800138000']]);
  }, 40_000);
});
