/**
 * After a throttle answer, the job BullMQ put back (without a marker: every smsq job has a
 * priority) runs when the pause ends, in the arrangement where that depends on the marker
 * workers/account-pauses.ts adds: both workers' fetches blocked (up to BullMQ's 10 s, a job being
 * delayed ahead) before the pause, the other worker's first (so the marker wakes it, not the
 * throttled one), and the other worker busy with a call until well after the pause.
 *
 * What happens, read from BullMQ 6's worker (worker.js mainLoop): the marker wakes the other
 * worker's fetch, which answers with the limit; that worker waits it out and fetches when it ends,
 * its call in flight notwithstanding (BullMQ's loop fetches again once a limit ends unless its own
 * blocking fetch is still out; jobs in progress do not hold it back). The throttled worker, its
 * own fetch still blocked, takes nothing until that fetch returns: it is the other worker's fetch
 * that runs the code. Without the marker, nothing woke either fetch when the pause ended, and the
 * code waited for the other worker's call (as long as the test holds it), or for a block's end. A claim put back during the pause for its
 * end (pause-notice.ts) is a delayed job: BullMQ's delay marker carries its time, and the fetch it
 * wakes blocks until then.
 *
 * The blocked fetches are put in the order BullMQ serves them (first blocked, first woken) by
 * ending one with CLIENT UNBLOCK (as its timeout would) once the other is blocked.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { CALLS_QUEUE } from '../../src/queue/keys.js';
import { whenClientLoaded } from '../../src/sms/client.js';
import { delayedLookUp } from '../support/delayed-look-up.js';
import { harnessPerTest, type Harness } from '../support/pipeline.js';
import { holdAnswers } from '../support/holding-client.js';
import { waitFor } from '../support/wait.js';

const harness = harnessPerTest();

const CODE = { signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '424242' }, kind: 'verification' as const };
/** The emulator's throttle answers carry `x-acs-retry-after: 1000`. */
const PAUSE_MS = 1000;
/** BullMQ's longest block waiting for a job (ms), with one delayed ahead: the stall this would catch. */
const LONGEST_BLOCK_MS = 10_000;
const BUSY_PHONE = '13800000401';
const THROTTLED_PHONE = '13800000402';

/** The blocking connection of the calls worker named `name`, as CLIENT LIST shows it (BullMQ names it `<prefix>:<base64 queue>:w:<name>`). */
async function fetchConnection(h: Harness, name: string): Promise<{ id: string; blocked: boolean } | undefined> {
  const wanted = `name=${h.prefix}:${Buffer.from(CALLS_QUEUE).toString('base64')}:w:${name} `;
  const line = ((await h.redis.call('CLIENT', 'LIST')) as string).split('\n').find((l) => l.includes(wanted));
  if (!line) return undefined;
  const field = (key: string) => new RegExp(`(?:^| )${key}=(\\S*)`).exec(line)?.[1] ?? '';
  return { id: field('id'), blocked: field('flags').includes('b') && field('cmd') === 'bzpopmin' };
}

async function blockedFetch(h: Harness, name: string): Promise<string> {
  return (await waitFor(async () => {
    const c = await fetchConnection(h, name);
    return c?.blocked ? c.id : undefined;
  }, `worker ${name}'s fetch blocked`, 5000, 5));
}

/** Ends worker `name`'s blocked fetch as its timeout would, once `other`'s is blocked: `name`'s blocks again after it, and is woken after it. */
async function blockAfter(h: Harness, name: string, other: string): Promise<void> {
  await blockedFetch(h, other);
  await h.redis.call('CLIENT', 'UNBLOCK', await blockedFetch(h, name));
  await blockedFetch(h, name);
}

describe('after a throttle pause, the throttled job runs when it ends', () => {
  it("although the other worker is busy with a call and the throttled worker's fetch was blocked before the pause", async () => {
    const h = await harness.create({ label: 'throttle-stale-fetch' });
    await delayedLookUp(h, 5 * 60_000);
    h.emulator.setFaults([{ kind: 'throttle', actions: ['SendSms'], phones: [THROTTLED_PHONE], times: 1 }]);
    const held = holdAnswers([BUSY_PHONE, THROTTLED_PHONE]);
    await whenClientLoaded(h.client);
    await h.startWorker({ name: 'busy', client: held.wrap(h.client, 'busy') });
    await blockedFetch(h, 'busy');
    await h.startWorker({ name: 'throttled', client: held.wrap(h.client, 'throttled') });
    await blockAfter(h, 'throttled', 'busy');

    // The first blocked fetch takes the next job: `busy` calls, and its answer is held.
    await h.producer.send({ ...CODE, phones: [BUSY_PHONE] });
    await held.answered(BUSY_PHONE);
    await blockAfter(h, 'busy', 'throttled');
    // Now `throttled` takes the code to be throttled; its answer is held until both fetches block.
    await h.producer.send({ ...CODE, phones: [THROTTLED_PHONE] });
    await held.answered(THROTTLED_PHONE);
    expect([held.calledBy(BUSY_PHONE), held.calledBy(THROTTLED_PHONE)]).toEqual(['busy', 'throttled']);
    // `busy`'s fetch blocked first: the pause's marker wakes it, and `throttled`'s stays blocked.
    await blockAfter(h, 'throttled', 'busy');

    const throttledAt = Date.now();
    held.release(THROTTLED_PHONE);
    // `busy`'s call is let go once the code is accepted, or half the longest block after the
    // throttle answer (five pauses): the code must not wait for it.
    const accepted = () => h.emulator.accepted().some((s) => s.phoneNumbers.includes(THROTTLED_PHONE));
    await waitFor(() => accepted() || Date.now() - throttledAt > LONGEST_BLOCK_MS / 2, 'the code accepted, or half the longest block');
    const acceptedWhileBusy = accepted();
    held.release(BUSY_PHONE);
    await waitFor(() => h.emulator.accepted().length === 2, 'both codes accepted');
    const sent = h.emulator.calls().filter((c) => c.action === 'SendSms' && c.phones.includes(THROTTLED_PHONE));
    const said = `throttled code: ${sent.map((c) => `${c.code} +${c.at - throttledAt} ms`).join(', ')} (after the held answer's release); pause ${PAUSE_MS} ms`;
    expect(sent.map((c) => c.code), said).toEqual(['Throttling.User', 'OK']);
    expect(acceptedWhileBusy, said).toBe(true);
  }, 30_000);
});
