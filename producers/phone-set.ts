/**
 * A set of phone numbers that never reallocates what it holds, to drop duplicates from campaigns
 * of millions of recipients. Normalised numbers have at most 15 digits, so each is an exact
 * integer (phone-value.ts). They live in pages of open addressing found through a directory by the
 * top bits of a hash (extendible hashing): a full page splits in two by one more bit of the hash,
 * and only the directory is ever copied to grow. A single table doubling as it fills would cost
 * more memory: its old tables stay allocated until a full garbage collection, and it is emptier on
 * average; as the hash spreads numbers evenly, pages fill and split at about the same time.
 *
 * Numbers below 2^35 (every mainland mobile number, 11 digits from 13000000000) take 4 bytes a
 * slot, the others 8. For the former the hash is a permutation of the 35-bit values: a page holds
 * only hashes that share its first 4 bits or more, so it keeps the 31 bits below them, from which
 * the number is found again. The sizes are in docs/benchmarks.md, "Figures behind the code".
 *
 * A campaign whose rows carry params of their own asks the set to keep, beside each number, two
 * 32-bit values of its first row (a hash of its message and where it was: {@link PhoneSet.keepValues}),
 * to tell a repeat of that message from a different one. They take 8 bytes a slot, in arrays
 * allocated with each page: a set that is never asked for them costs nothing more.
 */

import { phoneValue } from '../src/sms/phone-value.js';

const PAGE_BITS = 12;
const PAGE_SLOTS = 1 << PAGE_BITS;
const SLOT_MASK = PAGE_SLOTS - 1;
/** Entries in a page before it splits: 80% load keeps linear probes short. */
const PAGE_LIMIT = Math.floor(PAGE_SLOTS * 0.8);
/** Deepest a page splits: the directory (2^20 references at most) reads the top 20 bits of a hash, disjoint from the 12 slot bits at the bottom. */
const MAX_DEPTH = 32 - PAGE_BITS;
const TWO_32 = 0x1_0000_0000;

/** Numbers below this are kept in 4 bytes (narrow pages). */
export const NARROW_LIMIT = 2 ** 35;
const LO_BITS = 18;
const LO = 1 << LO_BITS;
const LO_MASK = LO - 1;
const HI_MASK = (1 << 17) - 1;
/** Hash bits a narrow page implies rather than stores: its local depth is never below this. */
const NARROW_IMPLIED_BITS = 4;

/**
 * A page of slots (0: empty) and the number of hash bits its entries share; with values, the two
 * of slot `i` at `2i` and `2i + 1`.
 */
class Page<S extends Uint32Array | Float64Array> {
  count = 0;
  constructor(
    readonly slots: S,
    public depth: number,
    public values: Uint32Array | undefined,
  ) {}
}

const newValues = () => new Uint32Array(PAGE_SLOTS * 2);

/**
 * How a kind of page stores its entries. An entry is a nonzero number `k` in a slot; the directory
 * reads the top bits of a 32-bit hash of it (`dirHash`), its probe starts at `home`.
 */
interface PageKind<S extends Uint32Array | Float64Array> {
  newSlots(): S;
  /** The 32-bit hash whose top bits place `k`; only the bits below a page's local depth are read when it splits. */
  dirHash(k: number): number;
  home(k: number): number;
  /** Local depth of the first pages. */
  minDepth: number;
  slotBytes: number;
}

/**
 * Extendible hashing over pages of one kind. `insert` takes an entry with its hash already
 * computed (the caller's hot path); `split` recomputes only what it needs from the stored entries.
 */
class PagedTable<S extends Uint32Array | Float64Array> {
  /** 2^depth entries; a page of local depth L is referenced by 2^(depth − L) consecutive ones. */
  private directory: Page<S>[];
  private depth: number;
  pages: number;
  count = 0;
  /** Where a page's entries wait while it splits. */
  private readonly scratch: S;
  /** Where a page's values wait while it splits, once values are kept. */
  private scratchValues: Uint32Array | undefined;
  /** The values of the entry `insert` last found there. */
  found0 = 0;
  found1 = 0;

  constructor(private readonly kind: PageKind<S>) {
    this.depth = kind.minDepth;
    this.pages = 1 << kind.minDepth;
    this.directory = Array.from({ length: this.pages }, () => new Page(kind.newSlots(), kind.minDepth, undefined));
    this.scratch = kind.newSlots();
  }

  get bytes(): number {
    const valueBytes = this.scratchValues === undefined ? 0 : 8;
    return this.pages * PAGE_SLOTS * (this.kind.slotBytes + valueBytes) + this.directory.length * 8;
  }

  /** From now on each entry keeps two values; those already in take `v0` and `v1`. */
  keepValues(v0: number, v1: number): void {
    if (this.scratchValues !== undefined) return;
    this.scratchValues = newValues();
    for (const page of new Set(this.directory)) {
      const values = (page.values = newValues());
      for (let i = 0; i < PAGE_SLOTS; i++) {
        if (page.slots[i] === 0) continue;
        values[2 * i] = v0;
        values[2 * i + 1] = v1;
      }
    }
  }

  /**
   * Adds entry `k` (nonzero) of hash `h` and home slot `home`, with values `v0` and `v1` when they
   * are kept: true when new, false when there (its values then in `found0`, `found1`), undefined
   * when its page is full and cannot split.
   */
  insert(k: number, h: number, home: number, v0: number, v1: number): boolean | undefined {
    for (;;) {
      const page = this.directory[this.depth === 0 ? 0 : h >>> (32 - this.depth)] as Page<S>;
      const slots = page.slots;
      let i = home;
      let cur = slots[i] as number;
      while (cur !== 0) {
        if (cur === k) {
          if (page.values !== undefined) {
            this.found0 = page.values[2 * i] as number;
            this.found1 = page.values[2 * i + 1] as number;
          }
          return false;
        }
        i = (i + 1) & SLOT_MASK;
        cur = slots[i] as number;
      }
      if (page.count < PAGE_LIMIT) {
        slots[i] = k;
        if (page.values !== undefined) {
          page.values[2 * i] = v0;
          page.values[2 * i + 1] = v1;
        }
        page.count++;
        this.count++;
        return true;
      }
      if (page.depth === MAX_DEPTH) return undefined;
      this.split(page, h);
    }
  }

  /** Splits `page` (which `h` hashes to) by the next bit of the hash. */
  private split(page: Page<S>, h: number): void {
    if (page.depth === this.depth) {
      const doubled: Page<S>[] = new Array<Page<S>>(this.directory.length * 2);
      for (let i = 0; i < doubled.length; i++) doubled[i] = this.directory[i >> 1] as Page<S>;
      this.directory = doubled;
      this.depth++;
    }
    const bit = 31 - page.depth;
    page.depth++;
    const upper = new Page(this.kind.newSlots(), page.depth, page.values === undefined ? undefined : newValues());
    this.pages++;
    // The directory entries of `page` are one run; its upper half now refers to the new page.
    const run = 1 << (this.depth - page.depth + 1);
    const first = ((h >>> (32 - this.depth)) & ~(run - 1)) + run / 2;
    for (let i = first; i < first + run / 2; i++) this.directory[i] = upper;

    const scratch = this.scratch;
    scratch.set(page.slots);
    page.slots.fill(0);
    page.count = 0;
    const values = page.values === undefined ? undefined : (this.scratchValues as Uint32Array);
    if (values !== undefined) values.set(page.values as Uint32Array);
    for (let s = 0; s < PAGE_SLOTS; s++) {
      const k = scratch[s] as number;
      if (k === 0) continue;
      const to = (this.kind.dirHash(k) >>> bit) & 1 ? upper : page;
      let i = this.kind.home(k);
      while (to.slots[i] !== 0) i = (i + 1) & SLOT_MASK;
      to.slots[i] = k;
      if (values !== undefined) {
        (to.values as Uint32Array)[2 * i] = values[2 * s] as number;
        (to.values as Uint32Array)[2 * i + 1] = values[2 * s + 1] as number;
      }
      to.count++;
    }
  }
}

/** A 32-bit hash of an integer below 2^53 (murmur3's finaliser over both halves). */
function hashOf(v: number): number {
  const lo = v % TWO_32;
  let h = lo ^ Math.imul((v - lo) / TWO_32, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** One round function of the narrow permutation (a 32-bit mix of `x` keyed by `key`). */
function round(x: number, key: number): number {
  let h = Math.imul(x ^ key, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * A permutation of the integers below 2^35 (three Feistel rounds over their high 17 and low 18
 * bits). Exported for tests, with its inverse.
 */
export function narrowHash(v: number): number {
  return feistel(v, 0x3c6ef372, 0x1b873593, 0x68e31da4);
}

/** The number whose {@link narrowHash} is `h`: the same rounds with their keys in reverse order. */
export function narrowValue(h: number): number {
  return feistel(h, 0x68e31da4, 0x1b873593, 0x3c6ef372);
}

/** Three Feistel rounds (high half, low half, high half) keyed `k1`, `k2`, `k3`. */
function feistel(v: number, k1: number, k2: number, k3: number): number {
  let hi = Math.floor(v / LO);
  let lo = v - hi * LO;
  hi = (hi ^ round(lo, k1)) & HI_MASK;
  lo = (lo ^ round(hi, k2)) & LO_MASK;
  hi = (hi ^ round(lo, k3)) & HI_MASK;
  return hi * LO + lo;
}

/** Narrow entries: the low 31 bits of the 35-bit hash, plus one (0 is an empty slot). */
const NARROW: PageKind<Uint32Array> = {
  newSlots: () => new Uint32Array(PAGE_SLOTS),
  // Bits 30..3 of the hash, where the top 32 bits (34..3) are read: the 4 bits above them are the
  // page's own, so a split (at depth 4 or more) never reads them.
  dirHash: (k) => (k - 1) >>> 3,
  home: (k) => (k - 1) & SLOT_MASK,
  minDepth: NARROW_IMPLIED_BITS,
  slotBytes: 4,
};

/** Wide entries: the number itself. */
const WIDE: PageKind<Float64Array> = {
  newSlots: () => new Float64Array(PAGE_SLOTS),
  dirHash: hashOf,
  home: (k) => hashOf(k) & SLOT_MASK,
  minDepth: 0,
  slotBytes: 8,
};

const NO_VALUES = [0, 0] as const;

export class PhoneSet {
  private narrow: PagedTable<Uint32Array> | undefined;
  private wide: PagedTable<Float64Array> | undefined;
  /**
   * Strings that are not 1–15 digits without a leading zero (none, in practice), and numbers whose
   * page is full and cannot split (only if thousands of numbers share their hash's top bits), with
   * their values once they are kept.
   */
  private readonly others = new Map<string, readonly [number, number]>();
  /** The values numbers added from now on take, and numbers already in, once {@link keepValues} is called. */
  private kept: readonly [number, number] | undefined;
  /**
   * The values of the number {@link add} last found already there (kept values only): read them
   * before the next add.
   */
  earlier0 = 0;
  earlier1 = 0;

  get size(): number {
    return (this.narrow?.count ?? 0) + (this.wide?.count ?? 0) + this.others.size;
  }

  /** Memory held by the pages (their values included) and the directories, in bytes. */
  get bytes(): number {
    return (this.narrow?.bytes ?? 0) + (this.wide?.bytes ?? 0);
  }

  /**
   * From now on each number keeps two 32-bit values (`add`'s `v0`, `v1`: a campaign keeps a hash
   * of its message and where it was); numbers already in take `v0` and `v1` given here. Pages take
   * 8 bytes more a slot.
   */
  keepValues(v0: number, v1: number): void {
    if (this.kept !== undefined) return;
    this.kept = [v0 >>> 0, v1 >>> 0];
    // A table made later keeps values from its start (narrowTable, wideTable).
    this.narrow?.keepValues(v0, v1);
    this.wide?.keepValues(v0, v1);
    for (const phone of this.others.keys()) this.others.set(phone, this.kept);
  }

  /** Whether {@link keepValues} was called. */
  get keepsValues(): boolean {
    return this.kept !== undefined;
  }

  /**
   * Adds a normalised number, with two 32-bit values when they are kept (ignored otherwise);
   * returns false when it was already there, its values then in `earlier0`, `earlier1`.
   */
  add(phone: string, v0 = 0, v1 = 0): boolean {
    const v = phoneValue(phone);
    if (v === 0) return this.addOther(phone, v0, v1);
    let added: boolean | undefined;
    let table: PagedTable<Uint32Array> | PagedTable<Float64Array>;
    if (v < NARROW_LIMIT) {
      const h = narrowHash(v);
      const hi = Math.floor(h / LO);
      const lo = h - hi * LO;
      // The entry keeps bits 30..0 of the hash; the directory reads its top 32 bits (34..3).
      const k = (((hi & 0x1fff) << LO_BITS) | lo) + 1;
      table = this.narrowTable();
      added = table.insert(k, ((hi << 15) | (lo >>> 3)) >>> 0, lo & SLOT_MASK, v0, v1);
    } else {
      const h = hashOf(v);
      table = this.wideTable();
      added = table.insert(v, h, h & SLOT_MASK, v0, v1);
    }
    if (added === false) {
      this.earlier0 = table.found0;
      this.earlier1 = table.found1;
    }
    return added ?? this.addOther(phone, v0, v1);
  }

  private narrowTable(): PagedTable<Uint32Array> {
    if (this.narrow === undefined) {
      this.narrow = new PagedTable(NARROW);
      if (this.kept) this.narrow.keepValues(0, 0);
    }
    return this.narrow;
  }

  private wideTable(): PagedTable<Float64Array> {
    if (this.wide === undefined) {
      this.wide = new PagedTable(WIDE);
      if (this.kept) this.wide.keepValues(0, 0);
    }
    return this.wide;
  }

  private addOther(phone: string, v0: number, v1: number): boolean {
    const there = this.others.get(phone);
    if (there !== undefined) {
      [this.earlier0, this.earlier1] = there;
      return false;
    }
    this.others.set(phone, this.kept ? [v0 >>> 0, v1 >>> 0] : NO_VALUES);
    return true;
  }
}
