import { describe, expect, it } from 'vitest';
import { WaitHistogram } from '../../../src/query/instrument/pool-stats.js';

/** The percentile the sorted-values method gives: index floor(p/100 × n) of the sorted values. */
function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

describe('WaitHistogram (acquire waits of instrument(pool))', () => {
  it('is 0 everywhere when empty', () => {
    const h = new WaitHistogram();
    expect([h.count, h.sum, h.max, h.percentile(50), h.percentile(99)]).toEqual([0, 0, 0, 0, 0]);
  });

  it('counts zeros exactly and keeps count, sum and max exact', () => {
    const h = new WaitHistogram();
    for (let i = 0; i < 90; i++) h.addZero();
    for (let i = 1; i <= 10; i++) h.add(i * 10);
    expect(h.count).toBe(100);
    expect(h.sum).toBe(550);
    expect(h.max).toBe(100);
    expect(h.percentile(50)).toBe(0);
    expect(h.percentile(89)).toBe(0);
    // rank 99 of 100 is the largest value: the maximum, exactly
    expect(h.percentile(99)).toBe(100);
  });

  it('gives every percentile within 6.25 % of the sorted-values answer, from sub-microsecond to seconds', () => {
    const h = new WaitHistogram();
    const values: number[] = [];
    let x = 0x2545f491;
    for (let i = 0; i < 20_000; i++) {
      // xorshift: deterministic, spread over eight orders of magnitude (0.1 µs to 10 s)
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const v = 10 ** (((x >>> 0) / 2 ** 32) * 8 - 4);
      values.push(v);
      h.add(v);
    }
    for (const p of [1, 10, 25, 50, 75, 90, 95, 99, 99.9]) {
      const exact = exactPercentile(values, p);
      const approx = h.percentile(p);
      if (exact < 0.001) expect(approx).toBeLessThan(0.001);
      else expect(Math.abs(approx / exact - 1)).toBeLessThanOrEqual(0.0625);
    }
    expect(h.percentile(100)).toBe(Math.max(...values));
  });

  it('clamps waits beyond 2^28 µs into the last bucket and still reports the exact maximum', () => {
    const h = new WaitHistogram();
    h.add(300_000);
    h.add(5_000_000);
    h.add(10_000_000);
    expect(h.max).toBe(10_000_000);
    expect(h.percentile(50)).toBeLessThanOrEqual(10_000_000);
    expect(h.percentile(99)).toBe(10_000_000);
  });
});
