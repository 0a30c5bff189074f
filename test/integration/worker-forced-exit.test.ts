/**
 * `smsq worker` (a real process) stopped by a second SIGTERM while its fetched verification codes
 * wait for their pacer slots (SMS_QPS=20, 200 codes): a new user's trial. The first SIGTERM undoes
 * the claims waiting for their slots at once (it waited for each slot, up to 2 s, and the second
 * signal left 30-odd chunks `sending`, each to be looked up before anything was resent); what the
 * forced exit leaves (calls in flight at most) is named by its forced-exit line, counted by the
 * worker itself; and `smsq status` right after, with no worker running, says so and gives no
 * sending rate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FIXTURE_NAMES as N } from '../../src/emulator/index.js';
import { metricKeys } from '../../src/metrics/metric-keys.js';
import { WRITER_FRESH_MS } from '../../src/queue/worker-presence.js';
import { createHarness, type Harness } from '../support/pipeline.js';
import { spawnSmsq, type CliProcess } from '../support/cli-process.js';
import { testRedisUrl } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

let h: Harness;
let env: NodeJS.ProcessEnv;
const children: CliProcess[] = [];

beforeAll(async () => {
  h = await createHarness({ label: 'forced', emulator: { delivery: { delayMs: 0 } } });
  env = {
    REDIS_URL: testRedisUrl(),
    SMSQ_PREFIX: h.prefix,
    SMS_MODE: 'sandbox',
    SMS_ENDPOINT: h.endpoint,
    SMS_QPS: '20',
    LOG_LEVEL: 'info',
    SMSQ_QUIET_HOURS: 'off',
    SMSQ_SHUTDOWN_GRACE_MS: '60000',
  };
});

afterAll(async () => {
  for (const c of children) c.child.kill('SIGKILL');
  await h?.close();
});

function spawn(args: string[]): CliProcess {
  const p = spawnSmsq(args, env);
  children.push(p);
  return p;
}

interface LogLine {
  msg: string;
  [field: string]: unknown;
}

/** stderr as JSON log lines; throws on any line that is not one. */
function logLines(p: CliProcess): LogLine[] {
  return p.stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        throw new Error(`not a JSON log line: ${l}`);
      }
    });
}

interface ForcedExit {
  worker: CliProcess;
  sendId: string;
  /** The send's chunks `sending` in Redis after the exit. */
  left: number;
  /** How the worker exited: 143 (the second signal), or 0 when its stop ended before that came. */
  code: number | string;
}

/** Chunks a forced exit may leave `sending` at SMS_QPS=20: calls in flight (one every ~52 ms) and answers being recorded. */
const LEFT_AT_MOST = 2;

let forcedExit: Promise<ForcedExit> | undefined;

/** The trial, run once for the tests below: 200 codes at SMS_QPS=20, SIGTERM, and SIGTERM again while it stops. */
function runForcedExit(): Promise<ForcedExit> {
  forcedExit ??= (async () => {
    const worker = spawn(['worker']);
    await waitFor(() => logLines(worker).some((l) => /smsq worker running/.test(l.msg)), 'the worker to run', 30_000);
    const phones = Array.from({ length: 200 }, (_, i) => String(13850000000 + i));
    const { sendId } = await h.producer.send({ phones, signName: N.sign, templateCode: N.verificationTemplate, templateParam: { code: '123456' }, kind: 'verification' });
    await waitFor(() => h.emulator.accepted().length >= 5, 'the first codes to be sent', 30_000);
    // As in the trial, a worker that has run a while: it beats (its metrics heartbeat, once a second).
    await waitFor(async () => (await h.redis.zcard(metricKeys(h.prefix).writers)) > 0, "the worker's heartbeat", 10_000);
    worker.child.kill('SIGTERM');
    await waitFor(() => logLines(worker).some((l) => /^stopping/.test(l.msg)), 'the worker to start stopping', 30_000);
    worker.child.kill('SIGTERM');
    const code = await worker.exited;
    const left = (await h.producer.getStatus(sendId)).counts.sending;
    console.log(`exit ${code}; chunks left sending: ${left}`);
    expect([0, 143]).toContain(code);
    // The claims waiting for their slots were undone by the first signal, not left `sending`.
    expect(left).toBeLessThanOrEqual(LEFT_AT_MOST);
    return { worker, sendId, left, code };
  })();
  return forcedExit;
}

describe('a forced exit of smsq worker while its claimed codes wait for their pacer slots', () => {
  it('leaves at most its calls in flight sending, named by the worker as Redis has them', async () => {
    const { worker, left, code } = await runForcedExit();
    const forced = logLines(worker).find((l) => /^forced exit/.test(l.msg));
    // Its stop ended before the second signal came: nothing left, nothing to name.
    if (code === 0) return void expect(left).toBe(0);
    expect(forced, worker.stderr).toBeDefined();
    expect(forced!.msg).toMatch(/^forced exit: (no chunk this worker claimed is left sending|\d+ chunks? this worker claimed (is|are) left sending \()/);
    // Counted by the worker between each claim and the record of its answer. An undo or a record in
    // flight at the exit (sent, its reply not read) may have landed: counted, not in Redis any more.
    const said = Number(forced!.chunksLeftSending);
    // Undos in flight at the exit are named apart (they may have landed): the rest are left for certain.
    const undoing = Number(forced!.undosUnanswered);
    expect(said + undoing, forced!.msg).toBeGreaterThanOrEqual(left);
    expect(said - left, forced!.msg).toBeLessThanOrEqual(2);
    if (said > 0) expect(forced!.msg).toMatch(/looked up \(QuerySendDetails\) before anything is resent/);
    expect(Number(forced!.callsNotStarted), forced!.msg).toBe(said - Number(forced!.callsInFlight) - Number(forced!.answersUnrecorded));
  }, 120_000);

  it('then smsq status says no worker serves the prefix, and gives no sending rate', async () => {
    const { sendId, left } = await runForcedExit();
    // Its last heartbeat is at most a second old: status counts it until the beat is WRITER_FRESH_MS old.
    await waitFor(async () => {
      const newest = await h.redis.zrange(metricKeys(h.prefix).writers, -1, -1, 'WITHSCORES');
      return newest.length === 0 || Date.now() - Number(newest[1]) > WRITER_FRESH_MS;
    }, "the dead worker's last heartbeat to be older than a live one's can be", 10_000);
    const status = spawn(['status', sendId]);
    expect(await status.exited, status.stderr).toBe(0);
    expect(status.stdout, status.stdout).toMatch(/^waiting +no worker serves its SMSQ_PREFIX: none is connected to its queue/m);
    expect(status.stdout, status.stdout).not.toMatch(/^rate /m);
    if (left > 0) expect(status.stdout).toMatch(new RegExp(`^sending +${left}$`, 'm'));
    else expect(status.stdout).not.toMatch(/^sending +[1-9]/m);
  }, 120_000);
});
