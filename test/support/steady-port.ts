import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort } from '../../src/runtime/free-port.js';

/** Where Linux's ip_local_port_range starts when unreadable; macOS's and Windows's start higher. */
const EPHEMERAL_LOW_DEFAULT = 32768;
const LOWEST = 10_000;
const HIGHEST = 20_000;

/** The first port of the range the kernel hands out to `listen(0)` and outgoing connections. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : EPHEMERAL_LOW_DEFAULT;
  } catch {
    return EPHEMERAL_LOW_DEFAULT;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A free loopback port below the range the kernel hands out, for a port that must stay free while
 * a test counts on it: one nothing listens on (a connection refused), one a program started later
 * listens on (a documented example's server), one a server is found at again while it is down
 * (brought back after a crash, an endpoint that comes up late, a front opened again). No
 * `listen(0)` or outgoing connection is handed it meanwhile, as a port of `freePort()` may be.
 */
export async function steadyPort(): Promise<number> {
  const top = Math.min(HIGHEST, ephemeralLow());
  if (top <= LOWEST) return freePort();
  for (let tries = 0; tries < 20; tries++) {
    const port = LOWEST + Math.floor(Math.random() * (top - LOWEST));
    if (await bindable(port)) return port;
  }
  throw new Error(`no bindable loopback port between ${LOWEST} and ${top} in 20 tries`);
}
