/**
 * A graceful stop does not wait for the pacer slots of claims whose call has not started. At a low
 * cap (SMS_QPS=20) a worker's claims wait up to the pacer's reach (2 s) for their slots; close()
 * waited for each slot before undoing its claim, 1.7-4 s, and a second signal meanwhile left those
 * chunks `sending`, each to be looked up before anything is resent. Now such a claim stops waiting
 * when the worker closes and is undone at once; a call already made is still recorded.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { harnessPerTest } from '../support/pipeline.js';
import { waitFor } from '../support/wait.js';

const harness = harnessPerTest();

/** Wide for a loaded machine: the fault took 1.7-4 s here (the slots reached 2 s ahead). */
const CLOSED_WITHIN_MS = 800;

describe('closing a worker whose claims wait for their pacer slots', () => {
  it('undoes them at once instead of at their slots, and records every call made', async () => {
    const h = await harness.create({ label: 'close-waiting', emulator: { delivery: { delayMs: 0 } } });
    const w = await h.startWorker({ qps: 20, concurrency: 64 });
    const phones = Array.from({ length: 200 }, (_, i) => String(13850000000 + i));
    const { sendId } = await h.producer.send({ phones, signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' });
    await waitFor(() => h.emulator.accepted().length >= 5, 'the first codes to be sent');
    // The case: claimed chunks waiting for their slots.
    await waitFor(() => w.outstandingClaims().callsNotStarted >= 20, 'claims waiting for their slots');

    const t0 = performance.now();
    await w.close();
    const closeMs = performance.now() - t0;

    const status = await h.producer.getStatus(sendId);
    const calls = h.emulator.calls().filter((c) => c.action === 'SendSms');
    console.log(`close took ${closeMs.toFixed(0)} ms; sending ${status.counts.sending}, accepted ${status.counts.accepted}, calls ${calls.length}`);
    expect(status.counts.sending).toBe(0);
    // Every call made was recorded, none made twice.
    expect(status.counts.accepted).toBe(h.emulator.accepted().length);
    expect(calls.length).toBe(h.emulator.accepted().length);
    expect(closeMs).toBeLessThan(CLOSED_WITHIN_MS);
  }, 60_000);
});
