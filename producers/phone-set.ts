/**
 * A set of phone numbers that never reallocates what it holds, to drop duplicates from campaigns
 * of millions of recipients. Normalised numbers have at most 15 digits, so each fits a float64
 * exactly. They live in pages of open addressing found through a directory by the top bits of a
 * hash (extendible hashing): a full page splits in two by one more bit of the hash, and only the
 * directory is ever copied to grow. A single table doubling as it fills would cost more memory:
 * its old tables stay allocated until a full garbage collection, and it is emptier on average;
 * as the hash spreads numbers evenly, pages fill and split at about the same time. The sizes are in
 * docs/benchmarks.md, "Figures behind the code".
 */

import { phoneValue } from '../src/sms/phone-value.js';

const PAGE_BITS = 12;
const PAGE_SLOTS = 1 << PAGE_BITS;
const SLOT_MASK = PAGE_SLOTS - 1;
/** Entries in a page before it splits: 80% load keeps linear probes short. */
const PAGE_LIMIT = Math.floor(PAGE_SLOTS * 0.8);
/** Directory bits: the top bits of the hash, disjoint from the slot bits at the bottom. */
const MAX_DEPTH = 32 - PAGE_BITS;
const TWO_32 = 0x1_0000_0000;

class Page {
  readonly slots = new Float64Array(PAGE_SLOTS);
  count = 0;
  constructor(public depth: number) {}
}

/** A 32-bit hash of an integer below 2^53 (murmur3's finaliser over both halves). */
function hashOf(v: number): number {
  const lo = v % TWO_32;
  let h = lo ^ Math.imul((v - lo) / TWO_32, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class PhoneSet {
  /** 2^depth entries; a page of local depth L is referenced by 2^(depth − L) consecutive ones. */
  private directory: Page[] = [new Page(0)];
  private depth = 0;
  private count = 0;
  private pages = 1;
  /** Where a page's entries wait while it splits. */
  private readonly scratch = new Float64Array(PAGE_SLOTS);
  /**
   * Strings that are not 1–15 digits without a leading zero (none, in practice), and numbers whose
   * page is full and cannot split (only if thousands of numbers share one 32-bit hash).
   */
  private readonly others = new Set<string>();

  get size(): number {
    return this.count + this.others.size;
  }

  /** Memory held by the pages and the directory, in bytes. */
  get bytes(): number {
    return this.pages * PAGE_SLOTS * 8 + this.directory.length * 8;
  }

  /** Adds a normalised number; returns false when it was already there. */
  add(phone: string): boolean {
    const v = phoneValue(phone);
    if (v === 0) return this.addOther(phone);
    const h = hashOf(v);
    for (;;) {
      const page = this.directory[this.depth === 0 ? 0 : h >>> (32 - this.depth)] as Page;
      const slots = page.slots;
      let i = h & SLOT_MASK;
      let cur = slots[i] as number;
      while (cur !== 0) {
        if (cur === v) return false;
        i = (i + 1) & SLOT_MASK;
        cur = slots[i] as number;
      }
      if (page.count < PAGE_LIMIT) {
        slots[i] = v;
        page.count++;
        this.count++;
        return true;
      }
      if (page.depth === MAX_DEPTH) return this.addOther(phone);
      this.split(page, h);
    }
  }

  private addOther(phone: string): boolean {
    if (this.others.has(phone)) return false;
    this.others.add(phone);
    return true;
  }

  /** Splits `page` (which `h` hashes to) by the next bit of the hash. */
  private split(page: Page, h: number): void {
    if (page.depth === this.depth) {
      const doubled: Page[] = new Array<Page>(this.directory.length * 2);
      for (let i = 0; i < doubled.length; i++) doubled[i] = this.directory[i >> 1] as Page;
      this.directory = doubled;
      this.depth++;
    }
    const bit = 31 - page.depth;
    page.depth++;
    const upper = new Page(page.depth);
    this.pages++;
    // The directory entries of `page` are one run; its upper half now refers to the new page.
    const run = 1 << (this.depth - page.depth + 1);
    const first = ((h >>> (32 - this.depth)) & ~(run - 1)) + run / 2;
    for (let i = first; i < first + run / 2; i++) this.directory[i] = upper;

    const scratch = this.scratch;
    scratch.set(page.slots);
    page.slots.fill(0);
    page.count = 0;
    for (let k = 0; k < PAGE_SLOTS; k++) {
      const v = scratch[k] as number;
      if (v === 0) continue;
      const hv = hashOf(v);
      const to = (hv >>> bit) & 1 ? upper : page;
      let i = hv & SLOT_MASK;
      while (to.slots[i] !== 0) i = (i + 1) & SLOT_MASK;
      to.slots[i] = v;
      to.count++;
    }
  }
}
