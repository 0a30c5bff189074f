import type { ReceiptPolicies } from '../../src/queue/receipt-policy.js';

/** Every kind's receipts looked up (`all`, every recipient) or none (`none`): the two policies tests set. */
export function everyKind(mode: 'all' | 'none'): ReceiptPolicies {
  const policy = mode === 'all' ? { mode, sampleRate: 1 } : { mode, sampleRate: 0 };
  return { verification: policy, notification: policy, marketing: policy };
}
