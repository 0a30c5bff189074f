/**
 * A send job held back without any call is put back to run again: marketing inside the quiet
 * hours every `recheckMs`, a job of a paused send at the end of its park (`parkMs`) when nothing
 * woke it. Each such run spent one of the job's BullMQ starts (`ats`, capped by
 * maxStartedAttempts, 200 by default): a marketing chunk queued in the evening (an 11-hour night
 * at a re-check a minute), or a send paused for more than ~3 h 20 min (when a park was a minute),
 * failed SMSQ_GAVE_UP. Here 100 ms and 5 starts make that seconds: each job is held through more
 * than twice its starts, then sent once the hold ends.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { DEFAULT_QUIET_HOURS } from '../../src/queue/quiet-hours.js';
import { createSmsWorker, type SmsWorker } from '../../workers/sms-worker.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { controllableClock } from '../support/china-clock.js';
import { waitFor } from '../support/wait.js';

const MAX_STARTS = 5;
const HELD = { recheckMs: 100, parkMs: 100, maxStartedAttempts: MAX_STARTS };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** How often the worker has taken up this send's jobs, and the starts BullMQ counts on its one job now. */
function watchRuns(harness: Harness, worker: SmsWorker, sendId: string) {
  let runs = 0;
  worker.worker.on('active', (job) => {
    if (String(job.id).includes(sendId)) runs++;
  });
  return {
    runs: () => runs,
    async startsCounted(): Promise<number> {
      const [jobKey] = (await harness.redis.keys(`${harness.prefix}:calls:s.${sendId}.0.a*`)).filter((k) => !k.endsWith(':lock'));
      return Number(await harness.redis.hget(jobKey as string, 'ats'));
    },
  };
}

/** Held through more re-checks than its starts, still queued (or what ended it instead). */
async function heldThroughItsStarts(harness: Harness, sendId: string, runs: () => number) {
  await waitFor(async () => runs() > 2 * MAX_STARTS || (await harness.producer.getStatus(sendId)).counts.queued === 0, 'more re-checks than the job has starts');
  const recipients = [];
  for await (const r of harness.producer.recipients(sendId)) recipients.push({ state: r.state, code: r.code });
  expect(recipients).toEqual([{ state: 'queued', code: undefined }]);
}

function sentTo(harness: Harness, phone: string): number {
  return harness.emulator.accepted().flatMap((a) => a.phoneNumbers).filter((p) => p === phone).length;
}

describe('a send job held back without a call spends none of its starts', () => {
  it('a marketing chunk held through the quiet hours goes out when the window opens', async () => {
    const clock = controllableClock('2026-11-24T22:30:00');
    h = await createHarness({ label: 'quiet-starts', emulator: { clock }, clock });
    const phone = '13870000101';
    const { sendId } = await h.producer.send({ phones: [phone], signName: N.sign, templateCode: N.marketingTemplate, templateParam: { name: 'n' }, kind: 'marketing' });
    const worker = await h.startWorker({ clock, quietHours: DEFAULT_QUIET_HOURS, ...HELD });
    const watch = watchRuns(h, worker, sendId);
    await heldThroughItsStarts(h, sendId, watch.runs);
    // At most the start of a re-check under way now.
    expect(await watch.startsCounted()).toBeLessThanOrEqual(1);
    expect(sentTo(h, phone)).toBe(0);

    clock.jumpTo('2026-11-25T08:00:01');
    const harness = h;
    await waitFor(async () => (await harness.producer.getStatus(sendId)).counts.accepted === 1, 'the marketing chunk once the window opens');
    expect(sentTo(h, phone)).toBe(1);
  });

  it('a chunk of a paused send held through more parks than its starts goes out once when resumed', async () => {
    h = await createHarness({ label: 'pause-starts' });
    const phone = '13870000102';
    const { sendId } = await h.producer.send({ phones: [phone], signName: N.sign, templateCode: N.plainTemplate, kind: 'notification' });
    await h.producer.pause(sendId);
    const worker = await h.startWorker(HELD);
    const watch = watchRuns(h, worker, sendId);
    await heldThroughItsStarts(h, sendId, watch.runs);
    expect(await watch.startsCounted()).toBeLessThanOrEqual(1);
    expect(sentTo(h, phone)).toBe(0);

    await h.producer.resume(sendId);
    const harness = h;
    await waitFor(async () => (await harness.producer.getStatus(sendId)).counts.accepted === 1, 'the chunk once the send is resumed');
    // A few parks more: nothing goes out again.
    await new Promise((r) => setTimeout(r, 3 * HELD.parkMs));
    expect(sentTo(h, phone)).toBe(1);
  });

  it('a re-check or park interval that would re-run held jobs in a busy loop is refused when the worker is built', async () => {
    const harness = await createHarness({ label: 'recheck-option' });
    h = harness;
    const base = { connection: harness.redis, client: harness.client, logger: harness.logger, prefix: harness.prefix, qps: 50, readTimeoutMs: 1000 };
    for (const bad of [0, 5, -1, Number.NaN]) {
      expect(() => createSmsWorker({ ...base, recheckMs: bad })).toThrow(
        expect.objectContaining({ code: 'SMSQ_CONFIG_INVALID', message: expect.stringMatching(/recheckMs must be a number of ms >= 10, got .*\. Fix: /) }),
      );
      expect(() => createSmsWorker({ ...base, parkMs: bad })).toThrow(
        expect.objectContaining({ code: 'SMSQ_CONFIG_INVALID', message: expect.stringMatching(/parkMs must be a number of ms in 10\.\.86400000, got .*\. Fix: /) }),
      );
    }
  });
});
