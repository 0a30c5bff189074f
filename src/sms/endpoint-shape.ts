/**
 * The shape of a Dysmsapi endpoint, `host[:port]`, checked before the SDK is given it: the SDK takes
 * any text and fails on a bad one only at call time, and each way is worse than a refusal at start.
 * A port no socket has failed as ERR_SOCKET_BAD_PORT, a transport error of unknown outcome (a send
 * looked up for a request that never left); port 0 and a host no DNS name can be (`a..b`, `-x`)
 * failed as ConnectionRefused and HostNotFound, which block the account.
 *
 * One check for the environment's SMS_ENDPOINT (config.ts) and createSmsClient's `endpoint`.
 */

/** What is wrong with an endpoint. */
export type EndpointFault = { kind: 'shape' } | { kind: 'port'; port: string } | { kind: 'host' };

// A DNS name (RFC 1123 labels) or an IPv4 address, with an optional root dot; or a bracketed IPv6 address.
const SHAPE = /^(?:\[[0-9A-Fa-f:.]+\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function isHostName(name: string): boolean {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  return bare.length > 0 && bare.length <= 253 && bare.split('.').every((label) => LABEL.test(label));
}

/** The first fault of `endpoint` as `host[:port]`, or undefined when it has none. */
export function endpointFault(endpoint: string): EndpointFault | undefined {
  const m = SHAPE.exec(endpoint);
  if (!m) return { kind: 'shape' };
  const [, name, port] = m;
  if (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65_535)) return { kind: 'port', port };
  if (name !== undefined && !isHostName(name)) return { kind: 'host' };
  return undefined;
}
