/** The per-process back-off from an endpoint this worker cannot reach: its steps, its lines, its reset. */
import { describe, expect, it, vi, afterEach } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { createLogger } from '../../src/logger.js';
import { createEndpointBackoff } from '../../workers/endpoint-backoff.js';
import { createIntakeHolds } from '../../workers/intake-holds.js';

const FAULT = { code: 'ConnectionRefused', message: 'the connection to SMS_ENDPOINT=127.0.0.1:9 was refused (ECONNREFUSED): nothing listens there', action: 'Start what SMS_ENDPOINT names. Nothing was sent: a door whose look-up meets it refuses the request (one that finds the signature and template cached makes no call); a worker puts the job back and stops taking jobs itself for a while (other workers go on), then calls again.' };

function setup() {
  const calls: string[] = [];
  const intake = createIntakeHolds({ pause: async () => void calls.push('pause'), resume: () => void calls.push('resume') });
  const lines: { level: number; msg: string; pauseMs?: number }[] = [];
  const logger = createLogger({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const backoff = createEndpointBackoff({ intake, logger, clock: createManualClock(), settings: { firstMs: 1000, maxMs: 4000 } });
  return { calls, intake, lines, backoff };
}

afterEach(() => vi.useRealTimers());

describe('endpoint back-off', () => {
  it('pauses this worker once per step, doubling to the cap, one line per step whatever the jobs that meet it', () => {
    vi.useFakeTimers();
    const { calls, lines, backoff } = setup();
    for (let i = 0; i < 5; i++) backoff.fault(FAULT);
    expect(calls).toEqual(['pause']);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.msg).toMatch(/^the connection to SMS_ENDPOINT=127\.0\.0\.1:9 was refused .*; nothing was sent\. Fix: start what SMS_ENDPOINT names\. This worker takes no job for 1 s .*other workers go on/);
    vi.advanceTimersByTime(1000);
    expect(calls).toEqual(['pause', 'resume']);
    const pauses = [];
    for (let i = 0; i < 4; i++) {
      backoff.fault(FAULT);
      pauses.push(lines.at(-1)?.pauseMs);
      vi.advanceTimersByTime(4000);
    }
    expect(pauses).toEqual([2000, 4000, 4000, 4000]);
  });

  it('starts over at the first step once a call is answered', () => {
    vi.useFakeTimers();
    const { lines, backoff } = setup();
    backoff.fault(FAULT);
    vi.advanceTimersByTime(1000);
    backoff.fault(FAULT);
    vi.advanceTimersByTime(2000);
    backoff.answered();
    expect(lines.at(-1)?.msg).toMatch(/answers again after 2 back-off steps/);
    backoff.fault(FAULT);
    expect(lines.at(-1)?.pauseMs).toBe(1000);
  });

  it("a request this worker's setup cannot build: its message as it is (it names the setting and the fix), no SMS_ENDPOINT, no blip; its answer said as the worker's", () => {
    vi.useFakeTimers();
    const { calls, lines, backoff } = setup();
    const message =
      'SendSms not sent: the AccessKey ID (ALIBABA_CLOUD_ACCESS_KEY_ID, ...) holds a character an HTTP header cannot carry (...): Node refused the "Authorization" header (ERR_INVALID_CHAR) while building the request, so nothing was written and nothing was sent, and every call fails the same way. Fix: set the AccessKey ID exactly as the RAM console shows it';
    backoff.fault({ code: 'RequestNotBuilt.Setup', message, action: 'Correct what the message names.' });
    backoff.fault({ code: 'RequestNotBuilt.Setup', message, action: 'Correct what the message names.' });
    expect(calls).toEqual(['pause']);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.msg).toBe(
      `${message}. This worker takes no job for 1 s (back-off step 1, doubling up to 4 s, back to full speed once a call is answered) and puts back what it took, counting no attempt; other workers go on. ` +
        "It is this worker's own setup, and lasts until it is fixed here: workers whose credential is good send meanwhile",
    );
    vi.advanceTimersByTime(1000);
    backoff.answered();
    expect(lines.at(-1)?.msg).toBe("this worker's requests are built and answered again after 1 back-off step: this worker takes jobs at full speed");
  });

  it('does not resume a worker that the rollback recovery still holds, nor one that is closing', () => {
    vi.useFakeTimers();
    const { calls, intake, backoff } = setup();
    void intake.hold('rollback-recovery');
    backoff.fault(FAULT);
    vi.advanceTimersByTime(1000);
    expect(calls.filter((c) => c === 'resume')).toEqual([]);
    intake.release('rollback-recovery');
    expect(calls.at(-1)).toBe('resume');
    backoff.fault(FAULT);
    backoff.stop();
    vi.advanceTimersByTime(10_000);
    expect(calls.filter((c) => c === 'resume')).toHaveLength(1);
  });

  it('says each step with its fault, endpoint and end, and takes it back at the first answer', () => {
    vi.useFakeTimers();
    const words: unknown[] = [];
    const clock = createManualClock(1_000_000);
    const intake = createIntakeHolds({ pause: async () => {}, resume: () => {} });
    const backoff = createEndpointBackoff({
      intake,
      logger: createLogger({ level: 'silent' }),
      clock,
      settings: { firstMs: 1000, maxMs: 4000 },
      announcer: { say: async (step) => void words.push(step), takeBack: async () => void words.push('taken back') },
    });
    backoff.fault({ ...FAULT, endpoint: '127.0.0.1:9' });
    backoff.fault({ ...FAULT, endpoint: '127.0.0.1:9' });
    vi.advanceTimersByTime(1000);
    clock.advance(1000);
    backoff.fault({ ...FAULT, endpoint: '127.0.0.1:9' });
    backoff.answered();
    backoff.answered();
    expect(words).toEqual([
      { fault: 'ConnectionRefused', endpoint: '127.0.0.1:9', until: 1_001_000 },
      { fault: 'ConnectionRefused', endpoint: '127.0.0.1:9', until: 1_003_000 },
      'taken back',
    ]);
  });
});
