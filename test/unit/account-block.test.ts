import { describe, expect, it } from 'vitest';
import { blockFields, parseAccountBlock, workerText } from '../../src/queue/account-block.js';
import { DEFAULT_RECEIPT_POLICIES } from '../../src/queue/receipt-policy.js';
import { sendWait, waitText } from '../../src/queue/send-wait.js';

const hashOf = (fields: (string | number)[]) => Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [String(fields[2 * i]), String(fields[2 * i + 1])]));

describe('the account block record', () => {
  it('keeps the worker that hit it, and reads back what it wrote', () => {
    const worker = { host: 'web-3', pid: 4242, name: 'eu-7' };
    const hash = { code: 'SignatureDoesNotMatch', ...hashOf(blockFields('bad secret', 1000, worker)) };
    expect(parseAccountBlock(hash)).toEqual({ code: 'SignatureDoesNotMatch', message: 'bad secret', since: 1000, worker });
    const unnamed = { code: 'X', ...hashOf(blockFields('m', 1, { host: 'h', pid: 7 })) };
    expect(parseAccountBlock(unnamed)?.worker).toEqual({ host: 'h', pid: 7 });
  });

  it('reads a block written by an earlier version (no worker), and none', () => {
    expect(parseAccountBlock({ code: 'Forbidden.RAM', message: 'm', since: '5' })).toEqual({ code: 'Forbidden.RAM', message: 'm', since: 5 });
    expect(parseAccountBlock({ code: 'Forbidden.RAM', since: 'x', host: 'h', pid: 'nope' })).toEqual({ code: 'Forbidden.RAM', message: '', since: 0 });
    expect(parseAccountBlock({})).toBeUndefined();
    expect(parseAccountBlock(null)).toBeUndefined();
  });

  it('names the worker where smsq status says why a send waits', () => {
    expect(workerText({ host: 'web-3', pid: 4242 })).toBe('the worker on host web-3, pid 4242');
    const worker = { host: 'web-3', pid: 4242, name: 'eu-7' };
    const wait = sendWait(
      { send: { kind: 'notification', state: 'active', stateChangedAt: 0, history: [] }, counts: { queued: 1, sending: 0, unknown: 0, accepted: 0, delivered: 0, failed: 0, expired: 0 } },
      { now: 10, quietHours: undefined, receiptWindowMs: 1, receiptLookups: DEFAULT_RECEIPT_POLICIES, accountBlock: { code: 'SignatureDoesNotMatch', message: 'bad', since: 1, worker } },
    );
    expect(wait).toMatchObject({ reason: 'account-blocked', worker });
    expect(waitText(wait!)).toMatch(/\(SignatureDoesNotMatch: bad\) by the worker on host web-3, pid 4242 \(named "eu-7"\): fix the account, or that worker's environment/);
  });
});
