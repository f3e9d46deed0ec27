import { describe, expect, it } from 'vitest';
import { btreeDedupFactor, dedupFactor } from '../../../src/advisor/indexes/btree-size.js';
import { makeCandidate } from '../../../src/advisor/indexes/candidate.js';
import type { Catalog, ColumnStats, Table } from '../../../src/catalog/types.js';

const key = (column: string) => ({ column, expression: null, descending: false, opclass: null });

function stats(column: string, nDistinct: number, avgWidth: number): ColumnStats {
  return {
    schema: 'public',
    table: 'lineitem',
    column,
    inherited: false,
    nullFrac: 0,
    nDistinct,
    avgWidth,
    mostCommonValues: null,
    mostCommonFreqs: null,
    histogramBounds: null,
    correlation: null,
  };
}

const table = {
  schema: 'public',
  name: 'lineitem',
  rowEstimate: 600_000,
  columns: [
    { name: 'l_partkey', typeName: 'int4' },
    { name: 'l_orderkey', typeName: 'int8' },
    { name: 'l_quantity', typeName: 'numeric' },
    { name: 'l_shipmode', typeName: 'bpchar' },
  ],
} as Table;
const catalog = {
  serverVersionNum: 150000,
  tables: [table],
  stats: [
    stats('l_partkey', 20_000, 4),
    stats('l_orderkey', -0.25, 8),
    stats('l_quantity', 50, 5),
    stats('l_shipmode', 7, 11),
  ],
} as unknown as Catalog;

const btree = (columns: string[], extra: { include?: string[]; predicate?: string } = {}) =>
  makeCandidate({
    schema: 'public',
    table: 'lineitem',
    method: 'btree',
    keys: columns.map(key),
    include: extra.include ?? [],
    predicate: extra.predicate ?? null,
    predicateColumns: [],
    kinds: ['single'],
  });

describe('B-tree deduplication in size estimates', () => {
  it('shrinks a key with many rows per value to about a third (one pointer of 6 bytes per row)', () => {
    // 30 rows per int4 key: 20 000 tuples of 20 bytes + 600 000 pointers of 6 bytes, against 600 000 × 20 bytes.
    expect(dedupFactor(600_000, 20_000, 4)).toBeCloseTo((20_000 * 20 + 600_000 * 6) / (600_000 * 20), 6);
    expect(btreeDedupFactor(btree(['l_partkey']), table, catalog, 150000)).toBeCloseTo(0.333, 2);
    // 4 rows per key (n_distinct −0.25): still smaller, less so.
    const f = btreeDedupFactor(btree(['l_orderkey']), table, catalog, 150000);
    expect(f).toBeGreaterThan(0.4);
    expect(f).toBeLessThan(0.6);
  });

  it('caps posting lists: a few very common values keep one tuple per ~220 rows', () => {
    const f = dedupFactor(1_000_000, 3, 8);
    expect(f).toBeGreaterThan(6 / 20);
    expect(f).toBeLessThan(0.32);
  });

  it('leaves unique keys, numeric and char(n) keys, INCLUDE, partial indexes and PostgreSQL 12 alone', () => {
    // char(n) has no equal-image support: PostgreSQL builds its B-trees without deduplication (TPC-H l_shipmode).
    expect(btreeDedupFactor(btree(['l_shipmode']), table, catalog, 150000)).toBe(1);
    expect(btreeDedupFactor(btree(['l_shipmode', 'l_partkey']), table, catalog, 150000)).toBe(1);
    expect(dedupFactor(1000, 1000, 4)).toBe(1);
    expect(dedupFactor(1000, 600, 4)).toBe(1);
    expect(btreeDedupFactor(btree(['l_quantity']), table, catalog, 150000)).toBe(1);
    expect(btreeDedupFactor(btree(['l_partkey'], { include: ['l_orderkey'] }), table, catalog, 150000)).toBe(1);
    expect(btreeDedupFactor(btree(['l_partkey'], { predicate: 'l_quantity > 10' }), table, catalog, 150000)).toBe(1);
    expect(btreeDedupFactor(btree(['l_partkey']), table, catalog, 120000)).toBe(1);
    expect(btreeDedupFactor(btree(['l_partkey', 'l_quantity']), table, catalog, 150000)).toBe(1);
  });
});
