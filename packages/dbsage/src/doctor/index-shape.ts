import type { IndexInfo } from './sources.js';

/**
 * Index shape comparisons shared by exact-duplicate-index and left-prefix-index: two indexes are comparable only on the
 * same table, access method, predicate and expressions, and key by key on column, operator class, collation and
 * ordering.
 */

/** Key `k` of an index as one comparable string (column, opclass, collation, DESC/NULLS bits). */
export function keyAt(i: IndexInfo, k: number): string {
  return `${i.attnums[k]}/${i.opclasses[k]}/${i.collations[k]}/${i.options[k] ?? 0}`;
}

const keyCache = new WeakMap<IndexInfo, string[]>();

/** The key part of an index (INCLUDE columns excluded); computed once per index. */
export function keyList(i: IndexInfo): string[] {
  let keys = keyCache.get(i);
  if (!keys) {
    keys = Array.from({ length: i.keyCount }, (_, k) => keyAt(i, k));
    keyCache.set(i, keys);
  }
  return keys;
}

/** INCLUDE columns, as attribute numbers. */
export function includeList(i: IndexInfo): number[] {
  return i.attnums.slice(i.keyCount);
}

const signatureCache = new WeakMap<IndexInfo, string>();

/** Everything that makes two indexes identical, as one string (so duplicates are found by grouping, not pairs). */
export function signature(i: IndexInfo): string {
  let sig = signatureCache.get(i);
  if (sig === undefined) {
    const include = i.attnums.length > i.keyCount ? [...includeList(i)].sort((a, b) => a - b).join(',') : '';
    sig = `${i.tableOid}|${i.method}|${i.predicate ?? ''}|${i.expressions ?? ''}|${keyList(i).join(',')}|${include}`;
    signatureCache.set(i, sig);
  }
  return sig;
}

/** Same table, method, predicate and expressions: the only indexes worth comparing key by key. */
export function comparable(a: IndexInfo, b: IndexInfo): boolean {
  return (
    a.tableOid === b.tableOid &&
    a.method === b.method &&
    (a.predicate ?? '') === (b.predicate ?? '') &&
    (a.expressions ?? '') === (b.expressions ?? '')
  );
}

/** True when an index enforces something (PK, unique, exclusion) or backs replica identity: dropping it changes behaviour. */
export function enforces(i: IndexInfo): boolean {
  return i.primary || i.unique || i.exclusion || i.replicaIdentity || i.constraintName !== null;
}

/** Groups indexes by table. */
export function byTable(all: readonly IndexInfo[]): Map<number, IndexInfo[]> {
  const out = new Map<number, IndexInfo[]>();
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
export function identical(a: IndexInfo, b: IndexInfo): boolean {
  return signature(a) === signature(b);
}

/** Groups of identical indexes on one table's index list: the one to keep and the duplicates to drop. */
export function duplicateGroups(group: readonly IndexInfo[]): { keep: IndexInfo; drop: IndexInfo[] }[] {
  const bySignature = new Map<string, IndexInfo[]>();
  for (const i of group) {
    const sig = signature(i);
    const list = bySignature.get(sig);
    if (list) list.push(i);
    else bySignature.set(sig, [i]);
  }
  const out: { keep: IndexInfo; drop: IndexInfo[] }[] = [];
  for (const same of bySignature.values()) {
    if (same.length < 2) continue;
    const [keep, ...drop] = [...same].sort(keepOrder);
    out.push({ keep: keep!, drop });
  }
  return out;
}
