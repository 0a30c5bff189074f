/**
 * The campaigns page's HTML, rendered on the server from template literals (html.ts escapes every
 * value). A small inline script refreshes the page's `<main>` every 2 s (fetching the same URL)
 * and sends the pause / resume / cancel buttons' requests; there is no front-end build.
 */
import { attemptsText, type RecipientState } from '../../src/receipts/send-recipients.js';
import type { CountsSample, FailureCode } from '../../src/receipts/campaign-tracker.js';
import { MESSAGE_KINDS } from '../../src/queue/kinds.js';
import { SEND_STATES } from '../../src/queue/lifecycle.js';
import type { SendStatus } from '../../src/queue/send-store.js';
import { maskPhone } from '../../src/sms/phone-mask.js';
import { countsChart } from './counts-chart.js';
import { html, raw, type Html } from './html.js';
import { chinaTime, codeMeaning, controlsFor, deliveredRatio, pastTheApi, progressBar, stateLines } from './send-view.js';

/** Where the page and Bull Board live, and whether its buttons are shown. */
export interface PageContext {
  /** The campaigns page's path, e.g. `/admin/campaigns`. */
  basePath: string;
  /** Bull Board's path, e.g. `/admin/queues`. */
  boardPath: string;
  /** Pause / resume / cancel allowed (the dashboard is not read-only). */
  controls: boolean;
  now: number;
}

const STYLE = raw(`
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{display:flex;gap:16px;align-items:center;padding:10px 20px;background:#263238;color:#fff}
header a{color:#fff}header h1{font-size:18px;margin:0 12px 0 0}
main,nav{padding:0 20px}nav{padding-top:12px}#error:empty{display:none}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eee;vertical-align:top}
th{font-weight:600;background:#f0f0f0}
.bar{display:flex;width:260px;height:14px;background:#eee;border-radius:3px;overflow:hidden}
.bar span{display:block;height:100%}
.muted{color:#777}.codes{margin:0;padding-left:16px}
.state{font-weight:600}.control{color:#b71c1c;font-weight:600}
form.filters{display:flex;gap:8px;align-items:center;margin-bottom:12px}
button{cursor:pointer}
.legend{margin-right:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
dl.summary{display:grid;grid-template-columns:max-content auto;gap:4px 16px}dl.summary dt{color:#555}
#error{color:#b71c1c}
`);

/** The refresh and the controls: plain DOM, no framework. */
const SCRIPT = raw(`
(() => {
  let busy = false;
  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const r = await fetch(location.href, { headers: { accept: 'text/html' } });
      if (!r.ok) return;
      const doc = new DOMParser().parseFromString(await r.text(), 'text/html');
      const next = doc.querySelector('main');
      if (next) document.querySelector('main').replaceWith(next);
    } catch { /* the next tick tries again */ } finally { busy = false; }
  }
  setInterval(refresh, 2000);
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const { action, send } = button.dataset;
    if (action === 'cancel' && !confirm('Cancel send ' + send + '? Its queued recipients will not be sent.')) return;
    button.disabled = true;
    document.getElementById('error').textContent = '';
    // The header is what a cross-site form cannot send: it makes these requests the page's own.
    const r = await fetch(document.body.dataset.base + '/' + encodeURIComponent(send) + '/' + action, { method: 'POST', headers: { 'x-smsq-control': '1' } });
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      document.getElementById('error').textContent = (body.error && body.error.message) || ('HTTP ' + r.status);
    }
    await refresh();
  });
})();
`);

/** `above` stays while `main` is refreshed (the filter form keeps what is being chosen, an error stays readable). */
/** `refresh`: the page reads itself again every 2 s (and its buttons work); an error page does only while the error may pass. */
function layout(ctx: PageContext, title: string, main: Html, above: Html = html``, refresh = true): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title><meta name="viewport" content="width=device-width">
<style>${STYLE}</style></head>
<body data-base="${ctx.basePath}">
<header><h1>smsq campaigns</h1><a href="${ctx.basePath}">All sends</a><a href="${ctx.boardPath}">Bull Board (queues and jobs)</a>
<span class="muted">${ctx.controls ? 'controls allowed' : 'read-only (SMSQ_DASHBOARD_READ_ONLY)'}${refresh ? ' · refreshes every 2 s' : ''}</span></header>
<nav>${above}<p id="error" role="alert"></p></nav>
${main}
${refresh ? html`<script>${SCRIPT}</script>` : ''}
</body></html>`.text;
}

function bar(status: SendStatus): Html {
  const { total, segments } = progressBar(status.counts);
  const past = pastTheApi(status.counts);
  const tip = segments.map((s) => `${s.label} ${s.recipients}`).join(', ') || 'no recipients';
  return html`<div class="bar" title="${tip}" data-done="${past.done}" data-of="${past.of}" data-total="${total}">${segments.map(
    (s) => html`<span class="seg-${s.state}" style="width:${s.percent.toFixed(2)}%;background:${s.colour}" data-recipients="${s.recipients}"></span>`,
  )}</div><small class="muted progress">${past.done} of ${past.of} past the API${past.cancelled ? `, ${past.cancelled} cancelled before their call` : ''}</small>`;
}

function stateCell(status: SendStatus): Html {
  const s = stateLines(status);
  return html`<span class="state">${s.state}</span>${s.control ? html` · <span class="control">${s.control}</span>` : ''}${
    s.reason ? html`<br><small class="muted">${s.reason}</small>` : ''
  }${s.wait ? html`<br><small class="wait">waiting: ${s.wait}</small>` : ''}`;
}

function ratioCell(status: SendStatus): Html {
  const r = deliveredRatio(status);
  return r.percent === undefined ? html`<span class="muted">-</span>` : html`<span class="ratio">${r.percent.toFixed(1)}%</span><br><small class="muted">${r.delivered} of ${r.of}</small>`;
}

function codesCell(codes: readonly FailureCode[] | undefined): Html {
  if (!codes || codes.length === 0) return html`<span class="muted">none seen</span>`;
  return html`<ul class="codes">${codes.map((c) => html`<li><code>${c.code}</code> × ${c.recipients}<br><small class="muted">${codeMeaning(c.code)}</small></li>`)}</ul>`;
}

function buttons(ctx: PageContext, status: SendStatus): Html {
  if (!ctx.controls) return html``;
  return html`${controlsFor(status).map((a) => html`<button type="button" data-action="${a}" data-send="${status.send.sendId}">${a}</button> `)}`;
}

function sendLink(ctx: PageContext, status: SendStatus): Html {
  const href = `${ctx.basePath}/${encodeURIComponent(status.send.sendId)}`;
  return html`<a href="${href}">${status.send.name ?? status.send.sendId}</a>${status.send.name ? html`<br><small class="muted">${status.send.sendId}</small>` : ''}`;
}

export interface ListPageData {
  sends: readonly SendStatus[];
  next: string | null;
  codes: ReadonlyMap<string, FailureCode[]>;
  filters: { kind?: string; state?: string; limit?: number };
}

function queryString(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The list of sends, newest first, with its filters. */
export function renderListPage(ctx: PageContext, data: ListPageData): string {
  const option = (value: string, selected: string | undefined) => html`<option value="${value}" ${value === selected ? raw('selected') : ''}>${value}</option>`;
  const filters = html`<form class="filters" method="get" action="${ctx.basePath}">
<label>kind <select name="kind"><option value="">any</option>${MESSAGE_KINDS.map((k) => option(k, data.filters.kind))}</select></label>
<label>state <select name="state"><option value="">any</option>${SEND_STATES.map((s) => option(s, data.filters.state))}</select></label>
<button type="submit">Filter</button></form>`;
  const rows = data.sends.map(
    (s) => html`<tr data-send="${s.send.sendId}">
<td>${chinaTime(s.send.createdAt)}</td><td>${sendLink(ctx, s)}</td><td>${s.send.kind}<br><small class="muted">${s.send.recipients} recipients${s.send.recipientsSoFar ? ' so far' : ''}</small></td>
<td>${stateCell(s)}</td><td>${bar(s)}</td><td>${ratioCell(s)}</td><td>${codesCell(data.codes.get(s.send.sendId))}</td><td>${buttons(ctx, s)}</td></tr>`,
  );
  const next = data.next
    ? html`<p><a class="next" href="${ctx.basePath}${queryString({ kind: data.filters.kind, state: data.filters.state, limit: data.filters.limit, cursor: data.next })}">Older sends →</a></p>`
    : html`<p class="muted">No older sends.</p>`;
  const main = html`<main>
<table class="sends"><thead><tr><th>created</th><th>send</th><th>kind</th><th>state</th><th>progress</th><th>delivered</th><th>top failure codes</th><th>${ctx.controls ? 'controls' : ''}</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="8" class="muted">No sends${data.filters.kind || data.filters.state ? ' match these filters' : ' yet'}.</td></tr>`}</tbody></table>
${next}</main>`;
  return layout(ctx, 'smsq campaigns', main, filters);
}

export interface SendPageData {
  status: SendStatus;
  series: readonly CountsSample[];
  codes: readonly FailureCode[];
  recipients: readonly RecipientState[];
  /** The cursor of the next page of recipients; null on the last. */
  next: string | null;
  /** The cursor this page of recipients was read from (absent: the first page). */
  cursor?: string;
}

/** Its rows refused and dropped; their counts are unknown, not 0, where its producer died before recording them. */
function refusedText(send: SendStatus['send']): string {
  if (send.rejected === null || send.duplicates === null) return 'rejected at the door and duplicates dropped: not recorded (the enqueue was cut short)';
  return `${send.rejected} rejected at the door, ${send.duplicates} duplicates dropped`;
}

/** One send: its summary, its counts over time, its failure codes and a page of its recipients (numbers masked). */
export function renderSendPage(ctx: PageContext, data: SendPageData): string {
  const status = data.status;
  const send = status.send;
  const summary = html`<dl class="summary">
<dt>send id</dt><dd>${send.sendId}</dd>${send.name ? html`<dt>name</dt><dd>${send.name}</dd>` : ''}
<dt>kind</dt><dd>${send.kind} (${send.api})</dd><dt>signature / template</dt><dd>${send.signName} / ${send.templateCode}</dd>${send.smsUpExtendCode === undefined ? '' : html`<dt>extension code</dt><dd>${send.smsUpExtendCode}</dd>`}
<dt>created</dt><dd>${chinaTime(send.createdAt)}</dd>${send.deadline ? html`<dt>deadline</dt><dd>${chinaTime(send.deadline)}</dd>` : ''}
<dt>state</dt><dd class="state-cell">${stateCell(status)}</dd>
<dt>recipients</dt><dd>${send.recipients} queued${send.recipientsSoFar ? ' so far (still enqueuing)' : ''}, ${refusedText(send)}, ${send.chunks} chunks</dd>
<dt>progress</dt><dd>${bar(status)}</dd><dt>delivered</dt><dd>${ratioCell(status)}</dd>
<dt>counts</dt><dd>${Object.entries(status.counts).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}</dd>
<dt>${ctx.controls ? 'controls' : ''}</dt><dd>${buttons(ctx, status)}</dd></dl>`;
  const recipients = data.recipients.map(
    (r) => html`<tr><td>${maskPhone(r.phone)}</td><td>${r.state}</td><td>${r.code ? html`<code title="${codeMeaning(r.code)}">${r.code}</code>` : ''}</td><td>${attemptsText(r)}</td>
<td>${r.sentAt ? chinaTime(r.sentAt) : ''}</td><td>${r.receivedAt ? chinaTime(r.receivedAt) : ''}${
      r.receivedAtFromPush ? html` <small class="muted" title="the report's own report_time was unreadable: this is when smsq received the push">(push received)</small>` : ''
    }</td></tr>`,
  );
  const pages = html`<p>${data.cursor !== undefined ? html`<a href="${ctx.basePath}/${encodeURIComponent(send.sendId)}">First page</a> ` : ''}${
    data.next ? html`<a class="next" href="${ctx.basePath}/${encodeURIComponent(send.sendId)}${queryString({ cursor: data.next })}">Next recipients →</a>` : html`<span class="muted">Last page.</span>`
  }</p>`;
  const main = html`<main><h2>${send.name ?? send.sendId}</h2>${summary}
<h3>Counts over time</h3>${countsChart(status, data.series, ctx.now)}
<h3>Failure codes</h3>${codesCell(data.codes)}
<h3>Recipients</h3><table class="recipients"><thead><tr><th>number</th><th>state</th><th>code</th><th>attempts</th><th>sent</th><th>received</th></tr></thead>
<tbody>${recipients.length ? recipients : html`<tr><td colspan="6" class="muted">No recipients on this page.</td></tr>`}</tbody></table>${pages}</main>`;
  return layout(ctx, `smsq send ${send.sendId}`, main);
}

/**
 * A send the page does not find (never made, or gone after its kind's retention): a page in the
 * page's own look, naming the id and leading back to the list, for a browser that followed a link.
 */
export function renderMissingSendPage(ctx: PageContext, sendId: string): string {
  const main = html`<main><h2>No send ${sendId}</h2>
<p class="missing">smsq holds no send with this id: it was never made, or it has expired (sends are kept for their kind's retention, SMSQ_RETENTION_DAYS).</p>
<p><a href="${ctx.basePath}">← All sends</a></p></main>`;
  return layout(ctx, `smsq send ${sendId}: not found`, main);
}

/** What an error of the campaigns page says: its JSON error's `error`. */
export interface PageError {
  code: string;
  message: string;
  issues?: readonly { field: string; message: string }[];
}

/**
 * A refusal shown to a browser: the words of the JSON error a script is given, as a page, so that
 * a mistyped filter or id, or Redis gone, is read as text, not as JSON source; its refresh
 * replaces it with the page once the request succeeds (Redis back).
 */
export function renderErrorPage(ctx: PageContext, status: number, error: PageError): string {
  const main = html`<main><h2>${status} ${error.code}</h2>
<p class="missing">${error.message}</p>
${error.issues?.length ? html`<ul class="issues">${error.issues.map((i) => html`<li><code>${i.field}</code> ${i.message}</li>`)}</ul>` : ''}
<p><a href="${ctx.basePath}">← All sends</a></p></main>`;
  // Only a 503 (Redis gone) passes by itself: a 401 read again every 2 s drew a login prompt each
  // time, and a 400 or 404 would be asked for ever.
  return layout(ctx, `smsq campaigns: ${status} ${error.code}`, main, html``, status === 503);
}
