/**
 * Cancelling a send of many chunks. Each queued chunk is marked cancelled at once (not when its job
 * comes up), and the producer did that one chunk at a time, each script waiting for the reply of
 * the one before: under `appendfsync always` each reply waits for its own fsync, and a new user's
 * `POST /v1/sends/{id}/cancel` of a 1.2M-recipient campaign (1,200 chunks) answered after 41 s,
 * past most HTTP clients' timeouts. Real Redis, the producer's own connection observed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { Redis } from 'ioredis';
import { createHarness, type Harness } from '../support/pipeline.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The most commands the connection had sent and not yet heard back from, while `run` ran. */
async function mostInFlight<T>(redis: Redis, run: () => Promise<T>): Promise<{ value: T; most: number }> {
  const original = redis.sendCommand;
  let inFlight = 0;
  let most = 0;
  redis.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    const [command] = args;
    inFlight++;
    most = Math.max(most, inFlight);
    const done = () => void inFlight--;
    command.promise.then(done, done);
    return original.apply(this, args);
  };
  try {
    return { value: await run(), most };
  } finally {
    redis.sendCommand = original;
  }
}

describe('cancel of a send with many chunks', () => {
  it('marks every queued chunk cancelled without a round trip to Redis a chunk', async () => {
    h = await createHarness({ label: 'cancel-many' });
    // A verification code goes one number a SendSms: 300 numbers, 300 chunks, no worker to take them.
    const phones = Array.from({ length: 300 }, (_, i) => String(13870000000 + i));
    const sent = await h.producer.send({ phones, signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '1' }, kind: 'verification' });
    expect(sent.chunks).toBe(300);
    const harness = h;
    if (!(h.producerRedis instanceof Redis)) throw new Error('the harness connects to one Redis here');
    // Counted on the producer's connection: the cancel's commands go out there.
    const { value: status, most } = await mostInFlight(h.producerRedis, () => harness.producer.cancel(sent.sendId));
    expect(status.send.state).toBe('cancelled');
    expect(status.counts).toMatchObject({ queued: 0, cancelled: 300 });
    // One chunk a round trip kept at most a couple of commands in flight.
    expect(most).toBeGreaterThanOrEqual(32);
    // Given again it changes nothing.
    expect((await h.producer.cancel(sent.sendId)).counts).toMatchObject({ queued: 0, cancelled: 300 });
  });
});
