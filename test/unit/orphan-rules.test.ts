import { describe, expect, it } from 'vitest';
import {
  DEFAULT_JOB_SEARCH,
  decideChunk,
  decideEnqueuing,
  decideWithdrawn,
  decideCompact,
  decideSettle,
  decideJob,
  lookUpDateCount,
  reconcileJobCandidates,
  sendJobCandidates,
  type ChunkSendSnapshot,
  type ChunkSnapshot,
  type ChunkSurroundings,
} from '../../src/repair/orphan-rules.js';
import { WITHDRAWN_REASON } from '../../src/queue/withdrawal.js';

const NOW = 1_800_000_000_000;
const rules = { now: NOW, minAgeMs: 60_000, firstLookAfterMs: 5000 };
const ACTIVE: ChunkSendSnapshot = { state: 'active', control: 'active', code: undefined, enqueued: true, deadline: undefined };
const orphanAround: ChunkSurroundings = { send: ACTIVE, hasLiveJob: false, highestLook: 0 };
const chunk = (over: Partial<ChunkSnapshot>): ChunkSnapshot => ({
  chunkId: 's1.0',
  sendId: 's1',
  state: 'queued',
  attempt: 0,
  outId: undefined,
  sentAt: undefined,
  code: undefined,
  updatedAt: NOW - 120_000,
  ...over,
});

describe('which jobs the sweep looks for', () => {
  it('every send job id up to the next attempt (throttled jobs keep their id), newest first bounded', () => {
    expect(sendJobCandidates('s1.0', 0, DEFAULT_JOB_SEARCH)).toEqual(['s.s1.0.a1']);
    expect(sendJobCandidates('s1.0', 2, DEFAULT_JOB_SEARCH)).toEqual(['s.s1.0.a1', 's.s1.0.a2', 's.s1.0.a3']);
    const bounded = sendJobCandidates('s1.0', 100, { ...DEFAULT_JOB_SEARCH, maxSendJobs: 3 });
    expect(bounded).toEqual(['s.s1.0.a1', 's.s1.0.a99', 's.s1.0.a100', 's.s1.0.a101']);
  });

  it('ends the search of a record at an attempt past 2^53 (`1e+20`, where a + 1 is a): it never returned, the sweep\'s worker blocked', () => {
    expect(sendJobCandidates('s1.0', 1e20, DEFAULT_JOB_SEARCH)).toEqual(['s.s1.0.a1', 's.s1.0.a100000000000000000000']);
  });

  it('every look, date and page of an attempt’s look-up, in the form follow-ups adds them', () => {
    const ids = reconcileJobCandidates('s1.0', 2, { maxSendJobs: 1, maxLooks: 2, maxPages: 1 });
    expect(ids).toEqual([
      { id: 'r.s1.0.a2.l1.d0.p1', look: 1 },
      { id: 'r.s1.0.a2.l1.d1.p1', look: 1 },
      { id: 'r.s1.0.a2.l2.d0.p1', look: 2 },
      { id: 'r.s1.0.a2.l2.d1.p1', look: 2 },
    ]);
    expect(reconcileJobCandidates('s1.0', 0, DEFAULT_JOB_SEARCH)).toEqual([]);
  });

  it('a look-up\'s jobs at as many dates as it asks: two for an ordinary attempt, every day since priorSentAt after an adoption, at most the last date index + 1', () => {
    const DAY = 86_400_000;
    // 2026-12-04 10:00 China time: one date, read as two (the day beside it near midnight).
    const sentAt = Date.parse('2026-12-04T10:00:00+08:00');
    expect(lookUpDateCount({ sentAt, priorSentAt: undefined })).toBe(2);
    expect(lookUpDateCount({ sentAt: undefined, priorSentAt: undefined })).toBe(2);
    // Adopted three days after the attempt before it: 1st..4th December.
    expect(lookUpDateCount({ sentAt, priorSentAt: sentAt - 3 * DAY })).toBe(4);
    // No further back than QuerySendDetails answers for; a half-written record may stand at any date.
    expect(lookUpDateCount({ sentAt, priorSentAt: sentAt - 90 * DAY })).toBe(31);
    expect(lookUpDateCount({ sentAt: undefined, priorSentAt: sentAt })).toBe(32);
    const ids = reconcileJobCandidates('s1.0', 2, { maxSendJobs: 1, maxLooks: 1, maxPages: 1 }, 1, 4).map((c) => c.id);
    expect(ids).toEqual(['r.s1.0.a2.l1.d0.p1', 'r.s1.0.a2.l1.d1.p1', 'r.s1.0.a2.l1.d2.p1', 'r.s1.0.a2.l1.d3.p1']);
  });
});

describe('decideChunk', () => {
  it('leaves final chunks, chunks with a live job and chunks changed within min-age alone', () => {
    expect(decideChunk(chunk({ state: 'accepted' }), orphanAround, rules)).toEqual({ action: 'none' });
    expect(decideChunk(chunk({}), { ...orphanAround, hasLiveJob: true }, rules)).toEqual({ action: 'none' });
    expect(decideChunk(chunk({ updatedAt: NOW - 1000 }), orphanAround, rules)).toEqual({ action: 'none' });
  });

  it('queued without a job: looks up the attempt a lost claim would have made, never a plain resend', () => {
    expect(decideChunk(chunk({ attempt: 0 }), { ...orphanAround, highestLook: 0 }, rules)).toEqual({
      action: 'look-up-queued',
      expectOutId: undefined,
      attempt: 1,
      outId: 's1.0.1',
      lookUp: { attempt: 1, look: 1, at: NOW + 5000 },
    });
    // After a throttled attempt 2: the next one is 3, and only if the chunk is still at attempt 2's OutId.
    expect(decideChunk(chunk({ attempt: 2, outId: 's1.0.2', code: 'Throttling.User' }), { ...orphanAround, highestLook: 3 }, rules)).toMatchObject({
      action: 'look-up-queued',
      expectOutId: 's1.0.2',
      attempt: 3,
      lookUp: { attempt: 3, look: 4 },
    });
  });

  it('sending without a job: marked unknown at its own OutId and looked up once its call is surely over', () => {
    const sentAt = NOW - 70_000;
    expect(decideChunk(chunk({ state: 'sending', attempt: 1, outId: 's1.0.1', sentAt, updatedAt: sentAt }), orphanAround, rules)).toEqual({
      action: 'look-up-sending',
      outId: 's1.0.1',
      lookUp: { attempt: 1, look: 1, at: NOW },
    });
  });

  it('unknown without a job: a look-up at a look no finished job used', () => {
    expect(decideChunk(chunk({ state: 'unknown', attempt: 2, outId: 's1.0.2', sentAt: NOW - 90_000 }), { ...orphanAround, highestLook: 5 }, rules)).toEqual({
      action: 'look-up-unknown',
      lookUp: { attempt: 2, look: 6, at: NOW },
    });
  });

  it('send record gone: ends the chunk without a call (queued → cancelled, maybe sent → expired)', () => {
    const gone = { ...orphanAround, send: undefined };
    expect(decideChunk(chunk({}), gone, rules)).toEqual({ action: 'end-send-missing', to: 'cancelled' });
    expect(decideChunk(chunk({ state: 'unknown', attempt: 1, outId: 's1.0.1', sentAt: NOW - 90_000 }), gone, rules)).toEqual({ action: 'end-send-missing', to: 'expired' });
  });
});

describe('decideChunk: a queued chunk of a send that ended or is still enqueuing', () => {
  const around = (send: Partial<ChunkSendSnapshot>): ChunkSurroundings => ({ ...orphanAround, send: { ...ACTIVE, ...send } });
  const neverClaimed = chunk({ attempt: 0 });

  it('ends it as its claim would, without a look-up: failed with the send\'s code, cancelled', () => {
    expect(decideChunk(neverClaimed, around({ state: 'failed', code: 'SMSQ_ENQUEUE_ABANDONED' }), rules)).toEqual({ action: 'end-with-send', end: { trigger: 'send-failed', code: 'SMSQ_ENQUEUE_ABANDONED' } });
    expect(decideChunk(neverClaimed, around({ state: 'failed', code: undefined, enqueued: false }), rules)).toEqual({ action: 'end-with-send', end: { trigger: 'send-failed', code: 'SMSQ_SEND_FAILED' } });
    expect(decideChunk(neverClaimed, around({ state: 'cancelled', control: 'cancelled' }), rules)).toEqual({ action: 'end-with-send', end: { trigger: 'cancel' } });
    // A queued chunk at a later attempt (its last one found not accepted) ends the same way.
    expect(decideChunk(chunk({ attempt: 2, outId: 's1.0.2', code: 'SMSQ_NOT_ACCEPTED' }), around({ state: 'failed', code: 'isv.SMS_TEMPLATE_ILLEGAL' }), rules)).toEqual({
      action: 'end-with-send',
      end: { trigger: 'send-failed', code: 'isv.SMS_TEMPLATE_ILLEGAL' },
    });
    // A send paused (its enqueue ended), not ended: looked up as before.
    expect(decideChunk(neverClaimed, around({ state: 'paused', control: 'paused' }), rules)).toMatchObject({ action: 'look-up-queued' });
  });

  it('past its send\'s deadline: ends it expired as its claim would, after a failure or a cancel as the claim checks them', () => {
    const late = { deadline: NOW - 1 };
    expect(decideChunk(neverClaimed, around(late), rules)).toEqual({ action: 'end-with-send', end: { trigger: 'deadline' } });
    // Whatever its enqueue (a claim does not ask), and whether paused or not.
    expect(decideChunk(neverClaimed, around({ ...late, state: 'enqueuing', enqueued: false }), rules)).toEqual({ action: 'end-with-send', end: { trigger: 'deadline' } });
    expect(decideChunk(chunk({ attempt: 2, outId: 's1.0.2', code: 'SMSQ_NOT_ACCEPTED' }), around({ ...late, state: 'paused', control: 'paused' }), rules)).toEqual({ action: 'end-with-send', end: { trigger: 'deadline' } });
    expect(decideChunk(neverClaimed, around({ ...late, state: 'failed', code: 'SMSQ_ENQUEUE_ABANDONED' }), rules)).toEqual({ action: 'end-with-send', end: { trigger: 'send-failed', code: 'SMSQ_ENQUEUE_ABANDONED' } });
    expect(decideChunk(neverClaimed, around({ ...late, state: 'cancelled', control: 'cancelled' }), rules)).toEqual({ action: 'end-with-send', end: { trigger: 'cancel' } });
    // Its deadline not passed yet (the claim's check is strict): looked up as before.
    expect(decideChunk(neverClaimed, around({ deadline: NOW }), rules)).toMatchObject({ action: 'look-up-queued' });
    // Sending or unknown may have reached Dysmsapi: looked up, whatever the deadline.
    expect(decideChunk(chunk({ state: 'sending', attempt: 1, outId: 's1.0.1', sentAt: NOW - 70_000 }), around(late), rules)).toMatchObject({ action: 'look-up-sending' });
    expect(decideChunk(chunk({ state: 'unknown', attempt: 1, outId: 's1.0.1', sentAt: NOW - 70_000 }), around(late), rules)).toMatchObject({ action: 'look-up-unknown' });
  });

  it('a chunk whose attempt may have reached Dysmsapi is still looked up, whatever its send', () => {
    const failed = around({ state: 'failed', code: 'SMSQ_ENQUEUE_ABANDONED' });
    expect(decideChunk(chunk({ state: 'sending', attempt: 1, outId: 's1.0.1', sentAt: NOW - 70_000 }), failed, rules)).toMatchObject({ action: 'look-up-sending' });
    expect(decideChunk(chunk({ state: 'unknown', attempt: 1, outId: 's1.0.1', sentAt: NOW - 70_000 }), failed, rules)).toMatchObject({ action: 'look-up-unknown' });
    // Half-written (no OutId): in doubt, looked up as a lost claim.
    expect(decideChunk(chunk({ state: 'sending', attempt: 1 }), around({ state: 'cancelled', control: 'cancelled' }), rules)).toMatchObject({ action: 'look-up-queued', attempt: 1 });
  });

  it('leaves it alone while its send\'s enqueue is open: its producer may still add its job, or the enqueue\'s verdict ends it', () => {
    expect(decideChunk(neverClaimed, around({ state: 'enqueuing', enqueued: false }), rules)).toEqual({ action: 'none' });
    expect(decideChunk(neverClaimed, around({ state: 'paused', control: 'paused', enqueued: false }), rules)).toEqual({ action: 'none' });
    // A cut-short cancel (its enqueue not ended) still ends it.
    expect(decideChunk(neverClaimed, around({ state: 'cancelled', control: 'cancelled', enqueued: false }), rules)).toEqual({ action: 'end-with-send', end: { trigger: 'cancel' } });
  });
});

describe('decideJob', () => {
  it('removes a job whose chunk or send is gone, and leaves one whose chunk and send are there', () => {
    expect(decideJob({ chunkExists: true, sendExists: true, sendCompacted: false })).toEqual({ action: 'none' });
    expect(decideJob({ chunkExists: false, sendExists: true, sendCompacted: false })).toEqual({ action: 'remove' });
    expect(decideJob({ chunkExists: true, sendExists: false, sendCompacted: false })).toEqual({ action: 'remove' });
  });
  it('leaves a job of a compacted send alone: its chunks are gone by design, the job ends by itself', () => {
    expect(decideJob({ chunkExists: false, sendExists: true, sendCompacted: true })).toEqual({ action: 'none' });
  });
});

describe('decideWithdrawn', () => {
  const withdrawn = { state: 'paused' as const, controlReason: WITHDRAWN_REASON, stateChangedAt: NOW - 600_000 };
  const grace = { now: NOW, graceMs: 600_000 };
  it('cancels a send withdrawn at enqueue once the grace has passed since, naming why', () => {
    expect(decideWithdrawn(withdrawn, grace)).toEqual({
      action: 'cancel',
      reason: `${WITHDRAWN_REASON}, and no retry of its request took it back within 10 min (the repair sweep's enqueue grace): cancelled by the repair sweep`,
    });
  });
  it('waits for its retry within the grace', () => {
    expect(decideWithdrawn({ ...withdrawn, stateChangedAt: NOW - 599_999 }, grace)).toEqual({ action: 'none' });
  });
  it('leaves every other send alone: paused by an operator (or since), taken back, cancelled', () => {
    expect(decideWithdrawn({ ...withdrawn, controlReason: 'paused by an operator' }, grace)).toEqual({ action: 'none' });
    expect(decideWithdrawn({ ...withdrawn, controlReason: undefined }, grace)).toEqual({ action: 'none' });
    expect(decideWithdrawn({ ...withdrawn, state: 'active' }, grace)).toEqual({ action: 'none' });
    expect(decideWithdrawn({ ...withdrawn, state: 'cancelled' }, grace)).toEqual({ action: 'none' });
  });
});

describe('decideEnqueuing', () => {
  const send = { sendId: 's1', createdAt: NOW - 3_600_000, chunks: 3, chunksWritten: 3, lastChunkAt: NOW - 3_000_000 };
  it('waits for a producer that wrote something within the grace period', () => {
    expect(decideEnqueuing({ ...send, lastChunkAt: NOW - 1000 }, { now: NOW, graceMs: 600_000 })).toEqual({ action: 'none' });
  });
  it('finishes an enqueue whose every chunk is written', () => {
    expect(decideEnqueuing(send, { now: NOW, graceMs: 600_000 })).toEqual({ action: 'finish' });
  });
  it('abandons one with chunks missing, or a campaign (count unknown) that stopped', () => {
    expect(decideEnqueuing({ ...send, chunksWritten: 2 }, { now: NOW, graceMs: 600_000 })).toMatchObject({ action: 'abandon', reason: expect.stringMatching(/2 chunk\(s\) written of 3/) });
    expect(decideEnqueuing({ ...send, chunks: 0 }, { now: NOW, graceMs: 600_000 })).toMatchObject({ action: 'abandon' });
  });
});

describe('decideSettle', () => {
  const none = { action: 'none' };
  const settle = { action: 'settle' };
  it('settles a send whose counts moved on without it: nothing left to send while active or paused, every receipt in while sent', () => {
    expect(decideSettle({ state: 'active', announced: false, counts: { unsent: 0, accepted: 2 } })).toEqual(settle);
    expect(decideSettle({ state: 'paused', announced: false, counts: { unsent: 0, accepted: 0 } })).toEqual(settle);
    expect(decideSettle({ state: 'sent', announced: false, counts: { unsent: 0, accepted: 0 } })).toEqual(settle);
  });
  it('leaves one with recipients to send, a sent one still waiting for receipts, and one without counts', () => {
    expect(decideSettle({ state: 'active', announced: false, counts: { unsent: 1, accepted: 0 } })).toEqual(none);
    expect(decideSettle({ state: 'sent', announced: false, counts: { unsent: 0, accepted: 1 } })).toEqual(none);
    expect(decideSettle({ state: 'active', announced: false, counts: undefined })).toEqual(none);
  });
  it('announces an end that was not announced, whatever its counts, and leaves an announced one', () => {
    expect(decideSettle({ state: 'completed', announced: false, counts: undefined })).toEqual(settle);
    expect(decideSettle({ state: 'cancelled', announced: false, counts: undefined })).toEqual(settle);
    expect(decideSettle({ state: 'completed', announced: true, counts: undefined })).toEqual(none);
  });
});

describe('decideCompact', () => {
  it('compacts an ended, announced send with nothing pending that the script would take', () => {
    expect(decideCompact({ enqueued: true, recipients: 3, counts: { unsent: 0, accepted: 0 } }, 1000)).toEqual({ action: 'compact' });
    expect(decideCompact({ enqueued: true, recipients: 1000, counts: { unsent: 0, accepted: 0 } }, 1000)).toEqual({ action: 'compact' });
  });
  it('leaves one with recipients pending, one too large (refused every round), and one without counts', () => {
    expect(decideCompact({ enqueued: true, recipients: 3, counts: { unsent: 0, accepted: 1 } }, 1000)).toEqual({ action: 'none' });
    expect(decideCompact({ enqueued: true, recipients: 3, counts: { unsent: 1, accepted: 0 } }, 1000)).toEqual({ action: 'none' });
    expect(decideCompact({ enqueued: true, recipients: 1001, counts: { unsent: 0, accepted: 0 } }, 1000)).toEqual({ action: 'none' });
    expect(decideCompact({ enqueued: true, recipients: 3, counts: undefined }, 1000)).toEqual({ action: 'none' });
  });
  it('leaves one whose enqueue did not end, which the script refuses: a dry run reported it as to be compacted, and no run ever did (a campaign cut short, then cancelled)', () => {
    expect(decideCompact({ enqueued: false, recipients: 0, counts: { unsent: 0, accepted: 0 } }, 1000)).toEqual({ action: 'none' });
  });
});

describe('a chunk whose recorded attempt is none our claims make', () => {
  for (const state of ['queued', 'sending', 'unknown'] as const) {
    it(`${state}: ended without a look-up, naming the attempt as recorded`, () => {
      const c = chunk({ state, attempt: 1e20, foreignAttempt: '1e+20', outId: 's1.0.99999999999999999999-abcdef', sentAt: NOW - 120_000 });
      expect(decideChunk(c, orphanAround, rules)).toEqual({ action: 'end-foreign-attempt', attempt: '1e+20' });
    });
  }

  it('a job that will still act on it, a send gone or ended, a send still enqueuing: as for any other chunk', () => {
    const c = chunk({ state: 'queued', attempt: 1e14, foreignAttempt: '1e+14' });
    expect(decideChunk(c, { ...orphanAround, hasLiveJob: true }, rules)).toEqual({ action: 'none' });
    expect(decideChunk(c, { ...orphanAround, send: undefined }, rules)).toEqual({ action: 'end-send-missing', to: 'cancelled' });
    expect(decideChunk(c, { ...orphanAround, send: { ...ACTIVE, control: 'cancelled' } }, rules)).toEqual({ action: 'end-with-send', end: { trigger: 'cancel' } });
    expect(decideChunk(c, { ...orphanAround, send: { ...ACTIVE, enqueued: false } }, rules)).toEqual({ action: 'none' });
  });
});
