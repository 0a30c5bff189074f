import { describe, expect, it } from 'vitest';
import { rideRedisOutages } from '../../cli/watch-redis-outage.js';
import { RedisUnavailableError } from '../../src/errors.js';

const URL = 'redis://127.0.0.1:6411';
const gone = () => new RedisUnavailableError(URL, 'connect ECONNREFUSED 127.0.0.1:6411', undefined, false, true);

/** A ride on a fake monotonic clock that a sleep moves on; `answers` says, per try, whether Redis answers. */
function ride(boundMs: number, answers: boolean[]) {
  let now = 0;
  const lines: string[] = [];
  const slept: number[] = [];
  let tries = 0;
  const run = rideRedisOutages({
    boundMs,
    retryMs: 250,
    note: (text) => lines.push(text),
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  });
  const poll = () => run(async () => {
    const up = answers[tries++] ?? false;
    if (!up) throw gone();
    return 'status';
  });
  return { poll, lines, slept, tries: () => tries };
}

describe('a watch poll through a Redis outage', () => {
  it('answers at once without a word while Redis does', async () => {
    const r = ride(5000, [true]);
    expect(await r.poll()).toBe('status');
    expect(r.lines).toEqual([]);
  });

  it('waits for Redis gone a moment: one line when it starts waiting, one when Redis is back', async () => {
    const r = ride(5000, [false, false, false, true]);
    expect(await r.poll()).toBe('status');
    expect(r.slept).toEqual([250, 250, 250]);
    expect(r.lines).toEqual([
      `Redis at REDIS_URL=${URL} does not answer (connect ECONNREFUSED 127.0.0.1:6411): the watch waits for it up to 5s (SMSQ_REDIS_CONNECT_TIMEOUT_MS) and goes on once it answers`,
      `Redis at REDIS_URL=${URL} answers again after 0.8s: the watch goes on`,
    ]);
  });

  it('gives up with the poll\'s own error once the bound has passed since the first failure, the last wait cut to the bound', async () => {
    const r = ride(1100, []);
    await expect(r.poll()).rejects.toBeInstanceOf(RedisUnavailableError);
    expect(r.slept).toEqual([250, 250, 250, 250, 100]);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/the watch waits for it up to 1s100ms/);
  });

  it('passes any other error on at once, without waiting', async () => {
    const run = rideRedisOutages({ boundMs: 5000, retryMs: 250, note: () => expect.fail('no line'), sleep: async () => expect.fail('no wait') });
    const notFound = Object.assign(new Error('send smx1 not found'), { code: 'SMSQ_NOT_FOUND' });
    await expect(run(async () => Promise.reject(notFound))).rejects.toBe(notFound);
  });

  it('ends at once with the poll\'s error when the command is stopped while it waits (it waited out the bound past --timeout and Ctrl-C)', async () => {
    const stop = new AbortController();
    let tries = 0;
    const slept: number[] = [];
    const run = rideRedisOutages({
      boundMs: 60_000,
      retryMs: 250,
      note: () => {},
      now: () => slept.reduce((a, b) => a + b, 0),
      signal: stop.signal,
      sleep: async (ms) => {
        slept.push(ms);
        if (slept.length === 3) stop.abort('timeout');
      },
    });
    await expect(run(async () => {
      tries++;
      throw gone();
    })).rejects.toBeInstanceOf(RedisUnavailableError);
    expect(slept).toEqual([250, 250, 250]);
    expect(tries).toBe(3);
  });
});
