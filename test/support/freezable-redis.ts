import { startPrivateRedis, type PrivateRedis } from '../../src/runtime/private-redis.js';

/** A private Redis (appendfsync always) that a test freezes with its connections open, and thaws. */
export interface FreezableRedis extends PrivateRedis {
  /** SIGSTOP: it stops answering, its connections stay open (a frozen process, a partition). */
  freeze(): void;
  thaw(): void;
  /** Killed (frozen or not), as a host that dies: its connections are reset. */
  kill(): Promise<void>;
}

/** Starts one; `defer` receives what thaws and stops it after the test. */
export async function startFreezableRedis(defer: (close: () => Promise<void>) => void): Promise<FreezableRedis> {
  const server = await startPrivateRedis({ appendfsync: 'always' });
  const pid = server.process.pid as number;
  let frozen = false;
  const thaw = () => {
    if (frozen) process.kill(pid, 'SIGCONT');
    frozen = false;
  };
  defer(async () => {
    thaw();
    await server.stop();
  });
  return {
    ...server,
    freeze: () => {
      process.kill(pid, 'SIGSTOP');
      frozen = true;
    },
    thaw,
    kill: async () => {
      const exited = new Promise((resolve) => server.process.once('exit', resolve));
      process.kill(pid, 'SIGKILL');
      frozen = false;
      await exited;
    },
  };
}
