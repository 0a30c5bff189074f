/**
 * The warning when Redis refuses the pause notices' channel (pause-notice.ts). A Redis 7 ACL user
 * has no channel unless given one (`acl-pubsub-default resetchannels`): SUBSCRIBE and PUBLISH
 * answer NOPERM, and the refusal was swallowed with the connection errors, so the notices were
 * off without a word. Said once per process, kind and channel: the refusal repeats at every
 * throttle answer and every reconnect, and the fix is the same each time; another channel (a
 * worker of another prefix in the same process) has its own fix.
 */
import type { Logger } from '../src/logger.js';
import type { RedisConnection } from '../src/queue/connection.js';

export type NoticeRefusalKind = 'subscribe' | 'publish';

/** The refusals already said in this process, by kind and channel (several workers of one prefix in one process say each once). */
const SAID_IN_PROCESS = new Set<string>();

export interface NoticeRefusalsOptions {
  logger: Logger;
  channel: string;
  /** Names the Redis user in the fix. */
  redis: RedisConnection;
  /** The refusals already said (`<kind> <channel>`). Default: this process's. */
  said?: Set<string>;
}

export interface NoticeRefusals {
  /** Warns when `err` is Redis refusing the channel (NOPERM), once per kind; other errors are the connection's and not said here. */
  failed(kind: NoticeRefusalKind, err: unknown): void;
}

/** Whether Redis refused for want of an ACL permission (the channel, here). */
export function isNoPermission(err: unknown): boolean {
  return /^NOPERM\b/.test(err instanceof Error ? err.message : String(err));
}

function redisUserOf(redis: RedisConnection): string {
  // A Cluster keeps the nodes' options under redisOptions. No user named is Redis's `default`.
  const o = redis.options as { username?: string; redisOptions?: { username?: string } };
  return o.username || o.redisOptions?.username || 'default';
}

const LOST: Record<NoticeRefusalKind, string> = {
  subscribe: "this worker does not hear other workers' throttle pauses",
  publish: "other workers do not hear this worker's throttle pauses",
};

export function createNoticeRefusals(options: NoticeRefusalsOptions): NoticeRefusals {
  const said = options.said ?? SAID_IN_PROCESS;
  return {
    failed(kind, err) {
      const { channel } = options;
      const once = `${kind} ${channel}`;
      if (!isNoPermission(err) || said.has(once)) return;
      said.add(once);
      const user = redisUserOf(options.redis);
      const reason = err instanceof Error ? err.message : String(err);
      options.logger.warn(
        { channel, user, reason },
        `Redis refused ${kind.toUpperCase()} to the channel ${channel} (${reason}): ${LOST[kind]}, so claims waiting for their pacer slots then call into a throttle pause; they are throttled again and retried, nothing is sent twice. Fix: ACL SETUSER ${user} &${channel} (or allchannels); docs/operations.md "Redis ACL" lists what smsq needs`,
      );
    },
  };
}
