/**
 * Injected faults: an ordered list of rules; the first rule matching a call's action and numbers
 * applies and uses up one of its `times`.
 */
import { normalizePhone } from './phone.js';
import type { FaultRule } from './types.js';

const DEFAULT_ACTIONS: readonly string[] = ['SendSms', 'SendBatchSms'];

interface ActiveFault {
  rule: FaultRule;
  actions: readonly string[];
  phones: Set<string> | undefined;
  remaining: number;
}

export class FaultSet {
  private rules: ActiveFault[] = [];

  set(rules: readonly FaultRule[]): void {
    this.rules = rules.map((r) => this.activate(r));
  }

  add(rule: FaultRule): void {
    this.rules.push(this.activate(rule));
  }

  clear(): void {
    this.rules = [];
  }

  /** Rules still active, with what is left of their `times`. */
  list(): FaultRule[] {
    return this.rules.map((f) => ({ ...f.rule, times: f.remaining }));
  }

  /** The rule that applies to this call, consumed; `undefined` when none does. */
  take(action: string, phones: readonly string[]): FaultRule | undefined {
    if (this.rules.length === 0) return undefined;
    for (let i = 0; i < this.rules.length; i++) {
      const f = this.rules[i] as ActiveFault;
      if (!f.actions.includes(action)) continue;
      if (f.phones && !phones.some((p) => (f.phones as Set<string>).has(normalizePhone(p)))) continue;
      f.remaining--;
      if (f.remaining <= 0) this.rules.splice(i, 1);
      return f.rule;
    }
    return undefined;
  }

  private activate(rule: FaultRule): ActiveFault {
    const times = rule.times ?? 1;
    if (!(times > 0)) throw new RangeError(`fault times must be positive (or Infinity), got ${times}`);
    return {
      rule: { ...rule },
      actions: rule.actions ?? DEFAULT_ACTIONS,
      phones: rule.phones ? new Set(rule.phones.map(normalizePhone)) : undefined,
      remaining: times,
    };
  }
}
