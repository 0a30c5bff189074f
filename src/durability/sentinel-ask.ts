import { Redis, type RedisOptions, type SentinelAddress } from 'ioredis';
import { connectTimeoutOf } from '../queue/connection.js';

/** What a sentinel said, and which it was; or why it did not answer. */
export type SentinelAnswer<T> = { answer: T; sentinel: string } | { unanswered: string };

/**
 * Asks every sentinel the connection lists, all at once, each within the connection's connect
 * timeout: one answer (or why none came) per sentinel, in the list's order. Undefined for a
 * connection made without Sentinel. Every sentinel, not the first that answers: that one may be
 * on the minority side of a partition, or have missed a failover, and its answers describe the old
 * primary (newest-primary.ts judges them). Each one held the connection's connect timeout at
 * most, and all at once: one after another, sentinels whose hosts are down cost one timeout each.
 * A frozen sentinel (the kernel completes the handshake) held the check, and with it a producer's
 * first enqueue or a worker's start, for ever before each had a timeout.
 */
export async function askAllSentinels<T>(redis: Redis, ask: (client: Redis, name: string) => Promise<T>): Promise<SentinelAnswer<T>[] | undefined> {
  const { sentinels, name } = redis.options;
  if (!sentinels?.length || !name) return undefined;
  return Promise.all(sentinels.map((sentinel) => askSentinel(redis, sentinel, name, ask)));
}

/** One sentinel's answer to `ask`, on a short connection of its own, within the connect timeout. */
async function askSentinel<T>(redis: Redis, sentinel: Partial<SentinelAddress>, name: string, ask: (client: Redis, name: string) => Promise<T>): Promise<SentinelAnswer<T>> {
  const address = `${sentinel.host ?? 'localhost'}:${sentinel.port ?? 26379}`;
  const answerMs = connectTimeoutOf(redis);
  const client = new Redis({
    ...sentinelClientOptions(redis.options, sentinel),
    connectTimeout: answerMs,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {}); // said by the failure of its command
  let timer: NodeJS.Timeout | undefined;
  try {
    const asked = client.connect().then(() => ask(client, name));
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${answerMs} ms`)), answerMs)));
    return { answer: await Promise.race([asked, late]), sentinel: address };
  } catch (err) {
    return { unanswered: `${address}: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
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
