/**
 * PromQL as the ops files use it (ops/prometheus rules, ops/grafana dashboard), read with the
 * Prometheus project's own grammar (@prometheus-io/lezer-promql, the parser behind its web UI):
 * syntax errors, the metric names an expression selects, and the label values its selectors match.
 */
import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';

export interface PromqlReading {
  /** Metric names selected, in order of appearance, without repeats. */
  metricNames: string[];
  /** The text around each syntax error the grammar found; empty when the expression parses. */
  errors: string[];
  /** Each `label="value"` or `label=~"regex"` of a selector that names its metric. */
  matchers: LabelMatcher[];
}

export interface LabelMatcher {
  metric: string;
  label: string;
  op: '=' | '=~';
  value: string;
}

/** Grafana's variables replaced by values Prometheus accepts, so a panel's query can be parsed. */
export function withGrafanaVariables(expr: string, values: Record<string, string> = { job: 'smsq' }): string {
  return expr
    .replace(/\$__(rate_interval|interval|range)\b/g, '5m')
    .replace(/\$\{?(\w+)\}?/g, (whole, name: string) => values[name] ?? whole);
}

export function readPromql(expr: string): PromqlReading {
  const names = new Set<string>();
  const errors: string[] = [];
  const matchers: LabelMatcher[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}: "${expr.slice(Math.max(0, node.from - 20), node.to + 20)}"`);
      if (node.name === 'VectorSelector') {
        const identifier = node.node.getChild('Identifier');
        if (identifier) {
          const metric = expr.slice(identifier.from, identifier.to);
          names.add(metric);
          for (const m of node.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
            const label = m.getChild('LabelName');
            const op = m.getChild('MatchOp');
            const value = m.getChild('StringLiteral');
            if (!label || !op || !value) continue;
            const opText = expr.slice(op.from, op.to);
            // Negative matchers name what is left out: a value never exported leaves nothing out, and cannot mislead.
            if (opText !== '=' && opText !== '=~') continue;
            matchers.push({ metric, label: expr.slice(label.from, label.to), op: opText, value: JSON.parse(expr.slice(value.from, value.to).replace(/^'|'$/g, '"')) as string });
          }
        }
      }
      // `{__name__="metric"}` selects by name too.
      if (node.name === 'UnquotedLabelMatcher') {
        const label = node.node.getChild('LabelName');
        const value = node.node.getChild('StringLiteral');
        const op = node.node.getChild('MatchOp');
        if (label && value && op && expr.slice(label.from, label.to) === '__name__' && expr.slice(op.from, op.to) === '=') {
          names.add(expr.slice(value.from + 1, value.to - 1));
        }
      }
    },
  });
  return { metricNames: [...names], errors, matchers };
}

/** One Prometheus alerting rule as ops/prometheus/smsq-alerts.yml writes it. */
export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function loadAlertRules(path: string): { groups: { name: string; rules: AlertRule[] }[] } {
  return parseYaml(readFileSync(path, 'utf8')) as { groups: { name: string; rules: AlertRule[] }[] };
}

/** A query of the dashboard: where it is, and its PromQL with Grafana's variables filled in. */
export interface DashboardQuery {
  where: string;
  expr: string;
}

interface Panel {
  id: number;
  title: string;
  type: string;
  targets?: { refId: string; expr: string }[];
  panels?: Panel[];
}

export interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; datasource?: unknown }[] };
}

export function loadDashboard(path: string): Dashboard {
  return JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
}

/** Every panel, rows' collapsed panels included. */
export function panelsOf(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/**
 * Every query of the dashboard: panel targets, and the variables' `label_values(metric, label)`
 * (Grafana's syntax, not PromQL: its metric is read as a selector).
 */
export function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const p of panelsOf(dashboard)) {
    for (const t of p.targets ?? []) out.push({ where: `panel ${p.id} "${p.title}" ${t.refId}`, expr: withGrafanaVariables(t.expr) });
  }
  for (const v of dashboard.templating.list) {
    if (v.type !== 'query') continue;
    const query = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
    const labelValues = /^label_values\((.+),\s*\w+\)$/.exec(query);
    out.push({ where: `variable ${v.name}`, expr: withGrafanaVariables(labelValues ? (labelValues[1] as string) : query) });
  }
  return out;
}
