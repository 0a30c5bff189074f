/**
 * Redis's MONITOR read from a socket of its own. ioredis's `monitor()` sets its connection's status
 * to `monitoring` in a promise callback after MONITOR's +OK, while the lines that follow it in the
 * same read are parsed at once: on a busy Redis they reached an empty command queue ("Command
 * queue state error. If you can reproduce this, please report it"), thrown out of the socket's
 * data handler as an uncaught exception (CI, session 35, pause-notice.test.ts on the suite's shared
 * Redis). Here every line after +OK is a command, whatever arrives with it.
 */
import { connect, type Socket } from 'node:net';

/** One command as MONITOR shows it: its words, and who sent it (`127.0.0.1:50116`, or `lua` for a script's). */
export interface MonitoredCommand {
  args: string[];
  source: string;
}

export interface MonitorFeed {
  /** Every command Redis has run since the feed started, in its order. */
  readonly commands: readonly MonitoredCommand[];
  close(): void;
}

/** A MONITOR line's quoted words, their escapes read (`\"`, `\\`, `\n`, `\xHH`, ...). */
export function monitoredArgs(text: string): string[] {
  const args: string[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    args.push(
      (m[1] ?? '').replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_all, e: string) => {
        if (e.startsWith('x') && e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
        return ({ n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' } as Record<string, string>)[e] ?? e;
      }),
    );
  }
  return args;
}

/** Starts MONITOR on the Redis at `url` (`redis://[:password@]host:port`); resolves once Redis answered +OK. */
export async function startMonitorFeed(url: string, onCommand: (command: MonitoredCommand) => void = () => {}): Promise<MonitorFeed> {
  const { hostname, port, password, username } = new URL(url);
  const socket: Socket = connect(Number(port || 6379), hostname || '127.0.0.1');
  const commands: MonitoredCommand[] = [];
  let buffered = '';
  let started!: () => void;
  let failed!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => ((started = resolve), (failed = reject)));
  let monitoring = false;
  socket.setEncoding('latin1');
  socket.on('error', (err) => failed(err));
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\r\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (line.startsWith('-')) failed(new Error(`MONITOR refused: ${line.slice(1)}`));
      else if (!monitoring) {
        // AUTH's +OK first, when it was sent; then MONITOR's, and every line after it is a command.
        if (line !== '+OK') continue;
        if (oksBeforeMonitor > 0) oksBeforeMonitor--;
        else {
          monitoring = true;
          started();
        }
      } else {
        const m = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] (.*)$/.exec(line);
        if (!m) continue;
        const command = { source: m[1] ?? '', args: monitoredArgs(m[2] ?? '') };
        commands.push(command);
        onCommand(command);
      }
    }
  });
  const auth = password === '' ? '' : `AUTH ${decodeURIComponent(username) || 'default'} ${decodeURIComponent(password)}\r\n`;
  let oksBeforeMonitor = auth === '' ? 0 : 1;
  socket.write(`${auth}MONITOR\r\n`);
  await ready;
  return {
    commands,
    close: () => socket.destroy(),
  };
}
