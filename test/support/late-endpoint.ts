import type { Server, Socket } from 'node:net';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { startOnFreePort } from '../../src/runtime/free-port.js';
import { createSmsClient } from '../../src/sms/client.js';
import { SANDBOX_ACCESS_KEY } from '../../src/sms/defaults.js';
import type { SmsClient } from '../../src/sms/types.js';
import { steadyPort } from './steady-port.js';
import { listenOn, pipingServer } from './tcp-front.js';

/** A client of the sandbox emulator's account at `127.0.0.1:port`, over http. */
function clientAt(port: number): SmsClient {
  return createSmsClient({ endpoint: `127.0.0.1:${port}`, protocol: 'http', readTimeoutMs: 1000, credential: { kind: 'access-key', ...SANDBOX_ACCESS_KEY } });
}

/**
 * An SMS endpoint that refuses connections until `comeUp()`: a port nothing listens on, a client
 * that calls it, and an emulator started on that port when asked (closed by the caller). The port
 * is a steady one: no other server is handed it while it waits.
 */
export async function lateEndpoint(): Promise<{ port: number; client: SmsClient; comeUp(): Promise<Emulator> }> {
  const port = await steadyPort();
  const client = clientAt(port);
  return {
    port,
    client,
    async comeUp() {
      const emulator = createEmulator({ delivery: { delayMs: 50, failureRatio: 0 } });
      await emulator.listen({ port });
      return emulator;
    },
  };
}

/**
 * A TCP front for an emulator listening on `emulatorPort`, and a client that calls through it. It
 * can stop listening (`refuse()`: new connections are refused, those open go on, so a call in
 * flight still meets its own fate), drop what is open (`dropOpen()`: no idle keep-alive socket
 * carries a later call past the refusal), and listen again on the same port (`answer()`); the
 * emulator behind it keeps its records throughout.
 */
export interface RefusableFront {
  port: number;
  client: SmsClient;
  refuse(): void;
  dropOpen(): void;
  answer(): Promise<void>;
  close(): Promise<void>;
}

export async function refusableFront(emulatorPort: number): Promise<RefusableFront> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const answerOn = async (port: number) => {
    const listening = pipingServer(emulatorPort, sockets);
    await listenOn(listening, port);
    server = listening;
  };
  /** Stops listening: new connections are refused at once; `closed` settles once those open have ended too. */
  const refuse = () => {
    const closing = server;
    server = undefined;
    return { closed: closing ? new Promise<void>((resolve) => closing.close(() => resolve())) : Promise.resolve() };
  };
  const dropOpen = () => {
    for (const s of sockets) s.destroy();
  };
  // A steady port: it answers again there after refusing.
  const port = await startOnFreePort(async (p) => (await answerOn(p), p), { choosePort: steadyPort });
  const answer = () => answerOn(port);
  return {
    port,
    client: clientAt(port),
    refuse() {
      void refuse().closed;
    },
    dropOpen,
    answer,
    async close() {
      const { closed } = refuse();
      dropOpen();
      await closed;
    },
  };
}
