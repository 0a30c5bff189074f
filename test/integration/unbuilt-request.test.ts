/**
 * A call that fails before any byte of its request leaves the process, deterministically: the SDK
 * cannot encode a value of the send (half of a UTF-16 surrogate pair in the signature: its
 * encodeURIComponent throws URIError), or Node refuses a header built from the worker's own setup
 * (an AccessKey ID holding a line break: ERR_INVALID_CHAR). Both were classed as "may have been
 * sent" (NetworkError / UnexpectedError, unknown): the chunk was looked up (QuerySendDetails), not
 * found, and sent again with a new OutId, failing the same way, attempt after attempt, until the
 * queue gave up on it (SMSQ_GAVE_UP after many starts). The door refuses both now, but a chunk
 * queued before (or any other deterministic local failure) still looped.
 *
 * Now: a value of the send → the chunk fails at once with SMSQ_REQUEST_NOT_BUILT, its reason naming
 * the field and the fix, with no look-up and no resend. The worker's setup (RequestNotBuilt.Setup)
 * → that worker backs off by itself, every job kept: setup-fault-backoff.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createKeys } from '../../src/queue/keys.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const harnesses = harnessPerTest();

async function chunkOf(h: Harness, chunkId: string): Promise<Record<string, string>> {
  return h.redis.hgetall(createKeys(h.prefix).chunk(chunkId));
}

/** The chunk's stored payload with `signName` changed, as the door wrote it before it refused such a name. */
async function setSignName(h: Harness, chunkId: string, signName: string): Promise<void> {
  const stored = JSON.parse((await chunkOf(h, chunkId)).payload as string) as Record<string, unknown>;
  await h.redis.hset(createKeys(h.prefix).chunk(chunkId), 'payload', JSON.stringify({ ...stored, signName }));
}

const actions = (h: Harness, ...names: string[]) => h.emulator.calls().filter((c) => names.includes(c.action));

/** `check` within `ms`, or a failure that tells what the chunk went through meanwhile (attempts, look-ups). */
async function within<T>(h: Harness, chunkIds: string[], check: () => Promise<T> | T, what: string, ms: number): Promise<NonNullable<T>> {
  try {
    return await waitFor(check, what, ms);
  } catch (err) {
    const chunks = await Promise.all(chunkIds.map(async (id) => {
      const c = await chunkOf(h, id);
      return `${id}: ${c.state} attempt ${c.attempt} code ${c.code}`;
    }));
    throw new Error(`${(err as Error).message}; ${chunks.join('; ')}; QuerySendDetails calls ${actions(h, 'QuerySendDetails').length}, SendSms calls ${actions(h, 'SendSms').length}`);
  }
}

describe('a call whose request cannot be built', () => {
  it('a signature holding half a surrogate pair (queued before the door refused it): the chunk fails SMSQ_REQUEST_NOT_BUILT at its first attempt, naming signName and the fix; nothing looked up or resent', async () => {
    const h = await harnesses.create({ label: 'unbuilt-sign' });
    const { sendId } = await h.producer.send({ ...NOTE, phones: ['13800138030', '13800138031'] });
    const chunkId = `${sendId}.0`;
    await setSignName(h, chunkId, `${N.sign}\udc00`);

    const sink = collector();
    // Not compacted once final: the chunk's record (its reason) is read after the send ends.
    await h.startWorker({ logger: createLogger({ level: 'info' }, sink), compactFinished: false });
    // Before: attempt 1 unknown, looked up, not found after the settling window (4.5 s), attempt 2 ...
    await within(h, [chunkId], async () => (await chunkOf(h, chunkId)).state === 'failed', 'the chunk to fail', 8000);
    const chunk = await chunkOf(h, chunkId);
    expect(chunk).toMatchObject({ state: 'failed', code: 'SMSQ_REQUEST_NOT_BUILT', attempt: '1' });
    expect(chunk.reason).toMatch(/^SendSms not sent: signName holds half of a UTF-16 surrogate pair \(U\+DC00 at index \d+\).*nothing was written.*Fix: /);
    await waitFor(async () => (await h.producer.getStatus(sendId)).send.state === 'completed', 'the send to end');
    expect((await h.producer.getStatus(sendId)).counts).toMatchObject({ failed: 2, sending: 0, unknown: 0, queued: 0, accepted: 0 });
    // No look-up is owed (nothing was written), and nothing reached Dysmsapi.
    expect(actions(h, 'SendSms', 'SendBatchSms', 'QuerySendDetails')).toEqual([]);

    // The worker logs the failure after its record is written: the line may come after the send ended.
    await waitFor(() => sink.text.includes('"level":50'), 'the failure logged');
    const lines = sink.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; code?: string; sendId?: string; chunkId?: string });
    const errors = lines.filter((l) => l.level >= 50);
    expect(errors).toEqual([expect.objectContaining({ sendId, chunkId, code: 'SMSQ_REQUEST_NOT_BUILT', msg: expect.stringMatching(/signName holds half of a UTF-16 surrogate pair.*Fix: /) })]);
    expect(lines.filter((l) => /looking it up/.test(l.msg))).toEqual([]);
    expect(sink.text).not.toContain('13800138030');
  });
});
