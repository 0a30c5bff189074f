/** The rules of a connection's link history (src/queue/link-history.ts): which failure is told, and whether it came after a loss. */
import { describe, expect, it } from 'vitest';
import { noteClose, noteFailure, noteReady, type LinkHistory } from '../../src/queue/link-history.js';

const fresh = (): LinkHistory => ({ lost: false, failure: undefined, failureAfterLoss: false, readyNow: false });
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
const notWritable = new Error("Stream isn't writeable and enableOfflineQueue options is false");
const http = new Error('Protocol error, got "H" as reply type byte. Please report this.');

describe('link history', () => {
  it('a refusal before any ready link is not after a loss', () => {
    const h = fresh();
    noteFailure(h, refused);
    expect(h).toMatchObject({ failure: refused, failureAfterLoss: false, lost: false });
  });

  it('a ready link closed is lost; a refusal after it is after the loss; ready again clears both', () => {
    const h = fresh();
    noteReady(h);
    noteClose(h);
    expect(h.lost).toBe(true);
    noteFailure(h, refused);
    expect(h).toMatchObject({ failure: refused, failureAfterLoss: true });
    noteReady(h);
    expect(h).toMatchObject({ failure: undefined, failureAfterLoss: false, lost: false });
  });

  it('a close of a link never ready is no loss', () => {
    const h = fresh();
    noteClose(h);
    expect(h.lost).toBe(false);
  });

  it("ioredis's words that say nothing of why do not replace a failure that does; something else answering replaces anything", () => {
    const h = fresh();
    noteFailure(h, refused);
    noteFailure(h, notWritable);
    expect(h.failure).toBe(refused);
    noteFailure(h, http);
    noteFailure(h, refused);
    expect(h.failure).toBe(http);
  });
});
