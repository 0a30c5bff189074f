/**
 * What a server may be told to listen on: an IP address or a host name. Checked up front, so that a
 * typo is said as the flag's (or the variable's) fault before anything opens; `999.1.1.1` looks
 * like a name to a lax pattern, and then failed as a DNS look-up.
 */
import { isIP } from 'node:net';

const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** True for an IPv4 or IPv6 address, or a host name made of valid DNS labels that is not all digits. */
export function isListenHost(value: string): boolean {
  if (isIP(value) !== 0) return true;
  // Dotted digits are meant as an IPv4 address; isIP has refused them.
  if (/^[\d.]+$/.test(value) || value.length > 253) return false;
  return value.replace(/\.$/, '').split('.').every((label) => LABEL.test(label));
}

/**
 * True for an address that binds every interface: `0.0.0.0` (every IPv4 one) or `::` (every one;
 * IPv4 too unless the socket is IPv6-only). A server bound there is not at that address: a client
 * on this machine reaches it on loopback, others on the machine's own addresses.
 */
export function isEveryInterface(address: string): boolean {
  return address === '0.0.0.0' || (isIP(address) === 6 && /^[0:]+$/.test(address));
}

/**
 * The host part of a URL (or an `SMS_ENDPOINT`) that reaches, from this machine, a server bound to
 * `address`: loopback of the same family for every interface, an IPv6 address in brackets.
 */
export function localUrlHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (isEveryInterface(address)) return '[::1]';
  return isIP(address) === 6 ? `[${address}]` : address;
}
