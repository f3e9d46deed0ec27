import { columnStats, distinctValues, findTable } from '../../catalog/lookup.js';
import type { Catalog, Index, Table } from '../../catalog/types.js';
import { quoteIdent, quoteLiteral } from '../../engines/postgres/quote.js';
import type { Predicate } from '../../sql/extract-types.js';
import { btreeDedupFactor } from './btree-size.js';
import {
  type CandidateKey,
  type CandidateKind,
  type CandidateMethod,
  type IndexCandidate,
  makeCandidate,
} from './candidate.js';
import { NARROWER_MAX_SIZE_RATIO } from './existing.js';
import type { AdvisorStatement } from './statements.js';

/**
 * Candidate generation: per statement, the indexes an expert would consider, following the decision tree
 * - equality columns → ORDER BY columns (with the query's directions, so LIMIT gets an ordered scan) → one range
 *   column, as one composite B-tree (most selective equality first), up to `maxWidth` keys;
 * - function-wrapped columns as expression keys (`lower(email)`);
 * - a partial index when an equality on a constant hits a rare value of a skewed column (pg_stats MCVs);
 * - a covering variant (INCLUDE) when the statement reads few narrow columns, for index-only scans;
 * - GIN `gin_trgm_ops` for LIKE/ILIKE/regex (leading wildcards included), GIN `jsonb_path_ops` for `@>` (default
 *   `jsonb_ops` when `?`, `?|`, `?&` are used), GIN on the `to_tsvector(...)` expression for full-text search,
 *   GIN for array operators;
 * - BRIN for ranges on large append-only tables with high physical correlation; hash for equality-only lookups
 *   on wide values;
 * - a B-tree on join columns (the inner side of a nested loop, typically a foreign key).
 * Candidates are merged across statements by definition, and a candidate an existing valid index already serves
 * is dropped (the statement then carries `already-indexed`) — unless the existing index is a wider B-tree and the
 * candidate, a key prefix of it, is estimated at most {@link NARROWER_MAX_SIZE_RATIO} of its size: a much smaller
 * index can make scans cheaper (kind `narrower`; the search keeps it only if the what-if cost says so).
 */

/** Options of candidate generation, with documented defaults. */
export interface CandidateOptions {
  /** Maximum key columns of a B-tree candidate (default 3). */
  maxWidth?: number;
  /** pg_trgm is installed or can be (default true). */
  trigram?: boolean;
  /** A constant equality on a value at most this frequent (pg_stats) is a partial-index predicate (default 0.2). */
  partialMaxFrequency?: number;
  /** Partial predicates only on columns with at most this many distinct values (default 1000). */
  partialMaxDistinct?: number;
  /** INCLUDE at most this many columns (default 3)… */
  coveringMaxColumns?: number;
  /** …of at most this average total width in bytes (default 96). */
  coveringMaxWidth?: number;
  /** BRIN only on tables with at least this many rows (default 100 000)… */
  brinMinRows?: number;
  /** …and |correlation| at least this (default 0.9). */
  brinMinCorrelation?: number;
  /** Hash candidates for equality-only columns at least this wide on average (default 32 bytes). */
  hashMinWidth?: number;
}

const DEFAULTS: Required<CandidateOptions> = {
  maxWidth: 3,
  trigram: true,
  partialMaxFrequency: 0.2,
  partialMaxDistinct: 1000,
  coveringMaxColumns: 3,
  coveringMaxWidth: 96,
  brinMinRows: 100_000,
  brinMinCorrelation: 0.9,
  hashMinWidth: 32,
};

/** Candidates of one statement, and what was skipped. */
export interface StatementCandidates {
  statementId: string;
  candidateIds: string[];
  /** Existing indexes that already serve a candidate this statement would have had. */
  servedBy: string[];
  /** No predicate, join or sort an index could use. */
  noSargable: boolean;
}

/** The generation result. */
export interface CandidateSet {
  candidates: Map<string, IndexCandidate>;
  perStatement: Map<string, StatementCandidates>;
  /**
   * Key prefixes of composite B-trees that no statement asked for directly: the search tries one only once a
   * composite it is a prefix of does not fit the budget (the leading columns often keep most of the gain).
   */
  fallbacks: Set<string>;
}

const EQ_OPS = new Set(['=', 'IN', 'IS NULL']);
const RANGE_OPS = new Set(['<', '<=', '>', '>=', 'BETWEEN']);
const PATTERN_OPS = new Set(['LIKE', 'ILIKE', '~', '~*', 'SIMILAR TO']);
const JSONB_KEY_OPS = new Set(['?', '?|', '?&']);
const JSONB_PATH_OPS = new Set(['@>', '@?', '@@']);
const ARRAY_OPS = new Set(['@>', '<@', '&&']);
const TEXT_TYPES = new Set(['text', 'varchar', 'bpchar', 'citext', 'name']);

function norm(text: string): string {
  return text
    .toLowerCase()
    .replace(/::[a-z_ ]+(\[\])?/g, '')
    .replace(/[\s()"]/g, '');
}

/** A key of an existing index in the candidate key shape. */
function existingKeys(ix: Index): CandidateKey[] {
  return ix.keys.map((k) => ({
    column: k.column,
    expression: k.expression,
    descending: k.descending,
    opclass: k.opclass,
  }));
}

function keyMatches(a: CandidateKey, b: CandidateKey): boolean {
  if (a.column !== null || b.column !== null) {
    if (a.column !== b.column) return false;
  } else if (norm(a.expression ?? '') !== norm(b.expression ?? '')) return false;
  return (a.opclass ?? '') === (b.opclass ?? '');
}

/** The existing valid index that already serves a candidate (same method and predicate, candidate keys a prefix). */
export function existingServing(c: IndexCandidate, table: Table): Index | undefined {
  return table.indexes.find((ix) => {
    if (!ix.valid || ix.method !== c.method) return false;
    if (norm(ix.predicate ?? '') !== norm(c.predicate ?? '')) return false;
    const keys = existingKeys(ix);
    if (c.method === 'gin') return keys.length >= 1 && c.keys.every((k) => keys.some((e) => keyMatches(k, e)));
    if (keys.length < c.keys.length) return false;
    if (!c.keys.every((k, i) => keyMatches(k, keys[i]!))) return false;
    if (c.method === 'btree') {
      const same = c.keys.every((k, i) => k.descending === keys[i]!.descending);
      const flipped = c.keys.every((k, i) => k.descending !== keys[i]!.descending);
      if (!same && !flipped) return false;
    }
    const available = new Set([...ix.include, ...keys.map((k) => k.column).filter((x): x is string => x !== null)]);
    return c.include.every((i) => available.has(i));
  });
}

/** True when the candidate can serve one of the statement's predicates (used by the GIN cost model). */
export function candidateServesPredicate(c: IndexCandidate, statement: AdvisorStatement, catalog: Catalog): boolean {
  return statement.model.predicates.some((p) => {
    const t = p.table ? findTable(catalog, p.table, p.schema ?? undefined) : undefined;
    if (!t || t.name !== c.table || t.schema !== c.schema || p.inOr || p.negated) return false;
    const key = c.keys[0];
    if (!key) return false;
    if (key.expression !== null) return p.expression !== null && norm(p.expression) === norm(key.expression);
    if (p.expression !== null || p.column !== key.column) return false;
    if (key.opclass === 'gin_trgm_ops') return PATTERN_OPS.has(p.op) || EQ_OPS.has(p.op);
    if (key.opclass === 'jsonb_path_ops') return JSONB_PATH_OPS.has(p.op);
    return JSONB_KEY_OPS.has(p.op) || ARRAY_OPS.has(p.op) || p.op === '@@';
  });
}

interface KeyUse {
  key: CandidateKey;
  /** Estimated distinct values (for ordering equality keys, most selective first). */
  distinct: number;
  predicate: Predicate | null;
}

function literal(value: string | number | boolean | null): string | null {
  if (value === null) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return quoteLiteral(value);
}

/** Frequency of a constant in a column from pg_stats (MCV, else the uniform share of the non-MCV rest). */
function valueFrequency(catalog: Catalog, table: Table, column: string, value: string): number | undefined {
  const s = columnStats(catalog, table, column);
  if (!s) return undefined;
  const i = s.mostCommonValues?.indexOf(value) ?? -1;
  if (i >= 0) return s.mostCommonFreqs?.[i];
  const rows = table.rowEstimate ?? 0;
  const nd = distinctValues(s, rows) ?? 0;
  const mcvCount = s.mostCommonValues?.length ?? 0;
  const rest = 1 - (s.mostCommonFreqs ?? []).reduce((a, b) => a + b, 0) - s.nullFrac;
  return nd > mcvCount ? Math.max(0, rest) / (nd - mcvCount) : 0;
}

/** Generates candidates for every supported statement. */
export function generateCandidates(
  statements: readonly AdvisorStatement[],
  catalog: Catalog,
  options: CandidateOptions = {},
): CandidateSet {
  const o = { ...DEFAULTS, ...options };
  const candidates = new Map<string, IndexCandidate>();
  const perStatement = new Map<string, StatementCandidates>();
  const fallbacks = new Set<string>();
  const taken = new Set<string>();
  for (const t of catalog.tables) for (const ix of t.indexes) taken.add(ix.name);

  for (const st of statements) {
    const entry: StatementCandidates = { statementId: st.id, candidateIds: [], servedBy: [], noSargable: true };
    perStatement.set(st.id, entry);
    if (st.unsupported) continue;
    const add = (table: Table, parts: Omit<IndexCandidate, 'id' | 'name' | 'schema' | 'table'>, fallback = false) => {
      if (parts.keys.length === 0) return;
      entry.noSargable = false;
      let probe = makeCandidate({ ...parts, schema: table.schema, table: table.name }, taken);
      const serving = existingServing(probe, table);
      if (serving) {
        if (!fallback && !entry.servedBy.includes(serving.name)) entry.servedBy.push(serving.name);
        if (!narrowerThan(probe, serving, table, catalog)) return;
        parts = { ...parts, kinds: [...new Set<CandidateKind>([...parts.kinds, 'narrower'])] };
        probe = makeCandidate({ ...parts, schema: table.schema, table: table.name }, taken);
      }
      const existing = candidates.get(probe.id);
      if (fallback) {
        // Not one of the statement's own candidates (per-statement lists stay as the decision tree gives them).
        if (!existing) {
          candidates.set(probe.id, probe);
          taken.add(probe.name);
          fallbacks.add(probe.id);
        }
        return;
      }
      if (existing) {
        fallbacks.delete(probe.id);
        const kinds = [...new Set([...existing.kinds, ...parts.kinds])] as CandidateKind[];
        candidates.set(probe.id, Object.freeze({ ...existing, kinds }));
      } else {
        candidates.set(probe.id, probe);
        taken.add(probe.name);
      }
      if (!entry.candidateIds.includes(probe.id)) entry.candidateIds.push(probe.id);
    };
    for (const table of st.tables) generateForTable(st, table, catalog, o, add);
  }
  return { candidates, perStatement, fallbacks };
}

/**
 * True when `c`, served by the existing B-tree `ix`, has fewer key or INCLUDE columns than `ix` and is estimated at
 * most {@link NARROWER_MAX_SIZE_RATIO} of `ix`'s size: leaf tuples of the key widths from pg_stats (8-byte tuple
 * header, MAXALIGN, 4-byte line pointer), shrunk by deduplication, at the default 90 % leaf fill factor.
 */
export function narrowerThan(c: IndexCandidate, ix: Index, table: Table, catalog: Catalog): boolean {
  if (c.method !== 'btree' || ix.method !== 'btree' || c.predicate !== null || ix.sizeBytes <= 0) return false;
  if (ix.keys.length <= c.keys.length && ix.include.length <= c.include.length) return false;
  const rows = table.rowEstimate ?? 0;
  if (rows <= 0) return false;
  let keyBytes = 0;
  for (const k of c.keys) {
    if (k.column === null) return false;
    const w = columnStats(catalog, table, k.column)?.avgWidth;
    if (w === undefined) return false;
    keyBytes += w;
  }
  for (const i of c.include) keyBytes += columnStats(catalog, table, i)?.avgWidth ?? 16;
  const tuple = Math.ceil((8 + keyBytes) / 8) * 8 + 4;
  const estimate = (rows * tuple * btreeDedupFactor(c, table, catalog, catalog.serverVersionNum)) / 0.9;
  return estimate <= NARROWER_MAX_SIZE_RATIO * ix.sizeBytes;
}

function generateForTable(
  st: AdvisorStatement,
  table: Table,
  catalog: Catalog,
  o: Required<CandidateOptions>,
  add: (table: Table, parts: Omit<IndexCandidate, 'id' | 'name' | 'schema' | 'table'>, fallback?: boolean) => void,
): void {
  const m = st.model;
  const onTable = (name: string | null, schema: string | null = null) =>
    name !== null && findTable(catalog, name, schema ?? undefined) === table;
  const col = (name: string | null) => (name ? table.columns.find((c) => c.name === name) : undefined);
  const rows = table.rowEstimate ?? 0;
  const distinctOf = (column: string | null) => {
    if (!column) return rows;
    return distinctValues(columnStats(catalog, table, column), rows) ?? rows / 10;
  };
  const fkLeading = new Set(
    table.constraints
      .filter((c) => c.kind === 'foreign')
      .map((c) => c.columns[0])
      .filter((x): x is string => !!x),
  );
  const preds = m.predicates.filter((p) => onTable(p.table, p.schema) && !p.inOr && !p.negated);
  const eq: KeyUse[] = [];
  const range: KeyUse[] = [];
  for (const p of preds) {
    const column = col(p.column);
    const type = column?.typeName ?? '';
    const plainKey = (): CandidateKey =>
      p.expression !== null
        ? { column: null, expression: p.expression, descending: false, opclass: null }
        : { column: p.column, expression: null, descending: false, opclass: null };
    const valueOk = p.value.kind !== 'column' && p.value.kind !== 'other';
    if (EQ_OPS.has(p.op) && (valueOk || p.op === 'IS NULL') && (p.column || p.expression)) {
      const distinct = p.expression !== null ? rows : distinctOf(p.column);
      if (!eq.some((e) => e.key.column === plainKey().column && e.key.expression === plainKey().expression))
        eq.push({ key: plainKey(), distinct, predicate: p });
    } else if (RANGE_OPS.has(p.op) && valueOk && (p.column || p.expression)) {
      range.push({ key: plainKey(), distinct: distinctOf(p.column), predicate: p });
    }
    // GIN and friends, one candidate per predicate.
    if (PATTERN_OPS.has(p.op) && o.trigram && p.expression === null && TEXT_TYPES.has(type)) {
      add(table, gin(p.column!, null, 'gin_trgm_ops', ['trigram']));
    } else if (type === 'jsonb' && p.expression === null && JSONB_PATH_OPS.has(p.op)) {
      add(table, gin(p.column!, null, 'jsonb_path_ops', ['jsonb']));
    } else if (type === 'jsonb' && p.expression === null && JSONB_KEY_OPS.has(p.op)) {
      add(table, gin(p.column!, null, null, ['jsonb']));
    } else if (type.startsWith('_') && p.expression === null && ARRAY_OPS.has(p.op)) {
      add(table, gin(p.column!, null, null, ['array']));
    } else if (p.op === '@@' && p.expression !== null && p.functionName === 'to_tsvector') {
      add(table, gin(null, p.expression, null, ['full-text']));
    } else if (p.op === '@@' && p.expression === null && type === 'tsvector') {
      add(table, gin(p.column!, null, null, ['full-text']));
    }
  }
  // Join columns: the inner side of a nested loop looks rows up by them.
  for (const j of m.joins) {
    for (const side of [j.left, j.right]) {
      if (!onTable(side.table) || !col(side.column)) continue;
      const kinds: CandidateKind[] = ['single'];
      if (fkLeading.has(side.column)) kinds.push('foreign-key');
      add(
        table,
        btree([{ column: side.column, expression: null, descending: false, opclass: null }], [], null, [], kinds),
      );
    }
  }
  // ORDER BY keys, when every key is on this table (else no index can deliver the order).
  const sort: CandidateKey[] = [];
  if (m.orderBy.length > 0 && m.orderBy.every((k) => onTable(k.table) && (k.column || k.expression))) {
    for (const k of m.orderBy) {
      const isEq = eq.some((e) => e.key.column === k.column && e.key.expression === k.expression);
      if (!isEq) sort.push({ column: k.column, expression: k.expression, descending: k.descending, opclass: null });
    }
  }
  eq.sort((a, b) => b.distinct - a.distinct);
  range.sort((a, b) => b.distinct - a.distinct);
  const compose = (eqs: KeyUse[]): CandidateKey[] => {
    const keys: CandidateKey[] = eqs.map((e) => e.key);
    for (const s of sort) if (keys.length < o.maxWidth) keys.push(s);
    const r = range.find((x) => !keys.some((k) => k.column === x.key.column && k.expression === x.key.expression));
    if (r && keys.length < o.maxWidth && (sort.length === 0 || keys.length < o.maxWidth)) keys.push(r.key);
    return keys.slice(0, o.maxWidth);
  };
  const kindsOf = (keys: CandidateKey[], extra: CandidateKind[] = []): CandidateKind[] => {
    const kinds: CandidateKind[] = [keys.length > 1 ? 'composite' : 'single', ...extra];
    if (sort.length > 0 && keys.some((k) => sort.includes(k))) kinds.push('ordered');
    if (keys.some((k) => k.expression !== null)) kinds.push('expression');
    if (keys[0]?.column && fkLeading.has(keys[0].column)) kinds.push('foreign-key');
    return kinds;
  };
  // Columns the statement needs from this table (for covering variants); null when it needs all of them.
  const needed = neededColumns(st, table, catalog);
  const covering = (keys: CandidateKey[], predicateColumns: string[]): string[] | null => {
    if (!needed) return null;
    if (needed.expressions.some((e) => !keys.some((k) => k.expression !== null && norm(k.expression) === norm(e))))
      return null;
    const keyCols = new Set(keys.map((k) => k.column).filter((x): x is string => x !== null));
    const inc = needed.columns.filter((c) => !keyCols.has(c) && !predicateColumns.includes(c));
    if (inc.length === 0 || inc.length > o.coveringMaxColumns) return null;
    const width = inc.reduce((a, c) => a + (columnStats(catalog, table, c)?.avgWidth ?? 16), 0);
    return width <= o.coveringMaxWidth ? inc : null;
  };
  const pushBtree = (
    keys: CandidateKey[],
    predicate: string | null,
    predicateColumns: string[],
    extra: CandidateKind[],
  ) => {
    if (keys.length === 0) return;
    add(table, btree(keys, [], predicate, predicateColumns, kindsOf(keys, extra)));
    const inc = covering(keys, predicateColumns);
    if (inc) add(table, btree(keys, inc, predicate, predicateColumns, [...kindsOf(keys, extra), 'covering']));
  };
  const composite = compose(eq);
  pushBtree(composite, null, [], []);
  // `col IN (subquery)` is a semi-join, not an equality on known values: the planner cannot use it as an index
  // condition that keeps the ORDER BY order, so the keys without it (the sort keys first) are a candidate too: an
  // ordered scan that probes the semi-join row by row. ORDER BY columns are indexable on their own in the
  // candidate selection of Chaudhuri and Narasayya ("An Efficient, Cost-Driven Index Selection Tool for Microsoft
  // SQL Server", VLDB 1997).
  const semi = eq.filter((e) => e.predicate?.value.kind === 'subquery');
  if (semi.length > 0 && sort.length > 0) pushBtree(compose(eq.filter((e) => !semi.includes(e))), null, [], []);
  // Its key prefixes, as fallbacks for a budget the composite does not fit.
  for (let n = composite.length - 1; n >= 1; n--) {
    const keys = composite.slice(0, n);
    add(table, btree(keys, [], null, [], kindsOf(keys)), true);
  }
  // Partial variant: a constant equality on a rare value of a skewed, low-cardinality column.
  for (const e of eq) {
    const p = e.predicate;
    if (p?.op !== '=' || p.value.kind !== 'const' || !p.column || p.expression !== null) continue;
    const lit = literal(p.value.value);
    if (lit === null) continue;
    const freq = valueFrequency(catalog, table, p.column, String(p.value.value));
    const nd = distinctOf(p.column);
    if (freq === undefined || freq > o.partialMaxFrequency || nd > o.partialMaxDistinct) continue;
    let keys = compose(eq.filter((x) => x !== e));
    if (keys.length === 0) {
      const pk = table.constraints.find((c) => c.kind === 'primary')?.columns[0] ?? p.column;
      keys = [{ column: pk, expression: null, descending: false, opclass: null }];
    }
    pushBtree(keys, `${quoteIdent(p.column)} = ${lit}`, [p.column], ['partial']);
  }
  // BRIN for ranges on big append-only tables with physically ordered values.
  const a = table.activity;
  const appendOnly = !a || a.nTupUpd + a.nTupDel <= 0.05 * Math.max(1, a.nTupIns);
  for (const r of range) {
    if (!r.key.column || rows < o.brinMinRows || !appendOnly) continue;
    const corr = columnStats(catalog, table, r.key.column)?.correlation ?? 0;
    if (Math.abs(corr) >= o.brinMinCorrelation) {
      add(table, {
        method: 'brin',
        keys: [{ ...r.key, descending: false }],
        include: [],
        predicate: null,
        predicateColumns: [],
        kinds: ['brin'],
      });
    }
  }
  // Hash for an equality-only lookup on a wide column (smaller than a B-tree on wide keys, O(1) probes).
  if (eq.length === 1 && range.length === 0 && sort.length === 0) {
    const e = eq[0]!;
    const width = e.key.column ? (columnStats(catalog, table, e.key.column)?.avgWidth ?? 0) : 0;
    if (e.predicate?.op === '=' && width >= o.hashMinWidth && e.distinct >= rows * 0.5) {
      add(table, {
        method: 'hash',
        keys: [e.key],
        include: [],
        predicate: null,
        predicateColumns: [],
        kinds: ['hash'],
      });
    }
  }
}

function gin(
  column: string | null,
  expression: string | null,
  opclass: string | null,
  kinds: CandidateKind[],
): Omit<IndexCandidate, 'id' | 'name' | 'schema' | 'table'> {
  return {
    method: 'gin' as CandidateMethod,
    keys: [{ column, expression, descending: false, opclass }],
    include: [],
    predicate: null,
    predicateColumns: [],
    kinds,
  };
}

function btree(
  keys: CandidateKey[],
  include: string[],
  predicate: string | null,
  predicateColumns: string[],
  kinds: CandidateKind[],
): Omit<IndexCandidate, 'id' | 'name' | 'schema' | 'table'> {
  return { method: 'btree', keys, include, predicate, predicateColumns, kinds: [...new Set(kinds)] };
}

/** Columns (and expressions) of `table` a statement reads; null when it reads all (`*`) or cannot tell. */
function neededColumns(
  st: AdvisorStatement,
  table: Table,
  catalog: Catalog,
): { columns: string[]; expressions: string[] } | null {
  const m = st.model;
  if (m.kind !== 'select') return null;
  const onTable = (name: string | null) => name !== null && findTable(catalog, name) === table;
  const cols: string[] = [];
  const exprs: string[] = [];
  const push = (c: string | null) => {
    if (c && !cols.includes(c)) cols.push(c);
  };
  for (const s of m.selected) {
    if (s.star && (s.table === null || onTable(s.table))) return null;
    if (!onTable(s.table)) continue;
    if (s.expression !== null) return null;
    push(s.column);
  }
  for (const p of m.predicates) {
    if (!onTable(p.table)) continue;
    if (p.expression !== null) exprs.push(p.expression);
    else push(p.column);
  }
  for (const k of [...m.orderBy, ...m.groupBy]) if (onTable(k.table)) push(k.column);
  for (const j of m.joins) for (const side of [j.left, j.right]) if (onTable(side.table)) push(side.column);
  return { columns: cols, expressions: exprs };
}
