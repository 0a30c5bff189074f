/**
 * The campaigns page's pure parts: escaping, the bar, the delivered ratio, the state in words (a
 * wait reason in whatever shape the status gives it), the controls that apply, code meanings and
 * the chart's points.
 */
import { describe, expect, it } from 'vitest';
import type { SendStatus } from '../../src/queue/send-store.js';
import { escapeHtml, html, raw } from '../../server/campaigns-page/html.js';
import { chartPoints } from '../../server/campaigns-page/counts-chart.js';
import { renderListPage } from '../../server/campaigns-page/render.js';
import { chinaTime, codeMeaning, controlsFor, deliveredRatio, pastTheApi, progressBar, stateLines, waitText } from '../../server/campaigns-page/send-view.js';
import { decodeSendCursor, encodeSendCursor, LEGACY_SOURCE, sendMatchesState } from '../../src/queue/send-index.js';

const ZERO = { queued: 0, sending: 0, unknown: 0, accepted: 0, delivered: 0, failed: 0, expired: 0, cancelled: 0, suppressed: 0, rejected: 0 };

function status(over: { send?: Partial<SendStatus['send']> & Record<string, unknown>; counts?: Partial<SendStatus['counts']> } = {}): SendStatus {
  return {
    send: {
      sendId: 'smx1',
      kind: 'marketing',
      api: 'SendSms',
      templateCode: 'SMS_1',
      signName: 'sign',
      recipients: 10,
      rejected: 0,
      duplicates: 0,
      chunks: 1,
      createdAt: Date.UTC(2026, 11, 3, 23, 42, 22),
      state: 'active',
      control: 'active',
      ...over.send,
    } as SendStatus['send'],
    counts: { ...ZERO, ...over.counts },
  };
}

describe('campaigns page view', () => {
  it('escapes every interpolated value, but not markup it made', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(html`<p title="${'"x"'}">${'<script>'}${html`<b>${'&'}</b>`}${raw('<i></i>')}${null}${false}${[1, '<']}</p>`.text).toBe(
      '<p title="&quot;x&quot;">&lt;script&gt;<b>&amp;</b><i></i>1&lt;</p>',
    );
  });

  it('renders a list whose names, reasons and wait reasons cannot inject markup', () => {
    const evil = { ...status({ send: { name: '<img src=x onerror=alert(1)>', control: 'paused', controlReason: '<b>x</b>' } }), wait: '<script>' as never };
    const page = renderListPage({ basePath: '/admin/campaigns', boardPath: '/admin/queues', controls: true, now: 0 }, { sends: [evil], next: null, codes: new Map(), filters: {} });
    expect(page).not.toContain('<img src=x');
    expect(page).not.toContain('<b>x</b>');
    expect(page).toContain('&lt;script&gt;');
    expect(page).toContain('data-action="resume"');
  });

  it('draws the bar by recipient state, sending and unknown together, and says how far the send got', () => {
    const counts = { ...ZERO, delivered: 5, accepted: 1, sending: 1, unknown: 1, queued: 2, failed: 0, rejected: 2 };
    const bar = progressBar(counts);
    expect(bar.total).toBe(12);
    expect(bar.segments.map((s) => [s.state, s.recipients])).toEqual([
      ['delivered', 5],
      ['accepted', 1],
      ['sending', 2],
      ['queued', 2],
      ['rejected', 2],
    ]);
    expect(bar.segments.reduce((a, s) => a + s.percent, 0)).toBeCloseTo(100);
    expect(pastTheApi(counts)).toEqual({ done: 6, of: 10, cancelled: 0 });
    // Cancelled before their call: not past the API (a cancelled campaign with no call read "3000 of 3000").
    expect(pastTheApi({ ...ZERO, cancelled: 3000 })).toEqual({ done: 0, of: 3000, cancelled: 3000 });
    expect(progressBar(ZERO)).toEqual({ total: 0, segments: [] });
  });

  it('gives the delivered ratio of the recipients queued', () => {
    expect(deliveredRatio(status({ counts: { delivered: 4 } }))).toEqual({ delivered: 4, of: 10, percent: 40 });
    expect(deliveredRatio(status({ send: { recipients: 0 } })).percent).toBeUndefined();
  });

  it('says the state, the control with its reason, and any wait reason whatever its shape', () => {
    expect(stateLines(status())).toEqual({ state: 'active', control: undefined, reason: undefined, wait: undefined });
    expect(stateLines(status({ send: { control: 'paused', controlReason: 'auto-pause: 9 of 10 failed' } }))).toMatchObject({ control: 'paused', reason: 'auto-pause: 9 of 10 failed' });
    // A control that is also the state is said once (it read "paused · paused").
    expect(stateLines(status({ send: { state: 'paused', control: 'paused', controlReason: 'x' } }))).toMatchObject({ state: 'paused', control: undefined, reason: 'x' });
    expect(stateLines(status({ send: { state: 'failed', code: 'isv.SMS_SIGNATURE_ILLEGAL', reason: 'sign' } })).reason).toBe('isv.SMS_SIGNATURE_ILLEGAL: sign');
    // A state and a wait reason this code does not know yet show as they are.
    expect(stateLines({ ...status({ send: { state: 'sent' as never } }), wait: 'quiet hours until 08:00 China time' as never })).toMatchObject({ state: 'sent', wait: 'quiet hours until 08:00 China time' });
    // The status's own wait (top level, as GET /v1/sends/{id} has it) in the words of smsq status.
    const until = Date.parse('2026-11-25T08:00:00+08:00');
    expect(stateLines({ ...status(), wait: { reason: 'quiet-hours', until } }).wait).toBe('marketing quiet hours until 08:00 China time (2026-11-25 08:00:00 +08:00)');
    expect(waitText({ reason: 'quiet-hours', until: '2026-12-04 08:00:00 +08:00' })).toBe('quiet-hours, until 2026-12-04 08:00:00 +08:00');
    expect(waitText({ kind: 'receipts', pending: 3 })).toBe('receipts, pending 3');
    expect(waitText(undefined)).toBeUndefined();
  });

  it('offers the controls that apply', () => {
    expect(controlsFor(status())).toEqual(['pause', 'cancel']);
    expect(controlsFor(status({ send: { control: 'paused' } }))).toEqual(['resume', 'cancel']);
    expect(controlsFor(status({ send: { control: 'cancelled' } }))).toEqual([]);
    expect(controlsFor(status({ send: { state: 'failed' } }))).toEqual([]);
    // Nothing is left to cancel of a send sent in full: its cancel is refused, so not offered.
    // Nor to pause: its pause changed nothing and said nothing.
    expect(controlsFor(status({ send: { state: 'sent' } }))).toEqual([]);
    expect(controlsFor(status({ send: { state: 'completed' } }))).toEqual([]);
    expect(controlsFor(status({ send: { state: 'expired' } }))).toEqual([]);
    expect(controlsFor(status({ send: { state: 'sent', control: 'paused' } }))).toEqual(['resume']);
  });

  it('says what a code means from smsq\'s list and the Dysmsapi list', () => {
    expect(codeMeaning('SMSQ_CANCELLED')).toMatch(/cancelled/);
    expect(codeMeaning('isv.TEMPLATE_MISSING_PARAMETERS')).toMatch(/variable/);
    expect(codeMeaning('XX:9999')).toMatch(/not in smsq's code list: a carrier's code from a delivery receipt.*see docs\/errors\.md#delivery-receipt-carrier-codes$/);
    // A carrier's code the docs list: what it means, and where the docs say it.
    expect(codeMeaning('IC:0055')).toBe("the number is unassigned or suspended (a carrier's code from a delivery receipt: docs/errors.md#delivery-receipt-carrier-codes)");
  });

  it('prints China time with its offset', () => {
    expect(chinaTime(Date.UTC(2026, 11, 3, 23, 42, 22))).toBe('2026-12-04 07:42:22 +08:00');
  });

  it('charts from creation (all queued) through the samples to now', () => {
    const s = status({ counts: { delivered: 10 } });
    const t = s.send.createdAt;
    const points = chartPoints(s, [{ at: t - 5, counts: {} }, { at: t + 1000, counts: { accepted: 4 } }], t + 2000);
    expect(points.map((p) => p.at)).toEqual([t, t + 1000, t + 2000]);
    expect(points[0]?.counts).toEqual({ queued: 10 });
    expect(points[2]?.counts.delivered).toBe(10);
  });
});

describe('send list cursor and state filter', () => {
  it('round-trips a position and refuses anything else by field', () => {
    const position = { at: 1795552530819, seq: 2, source: 1, sendId: 'smx1' };
    expect(decodeSendCursor(encodeSendCursor(position))).toEqual(position);
    // A cursor of the version before the streams names its place in the sorted set it was read from.
    expect(decodeSendCursor(Buffer.from('[1,1795552530819,"smx1"]').toString('base64url'))).toEqual({ at: 1795552530819, seq: 0, source: LEGACY_SOURCE, sendId: 'smx1' });
    const cursor = (tuple: string) => Buffer.from(tuple).toString('base64url');
    for (const bad of ['', 'x'.repeat(401), '!!', cursor('[2,1,"a"]'), cursor('[1,-1,"a"]'), cursor('[1,1,"a b"]'), cursor('[2,1,0,4,"a"]'), cursor('[2,1,-1,0,"a"]'), cursor('[3,1,0,0,"a"]'), cursor('[2,1.5,0,0,"a"]')]) {
      expect(() => decodeSendCursor(bad, 'query.cursor')).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ field: 'query.cursor' })] }));
    }
  });

  it('matches the send state (paused and cancelled are states of the send lifecycle)', () => {
    expect(sendMatchesState(status(), 'active')).toBe(true);
    expect(sendMatchesState(status({ send: { state: 'paused', control: 'paused' } }), 'active')).toBe(false);
    expect(sendMatchesState(status({ send: { state: 'paused', control: 'paused' } }), 'paused')).toBe(true);
    expect(sendMatchesState(status({ send: { state: 'enqueuing' } }), 'enqueuing')).toBe(true);
    expect(sendMatchesState(status({ send: { state: 'failed' } }), 'cancelled')).toBe(false);
  });
});
