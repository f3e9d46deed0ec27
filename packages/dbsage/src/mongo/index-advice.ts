import { collectionRef } from './finding.js';
import type { FilterShape } from './query-shape.js';
import type { MongoIndex } from './types.js';

/** The implicit `_id_` index every collection has. */
export const ID_INDEX: MongoIndex = Object.freeze({ name: '_id_', key: Object.freeze({ _id: 1 }) });

/** Indexes of a collection, or only `_id_` when they are unknown. */
export function indexesOrId(indexes: readonly MongoIndex[] | undefined): readonly MongoIndex[] {
  if (!indexes) return [ID_INDEX];
  return indexes.some((i) => i.name === '_id_') ? indexes : [ID_INDEX, ...indexes];
}

/** An ordered index key: `[['status', 1], ['createdAt', -1]]`. */
export type IndexKey = [string, number | string][];

/**
 * The index the Equality-Sort-Range rule asks for: equality fields first (they narrow to one contiguous key
 * range), then the sort fields in the sort's order and direction (so the index walk returns documents already
 * sorted), then range fields (which would otherwise split the sort into several runs).
 * Source: MongoDB manual, "The ESR (Equality, Sort, Range) Guideline".
 * Returns `undefined` when the shape has nothing an index could use.
 */
export function esrIndex(shape: FilterShape, sort?: Readonly<Record<string, number>>): IndexKey | undefined {
  const key: IndexKey = [];
  const seen = new Set<string>();
  const add = (path: string, dir: number) => {
    if (seen.has(path)) return;
    seen.add(path);
    key.push([path, dir]);
  };
  for (const p of shape.predicates) if (p.kind === 'equality') add(p.path, 1);
  for (const [path, dir] of Object.entries(sort ?? {})) add(path, dir < 0 ? -1 : 1);
  for (const p of shape.predicates) if (p.kind === 'range' || (p.kind === 'regex' && p.regex?.anchored)) add(p.path, 1);
  // A case-insensitive or unanchored regex cannot bound the scan; it can still be filtered on index keys.
  for (const p of shape.predicates) if (p.kind === 'regex') add(p.path, 1);
  return key.length > 0 ? key : undefined;
}

function entries(index: MongoIndex): IndexKey {
  return Object.entries(index.key);
}

function isSpecial(dir: number | string): boolean {
  return typeof dir === 'string';
}

/** Whether `prefix` is a left prefix of `key`, same directions or all reversed (an index walks both ways). */
export function isLeftPrefix(prefix: IndexKey, key: IndexKey): boolean {
  if (prefix.length > key.length) return false;
  const same = prefix.every(([p, d], i) => key[i]![0] === p && key[i]![1] === d);
  const reversed = prefix.every(
    ([p, d], i) => key[i]![0] === p && typeof d === 'number' && typeof key[i]![1] === 'number' && key[i]![1] === -d,
  );
  return same || reversed;
}

/**
 * Whether `key` serves `wanted` as well as `wanted` itself: the first `equalityFields` fields match as a set in
 * any direction (an equality bound pins them to one value, so their direction and order are irrelevant), the
 * rest match by {@link isLeftPrefix}.
 */
export function servesAs(wanted: IndexKey, key: IndexKey, equalityFields: number): boolean {
  if (wanted.length > key.length) return false;
  const eqWanted = new Set(wanted.slice(0, equalityFields).map(([p]) => p));
  const eqKey = new Set(key.slice(0, equalityFields).map(([p]) => p));
  if ([...eqWanted].some((p) => !eqKey.has(p))) return false;
  return isLeftPrefix(wanted.slice(equalityFields), key.slice(equalityFields));
}

/** How well the existing indexes serve one filter + sort. */
export interface IndexSupport {
  /** The index the planner can bound a scan with, if any. */
  usable?: MongoIndex;
  /** An index serves the sort (no blocking in-memory SORT stage). */
  sortCovered: boolean;
  /** The ESR index (or an index it is a left prefix of) exists. */
  optimal: boolean;
  /** What to build, by ESR. */
  recommended?: IndexKey;
  /** `'collscan'`, `'blocking-sort'` or `'ok'`. */
  verdict: 'collscan' | 'blocking-sort' | 'ok';
}

/** Fields that can bound an index scan (equality, range, anchored regex). */
function boundingPaths(shape: FilterShape): Set<string> {
  const out = new Set<string>();
  for (const p of shape.predicates) {
    if (p.kind === 'equality' || p.kind === 'range' || (p.kind === 'regex' && p.regex?.anchored)) out.add(p.path);
  }
  return out;
}

/** Whether `index` returns documents in `sort` order after its equality-bound leading fields. */
function providesSort(index: MongoIndex, shape: FilterShape, sort: Readonly<Record<string, number>>): boolean {
  const key = entries(index);
  const equality = new Set(shape.predicates.filter((p) => p.kind === 'equality').map((p) => p.path));
  let i = 0;
  const wanted: IndexKey = Object.entries(sort).map(([p, d]) => [p, d < 0 ? -1 : 1]);
  // Skip leading key fields fixed by equality predicates that are not themselves sort fields.
  while (i < key.length && equality.has(key[i]![0]) && !wanted.some(([p]) => p === key[i]![0])) i++;
  const rest = wanted.filter(([p]) => !(equality.has(p) && !key.slice(i).some(([k]) => k === p)));
  return rest.length === 0 || isLeftPrefix(rest, key.slice(i));
}

/**
 * Judges a filter + sort against a collection's indexes the way the planner would at the first cut: an index is
 * usable when its first key field is bounded by the filter (or, with no bounding predicate, when it provides the
 * sort); the sort is covered when some usable index yields that order.
 */
export function indexSupport(
  indexes: readonly MongoIndex[],
  shape: FilterShape,
  sort?: Readonly<Record<string, number>>,
): IndexSupport {
  const bounded = boundingPaths(shape);
  const hasSort = sort !== undefined && Object.keys(sort).length > 0;
  const candidates = indexes.filter((ix) => !ix.hidden && !ix.partialFilterExpression);
  const usableByFilter = candidates.filter((ix) => {
    const first = entries(ix)[0];
    return first !== undefined && !isSpecial(first[1]) && bounded.has(first[0]);
  });
  const sorting = hasSort
    ? candidates.filter((ix) => entries(ix).every(([, d]) => !isSpecial(d)) && providesSort(ix, shape, sort))
    : [];
  const usable =
    usableByFilter.find((ix) => hasSort && sorting.includes(ix)) ??
    usableByFilter[0] ??
    (bounded.size === 0 ? sorting[0] : undefined);
  const sortCovered = !hasSort || (usable !== undefined && sorting.includes(usable));
  const recommended = esrIndex(shape, sort);
  const equalityFields = new Set(shape.predicates.filter((p) => p.kind === 'equality').map((p) => p.path)).size;
  const optimal =
    recommended === undefined || candidates.some((ix) => servesAs(recommended, entries(ix), equalityFields));
  const verdict =
    usable === undefined && (shape.predicates.length > 0 || hasSort)
      ? 'collscan'
      : sortCovered
        ? 'ok'
        : 'blocking-sort';
  return { ...(usable ? { usable } : {}), sortCovered, optimal, ...(recommended ? { recommended } : {}), verdict };
}

/** Renders an index key as shell code: `{ status: 1, createdAt: -1 }`. */
export function keySpec(key: IndexKey): string {
  const parts = key.map(([p, d]) => `${/^[A-Za-z_$][\w$]*$/.test(p) ? p : JSON.stringify(p)}: ${JSON.stringify(d)}`);
  return `{ ${parts.join(', ')} }`;
}

/** `db.getCollection("orders").createIndex({ … })`, quoting a collection name the shell cannot take bare. */
export function createIndexCode(collection: string, key: IndexKey, options?: Record<string, unknown>): string {
  return `${collectionRef(collection)}.createIndex(${keySpec(key)}${options ? `, ${JSON.stringify(options)}` : ''})`;
}

/** Index key of an existing index, as {@link IndexKey}. */
export function indexKey(index: MongoIndex): IndexKey {
  return entries(index);
}
