/**
 * Whether `work` finishes within `ms`: true once it resolves, false when `ms` pass first (it goes
 * on; the caller decides what to cut), and its rejection if it fails first. The timer is cleared
 * either way. What every close with a grace period waits with (the worker, the producer, the server).
 */
export async function finishedWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
