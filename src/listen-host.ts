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
