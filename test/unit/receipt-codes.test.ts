import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FAILURE_CODES } from '../../src/emulator/delivery.js';
import { RECEIPT_CODES, RECEIPT_CODES_DOC } from '../../src/sms/receipt-codes.js';

/** The codes of the table under docs/errors.md's "Delivery-receipt (carrier) codes". */
function documentedCodes(): string[] {
  const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const at = text.indexOf('\n## Delivery-receipt (carrier) codes\n');
  expect(at, 'docs/errors.md has the section the campaigns page points at').toBeGreaterThan(0);
  const section = text.slice(at + 1).split('\n## ')[0] as string;
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] as string);
}

describe('delivery-receipt (carrier) codes', () => {
  it('docs/errors.md lists the codes the page explains, the emulator\'s default failure codes among them (the page pointed at a page that had none)', () => {
    expect(documentedCodes()).toEqual(Object.keys(RECEIPT_CODES));
    for (const code of DEFAULT_FAILURE_CODES) expect(RECEIPT_CODES[code], code).toBeDefined();
    expect(RECEIPT_CODES_DOC).toBe('docs/errors.md#delivery-receipt-carrier-codes');
  });
});
