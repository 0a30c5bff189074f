import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { createLogger } from '../../src/logger.js';
import { createThrottleWarnings } from '../../workers/throttle-warnings.js';

function capture() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info' }, stream) };
}

describe('throttle warnings', () => {
  it('say when throttling starts, sum it up at most every 10 s with the fix, and say when it is over', () => {
    const { lines, logger } = capture();
    const clock = createManualClock();
    const warnings = createThrottleWarnings({ logger, clock, qps: 50 });
    // 188 throttle answers over 20 s, as a trial saw with the account's cap below SMS_QPS; calls go through between them.
    for (let i = 0; i < 188; i++) {
      warnings.throttled('Throttling.User', 1000);
      warnings.accepted();
      clock.advance(107);
    }
    expect(lines.map((l) => l.msg)).toEqual([
      expect.stringMatching(/^throttled by Dysmsapi: all workers pause; if it goes on, the account's cap is below SMS_QPS=50: lower SMS_QPS/),
      expect.stringMatching(/^throttled by Dysmsapi 94 more times in the last 10 s; if it goes on/),
    ]);
    expect(lines[1]).toMatchObject({ level: 40, throttled: 94, total: 95 });
    // Quiet for 10 s: the next call that goes through ends it, once.
    clock.advance(10_000);
    warnings.accepted();
    warnings.accepted();
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ level: 30, throttled: 188, msg: expect.stringMatching(/^throttling over: 188 throttle answers in 20 s, none in the last 10 s$/) });
    // A new throttling starts a new first line.
    warnings.throttled('Throttling.User', 1000);
    expect(lines).toHaveLength(4);
    expect(lines[3]?.msg).toMatch(/^throttled by Dysmsapi: all workers pause/);
  });

  it('name the call throttled: the first line its send and chunk, a summary the last one', () => {
    const { lines, logger } = capture();
    const clock = createManualClock();
    const warnings = createThrottleWarnings({ logger, clock, qps: 50 });
    warnings.throttled('Throttling.User', 1000, { sendId: 'smxA', chunkId: 'smxA.0' });
    clock.advance(10_000);
    warnings.throttled('Throttling.User', 1000, { sendId: 'smxB', chunkId: 'smxB.3' });
    expect(lines[0]).toMatchObject({ sendId: 'smxA', chunkId: 'smxA.0' });
    expect(lines[1]).toMatchObject({ lastSendId: 'smxB', lastChunkId: 'smxB.3' });
  });
});
