/**
 * Runs `task(0)` … `task(count - 1)` over `lanes` loops at once, each loop taking the next index
 * as soon as its previous task is done (a fixed number in flight, like a worker's concurrency).
 */
export async function runLanes(count: number, lanes: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}
