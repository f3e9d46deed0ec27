import type { AnalyzerContext } from '../findings/registry.js';
import { type IndexInfo, type IndexShape, indexShapes } from './sources.js';
import { catalogMemo } from './state.js';

/**
 * Index shape comparisons shared by exact-duplicate-index and left-prefix-index: two indexes are comparable only on the
 * same table, access method, predicate and expressions, and key by key on column, operator class, collation and
 * ordering.
 */

/** Key `k` of an index as one comparable string (column, opclass, collation, DESC/NULLS bits). */
export function keyAt(i: IndexShape, k: number): string {
  return `${i.attnums[k]}/${i.opclasses[k]}/${i.collations[k]}/${i.options[k] ?? 0}`;
}

const keyCache = new WeakMap<IndexShape, string[]>();

/** The key part of an index (INCLUDE columns excluded); computed once per index. */
export function keyList(i: IndexShape): string[] {
  let keys = keyCache.get(i);
  if (!keys) {
    keys = Array.from({ length: i.keyCount }, (_, k) => keyAt(i, k));
    keyCache.set(i, keys);
  }
  return keys;
}

/** INCLUDE columns, as attribute numbers. */
export function includeList(i: IndexShape): number[] {
  return i.attnums.slice(i.keyCount);
}

const signatureCache = new WeakMap<IndexShape, string>();

/** Everything that makes two indexes identical, as one string (so duplicates are found by grouping, not pairs). */
export function signature(i: IndexShape): string {
  let sig = signatureCache.get(i);
  if (sig === undefined) {
    const include = i.attnums.length > i.keyCount ? [...includeList(i)].sort((a, b) => a - b).join(',') : '';
    sig = `${i.tableOid}|${i.method}|${i.predicate ?? ''}|${i.expressions ?? ''}|${keyList(i).join(',')}|${include}`;
    signatureCache.set(i, sig);
  }
  return sig;
}

/** Same table, method, predicate and expressions: the only indexes worth comparing key by key. */
export function comparable(a: IndexShape, b: IndexShape): boolean {
  return (
    a.tableOid === b.tableOid &&
    a.method === b.method &&
    (a.predicate ?? '') === (b.predicate ?? '') &&
    (a.expressions ?? '') === (b.expressions ?? '')
  );
}

/** True when an index enforces something (PK, unique, exclusion) or backs replica identity: dropping it changes behaviour. */
export function enforces(i: IndexShape): boolean {
  return i.primary || i.unique || i.exclusion || i.replicaIdentity || i.constraintName !== null;
}

/** Groups indexes by table. */
export function byTable<T extends IndexShape>(all: readonly T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const i of all) {
    const list = out.get(i.tableOid);
    if (list) list.push(i);
    else out.set(i.tableOid, [i]);
  }
  return out;
}

/** Column list for titles: `(a, b) INCLUDE (c)`, expressions as `expr`. */
export function describeKeys(i: IndexInfo): string {
  const names = i.columns.map((c) => c ?? 'expr');
  const keys = names.slice(0, i.keyCount).join(', ');
  const inc = names.slice(i.keyCount);
  return `(${keys})${inc.length ? ` INCLUDE (${inc.join(', ')})` : ''}`;
}

/** Which of two identical indexes to keep first: the one that enforces something, then the more used, then the older. */
export function keepOrder(a: IndexInfo, b: IndexInfo): number {
  const rank = (i: IndexInfo) =>
    i.primary ? 4 : i.constraintName ? 3 : i.unique || i.exclusion ? 2 : i.replicaIdentity ? 1 : 0;
  return rank(b) - rank(a) || b.scans - a.scans || a.oid - b.oid;
}

/** True when two indexes are identical: comparable, same keys and the same INCLUDE set. */
export function identical(a: IndexShape, b: IndexShape): boolean {
  return signature(a) === signature(b);
}

/** Sets of identical indexes (two or more) in one table's index list; which one to keep depends on the counters. */
export function identicalSets<T extends IndexShape>(group: readonly T[]): T[][] {
  const bySignature = new Map<string, T[]>();
  for (const i of group) {
    const sig = signature(i);
    const list = bySignature.get(sig);
    if (list) list.push(i);
    else bySignature.set(sig, [i]);
  }
  return [...bySignature.values()].filter((same) => same.length > 1);
}

/** Groups of identical indexes on one table's index list: the one to keep and the duplicates to drop. */
export function duplicateGroups(group: readonly IndexInfo[]): { keep: IndexInfo; drop: IndexInfo[] }[] {
  return identicalSets(group).map((same) => keepAndDrop(same)!);
}

/**
 * Every set of identical valid indexes in the database, from the catalog alone (kept across a doctor session's
 * runs while the catalog is unchanged). Which index of a set to keep depends on the counters: see {@link keepOrder}.
 */
export function identicalIndexSets(ctx: AnalyzerContext): Promise<readonly IndexShape[][]> {
  return catalogMemo(ctx, 'identical-index-sets', async () => {
    const out: IndexShape[][] = [];
    for (const group of byTable((await indexShapes(ctx)).filter((i) => i.valid)).values()) {
      out.push(...identicalSets(group));
    }
    return out;
  });
}

/** Splits a set of identical, measured indexes into the one to keep and the duplicates to drop. */
export function keepAndDrop(same: readonly IndexInfo[]): { keep: IndexInfo; drop: IndexInfo[] } | undefined {
  if (same.length < 2) return undefined;
  const [keep, ...drop] = [...same].sort(keepOrder);
  return { keep: keep!, drop };
}
