import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createLookupFailureWarnings } from '../../workers/lookup-failure-warnings.js';
import { collector } from '../support/text-collector.js';

describe('look-up failure warnings', () => {
  it('one warn line per chunk, repeats summarised at most once a minute with counts, not one line per try (320 lines for 32 chunks in 10 min)', () => {
    let now = Date.parse('2026-12-04T13:40:00+08:00');
    const out = collector();
    const w = createLookupFailureWarnings({ logger: createLogger({ level: 'info' }, out), clock: { now: () => now } });
    const fail = (chunk: number, n: number) => w.failed({ sendId: 's', chunkId: `s.${chunk}`, attempt: 1, look: 1, code: 'SDK.ReadTimeout', errorClass: 'transient', retryInMs: Math.min(1000 * 2 ** (n - 1), 60_000) });
    // 32 chunks, each failing 10 times over 10 minutes.
    for (let n = 1; n <= 10; n++) {
      for (let c = 0; c < 32; c++) fail(c, n);
      now += 60_000;
    }
    const lines = out.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; failures?: number });
    expect(lines.filter((l) => /^look-up failed \(SDK\.ReadTimeout\): tried again at /.test(l.msg))).toHaveLength(32);
    const summaries = lines.filter((l) => l.msg.startsWith('look-ups still failing'));
    expect(summaries).toHaveLength(9);
    // The first repeat past the minute is said at once; the next summaries carry a minute's failures.
    expect(summaries[0]!.msg).toMatch(/^look-ups still failing: 1 more failed try of 1 chunk in the last 60 s \(SDK\.ReadTimeout ×1\)/);
    expect(summaries[1]!.msg).toBe(
      'look-ups still failing: 32 more failed tries of 32 chunks in the last 60 s (SDK.ReadTimeout ×32); each is tried again with back-off (at most a minute apart), and nothing is resent until a look-up answers',
    );
    expect(lines).toHaveLength(41);
    for (let c = 0; c < 32; c++) w.answered(`s.${c}`);
    expect(out.text).toMatch(/look-ups answer again: 320 failed tries since they began failing/);
  });
});
