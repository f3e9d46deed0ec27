import { columnStats, distinctValues } from '../../catalog/lookup.js';
import type { Catalog, Table } from '../../catalog/types.js';
import type { IndexCandidate } from './candidate.js';

/**
 * B-tree deduplication (PostgreSQL 13+) for HypoPG's size estimates. HypoPG sizes a B-tree as one index tuple per
 * heap row; since PostgreSQL 13 a non-unique B-tree stores the row pointers of equal keys in posting lists (one
 * tuple per key value and up to roughly 220 six-byte heap pointers), so an index on a column with many rows per
 * value is often a third of HypoPG's estimate (TPC-H `lineitem (l_partkey)`: HypoPG 15.7 MB, built 4.5 MB). A
 * budget judged on the raw estimate rejects indexes that fit.
 *
 * Deduplication is not used for INCLUDE indexes, and not for types whose equal values can differ in their bytes
 * (numeric, float, jsonb, containers, char(n); PostgreSQL documentation, "B-Tree Deduplication"): those keep 1, as
 * do partial indexes (the whole table's key statistics do not describe the indexed rows).
 */

/**
 * Key types whose B-trees deduplicate (deterministic collations assumed for text). Not `bpchar` (char(n)): its
 * operator class has no "equal image" support, so PostgreSQL 15 builds a char(n) B-tree without deduplication
 * (checked with pageinspect's `bt_metap(...).allequalimage`).
 */
const DEDUP_TYPES = new Set([
  'int2',
  'int4',
  'int8',
  'oid',
  'bool',
  'char',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'uuid',
  'text',
  'varchar',
  'name',
]);

/** Heap pointers per posting-list tuple: posting lists are capped at half the largest B-tree item (~1350 bytes). */
const POINTERS_PER_POSTING = 220;

/**
 * The factor (≤ 1) by which deduplication shrinks a B-tree candidate relative to one tuple per row, from the key
 * columns' average widths and distinct counts in pg_stats (distinct key combinations are taken as the product of
 * the columns' distinct counts, capped at the row count: that overestimates them, so the size stays on the safe
 * side). 1 when deduplication does not apply or the statistics are missing.
 */
export function btreeDedupFactor(
  candidate: IndexCandidate,
  table: Table,
  catalog: Catalog,
  serverVersionNum: number,
): number {
  if (serverVersionNum < 130000 || candidate.method !== 'btree' || candidate.include.length > 0) return 1;
  if (candidate.predicate !== null) return 1; // partial: the key statistics of the whole table do not apply
  const rows = table.rowEstimate ?? 0;
  if (rows <= 0) return 1;
  let distinct = 1;
  let keyBytes = 0;
  for (const k of candidate.keys) {
    if (k.column === null) return 1;
    const column = table.columns.find((c) => c.name === k.column);
    if (!column || !DEDUP_TYPES.has(column.typeName)) return 1;
    const stats = columnStats(catalog, table, k.column);
    const nd = distinctValues(stats, rows);
    if (!stats || nd === undefined || nd <= 0) return 1;
    distinct = Math.min(rows, distinct * nd);
    keyBytes += stats.avgWidth;
  }
  return dedupFactor(rows, distinct, keyBytes);
}

/**
 * Deduplicated size relative to one tuple per row: each distinct key keeps ⌈rows per key / 220⌉ tuples (header,
 * key and line pointer) and every row keeps a 6-byte heap pointer; without deduplication every row keeps a tuple.
 */
export function dedupFactor(rows: number, distinct: number, keyBytes: number): number {
  if (rows <= 0 || distinct <= 0 || rows / distinct < 2) return 1;
  const tuple = Math.ceil((8 + keyBytes) / 8) * 8 + 4;
  const perKey = rows / distinct;
  const dedup = distinct * Math.ceil(perKey / POINTERS_PER_POSTING) * tuple + rows * 6;
  return Math.min(1, dedup / (rows * tuple));
}
