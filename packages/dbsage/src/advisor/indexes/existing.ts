import type { Catalog, Index, Table } from '../../catalog/types.js';
import type { IndexCandidate } from './candidate.js';

/**
 * Existing indexes worth dropping: left INVALID by a failed concurrent build, duplicates of another index,
 * redundant (a B-tree whose keys are a prefix of another B-tree's — including one the advisor recommends), or
 * unused since the statistics were reset. Indexes that enforce a constraint (primary key, unique, exclusion) or
 * serve as replica identity are never proposed: they do work beyond reads.
 */

/**
 * A B-tree whose keys are a prefix of a wider B-tree's still earns its keep when it is much smaller: fewer leaf
 * pages to descend and scan, and the planner charges an index scan in proportion to the index's pages
 * (`genericcostestimate` in PostgreSQL's selfuncs.c: index pages fetched = index tuples read × pages / tuples).
 * The typical case is a non-unique prefix of a unique key, which B-tree deduplication (PostgreSQL 13+, documentation
 * "B-Tree Deduplication") stores as posting lists: TPC-H `lineitem (l_orderkey)` is about half its primary key
 * `(l_orderkey, l_linenumber)`. Such a prefix is not reported as redundant, and the advisor may recommend one (kind
 * `narrower`), when it is at most this fraction of the wider index's size.
 */
export const NARROWER_MAX_SIZE_RATIO = 0.75;

/** Why an index is a drop candidate. */
export const DROP_REASONS = ['invalid', 'duplicate', 'redundant', 'unused'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** One drop candidate. */
export interface DropCandidate {
  schema: string;
  table: string;
  index: string;
  reason: DropReason;
  /** The index that makes it a duplicate/redundant (existing name, or a recommended index's name). */
  coveredBy: string | null;
  /** True when `coveredBy` is a recommendation of this run (drop only after creating it). */
  coveredByRecommendation: boolean;
  sizeBytes: number;
  scans: number;
  definition: string;
}

function norm(text: string | null): string {
  return (text ?? '')
    .toLowerCase()
    .replace(/::[a-z_ ]+(\[\])?/g, '')
    .replace(/[\s()"]/g, '');
}

interface Shape {
  name: string;
  method: string;
  keys: string[];
  dirs: boolean[];
  include: string[];
  predicate: string;
}

function shapeOfIndex(ix: Index): Shape {
  return {
    name: ix.name,
    method: ix.method,
    keys: ix.keys.map((k) => `${k.column ?? norm(k.expression)}|${k.opclass ?? ''}`),
    dirs: ix.keys.map((k) => k.descending),
    include: [...ix.include].sort(),
    predicate: norm(ix.predicate),
  };
}

function shapeOfCandidate(c: IndexCandidate): Shape {
  return {
    name: c.name,
    method: c.method,
    keys: c.keys.map((k) => `${k.column ?? norm(k.expression)}|${k.opclass ?? ''}`),
    dirs: c.keys.map((k) => k.descending),
    include: [...c.include].sort(),
    predicate: norm(c.predicate),
  };
}

function protectedIndex(ix: Index): boolean {
  return ix.primary || ix.unique || ix.exclusion || ix.replicaIdentity || ix.constraintName !== null;
}

function sameShape(a: Shape, b: Shape): boolean {
  return (
    a.method === b.method &&
    a.predicate === b.predicate &&
    a.keys.join(',') === b.keys.join(',') &&
    a.dirs.join(',') === b.dirs.join(',') &&
    a.include.join(',') === b.include.join(',')
  );
}

/** `a` is a strict key prefix of B-tree `b` (directions equal or all flipped), same predicate. */
function prefixOf(a: Shape, b: Shape): boolean {
  if (a.method !== 'btree' || b.method !== 'btree' || a.predicate !== b.predicate) return false;
  if (a.keys.length >= b.keys.length && !(a.keys.length === b.keys.length && a.include.length < b.include.length))
    return false;
  if (!a.keys.every((k, i) => k === b.keys[i])) return false;
  const same = a.dirs.every((d, i) => d === b.dirs[i]);
  const flipped = a.dirs.every((d, i) => d !== b.dirs[i]);
  if (!same && !flipped) return false;
  const bCols = new Set([...b.include, ...b.keys.map((k) => k.split('|')[0]!)]);
  return a.include.every((i) => bCols.has(i));
}

/** Finds drop candidates among existing indexes, given the indexes this run recommends. */
export function findDropCandidates(catalog: Catalog, recommended: readonly IndexCandidate[]): DropCandidate[] {
  const out: DropCandidate[] = [];
  const make = (t: Table, ix: Index, reason: DropReason, coveredBy: string | null, byRec = false): DropCandidate => ({
    schema: t.schema,
    table: t.name,
    index: ix.name,
    reason,
    coveredBy,
    coveredByRecommendation: byRec,
    sizeBytes: ix.sizeBytes,
    scans: ix.scans,
    definition: ix.definition,
  });
  for (const t of catalog.tables) {
    const shapes = t.indexes.map((ix) => ({ ix, shape: shapeOfIndex(ix) }));
    const recs = recommended.filter((c) => c.table === t.name && c.schema === t.schema).map(shapeOfCandidate);
    for (const { ix, shape } of shapes) {
      if (!ix.valid) {
        out.push(make(t, ix, 'invalid', null));
        continue;
      }
      if (protectedIndex(ix)) continue;
      const dup = shapes.find(
        (o) => o.ix !== ix && o.ix.valid && sameShape(o.shape, shape) && (protectedIndex(o.ix) || o.ix.name < ix.name),
      );
      if (dup) {
        out.push(make(t, ix, 'duplicate', dup.ix.name));
        continue;
      }
      const wider = shapes.find(
        (o) =>
          o.ix !== ix &&
          o.ix.valid &&
          prefixOf(shape, o.shape) &&
          !(ix.sizeBytes > 0 && ix.sizeBytes <= NARROWER_MAX_SIZE_RATIO * o.ix.sizeBytes),
      );
      if (wider) {
        out.push(make(t, ix, 'redundant', wider.ix.name));
        continue;
      }
      const rec = recs.find((r) => prefixOf(shape, r) || sameShape(shape, r));
      if (rec) {
        out.push(make(t, ix, 'redundant', rec.name, true));
        continue;
      }
      if (ix.scans === 0) out.push(make(t, ix, 'unused', null));
    }
  }
  return out;
}
