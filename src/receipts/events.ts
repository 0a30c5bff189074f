import { commandTimeoutOf, connectTimeoutOf, type RedisConnection } from '../queue/connection.js';
import { createRedisGate, type RedisGate } from '../queue/redis-gate.js';
import { ProducerClosedError } from '../errors.js';
import type { Keys } from '../queue/keys.js';

/** A change of state, as published on the events stream. */
export interface SmsqEvent {
  /** Stream entry id; acknowledge it once handled. */
  id: string;
  /**
   * `chunk`: every recipient of the chunk (`n` of them) changed; `recipient`: one number; `send`:
   * the send's own state (the send lifecycle; `chunkId` is empty).
   */
  type: 'chunk' | 'recipient' | 'send';
  sendId: string;
  chunkId: string;
  phone?: string;
  state: string;
  from?: string;
  n?: number;
  code?: string;
  at: number;
}

export interface EventConsumerOptions {
  redis: RedisConnection;
  keys: Keys;
  /** Consumer group: each event is delivered to one consumer of the group. */
  group: string;
  /** This consumer's name within the group. */
  consumer: string;
  /** Where a new group starts: `$` (only new events, default) or `0` (everything still in the stream). */
  startAt?: '$' | '0';
}

export interface EventConsumer {
  /**
   * Events not yet delivered to this group, waiting up to `blockMs` for some: at most half the
   * connection's command timeout (a `client` connection's is its connect timeout, 5 s by default),
   * so that a wait for events is never taken for a Redis that stopped answering.
   */
  read(opts?: { count?: number; blockMs?: number }): Promise<SmsqEvent[]>;
  /** Events delivered to this consumer but not acknowledged (after a crash), oldest first. */
  pending(opts?: { count?: number }): Promise<SmsqEvent[]>;
  ack(ids: readonly string[]): Promise<number>;
  /**
   * Ends the consumer and the connection its blocking reads wait on (the producer's close() ends
   * the consumers it made). A read in progress answers no events; any Redis handed it meanwhile
   * stay pending for this consumer's name ({@link EventConsumer.pending}). Later calls throw
   * ProducerClosedError (SMSQ_PRODUCER_CLOSED).
   */
  close(): Promise<void>;
}

function toEvent(id: string, flat: string[]): SmsqEvent {
  const f: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) f[flat[i] as string] = flat[i + 1] as string;
  return {
    id,
    type: f.type === 'recipient' || f.type === 'send' ? f.type : 'chunk',
    sendId: f.sendId ?? '',
    chunkId: f.chunkId ?? '',
    ...(f.phone ? { phone: f.phone } : {}),
    state: f.state ?? '',
    ...(f.from ? { from: f.from } : {}),
    ...(f.n ? { n: Number(f.n) } : {}),
    ...(f.code ? { code: f.code } : {}),
    at: Number(f.at ?? 0),
  };
}

type StreamReply = [string, [string, string[]][]][] | null;

/**
 * Reads smsq's events stream with a Redis consumer group, so several producer instances share
 * the events and none is lost across a restart (unacknowledged events stay pending).
 */
export async function createEventConsumer(options: EventConsumerOptions): Promise<EventConsumer> {
  const stream = options.keys.events();
  try {
    await options.redis.xgroup('CREATE', stream, options.group, options.startAt ?? '$', 'MKSTREAM');
  } catch (err) {
    if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
  }
  const commandTimeout = commandTimeoutOf(options.redis);
  let closed = false;
  const refuseClosed = (call: string) => {
    if (closed) throw new ProducerClosedError(call, 'events consumer');
  };
  // A read that blocks waits on a connection of its own, made at the first: ioredis answers one
  // connection's commands in order, and the producer's calls on the connection it was given waited
  // behind each such read (up to its blockMs).
  let blocking: { redis: RedisConnection; gate: RedisGate | undefined } | undefined;
  // A `client` connection fails at once while Redis is down, and so does its duplicate's read
  // (SMSQ_REDIS_UNAVAILABLE, through the gate); a `worker` connection's waits until Redis is back, as
  // the read did on the connection itself (a loop of reads does not spin through an outage).
  const failsFast = (options.redis.options as { enableOfflineQueue?: boolean }).enableOfflineQueue === false;
  const blockingConnection = () => {
    if (!blocking) {
      const redis = options.redis.duplicate();
      // The outage is the caller's connection's to report (or the gate's): ioredis would print each reconnect attempt of this one.
      redis.on('error', () => {});
      blocking = { redis, gate: failsFast ? createRedisGate({ redis, timeoutMs: connectTimeoutOf(options.redis) }) : undefined };
    }
    return blocking;
  };
  const readFrom = async (from: '>' | '0', count: number, blockMs?: number) => {
    refuseClosed(from === '>' ? 'read' : 'pending');
    const args: (string | number)[] = ['GROUP', options.group, options.consumer, 'COUNT', count];
    // BLOCK 0 waits for ever: a bound of its own keeps it under the command timeout too.
    if (blockMs !== undefined) args.push('BLOCK', commandTimeout ? Math.max(1, Math.min(blockMs || Infinity, Math.floor(commandTimeout / 2))) : blockMs);
    args.push('STREAMS', stream, from);
    let res: StreamReply;
    if (blockMs === undefined) res = (await options.redis.call('XREADGROUP', ...args)) as StreamReply;
    else {
      const { redis, gate } = blockingConnection();
      try {
        const read = () => redis.call('XREADGROUP', ...args);
        res = (await (gate ? gate.run(read) : read())) as StreamReply;
      } catch (err) {
        // close() ended the read.
        if (closed) return [];
        throw err;
      }
    }
    return (res?.[0]?.[1] ?? []).map(([id, flat]) => toEvent(id, flat));
  };
  return {
    read: (opts = {}) => readFrom('>', opts.count ?? 100, opts.blockMs),
    pending: (opts = {}) => readFrom('0', opts.count ?? 100),
    async ack(ids) {
      refuseClosed('ack');
      return ids.length ? options.redis.xack(stream, options.group, ...ids) : 0;
    },
    async close() {
      closed = true;
      blocking?.redis.disconnect();
      blocking = undefined;
    },
  };
}
