/**
 * What a connection's link has been through since it was last ready, kept with the connection so
 * that whoever asks why it is down (the Redis gate) is told its actual state, even when it began
 * asking after the outage began: a gate made on a connection already down said "the connection was
 * lost; reconnecting" until the next reconnect attempt (up to 3 s), of a Redis that was refusing
 * every attempt, and of one that had never been reached at all.
 */
// ioredis's own types, not connection.ts's: droppable-redis.ts (which connection.ts makes) starts the history.
import type { Cluster, Redis } from 'ioredis';
import { isNotRedis, saysNotWhy } from './redis-errors.js';

export interface LinkHistory {
  /** A ready link dropped, and none has been ready since. */
  lost: boolean;
  /** The last failure of the connection, or of a command on it, since it was last ready. */
  failure: unknown;
  /** {@link failure} came after the ready link was lost (a reconnect attempt's), not before or without one. */
  failureAfterLoss: boolean;
  /** A link is ready now (ready seen, no close since). */
  readyNow: boolean;
}

type RedisConnection = Redis | Cluster;

const histories = new WeakMap<RedisConnection, LinkHistory>();

function fresh(readyNow: boolean): LinkHistory {
  return { lost: false, failure: undefined, failureAfterLoss: false, readyNow };
}

/**
 * Takes `err` as the failure to tell, unless the one kept says more: ioredis's refusal of the
 * ready check on the link a failure just broke says nothing of why (the failure does), and
 * something other than Redis answering says the most, whatever came around it.
 */
export function noteFailure(history: LinkHistory, err: unknown): void {
  const kept = history.failure;
  if (kept !== undefined && !isNotRedis(err) && (saysNotWhy(err) || isNotRedis(kept))) return;
  history.failure = err;
  history.failureAfterLoss = history.lost;
}

export function noteReady(history: LinkHistory): void {
  history.readyNow = true;
  history.lost = false;
  history.failure = undefined;
  history.failureAfterLoss = false;
}

export function noteClose(history: LinkHistory): void {
  if (history.readyNow) history.lost = true;
  history.readyNow = false;
}

function listen(redis: RedisConnection, history: LinkHistory): void {
  redis.on('ready', () => noteReady(history));
  redis.on('close', () => noteClose(history));
}

/**
 * Starts the history of a connection being made (before its first connect). Its failures are fed
 * by the connection itself through {@link noteFailure} (droppable-redis.ts), before ioredis looks
 * for an 'error' listener: one added here would silence ioredis's report of failures nobody handles.
 */
export function startLinkHistory(redis: RedisConnection): LinkHistory {
  const history = fresh(false);
  histories.set(redis, history);
  listen(redis, history);
  return history;
}

/** The connection's history: its own, or (a connection made elsewhere) one begun now, fed by listeners from now on. */
export function linkHistoryOf(redis: RedisConnection): LinkHistory {
  const kept = histories.get(redis);
  if (kept) return kept;
  const history = fresh(redis.status === 'ready');
  histories.set(redis, history);
  listen(redis, history);
  redis.on('error', (err: unknown) => noteFailure(history, err));
  return history;
}
