import { Redis, type Command, type RedisOptions } from 'ioredis';
import { noteFailure, startLinkHistory } from './link-history.js';
import { releaseArgumentsWhenAnswered } from './released-arguments.js';

/**
 * ioredis's `Redis`, except that `disconnect()` ends it in every state, as it ends a live one:
 * status `end`, the `end` event, and every command still waiting rejected with "Connection is
 * closed.".
 *
 * In ioredis 5.11, a disconnect() while the client waits to reconnect (status `reconnecting`:
 * Redis is down and the next attempt is on a timer) cancels that attempt and nothing else
 * (redis/ioredis#2169): the status stays `reconnecting`, no `end` event comes, and the commands in
 * its queues, and any sent after, wait for ever. Measured with smsq: BullMQ's graceful
 * `Worker.close()` waits for that `end` on its blocking connection (a duplicate of the worker's),
 * so a worker closed with a job in hand while Redis was down never finished closing, not even
 * once Redis was back; and after the grace and the caller's disconnect(), the job's writes never
 * failed, so BullMQ's timers kept the process alive.
 */
export class DroppableRedis extends Redis {
  /** Why the link is down, however late someone asks (link-history.ts). */
  private readonly linkHistory = startLinkHistory(this);

  /** Every failure ioredis reports is noted, whether or not anything listens for it. */
  override silentEmit(eventName: string, arg?: unknown): boolean {
    // Optional: ioredis could report one while its constructor runs, before this field is set.
    if (eventName === 'error' && this.status !== 'end' && (this.linkHistory as typeof this.linkHistory | undefined)) noteFailure(this.linkHistory, arg);
    return super.silentEmit(eventName, arg);
  }

  override disconnect(reconnect = false): void {
    const waitingToReconnect = !reconnect && this.status === 'reconnecting';
    super.disconnect(reconnect);
    // Once ioredis ends such a client itself, this finds it ended and does nothing.
    if (waitingToReconnect && this.status === 'reconnecting') endStranded(this);
  }

  /**
   * A command that Redis did not answer within the connection's `commandTimeout` (only `client`
   * connections have one) drops the link and connects again: a Redis frozen or cut off keeps its
   * TCP connection open, and the kernel would give up on it only after ~15 minutes. Connecting
   * again asks the sentinels anew, so a client follows a failover away from a frozen or
   * partitioned primary (every call timed out until then). Commands on the wire are not sent again
   * (`autoResendUnfulfilledCommands` is off on those connections): they fail at their timeout.
   * A script lets go of its arguments once answered (released-arguments.ts).
   */
  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    const sent = super.sendCommand(command, stream);
    releaseArgumentsWhenAnswered(command, stream);
    if (this.options.commandTimeout) {
      // Only the link it was sent on: a command left from a link already dropped times out later.
      const link = this.stream;
      command.promise.catch((err: unknown) => {
        if (err instanceof Error && err.message === 'Command timed out' && this.status === 'ready' && this.stream === link) this.disconnect(true);
      });
    }
    return sent;
  }

  /**
   * Drops a ready link and connects again (through the sentinels, for a connection found by
   * them), failing with "Connection is closed." the commands on the wire instead of sending them
   * again on the new link, as a worker's connection would (`autoResendUnfulfilledCommands`): they
   * may have run where they were sent, and their callers are told so (redis-gate.ts).
   */
  dropLink(): void {
    if (this.status !== 'ready') return;
    // Emitted on the next tick, once ioredis has kept the commands on the wire to resend.
    this.once('close', () => rejectKept(this as unknown as CloseInternals));
    this.disconnect(true);
  }

  /** BullMQ makes its blocking connection with this: it must end the same way. */
  override duplicate(override?: Partial<RedisOptions>): DroppableRedis {
    return new DroppableRedis({ ...this.options, ...override });
  }
}

/** What a command waiting in an ioredis queue holds. */
interface QueuedCommand {
  command: { reject(err: Error): void };
}

/** The parts of ioredis 5's `Redis` that its own end of a connection uses (private in its types). */
interface CloseInternals {
  manuallyClosing: boolean;
  setStatus(status: 'end'): void;
  /** Rejects the offline queue and the command queue. */
  flushQueue(err: Error): void;
  /**
   * Commands that were on the wire when a ready link dropped, kept to resend once it is ready
   * again. A reconnect that reaches a TCP listener (a proxy in front of a dead Redis) starts a
   * new command queue, and then only a ready connection would ever settle these.
   */
  prevCommandQueue?: { shift(): QueuedCommand | undefined } | null;
}

/** Ends `redis` as ioredis ends a manually closed connection, and rejects what it had kept to resend. */
function endStranded(redis: Redis): void {
  const internals = redis as unknown as CloseInternals;
  const closed = () => new Error('Connection is closed.');
  // As ioredis's own end of a connection leaves it: a later connect() (BullMQ reconnects) retries as usual.
  internals.manuallyClosing = false;
  internals.setStatus('end');
  internals.flushQueue(closed());
  rejectKept(internals);
}

/** Rejects, with "Connection is closed.", the commands ioredis kept to resend on the next link. */
function rejectKept(internals: CloseInternals): void {
  const kept = internals.prevCommandQueue;
  internals.prevCommandQueue = null;
  for (let item = kept?.shift(); item; item = kept?.shift()) item.command.reject(new Error('Connection is closed.'));
}
