/**
 * A parked job re-reads its send after parking and wakes itself when `claimParks` says the claim
 * would not park it (send-processor.ts case 'paused'). Were the two to disagree, a job would either
 * sleep through a resume until its park ends (claimParks says park, the claim would send) or be
 * woken and parked again in a loop (claimParks says wake, the claim answers paused). So the
 * TypeScript answer is held against claim-6.lua itself, on a real Redis, for every send state
 * the claim reads and every control, each one missing too.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.js';
import { chunkIdOf, createChunkStore, type ChunkStore } from '../../src/queue/chunk-store.js';
import { createKeys, type Keys } from '../../src/queue/keys.js';
import { claimParks } from '../../workers/send-processor.js';
import { createTestConnection, deleteKeys, uniquePrefix } from '../support/redis.js';

const STATES = ['active', 'paused', 'sent', 'failed', 'cancelled', null] as const;
const CONTROLS = ['active', 'paused', 'cancelled', null] as const;

let redis: Redis;
let keys: Keys;
let chunks: ChunkStore;

beforeAll(() => {
  redis = createTestConnection();
  keys = createKeys(uniquePrefix('claim-parks'));
  chunks = createChunkStore({ redis, keys, clock: createManualClock() });
});

afterAll(async () => {
  await deleteKeys(redis, keys.prefix);
  redis.disconnect();
});

/** What claim-6.lua answers for a queued chunk of a send whose hash holds this state and control (null: the field absent). */
async function claimOf(sendId: string, state: string | null, control: string | null): Promise<string> {
  await chunks.create([{ sendId, index: '0', kind: 'notification', payload: { api: 'SendSms', phones: ['13500000000'], signName: 's', templateCode: 'T' } }], 3600);
  const fields: string[] = [];
  if (state !== null) fields.push('state', state);
  if (control !== null) fields.push('control', control);
  // A field of neither, so that a hash with neither state nor control still exists as a record without a state.
  await redis.hset(keys.send(sendId), 'createdAt', '1', ...fields);
  return (await chunks.claim(chunkIdOf(sendId, '0'), sendId)).type;
}

describe('claimParks', () => {
  it('answers paused exactly where claim-6.lua does, for every send state and control (each also missing)', async () => {
    const rows: { state: string | null; control: string | null; claim: string; parks: boolean }[] = [];
    for (const [i, state] of STATES.entries()) {
      for (const [j, control] of CONTROLS.entries()) {
        const claim = await claimOf(`s${i}x${j}`, state, control);
        rows.push({ state, control, claim, parks: claimParks(state, control) });
      }
    }
    expect(rows.map((r) => ({ ...r, parks: r.claim === 'paused' }))).toEqual(rows);
    // The table is not all one answer: both sides of the line are held.
    expect(rows.filter((r) => r.parks).length).toBeGreaterThan(0);
    expect(rows.filter((r) => !r.parks).length).toBeGreaterThan(0);
  });
});
