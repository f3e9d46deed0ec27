import { beforeAll, describe, expect, it } from 'vitest';
import { NATIONS, REGIONS } from '../../../../../bench/advisor/tpch/domains.js';
import { tpchLoadSteps, tpchRowCounts } from '../../../../../bench/advisor/tpch/generate.js';
import { tpchQueries } from '../../../../../bench/advisor/tpch/queries.js';
import { SeededRandom } from '../../../../../bench/advisor/tpch/random.js';
import { loadParser, parseStatement } from '../../../src/sql/parser.js';

/** The benchmark's TPC-H query templates and generator text: deterministic, parseable, parameters in the spec's ranges. */
describe('bench:advisor TPC-H queries', () => {
  beforeAll(async () => {
    await loadParser();
  });

  it('gives the same 22 statements for a seed and different ones for another seed', () => {
    const a = tpchQueries(0.1, 1);
    expect(a.map((q) => q.id)).toEqual(Array.from({ length: 22 }, (_, i) => `Q${i + 1}`));
    expect(tpchQueries(0.1, 1)).toEqual(a);
    const b = tpchQueries(0.1, 2);
    expect(b.filter((q, i) => q.sql !== a[i]!.sql).length).toBeGreaterThan(15);
  });

  it('parses every statement with the PostgreSQL parser', () => {
    for (const seed of [1, 2, 3])
      for (const q of tpchQueries(1, seed)) expect(() => parseStatement(q.sql)).not.toThrow();
  });

  it('draws parameters within the specification’s ranges', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const qs = Object.fromEntries(tpchQueries(0.1, seed).map((q) => [q.id, q.params]));
      const delta = qs.Q1!.DELTA as number;
      expect(delta).toBeGreaterThanOrEqual(60);
      expect(delta).toBeLessThanOrEqual(120);
      expect(qs.Q3!.DATE).toMatch(/^1995-03-(0[1-9]|[12]\d|3[01])$/);
      const q4 = String(qs.Q4!.DATE);
      expect(q4 >= '1993-01-01' && q4 <= '1997-10-01' && q4.endsWith('-01')).toBe(true);
      const discount = qs.Q6!.DISCOUNT as number;
      expect(discount).toBeGreaterThanOrEqual(0.02);
      expect(discount).toBeLessThanOrEqual(0.09);
      expect([24, 25]).toContain(qs.Q6!.QUANTITY);
      expect(qs.Q7!.NATION1).not.toBe(qs.Q7!.NATION2);
      const nation = NATIONS.find((n) => n[0] === qs.Q8!.NATION)!;
      expect(qs.Q8!.REGION).toBe(REGIONS[nation[1]]);
      expect(qs.Q11!.FRACTION).toBeCloseTo(0.001, 10);
      expect(qs.Q12!.SHIPMODE1).not.toBe(qs.Q12!.SHIPMODE2);
      expect(new Set(String(qs.Q16!.SIZES).split(',')).size).toBe(8);
      const quantity = qs.Q18!.QUANTITY as number;
      expect(quantity).toBeGreaterThanOrEqual(312);
      expect(quantity).toBeLessThanOrEqual(315);
      const codes = String(qs.Q22!.CODES).split(',').map(Number);
      expect(new Set(codes).size).toBe(7);
      for (const c of codes) expect(c >= 10 && c <= 34).toBe(true);
    }
  });

  it('has the specification’s cardinalities and one load step per table', () => {
    expect(tpchRowCounts(1)).toEqual({
      region: 5,
      nation: 25,
      supplier: 10_000,
      customer: 150_000,
      part: 200_000,
      partsupp: 800_000,
      orders: 1_500_000,
    });
    const labels = tpchLoadSteps(0.1).map((s) => s.label);
    for (const t of ['region', 'nation', 'supplier', 'customer', 'part', 'partsupp', 'lineitem', 'orders'])
      expect(labels).toContain(t);
    // No secondary index: only the primary keys of the schema.
    const ddl = tpchLoadSteps(0.1)
      .map((s) => s.sql)
      .join('\n');
    expect(ddl).not.toMatch(/CREATE\s+(UNIQUE\s+)?INDEX/i);
    // Too few suppliers for the spec's partsupp formula: refused, not a duplicate-key failure halfway.
    expect(() => tpchLoadSteps(0.002)).toThrow(/too small/);
  });
});

describe('SeededRandom', () => {
  it('is uniform enough and repeatable', () => {
    const r = new SeededRandom(42);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[Math.floor(r.next() * 10)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    expect(Array.from({ length: 5 }, () => a.int(1, 100))).toEqual(Array.from({ length: 5 }, () => b.int(1, 100)));
    expect(new SeededRandom(3).sample([1, 2, 3, 4, 5], 5).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});
