/**
 * Per-number flow control for mainland numbers (`isv.BUSINESS_LIMIT_CONTROL`). Windows are fixed and
 * aligned to the clock in China Standard Time (minutes and hours align the same in any whole-hour
 * zone; days start at 00:00 UTC+8):
 * - verification templates, one signature to one number: 1 per minute, 5 per hour, 10 per day;
 * - verification codes to one number across signatures: 40 per day;
 * - other templates, same signature and template to one number: 50 per day.
 * Only accepted sends count. A call is checked as a whole (duplicates inside it count too) and then
 * committed, so a refused call changes nothing.
 */
import { cstDayIndex } from './cst-time.js';

export interface FlowLimits {
  verificationPerMinute: number;
  verificationPerHour: number;
  verificationPerDay: number;
  verificationPerNumberPerDay: number;
  otherPerDay: number;
}

export const DEFAULT_FLOW_LIMITS: Readonly<FlowLimits> = Object.freeze({
  verificationPerMinute: 1,
  verificationPerHour: 5,
  verificationPerDay: 10,
  verificationPerNumberPerDay: 40,
  otherPerDay: 50,
});

/** One number of a call. */
export interface FlowItem {
  /** Normalized number. */
  phone: string;
  mainland: boolean;
  signName: string;
}

/** What the call sends: the template, and whether it is a verification template (TemplateType 0). */
export interface FlowTemplate {
  templateCode: string;
  verification: boolean;
}

export interface FlowViolation {
  phone: string;
  /** Alibaba's wording, e.g. `触发分钟级流控Permits:1`. */
  message: string;
}

interface SignWindows {
  minute: number;
  minuteCount: number;
  hour: number;
  hourCount: number;
  day: number;
  dayCount: number;
}

interface DayCounter {
  day: number;
  count: number;
}

const SEP = '\u0001';

export class FlowControl {
  private readonly verifySign = new Map<string, SignWindows>();
  private readonly verifyNumber = new Map<string, DayCounter>();
  private readonly other = new Map<string, DayCounter>();
  private prunedDay = -1;

  constructor(
    private readonly limits: FlowLimits = DEFAULT_FLOW_LIMITS,
    /** Entries kept per counter map; the oldest inserted is evicted beyond (it then counts from 0). */
    private readonly maxKeys = 1_000_000,
  ) {}

  /** The first limit the call would exceed, or `undefined` when every number is within its limits. */
  check(items: readonly FlowItem[], template: FlowTemplate, now: number): FlowViolation | undefined {
    const minute = Math.floor(now / 60_000);
    const hour = Math.floor(now / 3_600_000);
    const day = cstDayIndex(now);
    const L = this.limits;
    // Counts this call itself adds before the current item, for numbers named more than once.
    const pending = items.length > 1 ? new Map<string, number>() : undefined;
    const bump = (key: string): number => {
      if (!pending) return 0;
      const n = pending.get(key) ?? 0;
      pending.set(key, n + 1);
      return n;
    };
    for (const item of items) {
      if (!item.mainland) continue;
      if (template.verification) {
        const signKey = item.signName + SEP + item.phone;
        const extra = bump(signKey);
        const w = this.verifySign.get(signKey);
        const inMinute = (w && w.minute === minute ? w.minuteCount : 0) + extra;
        const inHour = (w && w.hour === hour ? w.hourCount : 0) + extra;
        const inDay = (w && w.day === day ? w.dayCount : 0) + extra;
        if (inMinute >= L.verificationPerMinute) return violation(item.phone, '分钟', L.verificationPerMinute);
        if (inHour >= L.verificationPerHour) return violation(item.phone, '小时', L.verificationPerHour);
        if (inDay >= L.verificationPerDay) return violation(item.phone, '天', L.verificationPerDay);
        const n = this.verifyNumber.get(item.phone);
        const numberDay = (n && n.day === day ? n.count : 0) + bump(SEP + item.phone);
        if (numberDay >= L.verificationPerNumberPerDay) return violation(item.phone, '天', L.verificationPerNumberPerDay);
      } else {
        const key = item.signName + SEP + template.templateCode + SEP + item.phone;
        const c = this.other.get(key);
        const inDay = (c && c.day === day ? c.count : 0) + bump(key);
        if (inDay >= L.otherPerDay) return violation(item.phone, '天', L.otherPerDay);
      }
    }
    return undefined;
  }

  /** Counts an accepted call. */
  commit(items: readonly FlowItem[], template: FlowTemplate, now: number): void {
    const minute = Math.floor(now / 60_000);
    const hour = Math.floor(now / 3_600_000);
    const day = cstDayIndex(now);
    if (day !== this.prunedDay) this.pruneBefore(day);
    for (const item of items) {
      if (!item.mainland) continue;
      if (template.verification) {
        const signKey = item.signName + SEP + item.phone;
        let w = this.verifySign.get(signKey);
        if (!w) {
          w = { minute, minuteCount: 0, hour, hourCount: 0, day, dayCount: 0 };
          this.insert(this.verifySign, signKey, w);
        }
        if (w.minute !== minute) {
          w.minute = minute;
          w.minuteCount = 0;
        }
        if (w.hour !== hour) {
          w.hour = hour;
          w.hourCount = 0;
        }
        if (w.day !== day) {
          w.day = day;
          w.dayCount = 0;
        }
        w.minuteCount++;
        w.hourCount++;
        w.dayCount++;
        this.countDay(this.verifyNumber, item.phone, day);
      } else {
        this.countDay(this.other, item.signName + SEP + template.templateCode + SEP + item.phone, day);
      }
    }
  }

  reset(): void {
    this.verifySign.clear();
    this.verifyNumber.clear();
    this.other.clear();
    this.prunedDay = -1;
  }

  /** Entries held, for tests of the memory bound. */
  size(): number {
    return this.verifySign.size + this.verifyNumber.size + this.other.size;
  }

  private countDay(map: Map<string, DayCounter>, key: string, day: number): void {
    const c = map.get(key);
    if (!c) {
      this.insert(map, key, { day, count: 1 });
    } else if (c.day !== day) {
      c.day = day;
      c.count = 1;
    } else {
      c.count++;
    }
  }

  private insert<V>(map: Map<string, V>, key: string, value: V): void {
    if (map.size >= this.maxKeys) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
    map.set(key, value);
  }

  /** Drops counters of past days once per day, so memory follows the day's distinct numbers. */
  private pruneBefore(day: number): void {
    this.prunedDay = day;
    for (const [k, w] of this.verifySign) if (w.day < day) this.verifySign.delete(k);
    for (const [k, c] of this.verifyNumber) if (c.day < day) this.verifyNumber.delete(k);
    for (const [k, c] of this.other) if (c.day < day) this.other.delete(k);
  }
}

function violation(phone: string, unit: '分钟' | '小时' | '天', permits: number): FlowViolation {
  return { phone, message: `触发${unit}级流控Permits:${permits}` };
}
