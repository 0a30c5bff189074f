/**
 * Valkey 8 (Debian's bookworm-backports; .ci/run installs it) speaks the Redis 7.2 protocol,
 * WAITAOF included, which Debian's Redis 7.0 lacks: the `waitaof` durability mode is tested on it.
 * Without it those tests are skipped locally but run, and fail, under CI=true.
 */
import { execFileSync } from 'node:child_process';
import { inCi } from './ci.js';

export const VALKEY = 'valkey-server';

function onPath(binary: string): boolean {
  try {
    execFileSync(binary, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const haveValkey = onPath(VALKEY);
/** Run the WAITAOF tests: Valkey is here, or CI must prove it is. */
export const runWaitaofTests = haveValkey || inCi;
