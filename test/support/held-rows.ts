import type { CampaignRecipient } from '../../producers/schemas.js';

/**
 * A campaign's source that hands over `first`, then holds until `letGo()` before the `rest`: its
 * request is still enqueuing meanwhile, holding its idempotency key. `reading` resolves once a
 * source has handed `first` over.
 */
export function heldRows(first: readonly CampaignRecipient[], rest: readonly CampaignRecipient[] = []): { rows: () => AsyncGenerator<CampaignRecipient>; reading: Promise<void>; letGo: () => void } {
  let letGo: () => void = () => {};
  const held = new Promise<void>((r) => (letGo = r));
  let started: () => void = () => {};
  const reading = new Promise<void>((r) => (started = r));
  async function* rows() {
    yield* first;
    started();
    await held;
    yield* rest;
  }
  return { rows, reading, letGo };
}
