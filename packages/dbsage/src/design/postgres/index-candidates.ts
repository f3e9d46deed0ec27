import type { ExtractedStatement, Predicate } from '../../sql/extract-types.js';
import type { DesignIndex, DesignIndexKey } from './design-index.js';

/**
 * Index candidates for one statement. This is the single place where design asks "which indexes would serve
 * this statement?"; it reads the same statement model as the index advisor (`extractStatement`) and applies the
 * same decision tree: B-tree keys ordered equality → sort → range (sort direction matching ORDER BY so a LIMIT
 * query gets an ordered scan), partial indexes for rare constants, expression indexes for function-wrapped
 * columns, GIN `gin_trgm_ops` for leading-wildcard LIKE/ILIKE and regex, GIN `jsonb_path_ops` for `@>` (default
 * `jsonb_ops` for key existence), GIN on the `to_tsvector(...)` expression for full-text search, and INCLUDE
 * columns for index-only scans of small projections.
 *
 * When the advisor's candidate generation (`src/advisor/indexes`) exposes its per-statement API, this function
 * becomes a call to it; its callers do not change.
 */
export function statementIndexCandidates(statement: ExtractedStatement, hints: CandidateHints): CandidateIndex[] {
  const out: CandidateIndex[] = [];
  const tables = new Set(statement.relations.map((r) => r.name));
  const single = tables.size === 1;
  for (const table of tables) {
    const preds = statement.predicates.filter(
      (p) => (p.table === table || (p.table === null && single)) && !p.inOr && !p.negated,
    );
    out.push(...specialCandidates(table, preds, hints));
    const btree = btreeCandidate(table, preds, statement, single, hints);
    if (btree) out.push(btree);
  }
  return out;
}

/** What the caller knows about the schema and the pattern. */
export interface CandidateHints {
  /** PostgreSQL type of a column (`jsonb`, `text[]`, …), when known. */
  columnType(table: string, column: string): string | undefined;
  /** Fraction of rows matching `column = value`, when known (pattern `selectivity`, or pg_stats). */
  selectivity(table: string, column: string, value: unknown): number | undefined;
  /** The column (or expression over it) is unique on its own. */
  isUnique(table: string, column: string | null, expression: string | null): boolean;
}

/** A candidate with the reason in words. */
export type CandidateIndex = Omit<DesignIndex, 'name' | 'reasons'> & { because: string };

/** Constants matching at most this fraction of rows become a partial-index predicate. */
export const PARTIAL_INDEX_MAX_SELECTIVITY = 0.1;
/** At most this many INCLUDE columns for an index-only scan. */
export const MAX_INCLUDE_COLUMNS = 3;
/** At most this many B-tree key columns. */
export const MAX_KEY_COLUMNS = 4;

const EQUALITY = new Set(['=', 'IN', 'IS NULL']);
const RANGE = new Set(['<', '<=', '>', '>=', 'BETWEEN']);

function key(
  p: Pick<Predicate, 'column' | 'expression'>,
  descending = false,
  opclass: string | null = null,
): DesignIndexKey {
  return p.expression
    ? { column: null, expression: p.expression, descending, opclass }
    : { column: p.column, expression: null, descending, opclass };
}

function leadingWildcard(p: Predicate): boolean {
  if (p.value.kind === 'const') return typeof p.value.value === 'string' && p.value.value.startsWith('%');
  if (p.value.kind === 'expr') return p.value.text.replace(/^[\s(]+/, '').startsWith("'%");
  // A bare parameter may hold a leading wildcard: assume it does (the safe index for LIKE $1 is trigram).
  return p.value.kind === 'param';
}

function specialCandidates(table: string, preds: Predicate[], hints: CandidateHints): CandidateIndex[] {
  const out: CandidateIndex[] = [];
  for (const p of preds) {
    const base = { table, include: [], predicate: null, unique: false };
    const type = p.column ? hints.columnType(table, p.column) : undefined;
    if ((p.op === 'LIKE' || p.op === 'ILIKE') && leadingWildcard(p)) {
      out.push({
        ...base,
        method: 'gin',
        keys: [key(p, false, 'gin_trgm_ops')],
        because: `${p.op} with a leading wildcard on ${p.expression ?? p.column}: only a trigram GIN index serves it`,
      });
    } else if (p.op === '~' || p.op === '~*') {
      out.push({
        ...base,
        method: 'gin',
        keys: [key(p, false, 'gin_trgm_ops')],
        because: `regular expression match on ${p.expression ?? p.column}: a trigram GIN index serves it`,
      });
    } else if (p.op === '@>' || p.op === '<@') {
      const jsonb = type === 'jsonb';
      out.push({
        ...base,
        method: 'gin',
        keys: [key(p, false, jsonb ? 'jsonb_path_ops' : null)],
        because: jsonb
          ? `jsonb containment (@>) on ${p.column}: GIN jsonb_path_ops is smaller and faster than jsonb_ops for @>`
          : `array containment on ${p.column}: GIN`,
      });
    } else if (p.op === '?' || p.op === '?|' || p.op === '?&') {
      out.push({
        ...base,
        method: 'gin',
        keys: [key(p)],
        because: `key existence (${p.op}) on ${p.column}: GIN jsonb_ops (jsonb_path_ops does not support ?)`,
      });
    } else if (p.op === '@@' && p.expression) {
      out.push({
        ...base,
        method: 'gin',
        keys: [key(p)],
        because: `full-text search on ${p.expression}: GIN on the same expression the query uses`,
      });
    } else if (p.op === '&&') {
      out.push({ ...base, method: 'gin', keys: [key(p)], because: `array overlap (&&) on ${p.column}: GIN` });
    }
  }
  return out;
}

function btreeCandidate(
  table: string,
  preds: Predicate[],
  statement: ExtractedStatement,
  single: boolean,
  hints: CandidateHints,
): CandidateIndex | undefined {
  const keys: DesignIndexKey[] = [];
  const words: string[] = [];
  const seen = new Set<string>();
  const add = (k: DesignIndexKey) => {
    const id = k.column ?? `(${k.expression})`;
    if (seen.has(id) || keys.length >= MAX_KEY_COLUMNS) return false;
    seen.add(id);
    keys.push(k);
    return true;
  };
  let predicate: string | null = null;
  // Equality first; a rare constant becomes the partial-index predicate instead of a key.
  for (const p of preds.filter((x) => EQUALITY.has(x.op))) {
    if (
      predicate === null &&
      p.op === '=' &&
      p.column &&
      !p.expression &&
      p.value.kind === 'const' &&
      (hints.selectivity(table, p.column, p.value.value) ?? 1) <= PARTIAL_INDEX_MAX_SELECTIVITY
    ) {
      predicate = `${p.column} = ${typeof p.value.value === 'string' ? `'${p.value.value.replace(/'/g, "''")}'` : String(p.value.value)}`;
      words.push(`partial on ${predicate} (rare value)`);
      continue;
    }
    if (add(key(p))) words.push(`${p.expression ?? p.column} (equality)`);
  }
  // Then the sort, when every ORDER BY key is a plain column of this table.
  const order = statement.orderBy;
  const sortable =
    order.length > 0 &&
    order.every((o) => o.column && !o.expression && (o.table === table || (o.table === null && single)));
  if (sortable) {
    const before = keys.length;
    for (const o of order) add({ column: o.column, expression: null, descending: o.descending, opclass: null });
    if (keys.length > before)
      words.push(`${order.map((o) => `${o.column}${o.descending ? ' DESC' : ''}`).join(', ')} (sort)`);
  }
  // Then one range (a range key stops the B-tree from serving anything after it).
  const range = preds.find(
    (x) => RANGE.has(x.op) || ((x.op === 'LIKE' || x.op === 'ILIKE') && !leadingWildcard(x) && x.op === 'LIKE'),
  );
  if (range && add(key(range, false, range.op === 'LIKE' ? 'text_pattern_ops' : null))) {
    words.push(`${range.expression ?? range.column} (range)`);
  }
  if (keys.length === 0) {
    if (predicate === null) return undefined;
    const p = preds.find((x) => x.op === '=' && x.value.kind === 'const' && x.column)!;
    add(key(p));
  }
  if (keys.length === 1 && keys[0]!.column && hints.isUnique(table, keys[0]!.column, null) && !predicate) {
    return undefined; // The unique constraint's index already serves it.
  }
  // INCLUDE: small projections read in bulk (no small LIMIT) become index-only scans.
  let include: string[] = [];
  const limit = statement.limit?.kind === 'const' ? Number(statement.limit.value) : undefined;
  const uniqueLookup = preds.some(
    (p) => EQUALITY.has(p.op) && p.column !== null && hints.isUnique(table, p.column, null),
  );
  const selected = statement.selected;
  if (
    single &&
    !uniqueLookup &&
    (limit === undefined || limit > 100) &&
    selected.length > 0 &&
    selected.every((s) => !s.star && s.column && !s.expression)
  ) {
    const extra = [...new Set(selected.map((s) => s.column!))].filter((c) => !keys.some((k) => k.column === c));
    const wide = extra.some((c) => ['jsonb', 'json', 'bytea'].includes(hints.columnType(table, c) ?? ''));
    if (extra.length > 0 && extra.length <= MAX_INCLUDE_COLUMNS && !wide) {
      include = extra;
      words.push(`INCLUDE ${extra.join(', ')} (index-only scan of the selected columns)`);
    }
  }
  return {
    table,
    method: 'btree',
    keys,
    include,
    predicate,
    unique: false,
    because: `B-tree, equality → sort → range: ${words.join(', ')}`,
  };
}
