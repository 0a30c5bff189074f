/**
 * A majority of a Sentinel deployment, as smsq hears it: the sentinels REDIS_URL lists, and the
 * most any of them knows (SENTINEL MASTER's `num-other-sentinels` + 1). The deployment's size is
 * the larger of the two: a REDIS_URL listing fewer sentinels than there are must not make a
 * majority of the few it lists (sentinels-listed.ts warns of it). Only one side of a partition can
 * hold a majority, as Sentinel needs one to fail over.
 */
import type { Redis } from 'ioredis';

/** What a sentinel's answer must say for it to be counted once. */
export interface CountedSentinel {
  /** `SENTINEL MYID`: a sentinel listed twice (or under two addresses) is counted once. */
  id: string | undefined;
  /** Sentinels it knows of, itself included (`num-other-sentinels` + 1). */
  sentinelsKnown: number;
}

/** The distinct sentinels (`host:port`) `redis` lists: one listed twice raised the majority past the sentinels there are. */
export function listedSentinels(redis: Redis): number {
  return new Set((redis.options.sentinels ?? []).map((s) => `${s.host ?? 'localhost'}:${s.port ?? 26379}`)).size;
}

/** The answers with one per sentinel id (an answer without one kept as it is). */
export function onePerSentinel<T extends CountedSentinel>(views: readonly T[]): T[] {
  const seen = new Set<string>();
  return views.filter((v) => v.id === undefined || (!seen.has(v.id) && Boolean(seen.add(v.id))));
}

/** The most sentinels any of `views` knows; 0 when none answered. */
export function sentinelsKnown(views: readonly CountedSentinel[]): number {
  return Math.max(0, ...onePerSentinel(views).map((v) => v.sentinelsKnown));
}

/** How many sentinels make a majority of the deployment `listed` and `views` describe. */
export function majorityOf(listed: number, views: readonly CountedSentinel[]): number {
  return Math.floor(Math.max(listed, sentinelsKnown(views)) / 2) + 1;
}
