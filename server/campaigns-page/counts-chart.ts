/**
 * A send's counts over time as an inline SVG: lines for recipients past the API, delivered, and
 * failed or expired, from the send's creation (every recipient queued) through its samples to now.
 * No script and no library: the server draws it on every refresh.
 */
import type { CountsSample } from '../../src/receipts/campaign-tracker.js';
import type { SendStatus } from '../../src/queue/send-store.js';
import { html, type Html } from './html.js';
import { chinaTime } from './send-view.js';

const WIDTH = 640;
const HEIGHT = 180;
const PAD = { left: 44, right: 12, top: 12, bottom: 26 };

const LINES = [
  { name: 'past the API', colour: '#1565c0', of: (c: CountsSample['counts']) => n(c.accepted) + n(c.delivered) + n(c.failed) + n(c.expired) },
  { name: 'delivered', colour: '#2e7d32', of: (c: CountsSample['counts']) => n(c.delivered) },
  { name: 'failed or expired', colour: '#e53935', of: (c: CountsSample['counts']) => n(c.failed) + n(c.expired) },
] as const;

function n(v: number | undefined): number {
  return v ?? 0;
}

/** The points drawn: creation (nothing sent), the samples, and the status now. */
export function chartPoints(status: SendStatus, samples: readonly CountsSample[], now: number): CountsSample[] {
  const start = { at: status.send.createdAt, counts: { queued: status.send.recipients } };
  const later = samples.filter((s) => s.at > status.send.createdAt && s.at < now);
  return [start, ...later, { at: Math.max(now, status.send.createdAt + 1), counts: status.counts }];
}

export function countsChart(status: SendStatus, samples: readonly CountsSample[], now: number): Html {
  const points = chartPoints(status, samples, now);
  const t0 = points[0]?.at ?? 0;
  const t1 = points[points.length - 1]?.at ?? t0 + 1;
  const top = Math.max(1, status.send.recipients);
  const x = (at: number) => PAD.left + ((at - t0) / Math.max(1, t1 - t0)) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) => HEIGHT - PAD.bottom - (Math.min(v, top) / top) * (HEIGHT - PAD.top - PAD.bottom);
  const lines = LINES.map(
    (l) => html`<polyline fill="none" stroke="${l.colour}" stroke-width="2" points="${points.map((p) => `${x(p.at).toFixed(1)},${y(l.of(p.counts)).toFixed(1)}`).join(' ')}"><title>${l.name}</title></polyline>`,
  );
  const legend = LINES.map((l) => html`<span class="legend"><i style="background:${l.colour}"></i>${l.name}</span>`);
  return html`<figure class="chart" data-samples="${samples.length}">
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="recipients over time">
<line x1="${PAD.left}" y1="${y(0)}" x2="${WIDTH - PAD.right}" y2="${y(0)}" stroke="#999"/>
<line x1="${PAD.left}" y1="${y(top)}" x2="${WIDTH - PAD.right}" y2="${y(top)}" stroke="#ddd"/>
<text x="${PAD.left - 6}" y="${y(top) + 4}" text-anchor="end" font-size="11">${top}</text>
<text x="${PAD.left - 6}" y="${y(0) + 4}" text-anchor="end" font-size="11">0</text>
<text x="${PAD.left}" y="${HEIGHT - 6}" font-size="11">${chinaTime(t0)}</text>
<text x="${WIDTH - PAD.right}" y="${HEIGHT - 6}" text-anchor="end" font-size="11">${chinaTime(t1)}</text>
${lines}
</svg>
<figcaption>${legend} <small>${samples.length} sample(s), taken while the page was open</small></figcaption>
</figure>`;
}
