/**
 * A server that cannot listen on the address it was given: the address is the flag's (or the
 * variable's) fault, so it is a refusal (exit 2) naming it and the fix. Node's own error said
 * `listen EADDRINUSE` (exit 1, kept for bugs), and `getaddrinfo ENOTFOUND` was taken for Redis not
 * answering (exit 3).
 */
import { UsageError } from './errors.js';

export interface ListenAddress {
  host: string;
  port: number;
  /** How the user names the host: `--host`, or `SMSQ_SERVER_HOST (or --host)`. */
  hostFlag: string;
  /** How the user names the port. */
  portFlag: string;
  /** The flag that picks another port. Default `--port`. */
  portOption?: string;
}

/** Codes of a host name that does not resolve (getaddrinfo). */
const UNRESOLVED = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);

/** `err` as a {@link UsageError} when it is the address's fault; undefined otherwise. */
export function listenRefusal(err: unknown, at: ListenAddress): UsageError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return new UsageError(`port ${at.port} is in use on ${at.host} (${at.portFlag}): another process listens there. Fix: ${at.portOption ?? '--port'} <another>, or stop what listens there`);
    case 'EACCES':
      return new UsageError(`port ${at.port} on ${at.host} (${at.portFlag}) needs privileges this process does not have (ports below 1024 do). Fix: ${at.portOption ?? '--port'} <another> above 1023`);
    case 'EADDRNOTAVAIL':
      return new UsageError(`${at.hostFlag} ${at.host} is not an address of this machine (EADDRNOTAVAIL). Fix: --host 127.0.0.1 (or 0.0.0.0 for every interface), or an address this machine has`);
    case 'EAFNOSUPPORT':
      return new UsageError(`${at.hostFlag} ${at.host}: this machine does not support that address family (EAFNOSUPPORT). Fix: --host 127.0.0.1 (or 0.0.0.0 for every interface)`);
    default:
  }
  if (typeof code === 'string' && UNRESOLVED.has(code)) {
    return new UsageError(`${at.hostFlag} ${at.host} does not resolve to an address (${code}). Fix: --host 127.0.0.1 (or 0.0.0.0 for every interface), or a name this machine resolves`);
  }
  return undefined;
}
