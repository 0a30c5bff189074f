/**
 * What an enqueue without an idempotency key says when Redis cannot confirm it durable: it is
 * withdrawn by a cancel, and the error says whether the cancel took. A send that workers had
 * already sent in full is not cancelled (SMSQ_SEND_ALREADY_SENT): saying "it was cancelled" there
 * promised what was not so, and "a retry may send it twice" understated it.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createEnqueueWithdrawal } from '../../producers/enqueue-withdrawal.js';
import type { DurabilityBarrier } from '../../src/durability/barrier.js';
import { NotDurableError, SendAlreadySentError } from '../../src/errors.js';
import type { SendStore } from '../../src/queue/send-store.js';
import { inEnvironmentTerms } from '../../src/setting-mention.js';

const MARK = { node: undefined, closes: 0 };
const unconfirmed: DurabilityBarrier = {
  mark: () => Promise.resolve(MARK),
  confirm: (what) => Promise.reject(new NotDurableError(what, 'WAIT: 0 of 1 replica(s) confirmed within 300 ms')),
};

/**
 * The withdrawal with its cancel answering as `cancel` does, and `taken` recipients found past their
 * call's gate after it; nothing else of it is called on this path.
 */
function withdrawalWhoseCancel(cancel: () => Promise<unknown>, taken: () => Promise<number> = () => Promise.resolve(0), sends = {} as SendStore) {
  return createEnqueueWithdrawal({ barrier: unconfirmed, sends, log: undefined, cancelSend: cancel, durableControl: (_action, _id, move) => move(), wakeParked: () => Promise.resolve(), takenToApi: taken });
}

// Never connected: a mark on it reads as a connection lost since (its status is not ready).
const lostLink = new Redis({ lazyConnect: true });
afterAll(() => lostLink.disconnect());

describe('a withdrawal after the connection was lost since the enqueue (a failover)', () => {
  // A gate's opening is not confirmed: the promoted replica read now may lack one opened before,
  // and its count of none said "cancelled" of a send that went out (review31b).
  it('does not count the recipients taken to the API on the server it reads now: it says they could not be read', async () => {
    const refused = await withdrawalWhoseCancel(() => Promise.resolve({ from: 'active', to: 'cancelled' }), () => Promise.resolve(0))
      .confirmOrWithdraw('smx1', { node: lostLink, closes: 0 }, undefined)
      .catch((err: unknown) => err);
    expect((refused as Error).message).toMatch(/; it was cancelled, but whether workers had already taken some of it to the API could not be read \(the connection to Redis was lost since the enqueue, and a promoted replica may lack what they marked\), so it may still be sent/);
  });
});

describe('an enqueue without an idempotency key, not confirmed durable', () => {
  it('says it was cancelled when the cancel took', async () => {
    const refused = await withdrawalWhoseCancel(() => Promise.resolve({ from: 'active', to: 'cancelled' }))
      .confirmOrWithdraw('smx1', MARK, undefined)
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(NotDurableError);
    expect((refused as Error).message).toMatch(/; it was cancelled, but a replica may have it without the cancel and be promoted, so a retry may send it twice/);
  });

  // A worker's claim confirmed after the producer's confirmation failed, its call's gate opened
  // before the cancel: those recipients go out whatever the cancel does.
  it('says who may still get it when workers had taken some recipients to the API before the cancel', async () => {
    const refused = await withdrawalWhoseCancel(() => Promise.resolve({ from: 'active', to: 'cancelled' }), () => Promise.resolve(3))
      .confirmOrWithdraw('smx1', MARK, undefined)
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(NotDurableError);
    expect((refused as Error).message).toMatch(/; it was cancelled, but workers had already taken 3 of its recipients to the API before the withdrawal, and they may get it \(`producer\.recipientPage\("smx1"\)` .* says who\); the rest is not sent, but a replica may have it without the cancel and be promoted, so a retry may send it twice/);
  });

  it('says it may still be sent when the gates could not be read after the cancel', async () => {
    const refused = await withdrawalWhoseCancel(() => Promise.resolve({ from: 'active', to: 'cancelled' }), () => Promise.reject(new Error('Connection is closed.')))
      .confirmOrWithdraw('smx1', MARK, undefined)
      .catch((err: unknown) => err);
    expect((refused as Error).message).toMatch(/; it was cancelled, but whether workers had already taken some of it to the API could not be read \(Redis did not answer\), so it may still be sent/);
  });

  it('a send held under a key says what workers had taken before the withdrawal, not that nothing more of it is sent', async () => {
    const sends = { setControl: () => Promise.resolve({ from: 'active', to: 'paused' }) } as unknown as SendStore;
    const refused = await withdrawalWhoseCancel(() => Promise.reject(new Error('not called')), () => Promise.resolve(2), sends)
      .confirmOrWithdraw('smx1', MARK, 'order-1')
      .catch((err: unknown) => err);
    expect((refused as Error).message).toMatch(/; it is withdrawn \(held paused\), but workers had already taken 2 of its recipients to the API before the withdrawal, and they may get it .*; the rest is held/);
    expect((refused as Error).message).not.toMatch(/nothing more of it is sent/);
  });

  it('says it was not cancelled when workers had already taken every recipient past the API, without promising every one got it', async () => {
    const refused = await withdrawalWhoseCancel(() => Promise.reject(new SendAlreadySentError('smx1', 'sent')))
      .confirmOrWithdraw('smx1', MARK, undefined)
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(NotDurableError);
    const said = (see: string, timeout: string) =>
      `send smx1 could not be made durable: WAIT: 0 of 1 replica(s) confirmed within 300 ms; it was not cancelled: workers had already taken every recipient past the API (or ended it without a call), though a replica promoted now may lack its record. Fix: do not enqueue it again as it is: ${see} (GET /v1/sends/smx1/recipients) shows who got it, and a new send can reach those who did not; check the replicas (INFO replication) or raise ${timeout}`;
    // A producer's caller is told its own call and option; the CLI and the server, the command and the variable, as they were.
    expect((refused as Error).message).toBe(said('`producer.recipientPage("smx1")`', '`durability.timeoutMs`'));
    expect(inEnvironmentTerms((refused as Error).message)).toBe(said('smsq status smx1 --recipients', 'SMSQ_DURABILITY_TIMEOUT_MS'));
  });

  it('says the cancel failed, and that it may still be sent, when Redis did not take the cancel', async () => {
    const refused = await withdrawalWhoseCancel(() => Promise.reject(new Error('Connection is closed.')))
      .confirmOrWithdraw('smx1', MARK, undefined)
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(NotDurableError);
    expect((refused as Error).message).toMatch(/; cancelling it failed too \(Redis did not take the write\), so it may still be sent: `producer\.recipientPage\("smx1"\)` .* says where it is; a retry may send it twice/);
    expect(inEnvironmentTerms((refused as Error).message)).toMatch(/; cancelling it failed too \(Redis did not take the write\), so it may still be sent: smsq status smx1 --recipients \(GET \/v1\/sends\/smx1\/recipients\) says where it is; a retry may send it twice/);
    expect((refused as Error).message).not.toMatch(/it was cancelled/);
  });
});
