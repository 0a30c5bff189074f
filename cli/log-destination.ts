/**
 * Where the CLI's log lines go: always stderr (stdout carries the command's output). On a
 * terminal they are rewritten from pino's JSON into one readable line each; otherwise (pipes,
 * files, CI) they stay JSON. Redaction has already happened in the logger by then.
 */
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service']);

function readable(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = LEVELS[Number(entry.level)] ?? 'LOG';
  const extras = Object.entries(entry)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `${level.padEnd(5)} ${String(entry.msg ?? '')}${extras.length ? `  ${extras.join(' ')}` : ''}\n`;
}

export function createCliLogDestination(stderr: { write(chunk: string): unknown }, pretty: boolean): DestinationStream {
  return {
    write(chunk: string) {
      if (!pretty) {
        stderr.write(chunk);
        return;
      }
      for (const line of chunk.split('\n')) if (line.trim()) stderr.write(readable(line));
    },
  };
}
