import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SendStatus } from '../../src/queue/send-store.js';
import { barLine, defaultWatchEnd, jsonLine, plainLine, progressOf, watchIsOver } from '../../cli/watch-progress.js';

const at = Date.parse('2026-12-04T07:42:22+08:00');
const counts = { queued: 2000, sending: 0, unknown: 0, accepted: 2500, delivered: 500, failed: 0, expired: 0, cancelled: 0, suppressed: 0, rejected: 0 };
const status: SendStatus = {
  send: {
    sendId: 's1', kind: 'marketing', api: 'SendSms', templateCode: 'SMS_1', signName: 's', recipients: 5000, rejected: 0, duplicates: 0, chunks: 5,
    createdAt: at - 60_000, state: 'active', stateChangedAt: at - 50_000, history: [{ state: 'active', at: at - 50_000 }], control: 'active',
  },
  counts,
  pace: { rate: 60, estimatedSentAt: at + 33_334 },
};

describe('--watch', () => {
  it('stops at sent for kinds whose receipts are sampled or off, at completed otherwise, and at any other end', () => {
    expect(defaultWatchEnd('sample')).toBe('sent');
    expect(defaultWatchEnd('none')).toBe('sent');
    expect(defaultWatchEnd('all')).toBe('completed');
    expect(watchIsOver('sent', 'sent')).toBe(true);
    expect(watchIsOver('sent', 'completed')).toBe(false);
    expect(watchIsOver('cancelled', 'completed')).toBe(true);
    expect(watchIsOver('paused', 'sent')).toBe(false);
  });

  it('shows progress as a bar on a terminal, a plain line otherwise, a JSON line with ISO times for --json', () => {
    expect(progressOf(status, 'sent')).toBe(0.6);
    expect(progressOf(status, 'completed')).toBe(0.1);
    expect(barLine(status, 'sent')).toBe('[##############..........]  60%  active  queued 2000, accepted 2500, delivered 500 60/s, sent by 2026-12-04 07:42:55 +08:00');
    expect(plainLine({ ...status, wait: { reason: 'quiet-hours', until: Date.parse('2026-12-04T08:00:00+08:00') } }, at)).toBe(
      '2026-12-04 07:42:22 +08:00  active  queued 2000, accepted 2500, delivered 500 60/s, sent by 2026-12-04 07:42:55 +08:00  waiting: marketing quiet hours until 08:00 China time (2026-12-04 08:00:00 +08:00)',
    );
    expect(JSON.parse(jsonLine(status, at))).toMatchObject({ at: '2026-12-04T07:42:22.000+08:00', state: 'active', stateChangedAt: '2026-12-04T07:41:32.000+08:00', pace: { rate: 60, estimatedSentAt: expect.stringMatching(/^2026-12-04T07:42:55\.\d{3}\+08:00$/) } });
  });

  it('a --watch --json line gives the wait\'s times as ISO too (wait.until was epoch ms)', () => {
    const until = Date.parse('2026-12-04T08:00:00+08:00');
    expect(JSON.parse(jsonLine({ ...status, wait: { reason: 'quiet-hours', until } }, at)).wait).toEqual({
      reason: 'quiet-hours',
      until: '2026-12-04T08:00:00.000+08:00',
      text: 'marketing quiet hours until 08:00 China time (2026-12-04 08:00:00 +08:00)',
    });
    const since = Date.parse('2026-12-04T07:00:00+08:00');
    expect(JSON.parse(jsonLine({ ...status, wait: { reason: 'account-blocked', code: 'isv.AMOUNT_NOT_ENOUGH', detail: 'balance', since } }, at)).wait).toMatchObject({ since: '2026-12-04T07:00:00.000+08:00' });
  });

  // A watch line puts `state` at the top, where `smsq status --json` has `send.state`, and
  // docs/cli.md said nothing of its shape: it lists the line's fields, and they are the line's.
  it('a --watch --json line has the fields docs/cli.md lists for it', () => {
    const cli = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
    const listed = /A `--watch --json` line is `\{([^}]*)\}`/.exec(cli)?.[1];
    expect(listed, 'docs/cli.md: A `--watch --json` line is `{...}`').toBeDefined();
    const fields = (listed ?? '').split(',').map((f) => f.trim());
    const always = fields.filter((f) => !f.endsWith('?')).map((f) => JSON.parse(f) as string);
    const optional = fields.filter((f) => f.endsWith('?')).map((f) => JSON.parse(f.slice(0, -1)) as string);
    const { pace: _pace, ...unpaced } = status;
    const bare = JSON.parse(jsonLine(unpaced, at)) as Record<string, unknown>;
    const full = JSON.parse(jsonLine({ ...status, wait: { reason: 'no-worker' } }, at)) as Record<string, unknown>;
    expect(Object.keys(bare)).toEqual(always);
    expect(Object.keys(full)).toEqual([...always, ...optional]);
  });
});
