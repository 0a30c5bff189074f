import type { Command } from 'ioredis';

/**
 * Lets a script command sent on its own drop its arguments once it is answered (or refused), on
 * smsq's connections (droppable-redis.ts, droppable-cluster.ts).
 *
 * Why: an ioredis 5 Command outlives its answer until V8's next full collection, and with it
 * everything its `args` hold. The arrow function its promise executor stores on it
 * (`initPromise`'s `this.reject`) is what keeps it; a plain object made the same way is kept the
 * same way, so it is V8's doing, not a reference ioredis forgets. A campaign's scripts carry its
 * bulk (each chunk's payload, the numbers of each opt-out check and of the sent-number log: some
 * 30 MB for a million recipients), and all of it waited for a full collection: the producer's
 * peak RSS rose by that much (docs/benchmarks.md, "Session 22: producer memory").
 *
 * Only scripts (EVAL, EVALSHA) sent alone: ioredis reads nothing of a command after it settles,
 * but a pipeline's commands may be sent again after their answers (a Cluster's redirections), so
 * those keep theirs. The error of a refused script keeps the arguments it names (ioredis copies
 * the reference before it rejects).
 */
export function releaseArgumentsWhenAnswered(command: Command, stream: unknown): void {
  if (stream !== undefined || (command.name !== 'evalsha' && command.name !== 'eval')) return;
  const release = () => {
    command.args = [];
  };
  command.promise.then(release, release);
}
