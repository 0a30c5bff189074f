/**
 * The last of a run of numbered things made one after another (a send's chunks `0..n-1`, the looks
 * of a look-up chain `1..k`): from one known to exist, doubling until one does not, then halving
 * between the two. Round trips grow with the log of the run's length, not with the length.
 */
export async function lastOfRun(exists: (i: number) => Promise<boolean>, known: number): Promise<number> {
  let low = known; // exists
  let high = Math.max(1, known * 2);
  while (await exists(high)) {
    low = high;
    high *= 2;
  }
  // low exists, high does not
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (await exists(mid)) low = mid;
    else high = mid;
  }
  return low;
}
