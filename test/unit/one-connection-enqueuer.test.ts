import { describe, expect, it } from 'vitest';
import { createCountingEnqueuer, type Enqueuer } from '../../producers/enqueuer.js';
import { enqueuerOnOneConnection } from '../../producers/one-connection-enqueuer.js';

/** Every write of an Enqueuer, with arguments that write one of each. */
const WRITES: Record<keyof Enqueuer, (e: Enqueuer) => Promise<void>> = {
  createSend: (e) => e.createSend({ sendId: 's', kind: 'marketing', api: 'SendSms', templateCode: 'T', signName: 'S', recipients: 0, rejected: 0, duplicates: 0, chunks: 0, createdAt: 0 }),
  addChunks: (e) => e.addChunks('s', 'marketing', 0, [{ api: 'SendSms', phones: ['13800138000'], signName: 'S', templateCode: 'T' }]),
  writeChunks: (e) => e.writeChunks('s', 'marketing', 0, [{ api: 'SendSms', phones: ['13800138000'], signName: 'S', templateCode: 'T' }]),
  addJobs: (e) => e.addJobs('s', 'marketing', 0, 1),
  finish: (e) => e.finish('s'),
  recordSuppressed: (e) => e.recordSuppressed('s', 'marketing', ['13800138000']),
  recordRejected: (e) => e.recordRejected('s', 'marketing', [{ input: '1' }]),
};

/** An enqueuer that records which writes reached it. */
function recording(): { enqueuer: Enqueuer; reached: string[] } {
  const reached: string[] = [];
  const counting = createCountingEnqueuer();
  const enqueuer = Object.fromEntries(
    Object.keys(WRITES).map((name) => [name, (...args: unknown[]) => (reached.push(name), (counting[name as keyof Enqueuer] as (...a: unknown[]) => Promise<void>)(...args))]),
  ) as unknown as Enqueuer;
  return { enqueuer, reached };
}

describe('enqueuerOnOneConnection', () => {
  it.each(Object.keys(WRITES) as (keyof Enqueuer)[])('%s: a check that throws lets nothing reach Redis, and the write rejects with its error', async (name) => {
    const { enqueuer, reached } = recording();
    const lost = new Error('connection lost');
    const guarded = enqueuerOnOneConnection(enqueuer, () => {
      throw lost;
    });
    await expect(WRITES[name](guarded)).rejects.toBe(lost);
    expect(reached).toEqual([]);
  });

  it('checks before each step of addChunks: a connection lost after the chunks were written stops their jobs', async () => {
    const { enqueuer, reached } = recording();
    let connected = true;
    const guarded = enqueuerOnOneConnection(enqueuer, () => {
      if (!connected) throw new Error('connection lost');
      // Lost right after this check: the write now under way goes out, the next one must not.
      connected = false;
    });
    await expect(WRITES.addChunks(guarded)).rejects.toThrow('connection lost');
    expect(reached).toEqual(['writeChunks']);
  });

  it('passes every write through while the check passes', async () => {
    const { enqueuer, reached } = recording();
    const guarded = enqueuerOnOneConnection(enqueuer, () => {});
    for (const write of Object.values(WRITES)) await write(guarded);
    expect(reached).toEqual(['createSend', 'writeChunks', 'addJobs', 'writeChunks', 'addJobs', 'finish', 'recordSuppressed', 'recordRejected']);
  });
});
