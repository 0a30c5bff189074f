import type { Redis } from 'ioredis';
import type { RedisNode } from './redis-topology.js';
import { startMonitorFeed, type MonitorFeed } from './monitor-feed.js';

/**
 * The commands redis-server nodes receive, as MONITOR shows them, each known by the name its
 * connection set: ioredis sends CLIENT SETNAME first on a connection given `connectionName`, as
 * BullMQ gives its blocking connections (`<prefix>:<queue name in base64>`) and a Cluster client
 * hands on to its connection to each node. A test waits for a command that only a client's
 * (re)connect sends, such as the ready check's CLUSTER INFO, from the connection of its choosing.
 */
export interface NodeCommands {
  /**
   * Resolves once a connection named `name` sends `command` (its words, any case; e.g. `CLUSTER
   * INFO`) to one of the nodes, after this call.
   */
  next(name: string, command: string): Promise<void>;
  close(): Promise<void>;
}

export async function watchNodeCommands(nodes: RedisNode[]): Promise<NodeCommands> {
  const admins: Redis[] = [];
  const feeds: MonitorFeed[] = [];
  const waiting = new Set<{ name: string; command: string; seen: () => void }>();
  try {
    for (const node of nodes) {
      const admin = node.admin();
      admins.push(admin);
      await admin.connect();
      // Per node: a client's address names its connection to that node only. The connections
      // already open set their names before: CLIENT LIST has them. (MONITOR from a socket of its
      // own: ioredis's monitor() loses lines that arrive with its +OK, test/support/monitor-feed.ts.)
      const names = new Map<string, string>();
      const feed = await startMonitorFeed(`redis://127.0.0.1:${node.port}`, ({ args, source }) => {
        const words = args.map((a) => a.toLowerCase());
        if (words[0] === 'client' && words[1] === 'setname') names.set(source, args[2] ?? '');
        const said = words.join(' ');
        for (const w of waiting) {
          if (names.get(source) === w.name && said.startsWith(w.command)) {
            waiting.delete(w);
            w.seen();
          }
        }
      });
      feeds.push(feed);
      for (const line of String(await admin.client('LIST')).split('\n')) {
        const [addr, name] = [/\baddr=(\S+)/.exec(line)?.[1], /\bname=(\S*)/.exec(line)?.[1]];
        if (addr && name && !names.has(addr)) names.set(addr, name);
      }
    }
  } catch (err) {
    for (const feed of feeds) feed.close();
    for (const admin of admins) admin.disconnect();
    throw err;
  }
  return {
    next: (name, command) => new Promise<void>((seen) => waiting.add({ name, command: command.toLowerCase(), seen })),
    async close() {
      for (const feed of feeds) feed.close();
      for (const admin of admins) admin.disconnect();
    },
  };
}
