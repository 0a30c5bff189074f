/**
 * A 32-bit hash of a campaign row's message: its params (the signature and template are the
 * campaign's). A campaign keeps it for each number, beside the number in its de-duplication set
 * (phone-set.ts), to tell a repeated row (the same message: dropped as a duplicate) from a row that
 * gives the number another message (refused with its line), without keeping the params themselves.
 *
 * Two different messages to one number hash alike once in 2^32 pairs; the later row is then dropped
 * as a duplicate, as every such row was before.
 */

/** The hash of the message of `params` (undefined: none), the same whatever the order of their keys. */
export function messageHash(params: Readonly<Record<string, string>> | undefined): number {
  let h = 0x811c9dc5;
  if (params !== undefined) {
    const keys = Object.keys(params);
    if (keys.length > 1) keys.sort();
    for (const key of keys) {
      h = mix(h, key);
      // A separator no key or value holds in its place: {a: "bc"} and {ab: "c"} hash apart.
      h = Math.imul(h ^ 0x10000, 0x01000193);
      h = mix(h, params[key] as string);
      h = Math.imul(h ^ 0x10001, 0x01000193);
    }
  }
  // murmur3's finaliser: FNV-1a alone leaves its last characters in the low bits.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of `text`. */
function mix(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}
