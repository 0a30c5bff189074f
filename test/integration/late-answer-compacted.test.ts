/**
 * A pushed report can settle a chunk while its worker's call is still in flight (the report names
 * the very attempt), and a finished send is compacted (SMSQ_COMPACT_FINISHED; the report ingest
 * compacts whatever the setting): the worker's accepted answer then finds no chunk. It logged
 * "accepted answer arrived after the chunk moved on; check for a duplicate" at error, though the
 * compacted record shows the chunk accepted under the answer's own OutId: no duplicate to look for.
 *
 * Real Redis, the emulator through the real SDK (answers held back), a real worker.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { createLogger } from '../../src/logger.js';
import { createKeys } from '../../src/queue/keys.js';
import { COMPACT_FIELD } from '../../src/queue/send-store.js';
import { ingestFor } from '../support/ingest.js';
import { fastReconcileFor, harnessPerTest, type Harness } from '../support/pipeline.js';
import { collector } from '../support/text-collector.js';
import { waitFor } from '../support/wait.js';

const NOTE = { signName: N.sign, templateCode: N.notificationTemplate, templateParam: { name: 'Ada', order: 'A1' } };
const harnesses = harnessPerTest();

interface Line {
  level: number;
  msg: string;
  [field: string]: unknown;
}
const linesOf = (text: string): Line[] => text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);

/**
 * A one-number send whose call is answered 1.5 s late; once Dysmsapi accepted it, its delivery
 * report is pushed, which accepts the chunk, ends the send and compacts it. `meanwhile` runs after
 * that, before the answer arrives. Returns the worker's log lines about the chunk, once its job completed.
 */
async function lateAnswer(label: string, phone: string, meanwhile: (sendKey: string, redis: Harness['redis']) => Promise<void> = async () => {}) {
  const h = await harnesses.create({ label, readTimeoutMs: 4000, emulator: { latencyMs: 1500 } });
  const { ingest, close } = ingestFor(h);
  harnesses.defer(close);
  const log = collector();
  await h.startWorker({ logger: createLogger({ level: 'debug' }, log), repair: null, reconcile: fastReconcileFor(undefined, 4000) });
  const { sendId } = await h.producer.send({ ...NOTE, phones: [phone] });
  const sent = await waitFor(() => h.emulator.accepted().find((a) => a.phoneNumbers.includes(phone)), 'Dysmsapi to accept the call');
  expect(await ingest.applyReports([{ phone_number: phone, success: true, err_code: 'DELIVERED', biz_id: sent.bizId, out_id: sent.outId }])).toMatchObject({ applied: 1, resolved: 1 });
  const sendKey = createKeys(h.prefix).send(sendId);
  expect(await h.redis.hexists(sendKey, COMPACT_FIELD)).toBe(1);
  await meanwhile(sendKey, h.redis);
  await waitFor(() => linesOf(log.text).find((l) => l.chunkId === `${sendId}.0` && /accepted answer/.test(l.msg)), 'the late answer to be said', 10_000);
  expect(h.emulator.accepted().filter((a) => a.phoneNumbers.includes(phone))).toHaveLength(1);
  return { lines: linesOf(log.text).filter((l) => l.chunkId === `${sendId}.0` && /accepted answer/.test(l.msg)), sent };
}

describe('an accepted answer that arrives after a pushed report settled its chunk and the send was compacted', () => {
  it('is said at info as confirming what the report recorded (same OutId), not as an error asking to check for a duplicate', async () => {
    const { lines, sent } = await lateAnswer('late-answer-compacted', '13866293001');
    expect(lines).toHaveLength(1);
    const [line] = lines as [Line];
    expect(line.level).toBe(30);
    expect(line.msg).not.toMatch(/duplicate/);
    expect(line.msg).toMatch(/confirms/);
    expect(line).toMatchObject({ outId: sent.outId });
  }, 30_000);

  it('when the send\'s records are gone too, is said at warn without sending the operator after a duplicate that cannot be known', async () => {
    // As its retention ends the compacted send's record while the call is still out.
    const { lines, sent } = await lateAnswer('late-answer-gone', '13866293002', async (sendKey, redis) => void (await redis.del(sendKey)));
    expect(lines).toHaveLength(1);
    const [line] = lines as [Line];
    expect(line.level).toBe(40);
    expect(line.msg).not.toMatch(/duplicate/);
    expect(line).toMatchObject({ outId: sent.outId, bizId: sent.bizId });
  }, 30_000);
});
