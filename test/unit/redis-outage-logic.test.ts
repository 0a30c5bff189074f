/** Pure parts of the Redis outage handling: URL redaction, back-off, which errors are "Redis is gone", and the deduplicated error log. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { createLogger } from '../../src/logger.js';
import { reconnectDelayMs, redactRedisUrl, redisConnectionOptions } from '../../src/queue/connection.js';
import { createEmitterErrorLog } from '../../src/queue/emitter-errors.js';
import { connectionReason, isRedisConnectionError } from '../../src/queue/redis-errors.js';
import { redisDoesNotAnswer, redisFix, RedisUnavailableError, START_REDIS_FIX } from '../../src/errors.js';
import { inEnvironmentTerms } from '../../src/setting-mention.js';
import { toHttpError } from '../../server/errors.js';

function captured() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'info' }, stream) };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

describe('redactRedisUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactRedisUrl('redis://:s3cret@10.0.0.5:6380/2')).toBe('redis://:<redacted>@10.0.0.5:6380/2');
    expect(redactRedisUrl('rediss://app:s3cret@cache.example:6379')).toBe('rediss://app:<redacted>@cache.example:6379');
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});

describe('reconnect back-off', () => {
  it('doubles from 100 ms and stays at 3 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(reconnectDelayMs)).toEqual([100, 200, 400, 800, 1600, 3000, 3000, 3000]);
  });

  it('client connections fail fast while down; worker connections wait (BullMQ needs maxRetriesPerRequest null)', () => {
    expect(redisConnectionOptions({ role: 'client' })).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    expect(redisConnectionOptions({ role: 'worker', connectTimeoutMs: 750 })).toMatchObject({ enableOfflineQueue: true, maxRetriesPerRequest: null, connectTimeout: 750 });
  });
});

describe('isRedisConnectionError', () => {
  it('knows refused, dropped and closed connections, and nothing else', () => {
    expect(isRedisConnectionError(refused())).toBe(true);
    expect(isRedisConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(isRedisConnectionError(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(true);
    expect(isRedisConnectionError(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }))).toBe(true);
    expect(isRedisConnectionError(new Error('ERR unknown command'))).toBe(false);
    expect(isRedisConnectionError('ECONNREFUSED')).toBe(false);
  });

  it('counts a Cluster that cannot serve the slot now as unavailable, in the Cluster\'s words and with its fix, not "start Redis"', () => {
    const replies = [
      ['Too many Cluster redirections. Last error: ReplyError: TRYAGAIN Multiple keys request during rehashing of slot', /is moving the slot of smsq's keys between masters \(TRYAGAIN Multiple keys/],
      ['Too many Cluster redirections. Last error: ReplyError: MOVED 13103 127.0.0.1:6642', /is moving the slot .*\(MOVED 13103/],
      ['ASK 13103 127.0.0.1:6642', /is moving the slot .*\(ASK 13103/],
      ['CLUSTERDOWN The cluster is down', /^the Redis Cluster is down \(CLUSTERDOWN The cluster is down\)$/],
      // Given up on the link to the slot's master, closed while the Cluster is up (before a promotion).
      ['Too many Cluster redirections. Last error: Error: Connection is closed.', /^the Redis Cluster has no master for the slot of smsq's keys \(the link to its master closed, ioredis's retries spent\): a master failed and no replica has taken its slots yet$/],
    ] as const;
    for (const [message, words] of replies) {
      const err = new Error(message);
      expect(isRedisConnectionError(err)).toBe(true);
      expect(connectionReason(err)).toMatch(words);
      const refusal = new RedisUnavailableError('redis+cluster://127.0.0.1:6640', connectionReason(err));
      // A Cluster down, or a slot without a master, has its own fix: `--cluster fix` would give a failed master's slots, empty, to the others.
      expect(refusal.message).toMatch(
        message.startsWith('CLUSTERDOWN')
          ? /cannot serve smsq's keys now: the Redis Cluster is down .*Fix: retry in a few seconds: a failover ends it on its own; if it does not, a master failed with no replica to take its slots: start it again/
          : message.endsWith('Connection is closed.')
          ? /cannot serve smsq's keys now: the Redis Cluster has no master for .*Fix: retry in a few seconds: a failover ends it on its own; if it does not, a master failed with no replica to take its slots: start it again/
          : /cannot serve smsq's keys now: the Redis Cluster .*Fix: retry in a few seconds: a reshard or a failover ends on its own; .*redis-cli --cluster fix/,
      );
      expect(refusal.message).not.toMatch(/start Redis/);
    }
    // A MULTI whose commands a Cluster down refused: EXEC's EXECABORT, the replies under it (ioredis's previousErrors).
    const aborted = Object.assign(new Error('EXECABORT Transaction discarded because of previous errors.'), { previousErrors: [new Error('CLUSTERDOWN The cluster is down'), new Error('CLUSTERDOWN The cluster is down')] });
    expect(isRedisConnectionError(aborted)).toBe(true);
    expect(connectionReason(aborted)).toBe('the Redis Cluster is down (CLUSTERDOWN The cluster is down)');
    expect(isRedisConnectionError(Object.assign(new Error('EXECABORT Transaction discarded because of previous errors.'), { previousErrors: [new Error('OOM command not allowed')] }))).toBe(false);
    expect(isRedisConnectionError(new Error('ERR MOVED is not a command'))).toBe(false);
  });

  it('tells an HTTP client the Cluster\'s state and its fix too, naming no node (a raw MOVED or ASK names one): not "does not answer (the connection failed)"', () => {
    const limits = { bodyLimit: 1024, csvBodyLimit: 1024 };
    const replies = [
      ['Too many Cluster redirections. Last error: ReplyError: TRYAGAIN Multiple keys request during rehashing of slot', "the Redis Cluster is moving the slot of smsq's keys between masters (TRYAGAIN)"],
      ['Too many Cluster redirections. Last error: ReplyError: MOVED 13103 10.0.0.7:6642', "the Redis Cluster is moving the slot of smsq's keys between masters (MOVED)"],
      ['ASK 13103 10.0.0.7:6642', "the Redis Cluster is moving the slot of smsq's keys between masters (ASK)"],
      ['CLUSTERDOWN The cluster is down', 'the Redis Cluster is down (CLUSTERDOWN)'],
    ] as const;
    const fix = 'Fix: retry in a few seconds (Retry-After): a reshard or a failover ends on its own; if it does not, tell the operator of this server: `redis-cli --cluster check <host:port>` names a slot left migrating or without a master, and `redis-cli --cluster fix <host:port>` finishes it';
    const downFix = 'Fix: retry in a few seconds (Retry-After): a failover ends it on its own; if it does not, tell the operator of this server: a master failed with no replica to take its slots: start it again (`redis-cli --cluster check <host:port>` names the one it cannot connect to)';
    for (const [message, state] of replies) {
      const said = message.startsWith('CLUSTERDOWN') ? downFix : fix;
      const refusal = new RedisUnavailableError('redis+cluster://10.0.0.5:6640', connectionReason(new Error(message)));
      expect(refusal.apiMessage).toBe(`Redis cannot serve smsq's keys now: ${state}; nothing was enqueued. ${said}`);
      // Met outside a producer's call (a raw ioredis error, or under a MULTI's EXECABORT), the server says the same.
      for (const err of [new Error(message), Object.assign(new Error('EXECABORT Transaction discarded because of previous errors.'), { previousErrors: [new Error(message)] })]) {
        const raw = toHttpError(err, limits, 'req-1');
        expect(raw).toMatchObject({ statusCode: 503, code: 'SMSQ_REDIS_UNAVAILABLE', message: `Redis cannot serve smsq's keys now: ${state}; nothing was enqueued. ${said}` });
      }
    }
    const noMaster = new RedisUnavailableError('redis+cluster://10.0.0.5:6640', "the Redis Cluster has no master for slot 4242 (of {smsq}:send:abc): a master failed and no replica has taken its slots yet");
    // Not `--cluster fix`: it would give the failed master's slots, and smsq's keys, away empty.
    expect(noMaster.apiMessage).toBe(`Redis cannot serve smsq's keys now: the Redis Cluster has no master for the slot of smsq's keys: a master failed and no replica has taken its slots yet; nothing was enqueued. ${downFix}`);
    const noScript = new RedisUnavailableError('redis+cluster://10.0.0.5:6640', "the Redis Cluster moved the slot of smsq's keys to a master that had not loaded smsq's scripts yet (NOSCRIPT); they are loaded for the next call", undefined, true);
    expect(noScript.apiMessage).toMatch(/^Redis cannot serve smsq's keys now: the Redis Cluster moved the slot of smsq's keys to a master that had not loaded smsq's scripts yet \(NOSCRIPT\); they are loaded for the next call; the request may be partly done: retry it with the same idempotency key/);
    expect(noMaster.asRead().apiMessage).toBe(`Redis cannot serve smsq's keys now: the Redis Cluster has no master for the slot of smsq's keys: a master failed and no replica has taken its slots yet; nothing was changed; run it again once Redis answers. ${downFix}`);
  });

  it('counts a port that answers in another protocol as Redis not there (it was logged as a queue error, then told as "does not answer")', () => {
    expect(isRedisConnectionError(notResp('H'))).toBe(true);
  });
});

/** What ioredis reports when the first byte of an answer is none of Redis's: redis-parser's words, and its own suffix. */
const notResp = (byte: string) => Object.assign(new Error(`Protocol error, got ${JSON.stringify(byte)} as reply type byte. Please report this.`), { name: 'ParserError' });

describe('a port where something other than Redis answers', () => {
  it('is told as something answering there, with the protocol its first byte suggests, and the fix to check the port; never "Please report this"', () => {
    const url = 'redis://127.0.0.1:8191';
    for (const [byte, spoken] of [['H', 'it speaks HTTP?'], ['S', 'it speaks SSH?'], ['\u0015', 'it speaks TLS?'], ['Z', 'its first byte was "Z"']] as const) {
      const reason = connectionReason(notResp(byte));
      expect(reason).toBe(`answered, but not as Redis (${spoken})`);
      expect(redisDoesNotAnswer(url, reason)).toBe(`something at REDIS_URL=${url} answered, but not as Redis (${spoken})`);
      expect(redisFix(reason)).toMatch(/^Fix: check the port in REDIS_URL/);
    }
    const line = new RedisUnavailableError(url, connectionReason(notResp('H')), undefined, false, true).message;
    // In the Node API's words (its redis option); the CLI says them as the environment's.
    expect(line).toBe(`something at \`redis: "${url}"\` answered, but not as Redis (it speaks HTTP?); nothing was changed. Fix: check the port in \`redis\` (Redis's own is 6379 unless set otherwise)`);
    expect(inEnvironmentTerms(line)).toBe(`something at REDIS_URL=${url} answered, but not as Redis (it speaks HTTP?); nothing was changed. Fix: check the port in REDIS_URL (Redis's own is 6379 unless set otherwise)`);
    expect(line).not.toMatch(/Please report|start Redis|once Redis answers/);
  });

  it('leaves every other failure in its own words, with the fix to start Redis', () => {
    const reason = connectionReason(refused());
    expect(redisDoesNotAnswer('redis://127.0.0.1:6379', reason)).toBe('Redis at REDIS_URL=redis://127.0.0.1:6379 does not answer (connect ECONNREFUSED 127.0.0.1:6379)');
    expect(redisFix(reason)).toBe(START_REDIS_FIX);
  });
});

/** Node's refusal of a server certificate signed by a CA it does not trust. */
const untrusted = () => Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });

describe('a TLS certificate refused', () => {
  it('is told as that, of the Cluster node that presented it when no node could give the slots (ioredis said only "Failed to refresh slots cache."), with a fix of its own, not "start Redis"', () => {
    const allFailed = Object.assign(new Error('Failed to refresh slots cache.'), { name: 'ClusterAllFailedError', lastNodeError: Object.assign(untrusted(), { node: '10.0.0.7:6380' }) });
    const reason = connectionReason(allFailed);
    expect(reason).toBe('the TLS certificate of 10.0.0.7:6380 was refused: self-signed certificate in certificate chain');
    expect(connectionReason(untrusted())).toBe('the TLS certificate was refused: self-signed certificate in certificate chain');
    expect(isRedisConnectionError(allFailed) && isRedisConnectionError(untrusted())).toBe(true);
    const line = inEnvironmentTerms(new RedisUnavailableError('rediss+cluster://10.0.0.5:6380', reason, allFailed, false, true).message);
    expect(line).toBe(
      'Redis at REDIS_URL=rediss+cluster://10.0.0.5:6380 does not answer (the TLS certificate of 10.0.0.7:6380 was refused: self-signed certificate in certificate chain); nothing was changed. ' +
        'Fix: have this process trust the CA that signed the certificate, or give the server a certificate that names the address it is reached at, as the refusal says',
    );
    // An HTTP client is told what happened, not where the nodes are.
    expect(new RedisUnavailableError('rediss+cluster://10.0.0.5:6380', reason).apiMessage).toMatch(/^Redis does not answer \(Redis's TLS certificate was refused\); nothing was enqueued\. /);
  });

  it('leaves a Cluster whose nodes failed otherwise in ioredis\'s words', () => {
    const allFailed = Object.assign(new Error('Failed to refresh slots cache.'), { name: 'ClusterAllFailedError', lastNodeError: new Error('Connection is closed.') });
    expect(connectionReason(allFailed)).toBe('Failed to refresh slots cache.');
  });
});

describe('a control of a send that Redis went away during', () => {
  it('tells a Node caller to read the send with producer.getStatus, the CLI with smsq status, an HTTP client with its route (it was told the CLI\'s command)', () => {
    const reason = connectionReason(refused());
    const err = new RedisUnavailableError('redis://127.0.0.1:6379', reason, undefined, true).asControl({ action: 'cancel', sendId: 'smx0123456789abcdefg' });
    expect(err.message).toBe(
      `Redis at \`redis: "redis://127.0.0.1:6379"\` does not answer (${reason}); the cancel may or may not have been applied (Redis went away during it). Fix: once Redis answers, give the cancel again: given again it changes nothing if it was; \`producer.getStatus("smx0123456789abcdefg")\` shows the send's control`,
    );
    expect(inEnvironmentTerms(err.message)).toBe(
      `Redis at REDIS_URL=redis://127.0.0.1:6379 does not answer (${reason}); the cancel may or may not have been applied (Redis went away during it). Fix: once Redis answers, give the cancel again: given again it changes nothing if it was; smsq status smx0123456789abcdefg shows the send's control`,
    );
    expect(err.apiMessage).toMatch(/; GET \/v1\/sends\/smx0123456789abcdefg shows the send's control$/);
    const before = new RedisUnavailableError('redis://127.0.0.1:6379', reason).asControl({ action: 'pause', sendId: 'smx0123456789abcdefg' });
    expect(before.message).toBe(`Redis at \`redis: "redis://127.0.0.1:6379"\` does not answer (${reason}); the pause was not applied: the send is as it was. Fix: start Redis there or point \`redis\` at a running one, then give the pause again (\`connectTimeoutMs\` sets how long to wait)`);
    expect(inEnvironmentTerms(before.message)).toBe(`Redis at REDIS_URL=redis://127.0.0.1:6379 does not answer (${reason}); the pause was not applied: the send is as it was. Fix: start Redis there or point REDIS_URL at a running one, then give the pause again (SMSQ_REDIS_CONNECT_TIMEOUT_MS sets how long to wait)`);
  });
});

describe('createEmitterErrorLog', () => {
  it('logs each distinct error once per quiet period, with the repeats, and leaves connection errors to the Redis watch', () => {
    const { lines, logger } = captured();
    const clock = createManualClock();
    const onError = createEmitterErrorLog({ logger, clock, quietMs: 60_000 })('calls queue');
    for (let i = 0; i < 50; i++) onError(refused());
    for (let i = 0; i < 5; i++) onError(new Error('NOSCRIPT No matching script\n    at parseError (x.js:1:1)'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, source: 'calls queue', err: 'NOSCRIPT No matching script', msg: 'calls queue error' });
    clock.advance(60_000);
    onError(new Error('NOSCRIPT No matching script'));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ repeatsSinceLast: 4 });
  });
});
