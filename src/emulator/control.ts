/**
 * The control endpoint: JSON over HTTP on 127.0.0.1, for tests and operators outside the process
 * (e.g. a standalone emulator in docker-compose). Peers that are not loopback get 403.
 *
 *   GET    /healthz     {"ok":true}
 *   GET    /accepted    AcceptedSend[]
 *   GET    /recipients  RecipientRecord[]
 *   GET    /calls       CallRecord[]
 *   PUT    /faults      FaultRule[]   replaces the faults ("times": "Infinity" or null for no limit)
 *   DELETE /faults
 *   PATCH  /config      { qps?, flowControl?, delivery?, detailsLagMs?, latencyMs?, reportUrl? (null unsets) }
 *   POST   /reset
 *   POST   /deliver-due pushes due reports now
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { isLoopback, readBody, sendJson } from './http-server.js';
import type { Emulator, EmulatorConfigPatch, FaultRule } from './types.js';

const faultSchema = z
  .object({
    kind: z.enum(['lost-answer', 'server-error', 'reset', 'throttle']),
    actions: z.array(z.string().min(1)).optional(),
    phones: z.array(z.string().min(1)).optional(),
    times: z
      .union([z.number().int().positive(), z.literal('Infinity'), z.null()])
      .optional()
      .transform((t) => (t === 'Infinity' || t === null ? Infinity : t)),
    delayMs: z.number().int().nonnegative().optional(),
    httpStatus: z.union([z.literal(500), z.literal(503)]).optional(),
  })
  .strict();

const configSchema = z
  .object({
    qps: z.number().int().nonnegative().optional(),
    flowControl: z.boolean().optional(),
    delivery: z
      .object({
        delayMs: z.number().int().nonnegative().optional(),
        failureRatio: z.number().min(0).max(1).optional(),
        failureCodes: z.array(z.string().min(1)).min(1).optional(),
      })
      .strict()
      .optional(),
    detailsLagMs: z.number().int().nonnegative().optional(),
    latencyMs: z.number().int().nonnegative().optional(),
    reportUrl: z.union([z.url(), z.null()]).optional(),
  })
  .strict();

type Handler = (body: unknown) => unknown;

export function createControlHandler(emulator: Emulator): (req: IncomingMessage, res: ServerResponse) => void {
  const routes: Record<string, Handler> = {
    'GET /healthz': () => ({ ok: true }),
    'GET /accepted': () => emulator.accepted(),
    'GET /recipients': () => emulator.recipients(),
    'GET /calls': () => emulator.calls(),
    'PUT /faults': (body) => {
      const faults = z.array(faultSchema).parse(body) as FaultRule[];
      emulator.setFaults(faults);
      return { ok: true, faults: faults.length };
    },
    'DELETE /faults': () => {
      emulator.clearFaults();
      return { ok: true };
    },
    'PATCH /config': (body) => {
      const patch = configSchema.parse(body);
      const { reportUrl, ...rest } = patch;
      const applied: EmulatorConfigPatch = rest;
      if (reportUrl !== undefined) applied.reportUrl = reportUrl ?? undefined;
      emulator.configure(applied);
      return { ok: true };
    },
    'POST /reset': () => {
      emulator.reset();
      return { ok: true };
    },
  };

  return (req, res) => {
    if (!isLoopback(req.socket.remoteAddress)) {
      sendJson(res, 403, JSON.stringify({ error: 'the control endpoint only answers loopback peers' }));
      req.resume();
      return;
    }
    const path = (req.url ?? '/').split('?')[0] as string;
    const key = `${req.method ?? 'GET'} ${path}`;
    readBody(req, (raw) => {
      if (key === 'POST /deliver-due') {
        emulator.deliverDue().then(
          () => sendJson(res, 200, JSON.stringify({ ok: true })),
          (err: unknown) => sendJson(res, 500, JSON.stringify({ error: String(err) })),
        );
        return;
      }
      const handler = routes[key];
      if (!handler) {
        sendJson(res, 404, JSON.stringify({ error: `no route ${key}`, routes: [...Object.keys(routes), 'POST /deliver-due'] }));
        return;
      }
      if (raw === undefined) {
        sendJson(res, 413, JSON.stringify({ error: 'body too large' }));
        return;
      }
      try {
        const body = raw.length === 0 ? undefined : (JSON.parse(raw.toString('utf8')) as unknown);
        sendJson(res, 200, JSON.stringify(handler(body)));
      } catch (err) {
        const message = err instanceof z.ZodError ? z.prettifyError(err) : err instanceof Error ? err.message : String(err);
        sendJson(res, 400, JSON.stringify({ error: message }));
      }
    });
  };
}
