import { findTable } from '../../catalog/lookup.js';
import { qualifiedName, quoteIdent } from '../../engines/postgres/quote.js';
import type { AntiPatternHit, AntiPatternRule } from './anti-pattern.js';

/** True when a LIKE pattern starts with a wildcard: `'%foo'`, `'%' || $1`, `concat('%', $1)`. */
function leadingWildcard(value: { kind: string; value?: unknown; text?: string }): boolean {
  if (value.kind === 'const') return typeof value.value === 'string' && /^[%_]/.test(value.value);
  if (value.kind === 'expr' || value.kind === 'other')
    return /^\(?\s*'[%_]/.test(value.text ?? '') || /concat\(\s*'%/i.test(value.text ?? '');
  return false;
}

/**
 * `leading-wildcard-like`: `LIKE '%…'` (or ILIKE) cannot use a B-tree index, so every row is read. A trigram
 * GIN index (`gin_trgm_ops`, pg_trgm) serves substring and suffix searches; with the catalog the rule stays
 * quiet when such an index already exists on the column.
 */
export const leadingWildcardLike: AntiPatternRule = {
  id: 'leading-wildcard-like',
  description: 'Leading-wildcard LIKE/ILIKE without a trigram index',
  check(s, ctx) {
    const out: AntiPatternHit[] = [];
    for (const p of s.model.predicates) {
      if (!['LIKE', 'ILIKE'].includes(p.op) || !p.column || !p.table) continue;
      if (!leadingWildcard(p.value)) continue;
      const table = ctx.catalog ? findTable(ctx.catalog, p.table, p.schema ?? undefined) : undefined;
      const trigram = table?.indexes.some(
        (i) =>
          i.valid &&
          (i.method === 'gin' || i.method === 'gist') &&
          i.keys.some(
            (k) => (k.column === p.column || k.expression?.includes(p.column!)) && /trgm/.test(k.opclass ?? ''),
          ),
      );
      if (trigram) continue;
      const rel = table ? qualifiedName(table.schema, table.name) : quoteIdent(p.table);
      const target = p.expression ? `(${p.expression})` : quoteIdent(p.column);
      out.push({
        severity: s.workload ? 'medium' : 'low',
        title: `${p.op} with a leading wildcard on ${p.table}.${p.column} (no trigram index)`,
        summary:
          'A pattern starting with % cannot use a B-tree index, so every search reads the whole table; a trigram GIN index serves it.',
        evidence: {
          table: p.table,
          column: p.column,
          op: p.op,
          pattern: p.value.kind === 'const' ? p.value.value : (p.value as { text?: string }).text,
        },
        fix: {
          sql: `CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE INDEX CONCURRENTLY ON ${rel} USING gin (${target} gin_trgm_ops);`,
          steps: ['Add a trigram GIN index (pg_trgm) on the column, or use full-text search for word searches.'],
        },
        identity: `${p.table}.${p.column}`,
      });
    }
    return out;
  },
};
