import { randomBytes } from 'node:crypto';
import type { RedisConnection } from '../queue/connection.js';
import { luaScript } from '../queue/lua.js';

export interface LeaderLeaseOptions {
  redis: RedisConnection;
  key: string;
  /** How long the lease lasts without renewal (ms); a holder that died frees it after this. */
  ttlMs: number;
  /** Who holds it (shown by `holder()`); default a random id. */
  owner?: string;
}

/**
 * One holder at a time across every process (SET NX PX): a worker that takes it sweeps, the
 * others skip this round. Renewed while the holder works; lost when a holder stops renewing.
 */
export interface LeaderLease {
  readonly owner: string;
  /** True when this process now holds the lease (it was free, or already ours). */
  acquire(): Promise<boolean>;
  /** Extends the lease; false when it is no longer ours (expired and taken by another). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
  /** The current holder, if any. */
  holder(): Promise<string | undefined>;
}

export function createLeaderLease(options: LeaderLeaseOptions): LeaderLease {
  const owner = options.owner ?? `${process.pid}.${randomBytes(4).toString('hex')}`;
  const renew = luaScript(options.redis, 'renew-lease-1');
  const release = luaScript(options.redis, 'release-lease-1');
  return {
    owner,
    async acquire() {
      if ((await options.redis.set(options.key, owner, 'PX', options.ttlMs, 'NX')) === 'OK') return true;
      return (await renew(options.key, owner, options.ttlMs)) === 1;
    },
    async renew() {
      return (await renew(options.key, owner, options.ttlMs)) === 1;
    },
    async release() {
      await release(options.key, owner);
    },
    async holder() {
      return (await options.redis.get(options.key)) ?? undefined;
    },
  };
}
