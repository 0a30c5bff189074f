/**
 * Recipient records: one per accepted number, indexed by number for QuerySendDetails, bounded in
 * total and per number (oldest first out). Records that leave are folded into per-day counters so
 * QuerySendStatistics still counts them.
 */
import { cstDayIndex } from './cst-time.js';
import { DELIVERED } from './delivery.js';

export interface StoredRecipient {
  /** Normalized number. */
  phone: string;
  mainland: boolean;
  bizId: string;
  outId: string;
  signName: string;
  templateCode: string;
  templateType: number;
  content: string;
  smsSize: number;
  acceptedAt: number;
  /** When the receipt arrives (clock ms). */
  dueAt: number;
  /** `DELIVERED` or the failure code the receipt will carry. */
  finalCode: string;
  /** Set when the record left the store. */
  dropped: boolean;
}

/** Statistics of records that left the store, by CST day, IsGlobe, signature and template type. */
export interface EvictedCounts {
  day: number;
  globe: 1 | 2;
  signName: string;
  templateType: number;
  total: number;
  success: number;
  fail: number;
}

export class RecipientStore {
  private queue: StoredRecipient[] = [];
  private head = 0;
  private live = 0;
  private readonly byPhone = new Map<string, StoredRecipient[]>();
  private readonly evicted = new Map<string, EvictedCounts>();

  constructor(
    private readonly maxRecords = 500_000,
    private readonly maxPerNumber = 200,
  ) {}

  add(record: StoredRecipient): void {
    this.queue.push(record);
    this.live++;
    let list = this.byPhone.get(record.phone);
    if (!list) {
      list = [];
      this.byPhone.set(record.phone, list);
    }
    list.push(record);
    if (list.length > this.maxPerNumber) this.drop(list.shift() as StoredRecipient);
    while (this.live > this.maxRecords) this.evictOldest();
    this.compact();
  }

  /** Records of one number, oldest first. */
  forPhone(phone: string): readonly StoredRecipient[] {
    return this.byPhone.get(phone) ?? [];
  }

  /** Every retained record, oldest first. */
  *all(): IterableIterator<StoredRecipient> {
    for (let i = this.head; i < this.queue.length; i++) {
      const r = this.queue[i] as StoredRecipient;
      if (!r.dropped) yield r;
    }
  }

  evictedCounts(): IterableIterator<EvictedCounts> {
    return this.evicted.values();
  }

  size(): number {
    return this.live;
  }

  clear(): void {
    this.queue = [];
    this.head = 0;
    this.live = 0;
    this.byPhone.clear();
    this.evicted.clear();
  }

  private evictOldest(): void {
    while (this.head < this.queue.length) {
      const r = this.queue[this.head++] as StoredRecipient;
      if (r.dropped) continue;
      const list = this.byPhone.get(r.phone);
      if (list) {
        const i = list.indexOf(r);
        if (i !== -1) list.splice(i, 1);
        if (list.length === 0) this.byPhone.delete(r.phone);
      }
      this.drop(r);
      break;
    }
  }

  /**
   * Drops the consumed prefix and records already dropped per number once they outnumber the live
   * ones, so the queue stays within a constant factor of the retained records (amortized O(1)).
   */
  private compact(): void {
    if (this.queue.length - this.head <= 2 * this.live + 4096) return;
    const kept: StoredRecipient[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const r = this.queue[i] as StoredRecipient;
      if (!r.dropped) kept.push(r);
    }
    this.queue = kept;
    this.head = 0;
  }

  private drop(r: StoredRecipient): void {
    r.dropped = true;
    this.live--;
    const day = cstDayIndex(r.acceptedAt);
    const globe: 1 | 2 = r.mainland ? 1 : 2;
    const key = `${day}|${globe}|${r.templateType}|${r.signName}`;
    let c = this.evicted.get(key);
    if (!c) {
      c = { day, globe, signName: r.signName, templateType: r.templateType, total: 0, success: 0, fail: 0 };
      this.evicted.set(key, c);
    }
    c.total++;
    if (r.finalCode === DELIVERED) c.success++;
    else c.fail++;
  }
}
