/**
 * A latch that waiters pass while it is open: `close()` makes `wait()` return a promise that
 * settles at the next `open()`; open, `wait()` returns undefined (no promise to await). What a
 * worker's claims wait on while something is being made sure of (rollback-recovery.ts,
 * durability/watch.ts).
 */
export interface Latch {
  close(): void;
  open(): void;
  /** Undefined while open; otherwise resolves once opened. */
  wait(): Promise<void> | undefined;
  readonly closed: boolean;
}

export function createLatch(): Latch {
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  return {
    close() {
      if (gate) return;
      let open: () => void = () => {};
      const promise = new Promise<void>((resolve) => (open = resolve));
      gate = { promise, open };
    },
    open() {
      gate?.open();
      gate = undefined;
    },
    wait: () => gate?.promise,
    get closed() {
      return gate !== undefined;
    },
  };
}
