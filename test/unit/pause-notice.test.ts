import { describe, expect, it } from 'vitest';
import { MAX_NOTICED_PAUSE_MS, parsePauseMs } from '../../workers/pause-notice.js';

describe('parsePauseMs', () => {
  it('reads a published pause as whole ms, at most BullMQ’s longest rate-limit delay', () => {
    expect(parsePauseMs('1000')).toBe(1000);
    expect(parsePauseMs(String(10 * MAX_NOTICED_PAUSE_MS))).toBe(MAX_NOTICED_PAUSE_MS);
  });

  it('ignores what is not a pause: nothing waiting is held by it', () => {
    for (const message of ['', '0', '-5', '1.5', 'NaN', 'Infinity', 'soon']) expect(parsePauseMs(message)).toBeUndefined();
  });
});
