import { describe, expect, it } from 'vitest';
import { type IndexCandidate, makeCandidate } from '../../../src/advisor/indexes/candidate.js';
import type { WorkloadEvaluator } from '../../../src/advisor/indexes/evaluator.js';
import { searchIndexes } from '../../../src/advisor/indexes/search.js';
import type { Catalog } from '../../../src/catalog/types.js';

const btree = (table: string, column: string): IndexCandidate =>
  makeCandidate({
    schema: 'public',
    table,
    method: 'btree',
    keys: [{ column, expression: null, descending: false, opclass: null }],
    include: [],
    predicate: null,
    predicateColumns: [],
    kinds: ['single'],
  });

/**
 * An evaluator whose objective is additive: each candidate saves a fixed part of a workload weighing 1000. Only
 * what the search uses is implemented.
 */
function fakeEvaluator(gains: Map<string, { gain: number; size: number }>): WorkloadEvaluator {
  return {
    statements: [],
    totalWeight: () => 1000,
    size: (id: string) => gains.get(id)?.size ?? 0,
    objective: async (config: readonly string[]) => config.reduce((a, id) => a + (gains.get(id)?.gain ?? 0), 0),
    maintenance: () => ({ cost: 0, breaksHot: [] }),
    candidateForIndex: () => undefined,
  } as unknown as WorkloadEvaluator;
}

const catalog = { tables: [] } as unknown as Catalog;

describe('budget fill of the index search', () => {
  // a saves 0.1 % and b 0.05 % of the workload: both under the 0.2 % threshold; c saves 0.001 %: planner noise.
  const a = btree('orders', 'o_custkey');
  const b = btree('partsupp', 'ps_suppkey');
  const c = btree('nation', 'n_name');
  const candidates = new Map([a, b, c].map((x) => [x.id, x]));
  const gains = new Map([
    [a.id, { gain: 1, size: 100_000 }],
    [b.id, { gain: 0.5, size: 50_000 }],
    [c.id, { gain: 0.01, size: 8192 }],
  ]);
  const base = { timeLimitMillis: 10_000, minGainFraction: 0.002, writeAware: false };

  it('without a budget recommends nothing below the threshold and keeps the best gain it saw for the reason', async () => {
    const r = await searchIndexes(fakeEvaluator(gains), candidates, catalog, { ...base, budgetBytes: null });
    expect(r.chosen).toEqual([]);
    expect(r.bestRejectedGain).toBe(1);
    expect(r.belowThreshold.size).toBe(0);
  });

  it('under a budget fills the storage with every move above the floor, best gain per byte first', async () => {
    const r = await searchIndexes(fakeEvaluator(gains), candidates, catalog, { ...base, budgetBytes: 1_000_000 });
    expect(new Set(r.chosen)).toEqual(new Set([a.id, b.id]));
    expect([...r.belowThreshold].sort()).toEqual([a.id, b.id].sort());
    expect(r.objective).toBe(1.5);
  });

  it('fills only what fits, and reports what did not', async () => {
    const r = await searchIndexes(fakeEvaluator(gains), candidates, catalog, { ...base, budgetBytes: 120_000 });
    expect(r.chosen).toEqual([a.id]);
    expect(r.budgetBlocked.has(b.id)).toBe(true);
  });

  it('keeps indexes above the threshold out of the below-threshold set', async () => {
    const big = new Map(gains);
    big.set(a.id, { gain: 50, size: 100_000 });
    const r = await searchIndexes(fakeEvaluator(big), candidates, catalog, { ...base, budgetBytes: 1_000_000 });
    expect(new Set(r.chosen)).toEqual(new Set([a.id, b.id]));
    expect([...r.belowThreshold]).toEqual([b.id]);
  });

  it('under a budget also takes a tiny gain that makes one statement at least 10 % cheaper', async () => {
    // One dominant statement (weight 999 900) and a small one (weight 100) that index c halves: c gains 0.005 % of
    // the total, under the 0.01 % floor, yet it is real advice for that statement.
    const small = { id: 'small' };
    const big = { id: 'big' };
    const ev = {
      statements: [big, small],
      totalWeight: () => 1_000_000,
      weight: (st: { id: string }) => (st.id === 'big' ? 999_900 : 100),
      size: () => 8192,
      objective: async (config: readonly string[]) => (config.includes(c.id) ? 50 : 0),
      plan: async (st: { id: string }, config: readonly string[]) => ({
        totalCost: st.id === 'small' && [...config].includes(c.id) ? 50 : 100,
      }),
      maintenance: () => ({ cost: 0, breaksHot: [] }),
      candidateForIndex: () => undefined,
    } as unknown as WorkloadEvaluator;
    const r = await searchIndexes(ev, new Map([[c.id, c]]), catalog, { ...base, budgetBytes: 1_000_000 });
    expect(r.chosen).toEqual([c.id]);
    expect(r.belowThreshold.has(c.id)).toBe(true);
    const off = await searchIndexes(ev, new Map([[c.id, c]]), catalog, {
      ...base,
      budgetBytes: 1_000_000,
      fillMinStatementImprovement: 0.6,
    });
    expect(off.chosen).toEqual([]);
  });

  it('a zero fill fraction turns the fill off', async () => {
    const r = await searchIndexes(fakeEvaluator(gains), candidates, catalog, {
      ...base,
      budgetBytes: 1_000_000,
      fillMinGainFraction: 0,
    });
    expect(r.chosen).toEqual([]);
  });
});

describe('knapsack guard of the index search', () => {
  // Ratio greedy takes the two small indexes first (best gain per byte), after which the large one, worth more
  // than both together, no longer fits.
  const big = btree('lineitem', 'l_orderkey');
  const s1 = btree('orders', 'o_custkey');
  const s2 = btree('partsupp', 'ps_suppkey');
  const candidates = new Map([big, s1, s2].map((x) => [x.id, x]));
  const gains = new Map([
    [big.id, { gain: 10, size: 90_000 }],
    [s1.id, { gain: 3, size: 10_000 }],
    [s2.id, { gain: 3, size: 10_000 }],
  ]);
  const options = { timeLimitMillis: 10_000, minGainFraction: 0.002, writeAware: false, budgetBytes: 100_000 };

  it('also searches from the most valuable single index and keeps the better set', async () => {
    const r = await searchIndexes(fakeEvaluator(gains), candidates, catalog, options);
    expect(r.objective).toBe(13);
    expect(r.chosen[0]).toBe(big.id);
    expect(r.chosen).toHaveLength(2);
    expect(r.steps.some((s) => s.action === 'seed' && s.candidateId === big.id)).toBe(true);
  });

  it('keeps the first set when the second run is not better', async () => {
    const flat = new Map(gains);
    flat.set(big.id, { gain: 5, size: 95_000 }); // alone it fills the budget, and is worth less than the pair
    const r = await searchIndexes(fakeEvaluator(flat), candidates, catalog, options);
    expect(new Set(r.chosen)).toEqual(new Set([s1.id, s2.id]));
    expect(r.objective).toBe(6);
    expect(r.steps.some((s) => s.action === 'seed')).toBe(false);
  });
});
