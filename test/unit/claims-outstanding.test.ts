import { describe, expect, it } from 'vitest';
import { chunksLeftSending, createClaimsOutstanding, graceOverLeftText, leftSendingText, type OutstandingClaims } from '../../workers/claims-outstanding.js';

const none: OutstandingClaims = { claimsUnanswered: 0, callsNotStarted: 0, callsInFlight: 0, answersUnrecorded: 0, undosUnanswered: 0 };

describe('createClaimsOutstanding', () => {
  it('counts each track at its stage, from its claim to its record, and nothing once done', () => {
    const claims = createClaimsOutstanding();
    const a = claims.track();
    const b = claims.track();
    const c = claims.track();
    expect(claims.now()).toEqual(none);
    a.claiming('sA', 'sA.0');
    b.claiming('sA', 'sA.1');
    c.claiming('sB', 'sB.0');
    expect(claims.now()).toEqual({ ...none, claimsUnanswered: 3 });
    a.claimed();
    b.claimed();
    c.done(); // its claim did not send (paused, done, ...): never `sending` by this worker
    expect(claims.now()).toEqual({ ...none, callsNotStarted: 2 });
    a.calling();
    expect(claims.now()).toEqual({ ...none, callsNotStarted: 1, callsInFlight: 1 });
    a.answered();
    expect(claims.now()).toEqual({ ...none, callsNotStarted: 1, answersUnrecorded: 1 });
    expect(chunksLeftSending(claims.now())).toBe(2);
    // Named by id, left sending for certain first (a is answered, b not called yet).
    expect(claims.chunks()).toEqual([{ sendId: 'sA', chunkId: 'sA.0' }, { sendId: 'sA', chunkId: 'sA.1' }]);
    b.undoing(); // not called: its undo is sent, may land or not
    expect(claims.now()).toEqual({ ...none, answersUnrecorded: 1, undosUnanswered: 1 });
    expect(chunksLeftSending(claims.now())).toBe(1);
    a.done();
    a.done(); // the processor's `finally` after the record: counted once
    b.done();
    expect(claims.now()).toEqual(none);
    expect(claims.chunks()).toEqual([]);
  });
});

describe('leftSendingText', () => {
  it('names the chunks left sending, how far their calls got, and the look-up', () => {
    expect(leftSendingText({ ...none, callsNotStarted: 56 })).toBe(
      'forced exit: 56 chunks this worker claimed are left sending (none mid-call: their calls had not started); each is looked up (QuerySendDetails) before anything is resent, once a running worker takes their jobs back',
    );
    expect(leftSendingText({ ...none, callsInFlight: 1 })).toBe(
      'forced exit: 1 chunk this worker claimed is left sending (1 mid-call); it is looked up (QuerySendDetails) before anything is resent, once a running worker takes its job back',
    );
    expect(leftSendingText({ ...none, callsNotStarted: 50, callsInFlight: 3, answersUnrecorded: 2 })).toMatch(
      /^forced exit: 55 chunks this worker claimed are left sending \(3 mid-call, 2 answered, the answer not recorded, 50 not called yet\); each is looked up/,
    );
    expect(leftSendingText(none)).toBe('forced exit: no chunk this worker claimed is left sending (no call in flight)');
    expect(leftSendingText({ ...none, claimsUnanswered: 2 })).toBe(
      'forced exit: no chunk this worker claimed is left sending (no call in flight); 2 more claims had no reply from Redis: their chunks may be left sending too, looked up the same way',
    );
    expect(leftSendingText({ ...none, callsInFlight: 1, undosUnanswered: 8 })).toBe(
      'forced exit: 1 chunk this worker claimed is left sending (1 mid-call); it is looked up (QuerySendDetails) before anything is resent, once a running worker takes its job back; 8 claims not called were being undone, the undo not answered by Redis: their chunks may be left sending too, looked up the same way',
    );
  });
});

describe('the chunks a stop leaves sending, by id', () => {
  const chunks = (sendId: string, n: number) => Array.from({ length: n }, (_, i) => ({ sendId, chunkId: `${sendId}.${i}` }));
  it('names the first few chunk ids, how many more, and the send for smsq status', () => {
    expect(leftSendingText({ ...none, callsInFlight: 1 }, chunks('smxA', 1))).toMatch(/takes its job back; chunks: smxA\.0 of send smxA \(smsq status smxA\)$/);
    expect(leftSendingText({ ...none, callsNotStarted: 7 }, chunks('smxA', 7))).toMatch(/; chunks: smxA\.0, smxA\.1, smxA\.2, smxA\.3, smxA\.4 and 2 more of send smxA \(smsq status smxA\)$/);
    expect(leftSendingText({ ...none, callsInFlight: 2 }, [...chunks('smxA', 1), ...chunks('smxB', 1)])).toMatch(/; chunks: smxA\.0, smxB\.0 of sends smxA, smxB \(smsq status SEND_ID\)$/);
  });
  it('the grace period line counts those left sending and those that may be', () => {
    expect(graceOverLeftText(none, [])).toBe('');
    expect(graceOverLeftText({ ...none, answersUnrecorded: 1 }, chunks('smxA', 1))).toBe('; 1 chunk left sending: smxA.0 of send smxA (smsq status smxA)');
    expect(graceOverLeftText({ ...none, callsInFlight: 1, claimsUnanswered: 1 }, chunks('smxA', 2))).toBe(
      '; 1 chunk left sending, 1 more maybe (claim or undo not answered by Redis): smxA.0, smxA.1 of send smxA (smsq status smxA)',
    );
  });
});
