import { describe, expect, it } from 'vitest';
import { chunksLeftSending, createClaimsOutstanding, leftSendingText, type OutstandingClaims } from '../../workers/claims-outstanding.js';

const none: OutstandingClaims = { claimsUnanswered: 0, callsNotStarted: 0, callsInFlight: 0, answersUnrecorded: 0, undosUnanswered: 0 };

describe('createClaimsOutstanding', () => {
  it('counts each track at its stage, from its claim to its record, and nothing once done', () => {
    const claims = createClaimsOutstanding();
    const a = claims.track();
    const b = claims.track();
    const c = claims.track();
    expect(claims.now()).toEqual(none);
    a.claiming();
    b.claiming();
    c.claiming();
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
    b.undoing(); // not called: its undo is sent, may land or not
    expect(claims.now()).toEqual({ ...none, answersUnrecorded: 1, undosUnanswered: 1 });
    expect(chunksLeftSending(claims.now())).toBe(1);
    a.done();
    a.done(); // the processor's `finally` after the record: counted once
    b.done();
    expect(claims.now()).toEqual(none);
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
