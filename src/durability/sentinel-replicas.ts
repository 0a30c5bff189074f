import { Redis, type RedisOptions, type SentinelAddress } from 'ioredis';
import { connectTimeoutOf } from '../queue/connection.js';
import type { PromotionFacts, SentinelReplica } from './promotion.js';

/**
 * Asks the sentinels a connection found its primary through which replicas they would promote
 * (`SENTINEL REPLICAS <name>`), one sentinel after another until one answers. Undefined for a
 * connection made without Sentinel: a plain primary URL tells nothing of how a failover chooses.
 * Each sentinel has the connection's connect timeout to answer, connecting and asking: one that
 * takes the connection and never answers (a frozen process: the kernel completes the handshake)
 * held the check, and with it a producer's first enqueue or a worker's start, for ever.
 */
export async function askSentinelReplicas(redis: Redis): Promise<PromotionFacts | undefined> {
  const { sentinels, name } = redis.options;
  if (!sentinels?.length || !name) return undefined;
  const failures: string[] = [];
  const answerMs = connectTimeoutOf(redis);
  for (const sentinel of sentinels) {
    const client = new Redis({
      ...sentinelClientOptions(redis.options, sentinel),
      connectTimeout: answerMs,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {}); // said below, by the failure of its command
    let timer: NodeJS.Timeout | undefined;
    try {
      const asked = client.connect().then(() => listReplicas(client, name));
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${answerMs} ms`)), answerMs)));
      return { replicas: parseReplicas(await Promise.race([asked, late])) };
    } catch (err) {
      failures.push(`${sentinel.host ?? 'localhost'}:${sentinel.port ?? 26379}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearTimeout(timer);
      client.disconnect();
    }
  }
  return { unanswered: failures.join('; ') };
}

/**
 * How the connection itself reaches `sentinel`: the options ioredis's SentinelConnector gives its
 * own client of a sentinel (`connectToSentinel`, ioredis 5), so that a sentinel the connection
 * found its primary through answers this question too. Asked without them, a sentinel that
 * speaks only TLS, or requires a password, never answered, and the check only warned that it
 * could not ask: the promotion order went unchecked on exactly the deployments that use TLS.
 * `sentinelTLS` is the sentinels' TLS; `tls` (with `enableTLSForSentinelMode`) is the primary's
 * and its replicas', which ioredis does not use towards a sentinel either.
 */
function sentinelClientOptions(options: RedisOptions, sentinel: Partial<SentinelAddress>): RedisOptions {
  return {
    host: sentinel.host,
    port: sentinel.port ?? 26379,
    username: options.sentinelUsername,
    password: options.sentinelPassword,
    family: sentinel.family ?? options.family,
    tls: options.sentinelTLS,
    commandTimeout: options.sentinelCommandTimeout,
  };
}

/** SENTINEL REPLICAS, or SLAVES on a sentinel older than Redis 5 that knows only that name. */
async function listReplicas(client: Redis, name: string): Promise<unknown> {
  try {
    return await client.call('SENTINEL', 'REPLICAS', name);
  } catch (err) {
    if (!/unknown|subcommand/i.test(err instanceof Error ? err.message : '')) throw err;
    return client.call('SENTINEL', 'SLAVES', name);
  }
}

function parseReplicas(reply: unknown): SentinelReplica[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((entry: unknown) => {
    const fields = new Map<string, string>();
    const flat = Array.isArray(entry) ? entry.map(String) : [];
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
    const priority = fields.get('replica-priority') ?? fields.get('slave-priority') ?? '100';
    return { address: `${fields.get('ip') ?? '?'}:${fields.get('port') ?? '?'}`, priority: Number(priority) };
  });
}
