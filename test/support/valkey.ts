/**
 * Valkey 8 (Debian's bookworm-backports; .ci/run installs it) speaks the Redis 7.2 protocol,
 * WAITAOF included, which Debian's Redis 7.0 lacks: the `waitaof` durability mode is tested on it.
 * Without it those tests are skipped locally but run, and fail, under CI=true.
 */
import { binaryOnPath } from '../../src/runtime/private-redis.js';
import { inCi } from './ci.js';

export const VALKEY = 'valkey-server';

export const haveValkey = binaryOnPath(VALKEY);
/** Run the WAITAOF tests: Valkey is here, or CI must prove it is. */
export const runWaitaofTests = haveValkey || inCi;
