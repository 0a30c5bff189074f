/**
 * src/runtime/free-port.ts: a server started on a freshly freed port that something else took
 * before the server bound it is started again on another port (a bounded number of times); a
 * server that fails for any other reason is not. Real loopback listeners, the collision made on
 * purpose: the port chooser hands out a port a listener holds.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, PortTakenError, startOnFreePort } from '../../src/runtime/free-port.js';
import { listenOn } from '../support/tcp-front.js';

const servers: Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

/** A port a listener holds for the rest of the test. */
async function takenPort(): Promise<number> {
  const holder = createServer();
  servers.push(holder);
  await listenOn(holder, 0);
  return (holder.address() as { port: number }).port;
}

/** A chooser that hands out `first` ports as given, then free ones; it records every port it chose. */
function chooser(first: number[]): { choosePort: () => Promise<number>; chosen: number[] } {
  const chosen: number[] = [];
  return {
    chosen,
    async choosePort() {
      const port = first[chosen.length] ?? (await freePort());
      chosen.push(port);
      return port;
    },
  };
}

async function listeningOn(port: number): Promise<Server> {
  const server = createServer();
  await listenOn(server, port);
  servers.push(server);
  return server;
}

describe('startOnFreePort', () => {
  it('starts the server again on a fresh port when the chosen one was taken before it bound it', async () => {
    const taken = await takenPort();
    const { choosePort, chosen } = chooser([taken]);
    const server = await startOnFreePort(listeningOn, { choosePort });
    expect(chosen).toHaveLength(2);
    expect(chosen[0]).toBe(taken);
    expect((server.address() as { port: number }).port).toBe(chosen[1]);
  });

  it('does not start again a server that failed for another reason', async () => {
    const { choosePort, chosen } = chooser([]);
    const refused = new Error('a setting refused');
    await expect(
      startOnFreePort(async () => {
        throw refused;
      }, { choosePort }),
    ).rejects.toBe(refused);
    expect(chosen).toHaveLength(1);
  });

  it('gives up after three ports taken, with the last refusal', async () => {
    const taken = await takenPort();
    const { choosePort, chosen } = chooser([taken, taken, taken, taken]);
    await expect(startOnFreePort(listeningOn, { choosePort })).rejects.toBeInstanceOf(PortTakenError);
    expect(chosen).toEqual([taken, taken, taken]);
  });
});
