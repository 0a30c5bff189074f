/**
 * A request's client going away before its answer, or the server cutting it off as it stops: an
 * AbortSignal for work that should stop when nobody will hear its outcome (a campaign being
 * enqueued, stopped as Ctrl-C stops `smsq campaign`).
 */
import type { FastifyReply } from 'fastify';

/** The abort reason: named in a stopped campaign's messages and its pause (`its enqueue was stopped (client disconnected) ...`). */
export const CLIENT_GONE = 'client disconnected';

/** See {@link whileClientWaits}. */
export interface ClientWait {
  /**
   * Aborts (reason {@link CLIENT_GONE}) when the connection closes before the answer was sent, or
   * with the server's own reason when `serverStop` aborts first.
   */
  signal: AbortSignal;
  /** Stops watching: call once the work is done, so that a client leaving afterwards aborts nothing. */
  release(): void;
}

/**
 * Watches the connection of `reply` from now on. Node's response emits `close` both when its answer
 * has been sent and when its connection went first; only the second aborts. (The request's own
 * `close` is no use here: it fires once its body has been read.) `serverStop`, aborted by a server
 * about to cut its connections when its shutdown grace runs out, stops the work first with its
 * reason: the client did not go, it was cut off.
 */
export function whileClientWaits(reply: FastifyReply, serverStop?: AbortSignal): ClientWait {
  const controller = new AbortController();
  const res = reply.raw;
  const onClose = () => {
    if (!res.writableFinished) controller.abort(CLIENT_GONE);
  };
  const onServerStop = () => controller.abort(serverStop?.reason);
  // Before the connection's own check: a server that has stopped cut it.
  if (serverStop?.aborted) onServerStop();
  else serverStop?.addEventListener('abort', onServerStop, { once: true });
  // Gone between the body's last byte and the handler: its `close` has been emitted already.
  if (res.destroyed || res.socket?.destroyed === true) onClose();
  else res.once('close', onClose);
  return {
    signal: controller.signal,
    release: () => {
      res.off('close', onClose);
      serverStop?.removeEventListener('abort', onServerStop);
    },
  };
}
