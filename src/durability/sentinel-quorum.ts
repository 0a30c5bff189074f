/**
 * Whether the sentinels can still fail the primary over: `SENTINEL CKQUORUM <name>`, answered by a
 * sentinel of the newest configuration (sentinel-replicas.ts). With two of three
 * sentinels down (quorum 2), every write still went through and nothing said that the next primary
 * failure would leave Redis down until someone brought it back: the lines then said "All sentinels
 * are unreachable" and "check that Redis is running", never that Sentinel could not fail over.
 */
import type { Redis } from 'ioredis';
import type { DurabilityProblem } from './problem.js';

/** The NOQUORUM answer of `client` (a sentinel); undefined when it can fail over. */
export async function askQuorum(client: Redis, name: string): Promise<string | undefined> {
  try {
    await client.call('SENTINEL', 'CKQUORUM', name);
    return undefined;
  } catch (err) {
    // NOQUORUM is the answer; any other refusal (an old sentinel, a user without +sentinel) is a sentinel that did not answer.
    if (err instanceof Error && /^NOQUORUM\b/.test(err.message)) return err.message;
    throw err;
  }
}

/** The warning for a NOQUORUM `answer` of `sentinel`. */
export function quorumProblem(name: string, sentinel: string, answer: string): DurabilityProblem {
  return {
    severity: 'warn',
    what: `the sentinels cannot fail over ${name} now (SENTINEL CKQUORUM ${name} on ${sentinel}: ${answer}): if the primary fails, Redis stays down until it is back; nothing fails over to a replica`,
    fix: `bring back the sentinels that are down (SENTINEL SENTINELS ${name} on ${sentinel} lists the others it knows, with their flags): a failover needs the quorum of \`sentinel monitor\` to agree the primary is down, and a majority of the sentinels to authorize it`,
  };
}
