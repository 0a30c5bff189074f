import { createServer } from 'node:net';

/**
 * A free loopback TCP port (bound, then released). Released, it is free for anyone: another
 * process's `listen(0)` may be handed it before the caller binds it, so a server started on it
 * goes through {@link startOnFreePort}.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

/** A server could not bind the port it was given: something else took it after it was chosen. */
export class PortTakenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortTakenError';
  }
}

export interface StartOnFreePortOptions {
  /** Chooses each port tried. Default {@link freePort}. */
  choosePort?: () => Promise<number>;
  /** How many ports are tried before the last {@link PortTakenError} is thrown. Default 3. */
  attempts?: number;
}

/**
 * Runs `start` on a chosen port, and again on another one when it throws {@link PortTakenError},
 * up to `attempts` ports. Any other failure is thrown at once: a server that cannot start for
 * another reason would fail the same way on every port.
 */
export async function startOnFreePort<T>(start: (port: number) => Promise<T>, opts: StartOnFreePortOptions = {}): Promise<T> {
  const choosePort = opts.choosePort ?? freePort;
  const attempts = opts.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await choosePort());
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= attempts) throw err;
    }
  }
}
