/** The PromQL reader the ops tests rely on: it must find every metric and every syntax error. */
import { describe, expect, it } from 'vitest';
import { readPromql, withGrafanaVariables } from '../support/promql.js';

describe('reading PromQL', () => {
  it('finds metric names in selectors, ranges, aggregations and both sides of binary operators, not labels or functions', () => {
    const r = readPromql(
      'sum by (job, operation) (rate(smsq_api_calls_total{outcome="throttled"}[5m])) > on (job) group_left (code) max by (job) (smsq_account_blocked) ' +
        'unless on (job) (time() - max by (job) (smsq_worker_last_seen_timestamp_seconds offset 1m)) > 120 or histogram_quantile(0.9, rate(smsq_receipt_latency_seconds_bucket[30m]))',
    );
    expect(r.errors).toEqual([]);
    expect(r.metricNames).toEqual(['smsq_api_calls_total', 'smsq_account_blocked', 'smsq_worker_last_seen_timestamp_seconds', 'smsq_receipt_latency_seconds_bucket']);
  });

  it('reads a name given as __name__ and ignores strings that merely look like names', () => {
    expect(readPromql('{__name__="smsq_redis_up", job="smsq_recipients"}').metricNames).toEqual(['smsq_redis_up']);
    expect(readPromql('label_replace(up, "x", "smsq_fake", "", "")').metricNames).toEqual(['up']);
  });

  it('reports syntax errors', () => {
    expect(readPromql('sum by (job (rate(x[5m]))').errors).not.toEqual([]);
    expect(readPromql('rate(x[5m]) >').errors).not.toEqual([]);
    expect(readPromql('max(smsq_redis_up{job="$job"}[$__rate_interval])').errors).not.toEqual([]);
  });

  it('fills in Grafana variables so that panel queries parse', () => {
    const expr = withGrafanaVariables('rate(smsq_api_calls_total{job="$job"}[$__rate_interval]) and on() ${job}_x');
    expect(expr).toBe('rate(smsq_api_calls_total{job="smsq"}[5m]) and on() smsq_x');
    expect(readPromql(expr).errors).toEqual([]);
  });
});
