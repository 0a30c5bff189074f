import type { Clock } from '../src/clock.js';
import type { MessageKind } from '../src/queue/kinds.js';

/** An attempt this process claimed and called the API for. */
export interface RecentClaim {
  sendId: string;
  chunkId: string;
  kind: MessageKind;
  attempt: number;
  outId: string;
  sentAt: number;
}

/**
 * The attempts this process made in the last `horizonMs`, kept in memory: if Redis comes back
 * without them (a crash that lost its last writes, a failover to a lagging replica), these are the
 * chunks to look up before anything is resent (rollback-recovery.ts).
 */
export interface ClaimJournal {
  record(claim: RecentClaim): void;
  /** The claims made within the horizon, oldest first. */
  recent(): RecentClaim[];
}

export function createClaimJournal({ clock, horizonMs }: { clock: Clock; horizonMs: number }): ClaimJournal {
  let claims: RecentClaim[] = [];
  let head = 0;
  const prune = (now: number) => {
    while (head < claims.length && (claims[head] as RecentClaim).sentAt < now - horizonMs) head++;
    // Compact now and then rather than shifting on every call.
    if (head > 1024 && head * 2 > claims.length) {
      claims = claims.slice(head);
      head = 0;
    }
  };
  return {
    record(claim) {
      claims.push(claim);
      prune(clock.now());
    },
    recent() {
      prune(clock.now());
      return claims.slice(head);
    },
  };
}
