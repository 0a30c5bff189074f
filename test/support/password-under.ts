/**
 * Redis made to require a password under connections already open (CONFIG SET requirepass): they
 * stay signed in until they reconnect, so each is made to, and meets NOAUTH on its reconnect.
 */
import { Redis } from 'ioredis';
import { waitFor } from './wait.js';

export interface PasswordUnder {
  /** Takes the password off again and waits for `connections` to be ready. */
  lift(): Promise<void>;
}

/** Sets `password` on the Redis at `url` (no password yet) and drops every connection but its own; resolves once `watched` has dropped. */
export async function requirePasswordUnder(url: string, password: string, watched: { status: string }, connections: readonly { status: string }[] = [watched]): Promise<PasswordUnder> {
  const setter = new Redis(url);
  await setter.config('SET', 'requirepass', password);
  setter.disconnect();
  const other = new Redis(url.replace('redis://', `redis://:${password}@`));
  await other.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
  await waitFor(() => watched.status !== 'ready', 'the connection to drop');
  return {
    async lift() {
      await other.config('SET', 'requirepass', '');
      other.disconnect();
      await waitFor(() => connections.every((c) => c.status === 'ready'), 'the connections back', 30_000);
    },
  };
}
