/** Sub-buckets per power of two of {@link WaitHistogram}: a bucket's middle is within 6.25 % of its values. */
const SUB = 8;
/** Buckets: zero, below 1 µs, then SUB per power of two from 1 µs up to 2^28 µs (about 4.5 minutes, the last). */
const BUCKETS = 2 + 28 * SUB;

/**
 * Acquire waits since instrumenting, for percentiles: a fixed log-bucketed histogram (exact count, sum, max and zero
 * count; other values within 12.5 %). Adding a value is a few arithmetic operations and an array increment, no
 * allocation and no sorting; a zero (an acquisition that found an idle connection) is one counter.
 */
export class WaitHistogram {
  readonly #buckets = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  /** Records a zero wait. */
  addZero(): void {
    this.count++;
    this.#buckets[0]!++;
  }

  /** Records a wait in ms (≥ 0). */
  add(millis: number): void {
    this.count++;
    this.sum += millis;
    if (millis > this.max) this.max = millis;
    this.#buckets[bucketOf(millis)]!++;
  }

  /** The p-th percentile (0–100), to within 12.5 % (exact for 0 and for the maximum); 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    // the same rank as sorting every value and taking index floor(p/100 × count)
    const rank = Math.min(this.count - 1, Math.floor((p / 100) * this.count));
    const top = bucketOf(this.max);
    let seen = 0;
    for (let i = 0; i < top; i++) {
      seen += this.#buckets[i]!;
      if (seen > rank) return bucketMidpoint(i);
    }
    // the maximum's bucket: the maximum itself (exact for p100, within the bucket's 12.5 % below it)
    return this.max;
  }
}

function bucketOf(millis: number): number {
  if (millis <= 0) return 0;
  // in eighths of a microsecond, so that every power of two from 1 µs has SUB distinct integer sub-buckets
  const eighths = millis * 8000;
  if (eighths < 8) return 1;
  const u = eighths >= 2147483647 ? 2147483647 : eighths | 0;
  const exponent = 31 - Math.clz32(u); // floor(log2(u)), 3..30
  return 2 + (exponent - 3) * SUB + ((u >>> (exponent - 3)) & (SUB - 1));
}

/** The middle of bucket `i`, ms (0 for the zero bucket). */
function bucketMidpoint(i: number): number {
  if (i === 0) return 0;
  if (i === 1) return 0.0005;
  const exponent = Math.floor((i - 2) / SUB) + 3;
  const sub = (i - 2) % SUB;
  return (2 ** exponent + (sub + 0.5) * 2 ** (exponent - 3)) / 8000;
}

/** A checkout held longer than the threshold, with the stack that took it. */
export interface LongCheckout {
  heldMillis: number;
  /** Stack of the `connect()` / `query()` call that checked the connection out. */
  stack: string;
  /** When it was released (epoch ms). */
  releasedAt: number;
}

/** Pool health as measured by `instrument(pool)`. */
export interface PoolStats {
  kind: 'pg-pool' | 'pglite';
  /** Configured maximum size (pg `max`), when known. */
  maxSize: number | null;
  /** Right now. */
  active: number;
  idle: number;
  waiting: number;
  /** Highest seen since instrumenting. */
  peakActive: number;
  peakWaiting: number;
  acquisitions: number;
  /**
   * Time from asking for a connection to getting one, ms. An acquisition that found an idle connection (more idle
   * connections than earlier requests waiting) counts as 0: pg-pool hands it over on the next tick, a delay that is
   * the application's own synchronous work, not the pool's. Percentiles are within 12.5 % (log-bucketed histogram
   * since instrumenting); mean and max are exact.
   */
  acquireWaitMillis: { mean: number; p50: number; p95: number; p99: number; max: number };
  /** Acquisitions that had to wait (≥ 1 ms). */
  waitedAcquisitions: number;
  longCheckouts: LongCheckout[];
  queries: number;
  /** Since instrumenting, ms. */
  observedMillis: number;
}
