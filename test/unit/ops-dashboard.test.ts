/**
 * ops/grafana/smsq-dashboard.json: importable as is (a datasource variable, no hard-wired data
 * source), laid out without overlaps, its queries valid PromQL, and covering what the issue asks
 * a dashboard to show. With promtool, Prometheus's own parser checks every query too.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dashboardQueries, loadDashboard, panelsOf, readPromql } from '../support/promql.js';
import { inCi } from '../support/ci.js';

const dashboard = loadDashboard('ops/grafana/smsq-dashboard.json');
const panels = panelsOf(dashboard).filter((p) => p.type !== 'row');
const queries = dashboardQueries(dashboard);
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

const havePromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

/** The metric names one panel's queries select. */
const namesIn = (p: (typeof panels)[number]) => new Set((p.targets ?? []).flatMap((t) => readPromql(queries.find((q) => q.where.startsWith(`panel ${p.id} `) && q.where.endsWith(` ${t.refId}`))!.expr).metricNames));

describe('Grafana dashboard', () => {
  it('asks for its Prometheus data source on import (a datasource variable) and every query uses it', () => {
    const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(variable).toMatchObject({ name: 'datasource', query: 'prometheus' });
    const raw = dashboard as unknown as { panels: { datasource?: unknown; targets?: { datasource?: unknown }[]; type: string }[] };
    for (const p of raw.panels.filter((x) => x.type !== 'row')) {
      expect(p.datasource).toEqual(DATASOURCE);
      for (const t of p.targets ?? []) expect(t.datasource).toEqual(DATASOURCE);
    }
    expect(dashboard.templating.list.find((v) => v.name === 'job')?.datasource).toEqual(DATASOURCE);
  });

  it('has unique panel ids and a layout on the 24-column grid without overlaps', () => {
    const all = panelsOf(dashboard) as unknown as { id: number; gridPos: { x: number; y: number; w: number; h: number } }[];
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    for (const p of all) expect(p.gridPos.x + p.gridPos.w, `panel ${p.id}`).toBeLessThanOrEqual(24);
    for (const a of all) {
      for (const b of all) {
        if (a === b) continue;
        const apart = a.gridPos.x + a.gridPos.w <= b.gridPos.x || b.gridPos.x + b.gridPos.w <= a.gridPos.x || a.gridPos.y + a.gridPos.h <= b.gridPos.y || b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        expect(apart, `panels ${a.id} and ${b.id} overlap`).toBe(true);
      }
    }
  });

  it('queries valid PromQL over smsq metrics only, each panel with a title and a description', () => {
    expect(queries.length).toBeGreaterThan(30);
    for (const q of queries) {
      const reading = readPromql(q.expr);
      expect(reading.errors, q.where).toEqual([]);
      expect(reading.metricNames.length, q.where).toBeGreaterThan(0);
      for (const name of reading.metricNames) expect(name, q.where).toMatch(/^smsq_/);
    }
    for (const p of panels) {
      expect(p.title, `panel ${p.id}`).toBeTruthy();
      expect((p as unknown as { description?: string }).description, `panel ${p.id}`).toBeTruthy();
    }
  });

  it('shows what an operator watches: calls against the cap, outcomes, latency, recipients, receipts, unknown outcomes, queues, throttling, account blocks', () => {
    const panelWith = (...names: string[]) => panels.find((p) => names.every((n) => namesIn(p).has(n)));
    expect(panelWith('smsq_api_calls_total', 'smsq_api_call_rate_cap'), 'calls per second against the cap').toBeDefined();
    expect(panels.some((p) => namesIn(p).has('smsq_api_calls_total') && (p.targets ?? []).some((t) => /by \(outcome\)/.test(t.expr))), 'outcomes by class').toBe(true);
    expect(panelWith('smsq_api_call_duration_seconds_bucket'), 'call latency').toBeDefined();
    expect(panelWith('smsq_recipients'), 'recipients by state').toBeDefined();
    expect(panelWith('smsq_receipt_latency_seconds_bucket'), 'receipt latency').toBeDefined();
    expect(panelWith('smsq_unknown_outcome_oldest_age_seconds', 'smsq_reconcile_settle_seconds'), 'unknown outcomes against the settle window').toBeDefined();
    expect(panels.some((p) => (p.targets ?? []).some((t) => /smsq_recipients\{[^}]*state="unknown"/.test(t.expr))), 'unknown outcomes pending').toBe(true);
    expect(panelWith('smsq_queue_jobs'), 'queue depths').toBeDefined();
    expect(panels.some((p) => (p.targets ?? []).some((t) => /reason=~"throttled/.test(t.expr) || /outcome="throttled"/.test(t.expr))), 'throttling').toBe(true);
    expect(panelWith('smsq_account_blocked'), 'account blocks').toBeDefined();
    expect(panelWith('smsq_worker_last_seen_timestamp_seconds'), 'worker heartbeats').toBeDefined();
    expect(panelWith('smsq_workers_durability_held'), 'workers held for durability').toBeDefined();
    expect(panelWith('smsq_workers_backing_off', 'smsq_workers_live'), 'workers backing off against the live workers').toBeDefined();
  });

  describe.skipIf(!havePromtool && !inCi)('with promtool', () => {
    it('every query passes Prometheus\'s own parser (as recording rules)', () => {
      expect(havePromtool, 'promtool is missing. Fix: apt-get install -y prometheus (in .ci/run)').toBe(true);
      const dir = mkdtempSync(join(tmpdir(), 'smsq-dashboard-'));
      try {
        const file = join(dir, 'dashboard-queries.yml');
        const rules = queries.map((q, i) => ({ record: `smsq_dashboard:query_${i}`, expr: q.expr }));
        writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
        expect(execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' })).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
