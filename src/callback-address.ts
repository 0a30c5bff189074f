/**
 * Addresses a send's callback may not reach: link-local networks and the cloud metadata services
 * (Alibaba's 100.100.100.200, 169.254.169.254 elsewhere, AWS's fd00:ec2::254), which hand out the
 * machine's RAM-role credentials to whoever asks from it. Whoever holds the API token chooses a
 * callback URL, and the workers POST to it, so it is checked twice: at the door on the URL's own
 * host, and by the workers on every address the host resolves to when they connect (a name can
 * resolve anywhere, and resolve somewhere else by then). This machine and private networks stay
 * allowed: a receiver beside the worker, or inside the network, is the usual place.
 */
import { BlockList, isIP } from 'node:net';

const FORBIDDEN = new BlockList();
// "This network": 0.0.0.0 reaches this machine on Linux, under a name that slips past a list of loopbacks.
FORBIDDEN.addSubnet('0.0.0.0', 8, 'ipv4');
FORBIDDEN.addSubnet('169.254.0.0', 16, 'ipv4');
FORBIDDEN.addAddress('100.100.100.200', 'ipv4');
FORBIDDEN.addAddress('::', 'ipv6');
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6');
FORBIDDEN.addAddress('fd00:ec2::254', 'ipv6');
// The IPv4 ones inside IPv6 addresses that carry an IPv4 address (BlockList reads only the
// IPv4-mapped form `::ffff:a.b.c.d` as IPv4): IPv4-translated `::ffff:0:a.b.c.d`, NAT64
// `64:ff9b::a.b.c.d` (a NAT64 gateway reaches the IPv4 address), and IPv4-compatible `::a.b.c.d`
// (not for 0.0.0.0/8, whose compatible form holds ::1, this machine, allowed).
for (const [prefix, withThisNetwork] of [['::ffff:0:', true], ['64:ff9b::', true], ['::', false]] as const) {
  FORBIDDEN.addSubnet(`${prefix}169.254.0.0`, 96 + 16, 'ipv6');
  FORBIDDEN.addAddress(`${prefix}100.100.100.200`, 'ipv6');
  if (withThisNetwork) FORBIDDEN.addSubnet(`${prefix}0.0.0.0`, 96 + 8, 'ipv6');
}

/** The host of a URL as an IP address (without an IPv6 literal's brackets), or undefined for a name. */
export function ipOfHost(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? undefined : bare;
}

/**
 * True when a callback may not be sent to this IP address. IPv4-mapped IPv6 forms
 * (`::ffff:169.254.169.254`, which a URL writes as `::ffff:a9fe:a9fe`) are the IPv4 address.
 */
export function isForbiddenCallbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return FORBIDDEN.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** Why a callback may not go to this address, as the end of a sentence ("points at X, ..."). */
export function forbiddenCallbackReason(address: string): string {
  return `${address}, a link-local or cloud metadata address (it hands out the machine's credentials)`;
}
