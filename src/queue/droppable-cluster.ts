import { Cluster, type ClusterNode, type ClusterOptions, type Command } from 'ioredis';
import { releaseArgumentsWhenAnswered } from './released-arguments.js';

/**
 * ioredis's `Cluster`, except that `disconnect()` ends it while it waits to reconnect, as
 * DroppableRedis (droppable-redis.ts) does for one Redis: status `end`, the `end` event, and every
 * command still waiting rejected with "Connection is closed.".
 *
 * In ioredis 5.11, a Cluster whose every node is down waits to reconnect on a timer (status
 * `reconnecting`); its disconnect() then cancels the timer and empties a pool that holds no node,
 * so nothing ever ends it: the status stays `disconnecting`, and the commands in its offline queue
 * (a `worker` connection keeps them for when the Cluster is back) wait for ever, and so does a
 * graceful close that waits for them (test/integration/connection-drop.test.ts).
 */
export class DroppableCluster extends Cluster {
  override disconnect(reconnect = false): void {
    const waitingToReconnect = !reconnect && this.status === 'reconnecting';
    super.disconnect(reconnect);
    // Once ioredis ends such a Cluster itself, this finds it ended and does nothing.
    if (waitingToReconnect && this.status === 'disconnecting') endStranded(this);
  }

  /** A script lets go of its arguments once answered (released-arguments.ts). */
  override sendCommand(command: Command, stream?: Parameters<Cluster['sendCommand']>[1], node?: Parameters<Cluster['sendCommand']>[2]): unknown {
    const sent = super.sendCommand(command, stream, node);
    releaseArgumentsWhenAnswered(command, stream);
    return sent;
  }

  override duplicate(overrideStartupNodes: ClusterNode[] = [], overrideOptions: ClusterOptions = {}): DroppableCluster {
    const internals = this as unknown as { startupNodes: ClusterNode[] };
    return new DroppableCluster(overrideStartupNodes.length > 0 ? overrideStartupNodes : internals.startupNodes.slice(0), { ...this.options, ...overrideOptions });
  }
}

/** The parts of ioredis 5's `Cluster` that its own end uses (private in its types). */
interface CloseInternals {
  setStatus(status: 'end'): void;
  /** Rejects the offline queue. */
  flushQueue(err: Error): void;
}

/** Ends `cluster` as ioredis ends a Cluster closed by hand, rejecting what waits in its queue. */
function endStranded(cluster: Cluster): void {
  const internals = cluster as unknown as CloseInternals;
  internals.setStatus('end');
  internals.flushQueue(new Error('Connection is closed.'));
}
