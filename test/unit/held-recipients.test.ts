import { describe, expect, it } from 'vitest';
import { heldNote } from '../../cli/held-recipients.js';

describe('heldNote: why pending recipients have not gone out, from their codes', () => {
  it('names per-number flow control, other codes a recipient waits after, and calls in flight or being looked up', () => {
    expect(
      heldNote([
        { state: 'queued', code: 'isv.BUSINESS_LIMIT_CONTROL' },
        { state: 'queued', code: 'isv.BUSINESS_LIMIT_CONTROL' },
        { state: 'queued', code: 'Throttling.User' },
        { state: 'sending', code: undefined },
        { state: 'accepted', code: 'OK' },
      ]),
    ).toBe(
      '2 recipients are held by per-number flow control (isv.BUSINESS_LIMIT_CONTROL: Alibaba caps what one number gets a minute, an hour and a day); smsq tries again when the window opens; 1 recipient waits to be sent again after Throttling.User; 1 recipient is in a call, or in one whose answer was lost and is being looked up before any resend',
    );
  });

  it('names recipients in doubt (state unknown), which were listed as sending', () => {
    expect(heldNote([{ state: 'unknown', code: 'isp.SYSTEM_ERROR' }, { state: 'unknown', code: 'isp.SYSTEM_ERROR' }])).toBe(
      '2 recipients are in doubt (the call timed out or failed in transit) and looked up before any resend',
    );
  });

  it('says nothing for recipients merely queued, or past the API', () => {
    expect(heldNote([{ state: 'queued', code: undefined }, { state: 'delivered', code: 'DELIVERED' }, { state: 'failed', code: 'isv.BUSINESS_LIMIT_CONTROL' }])).toBeUndefined();
    expect(heldNote([])).toBeUndefined();
  });
});
