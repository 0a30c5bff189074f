/**
 * Who keeps this process's calls worker from taking jobs: the rollback recovery while it restores
 * lost claims, the endpoint back-off while this host cannot reach SMS_ENDPOINT. Each holds and
 * releases on its own; the worker takes jobs again only once none holds it (one resuming while the
 * other still holds would let jobs in too early). Jobs in hand go on; this is not the queue-wide
 * pause or rate limit, which stop every worker of the deployment.
 */
export type IntakeHolder = 'rollback-recovery' | 'endpoint-backoff';

export interface IntakeHolds {
  hold(by: IntakeHolder): Promise<void>;
  release(by: IntakeHolder): void;
  /** Whether `by` holds the intake now. */
  holds(by: IntakeHolder): boolean;
}

/** What the holds pause: BullMQ's Worker (`pause(true)`, `resume()`). */
export interface PausableIntake {
  pause(doNotWaitActive?: boolean): Promise<void>;
  resume(): unknown;
}

export function createIntakeHolds(intake: PausableIntake): IntakeHolds {
  const holders = new Set<IntakeHolder>();
  return {
    async hold(by) {
      holders.add(by);
      await intake.pause(true);
    },
    release(by) {
      if (!holders.delete(by) || holders.size > 0) return;
      // A rejected resume leaves the worker paused: BullMQ emits it on the worker's 'error' listener.
      void Promise.resolve(intake.resume()).catch(() => {});
    },
    holds: (by) => holders.has(by),
  };
}
