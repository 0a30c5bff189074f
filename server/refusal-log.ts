/**
 * The server's lines about Redis refusing requests: writes refused (OOM, MISCONF, READONLY), the
 * credentials or a command refused (NOAUTH, WRONGPASS, NOPERM), Redis not answering a push. Every
 * request meets the same refusal while it lasts, and a line (with a stack) each was a flood under
 * load: one warn line per kind a minute (src/quiet-lines.ts), naming REDIS_URL and the fix, with
 * how many requests were refused the same way since the line before (`heldBack`). The answers are
 * each request's own, as before.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../src/clock.js';
import { createQuietLines } from '../src/quiet-lines.js';

export interface RefusalLog {
  /** Logs `message` at warn level unless a line of the same `code` and `refusal` was logged within the minute: then it is counted. */
  warn(log: FastifyBaseLogger, fields: { code: string; refusal?: string } & Record<string, unknown>, message: string): void;
}

export function createRefusalLog(options: { clock?: Clock; quietMs?: number } = {}): RefusalLog {
  const lines = createQuietLines(options);
  return {
    warn(log, fields, message) {
      const heldBack = lines.say(`${fields.code} ${fields.refusal ?? ''}`);
      if (heldBack !== undefined) log.warn({ ...fields, heldBack }, message);
    },
  };
}
