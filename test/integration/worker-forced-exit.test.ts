/**
 * `smsq worker` (a real process) stopped by a second SIGTERM while its fetched verification codes
 * wait for their pacer slots (SMS_QPS=20, 200 codes): a new user's trial. The first SIGTERM undoes
 * the claims waiting for their slots at once (it waited for each slot, up to 2 s, and the second
 * signal left 30-odd chunks `sending`, each to be looked up before anything was resent); what the
 * forced exit leaves is named by its forced-exit line, counted by the worker itself; and `smsq
 * status` right after, with no worker running, says so and gives no sending rate.
 *
 * The graceful stop is quick now (its undos take a few ms), so the second signal often came after
 * it had ended (exit 0) or while its undos were on their way, and the line's figures were never
 * checked against a stop that could not finish. Redis's writes are held here (CLIENT PAUSE WRITE)
 * from before the first signal until after the exit, as when Redis stalls during a stop: the undos
 * and the records of answers cannot be answered, the second signal forces the exit for certain,
 * and what the line names is what Redis is left with.
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

/** Redis's writes are held this long at most (released as soon as the worker has exited). */
const HOLD_WRITES_MS = 30_000;

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
    // From an admin connection: the worker's writes (claims, undos, records of answers) wait; reads and PING do not.
    await h.redis.call('CLIENT', 'PAUSE', String(HOLD_WRITES_MS), 'WRITE');
    let code: number | string;
    try {
      worker.child.kill('SIGTERM');
      await waitFor(() => logLines(worker).some((l) => /^stopping/.test(l.msg)), 'the worker to start stopping', 30_000);
      // The stop has begun: claims waiting for their slots stopped waiting, and their undos wait for Redis.
      await waitFor(() => (worker.stderr.includes('handed back to the queue') ? true : undefined), 'the undos to be sent', 10_000);
      worker.child.kill('SIGTERM');
      code = await worker.exited;
    } finally {
      await h.redis.call('CLIENT', 'UNPAUSE');
    }
    const left = (await h.producer.getStatus(sendId)).counts.sending;
    console.log(`exit ${code}; chunks left sending: ${left}`);
    // The stop could not end by itself: the second signal forced the exit.
    expect(code, worker.stderr).toBe(143);
    return { worker, sendId, left, code };
  })();
  return forcedExit;
}

describe('a forced exit of smsq worker while its claimed codes wait for their pacer slots', () => {
  it('names what it leaves sending, and Redis has exactly that: writes held, no undo landed', async () => {
    const { worker, left } = await runForcedExit();
    const forced = logLines(worker).find((l) => /^forced exit/.test(l.msg));
    expect(forced, worker.stderr).toBeDefined();
    console.log(forced!.msg);
    expect(forced!.msg).toMatch(/^forced exit: (no chunk this worker claimed is left sending|\d+ chunks? this worker claimed (is|are) left sending \()/);
    const said = Number(forced!.chunksLeftSending);
    const undoing = Number(forced!.undosUnanswered);
    const claiming = Number(forced!.claimsUnanswered);
    // The first signal undid the claims waiting for their slots; those undos were held, unanswered.
    expect(undoing, forced!.msg).toBeGreaterThan(0);
    expect(forced!.msg).toMatch(new RegExp(`; ${undoing} claims? not called (was|were) being undone, the undo not answered by Redis`));
    // Nothing the worker wrote while writes were held landed (a dead client's held commands are
    // dropped): the chunks `sending` are those left for certain, those being undone, and the claims
    // that had landed before the hold without their reply read (none of the held ones did).
    expect(left, forced!.msg).toBeGreaterThanOrEqual(said + undoing);
    expect(left, forced!.msg).toBeLessThanOrEqual(said + undoing + claiming);
    if (said > 0) expect(forced!.msg).toMatch(/looked up \(QuerySendDetails\) before anything is resent/);
    // Which chunks, not only how many: the first few by id, how many more, and their send for `smsq status`.
    const { sendId } = await runForcedExit();
    const named = said + undoing + claiming;
    if (named > 0) {
      const shown = Math.min(named, 5);
      const more = named > shown ? ` and ${named - shown} more` : '';
      expect(forced!.msg).toMatch(new RegExp(`: ${Array(shown).fill(`${sendId}\\.\\d+`).join(', ')}${more} of send ${sendId} \\(smsq status ${sendId}\\)`));
      expect(forced!.chunkIds).toHaveLength(shown);
      expect(forced!.sendIds).toEqual([sendId]);
    }
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
