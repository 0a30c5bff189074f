/**
 * What one sentinel says of the primary it monitors under a connection's name: which node it names,
 * at which config epoch, and how many sentinels it knows. Both decisions that move a connection off
 * a primary read it (primary-moved.ts when a confirmation falls short, replica-count.ts at each
 * count), and newest-primary.ts judges it: read two ways, the count once took a stale majority's
 * word over the newest epoch's and confirmed writes on the old primary (review32).
 */
import type { Redis } from 'ioredis';

export interface PrimaryNamedAnswer {
  /** `SENTINEL MYID`, when the sentinel answers it. */
  id: string | undefined;
  /** GET-MASTER-ADDR-BY-NAME's host and port; undefined when it does not know the name. */
  named: readonly [string, string] | undefined;
  /** SENTINEL MASTER's `config-epoch`. */
  configEpoch: bigint;
  /** Sentinels it knows of, itself included (`num-other-sentinels` + 1). */
  sentinelsKnown: number;
}

/**
 * The answer of `client` (a sentinel) for `name`. The address is GET-MASTER-ADDR-BY-NAME's, the
 * one ioredis follows, not SENTINEL MASTER's `ip` and `port`: the sentinel leading a failover
 * raises the epoch once the replica it promoted answers as a primary, but moves its entry to the
 * new address only at the failover's end (`failover_in_progress` in its flags meanwhile), while
 * GET-MASTER-ADDR-BY-NAME names the promoted node from the raise on. Asked on one connection, in
 * one round trip, the answers are of one moment.
 */
export async function askPrimaryNamed(client: Redis, name: string): Promise<PrimaryNamedAnswer> {
  const [id, primary, named] = await Promise.all([
    client.call('SENTINEL', 'MYID').then(String, () => undefined),
    client.call('SENTINEL', 'MASTER', name),
    client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name),
  ]);
  const fields = sentinelFields(primary);
  return {
    id,
    named: Array.isArray(named) && named.length >= 2 ? ([String(named[0]), String(named[1])] as const) : undefined,
    configEpoch: epochOf(fields.get('config-epoch')),
    sentinelsKnown: Number(fields.get('num-other-sentinels') ?? 0) + 1,
  };
}

/** A `config-epoch` field (an unsigned 64-bit number); 0, the epoch before any failover, when missing or unreadable. */
function epochOf(field: string | undefined): bigint {
  return field !== undefined && /^\d+$/.test(field) ? BigInt(field) : 0n;
}

/** A sentinel's flat `field value …` reply (SENTINEL MASTER, an entry of SENTINEL REPLICAS) as a map. */
export function sentinelFields(reply: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  const flat = Array.isArray(reply) ? reply.map(String) : [];
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i] as string, flat[i + 1] as string);
  return fields;
}
