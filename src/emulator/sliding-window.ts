/**
 * The account cap: at most `limit` admissions in any sliding window of `windowMs` (clock ms).
 *
 * A ring of the last `limit` admission times: a new call is admitted when fewer than `limit` calls
 * were admitted, or when the call `limit` admissions ago is at least `windowMs` old. That is exact at
 * millisecond resolution, O(1) per call, and needs `limit` numbers of memory. Refused calls are not
 * recorded, so a client that hammers a full window gets in again as soon as the window slides.
 */
export class SlidingWindowLimiter {
  private ring: Float64Array;
  private head = 0;
  private size = 0;

  constructor(
    private limit: number,
    private readonly windowMs = 1000,
  ) {
    this.ring = new Float64Array(Math.max(1, limit));
  }

  /** Admits the call at `now` if the window has room. A limit of 0 admits everything. */
  tryAcquire(now: number): boolean {
    if (this.limit <= 0) return true;
    if (this.size < this.limit) {
      this.ring[(this.head + this.size) % this.limit] = now;
      this.size++;
      return true;
    }
    const oldest = this.ring[this.head] as number;
    if (now - oldest < this.windowMs) return false;
    this.ring[this.head] = now;
    this.head = (this.head + 1) % this.limit;
    return true;
  }

  /** Milliseconds until a call would be admitted (0 when one would be now). */
  retryAfterMs(now: number): number {
    if (this.limit <= 0 || this.size < this.limit) return 0;
    return Math.max(0, (this.ring[this.head] as number) + this.windowMs - now);
  }

  /** Changes the limit; forgets the admissions so far. */
  setLimit(limit: number): void {
    this.limit = limit;
    this.ring = new Float64Array(Math.max(1, limit));
    this.reset();
  }

  reset(): void {
    this.head = 0;
    this.size = 0;
  }
}
