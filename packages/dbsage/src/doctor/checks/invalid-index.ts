import { qualifiedName, quoteIdent } from '../../engines/postgres/quote.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb, maxSeverity } from '../severity.js';
import { indexShapes, USER_SCHEMAS } from '../sources.js';
import { doctorState, query } from '../state.js';
import { formatBytes } from '../units.js';

/**
 * `invalid-index`: indexes left INVALID by a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY. The planner
 * ignores them but every write still maintains them, and an invalid unique index still rejects new duplicates
 * without guaranteeing the old rows are unique. Indexes being built right now (pg_stat_progress_create_index, or
 * a lock held on the index by another backend) are left out: they are invalid only until the build ends.
 */
export const invalidIndex = defineCheck({
  id: 'invalid-index',
  category: 'index',
  watchRefresh: 'catalog',
  description: 'INVALID indexes from failed concurrent builds (not ones being built now)',
  options: {
    highBytes: {
      type: 'number',
      default: 1024 ** 3,
      min: 0,
      description: 'size from which a non-unique invalid index is high (accepts 1GB)',
    },
  },
  async run(ctx, o) {
    // In a monitoring session validity is in the index shapes (kept while the catalog is unchanged): with no
    // invalid index there is nothing to look up. A one-off run asks the server directly.
    if (doctorState(ctx).cache && !(await indexShapes(ctx)).some((i) => !i.valid)) return [];
    const rows = await query<Record<string, unknown>>(
      ctx,
      `SELECT n.nspname AS schema, t.relname AS table_name, c.relname AS name, i.indisunique AS is_unique,
              i.indisready AS is_ready, pg_get_indexdef(i.indexrelid) AS definition,
              pg_relation_size(i.indexrelid) AS size_bytes,
              ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                     WHERE k.ord <= i.indnkeyatts ORDER BY k.ord) AS key_columns,
              i.indexprs IS NOT NULL AS has_expressions
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE NOT i.indisvalid AND ${USER_SCHEMAS}
          AND NOT EXISTS (SELECT 1 FROM pg_stat_progress_create_index p
                           WHERE p.index_relid = i.indexrelid OR (p.relid = i.indrelid AND p.index_relid = 0))
          AND NOT EXISTS (SELECT 1 FROM pg_locks l
                           WHERE l.locktype = 'relation' AND l.relation = i.indexrelid AND l.pid <> pg_backend_pid())`,
    );
    return rows.map((r) => {
      const schema = String(r.schema);
      const table = String(r.table_name);
      const name = String(r.name);
      const unique = Boolean(r.is_unique);
      const size = Number(r.size_bytes);
      const keyColumns = (r.key_columns as string[] | null) ?? [];
      const severity = maxSeverity(unique ? 'high' : 'medium', climb(size, { high: o.highBytes })) ?? 'medium';
      const duplicatesSql =
        unique && !r.has_expressions && keyColumns.length > 0
          ? `SELECT ${keyColumns.map(quoteIdent).join(', ')}, count(*) FROM ${qualifiedName(schema, table)} GROUP BY ${keyColumns.map(quoteIdent).join(', ')} HAVING count(*) > 1 LIMIT 20;`
          : null;
      return makeFinding({
        ruleId: 'invalid-index',
        category: 'index',
        severity,
        title: `Index ${qualifiedName(schema, name)} on ${qualifiedName(schema, table)} is INVALID${unique ? ' (unique)' : ''}`,
        summary: unique
          ? 'A failed concurrent build left this unique index invalid: queries cannot use it, writes still maintain it and new duplicates are rejected, but existing rows are not guaranteed unique. Remove the duplicates, then rebuild it.'
          : 'A failed concurrent build left this index invalid: queries cannot use it but every write still maintains it. Rebuild it, or drop it.',
        evidence: {
          index: `${schema}.${name}`,
          table: `${schema}.${table}`,
          unique,
          ready: Boolean(r.is_ready),
          sizeBytes: size,
          definition: String(r.definition),
        },
        remediation: {
          sql: `REINDEX INDEX CONCURRENTLY ${qualifiedName(schema, name)};`,
          steps: [
            ...(duplicatesSql ? [`Find the duplicates that made the build fail first: ${duplicatesSql}`] : []),
            `If the index is not wanted, drop it instead: DROP INDEX CONCURRENTLY ${qualifiedName(schema, name)}; (${formatBytes(size)}).`,
          ],
        },
        object: `index ${schema}.${name}`,
        identity: [schema, name],
      });
    });
  },
});
