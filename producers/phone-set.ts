/**
 * A set of phone numbers in a third of a `Set`'s memory: normalised numbers have at most 15 digits,
 * so each fits a float64 exactly and lives in an open-addressing table (8 bytes a slot, half full
 * at most) instead of a heap number plus a hash-table entry (~40 bytes). Used to drop duplicates
 * from campaigns of millions of recipients.
 */
export class PhoneSet {
  private table = new Float64Array(1 << 16);
  private mask = (1 << 16) - 1;
  private count = 0;
  /** Numbers that do not fit 15 digits (none, in practice) fall back to a plain Set. */
  private readonly long = new Set<string>();

  get size(): number {
    return this.count + this.long.size;
  }

  /** Adds a normalised number; returns false when it was already there. */
  add(phone: string): boolean {
    if (phone.length > 15 || !/^\d+$/.test(phone)) {
      if (this.long.has(phone)) return false;
      this.long.add(phone);
      return true;
    }
    const v = Number(phone);
    if (v === 0) return this.addLong(phone);
    if ((this.count + 1) * 2 > this.table.length) this.grow();
    return this.insert(v);
  }

  private addLong(phone: string): boolean {
    if (this.long.has(phone)) return false;
    this.long.add(phone);
    return true;
  }

  private slotOf(v: number): number {
    // Mix the low and high 32 bits; numbers in a campaign are often consecutive.
    const lo = v % 0x1_0000_0000;
    const hi = Math.floor(v / 0x1_0000_0000);
    return (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 0) & this.mask;
  }

  private insert(v: number): boolean {
    let i = this.slotOf(v);
    for (;;) {
      const cur = this.table[i] as number;
      if (cur === 0) {
        this.table[i] = v;
        this.count++;
        return true;
      }
      if (cur === v) return false;
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2);
    this.mask = this.table.length - 1;
    this.count = 0;
    for (const v of old) if (v !== 0) this.insert(v);
  }
}
