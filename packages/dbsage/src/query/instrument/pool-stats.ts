/** A bounded sample of values for percentiles (the most recent `capacity` values). */
export class Reservoir {
  readonly #values: number[] = [];
  readonly #capacity: number;
  #next = 0;
  count = 0;
  sum = 0;
  max = 0;

  constructor(capacity = 4096) {
    this.#capacity = capacity;
  }

  add(value: number): void {
    this.count++;
    this.sum += value;
    if (value > this.max) this.max = value;
    if (this.#values.length < this.#capacity) this.#values.push(value);
    else {
      this.#values[this.#next] = value;
      this.#next = (this.#next + 1) % this.#capacity;
    }
  }

  /** The p-th percentile (0–100) of the retained values; 0 when empty. */
  percentile(p: number): number {
    if (this.#values.length === 0) return 0;
    const sorted = [...this.#values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }
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
  /** Time from asking for a connection to getting one, ms. */
  acquireWaitMillis: { mean: number; p50: number; p95: number; p99: number; max: number };
  /** Acquisitions that had to wait (≥ 1 ms). */
  waitedAcquisitions: number;
  longCheckouts: LongCheckout[];
  queries: number;
  /** Since instrumenting, ms. */
  observedMillis: number;
}
