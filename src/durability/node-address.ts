import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import { finishedWithin } from '../finished-within.js';

/** Where a connection's socket is: its peer's address as Sentinel names nodes, and port. */
export interface LinkAddress {
  address: string;
  port: number;
}

/** The peer of `link` (a connection's stream), or undefined when it has none yet. */
export function linkAddress(link: Pick<Socket, 'remoteAddress' | 'remotePort'> | undefined): LinkAddress | undefined {
  const address = plainAddress(link?.remoteAddress);
  return address && link?.remotePort !== undefined ? { address, port: link.remotePort } : undefined;
}

/**
 * Whether a sentinel's `host` and `port` name the node `on` is connected to; undefined when `host`
 * cannot be resolved here (then ioredis could not reach it either, and nothing is known), or not
 * within the resolver's wait.
 */
export async function namesLink(host: string, port: string | number, on: LinkAddress, resolver: HostResolver = systemResolver): Promise<boolean | undefined> {
  const named = await resolver.addressesOf(host);
  if (named.length === 0) return undefined;
  return Number(port) === on.port && named.includes(on.address);
}

/** The addresses a sentinel's `host` stands for (a sentinel with `announce-hostnames` names hosts). */
export interface HostResolver {
  /** Its addresses as Sentinel names nodes; none when it cannot be resolved, or not within the wait. */
  addressesOf(host: string): Promise<string[]>;
}

export interface HostResolverOptions {
  /** Resolves a name to all its addresses; dns.promises.lookup unless given (tests resolve names of their own). */
  lookup?: (host: string) => Promise<{ address: string }[]>;
  /** How long an answer is waited for (ms). */
  waitMs?: number;
}

/**
 * How long a sentinel's host name is waited for (ms): a resolver that answers does so in
 * milliseconds (a name in /etc/hosts at once); one that does not answers with getaddrinfo's own
 * timeouts (5 s a try, a few tries, by resolv.conf), while every confirmation behind it waits.
 */
export const HOST_LOOKUP_WAIT_MS = 1000;

/**
 * A resolver for sentinels' host names that waits for an answer at most `waitMs`, and asks for one
 * name once at a time: getaddrinfo runs on libuv's thread pool (4 threads by default) and cannot be
 * cut short, so with DNS down, every check after a confirmation fell short (a question a second) left
 * a look-up behind, and four of them held every thread: file reads and every other name ioredis
 * resolves (its reconnects to the sentinels) queued behind them. A question asked while its name
 * is still being looked up waits for that look-up, within its own wait.
 */
export function createHostResolver(options: HostResolverOptions = {}): HostResolver {
  const lookup = options.lookup ?? ((host: string) => dnsLookup(host, { all: true }));
  const waitMs = options.waitMs ?? HOST_LOOKUP_WAIT_MS;
  const pending = new Map<string, Promise<string[]>>();
  return {
    async addressesOf(host) {
      if (isIP(host)) return [host];
      let answer = pending.get(host);
      if (answer === undefined) {
        answer = lookup(host).then(
          (found) => found.map((a) => plainAddress(a.address) ?? a.address),
          () => [],
        );
        const asked = answer;
        pending.set(host, asked);
        void asked.finally(() => {
          if (pending.get(host) === asked) pending.delete(host);
        });
      }
      return (await finishedWithin(answer, waitMs)) ? answer : [];
    },
  };
}

const systemResolver = createHostResolver();

/** A socket's IPv4 address as Sentinel names it, not as an IPv4-mapped IPv6 one. */
function plainAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
