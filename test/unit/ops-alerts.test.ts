/**
 * ops/prometheus/smsq-alerts.yml: its shape, its PromQL, its runbook links, and Prometheus's own
 * checks: `promtool check rules` and `promtool test rules` (Debian's `prometheus` package; .ci/run
 * installs it). Without promtool those two are skipped locally but FAIL under CI=true.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadAlertRules, readPromql } from '../support/promql.js';
import { inCi } from '../support/ci.js';

const RULES = 'ops/prometheus/smsq-alerts.yml';
const RULE_TESTS = 'ops/prometheus/smsq-alerts.test.yml';
const RUNBOOK = 'docs/operations-alerts.md';
const rules = loadAlertRules(RULES).groups.flatMap((g) => g.rules);

const havePromtoolBinary = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
const anchorOf = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');

describe('alert rules', () => {
  it('cover what the operator must act on, each once (an alert with two rules differs by severity)', () => {
    const names = rules.map((r) => r.alert);
    const ruleKeys = rules.map((r) => `${r.alert}/${r.labels?.severity ?? ''}`);
    expect(new Set(ruleKeys).size, 'two rules of one alert with the same severity').toBe(ruleKeys.length);
    expect(names).toEqual(
      expect.arrayContaining([
        'SmsqAccountBlocked',
        'SmsqSendAutoPaused',
        'SmsqThrottlingSustained',
        'SmsqUnknownOutcomesNotSettled',
        'SmsqReceiptsLagging',
        'SmsqRedisUnreachable',
        'SmsqNoWorker',
        'SmsqDurabilityHeld',
        'SmsqSendsWithdrawn',
        'SmsqWorkersBackingOff',
        'SmsqNoReceipts',
        'SmsqRecipientsExpired',
        'SmsqSendPausedLong',
      ]),
    );
    // Every live worker backing off sends nothing (critical); some of them, one host's fault (warning).
    expect(rules.filter((r) => r.alert === 'SmsqWorkersBackingOff').map((r) => [r.labels?.severity, r.for])).toEqual([
      ['critical', '2m'],
      ['warning', '10m'],
    ]);
  });

  it('each has a severity, a summary, a description that says what to do, and a runbook section that exists', () => {
    const headings = new Set(
      readFileSync(RUNBOOK, 'utf8')
        .split('\n')
        .filter((l) => /^#{2,4} /.test(l))
        .map((l) => anchorOf(l.replace(/^#+ /, ''))),
    );
    for (const r of rules) {
      expect(['critical', 'warning'], r.alert).toContain(r.labels?.severity);
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect((r.annotations?.description ?? '').length, r.alert).toBeGreaterThan(60);
      const link = r.annotations?.runbook_url ?? '';
      expect(link, r.alert).toBe(`${RUNBOOK}#${r.alert.toLowerCase()}`);
      expect(headings.has(link.split('#')[1] as string), `${RUNBOOK} has no section for ${r.alert}`).toBe(true);
    }
  });

  it('parse as PromQL, and name only smsq metrics', () => {
    for (const r of rules) {
      const reading = readPromql(r.expr);
      expect(reading.errors, r.alert).toEqual([]);
      expect(reading.metricNames.length, r.alert).toBeGreaterThan(0);
      for (const name of reading.metricNames) expect(name, r.alert).toMatch(/^smsq_/);
    }
  });

  it('have a promtool test in which each rule fires, and one in which it does not yet', () => {
    const suite = parseYaml(readFileSync(RULE_TESTS, 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: { exp_labels?: Record<string, string> }[] }[] }[];
    };
    const checks = suite.tests.flatMap((t) => t.alert_rule_test);
    for (const r of rules) {
      // A rule is told from another of its alert by its severity.
      const severity = r.labels?.severity;
      const mine = checks.filter((c) => c.alertname === r.alert).map((c) => c.exp_alerts.filter((a) => a.exp_labels?.severity === severity));
      expect(mine.some((fired) => fired.length > 0), `${r.alert} (${severity}) never fires in ${RULE_TESTS}`).toBe(true);
      expect(mine.some((fired) => fired.length === 0), `${r.alert} (${severity}) is never shown quiet in ${RULE_TESTS}`).toBe(true);
    }
  });

  describe.skipIf(!havePromtoolBinary && !inCi)('promtool', () => {
    it('is installed', () => {
      expect(havePromtoolBinary, 'promtool is missing. Fix: apt-get install -y prometheus (in .ci/run)').toBe(true);
    });

    it('checks the rules', () => {
      const out = execFileSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
      expect(out).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
    });

    it('runs the rules unit tests: each alert fires when it should, with its labels and annotations', () => {
      const run = spawnSync('promtool', ['test', 'rules', 'smsq-alerts.test.yml'], { cwd: 'ops/prometheus', encoding: 'utf8' });
      expect(`${run.stdout}${run.stderr}`).toMatch(/SUCCESS/);
      expect(run.status, run.stdout + run.stderr).toBe(0);
    });
  });
});
