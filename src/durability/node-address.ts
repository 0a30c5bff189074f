import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';

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
 * cannot be resolved here (then ioredis could not reach it either, and nothing is known).
 */
export async function namesLink(host: string, port: string | number, on: LinkAddress): Promise<boolean | undefined> {
  const named = await addressesOf(host);
  if (named.length === 0) return undefined;
  return Number(port) === on.port && named.includes(on.address);
}

/** A socket's IPv4 address as Sentinel names it, not as an IPv4-mapped IPv6 one. */
function plainAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** The addresses a sentinel's `host` stands for (a sentinel with `announce-hostnames` names hosts). */
async function addressesOf(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  try {
    return (await lookup(host, { all: true })).map((a) => plainAddress(a.address) ?? a.address);
  } catch {
    return [];
  }
}
