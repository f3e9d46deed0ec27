import { qualifiedName, quoteIdent } from '../../engines/postgres/quote.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { USER_SCHEMAS } from '../sources.js';
import { query } from '../state.js';
import { formatBytes, percent, round } from '../units.js';

/**
 * `mostly-null-index`: single-column B-tree indexes on a column that is mostly NULL (pg_stats.null_frac). B-tree
 * indexes store NULLs, so the index is mostly entries nobody looks up; a partial index `WHERE col IS NOT NULL`
 * keeps what queries use. The saving is the index size times the NULLs' share of it (weighted for B-tree deduplication, where NULLs
 * share posting lists).
 */
export const mostlyNullIndex = defineCheck({
  id: 'mostly-null-index',
  category: 'index',
  watchRefresh: 'estimates',
  description: 'Single-column B-tree indexes on mostly-NULL columns (suggests a partial index with the saving)',
  options: {
    minNullPercent: {
      type: 'number',
      default: 50,
      min: 0,
      description: 'null fraction (%) from which an index is reported',
    },
    minBytes: {
      type: 'number',
      default: 1024 * 1024,
      min: 0,
      description: 'indexes smaller than this are ignored (accepts 1MB)',
    },
    mediumSavingBytes: {
      type: 'number',
      default: 100 * 1024 * 1024,
      min: 0,
      description: 'estimated saving from which severity is medium (accepts 100MB)',
    },
    highSavingBytes: {
      type: 'number',
      default: 10 * 1024 ** 3,
      min: 0,
      description: 'estimated saving from which severity is high',
    },
  },
  limitations: [{ without: 'superuser', effect: 'pg_stats rows of tables the user cannot read are hidden' }],
  async run(ctx, o) {
    // Two steps: the mostly-NULL columns first (pg_stats filtered on null_frac, usually few), then only their
    // indexes, looked up by name through the catalog indexes. One join of pg_stats with every index is far slower
    // on a catalog of thousands of tables.
    // pg_statistic (superuser only) is read directly: the pg_stats view checks column privileges row by row,
    // which costs ~20 µs per column on a big catalog. Other roles read the view.
    const columns = ctx.capabilities?.isSuperuser
      ? await query<Record<string, unknown>>(
          ctx,
          `SELECT n.nspname::text AS schema, t.relname::text AS table_name, a.attname::text AS column_name,
                  s.stanullfrac::float8 AS null_frac, s.stawidth::int AS avg_width
             FROM pg_statistic s
             JOIN pg_class t ON t.oid = s.starelid
             JOIN pg_namespace n ON n.oid = t.relnamespace
             JOIN pg_attribute a ON a.attrelid = s.starelid AND a.attnum = s.staattnum AND NOT a.attisdropped
            WHERE NOT s.stainherit AND s.stanullfrac * 100 >= $1 AND ${USER_SCHEMAS}
              -- only columns that lead a single-column index: the others cannot be reported
              AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = s.starelid AND i.indnatts = 1
                             AND i.indkey[0] = s.staattnum)`,
          [o.minNullPercent],
        )
      : await query<Record<string, unknown>>(
          ctx,
          `SELECT s.schemaname::text AS schema, s.tablename::text AS table_name, s.attname::text AS column_name,
                  s.null_frac::float8 AS null_frac, s.avg_width::int AS avg_width
             FROM pg_stats s
            WHERE NOT s.inherited AND s.null_frac * 100 >= $1
              AND s.schemaname NOT IN ('pg_catalog', 'information_schema') AND s.schemaname NOT LIKE 'pg\\_toast%'`,
          [o.minNullPercent],
        );
    if (columns.length === 0) return [];
    const rows = await query<Record<string, unknown>>(
      ctx,
      `SELECT s.schema, s.table_name, c.relname AS name, s.column_name, s.null_frac, s.avg_width,
              pg_relation_size(i.indexrelid) AS size_bytes, pg_get_indexdef(i.indexrelid) AS definition,
              i.indisunique AS is_unique
         FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::int[])
                AS s(schema, table_name, column_name, null_frac, avg_width)
         JOIN pg_namespace n ON n.nspname = s.schema
         JOIN pg_class t ON t.relnamespace = n.oid AND t.relname = s.table_name
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attname = s.column_name
         JOIN pg_index i ON i.indrelid = t.oid AND i.indnatts = 1 AND i.indkey[0] = a.attnum
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_am am ON am.oid = c.relam
        WHERE i.indpred IS NULL AND i.indisvalid AND am.amname = 'btree'
          AND NOT i.indisprimary AND NOT i.indisexclusion AND NOT i.indisreplident
          AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)`,
      [
        columns.map((r) => r.schema),
        columns.map((r) => r.table_name),
        columns.map((r) => r.column_name),
        columns.map((r) => r.null_frac),
        columns.map((r) => r.avg_width),
      ],
    );
    return rows
      .filter((r) => Number(r.size_bytes) >= o.minBytes)
      .map((r) => {
        const schema = String(r.schema);
        const table = String(r.table_name);
        const name = String(r.name);
        const column = String(r.column_name);
        const nullFrac = Number(r.null_frac);
        const size = Number(r.size_bytes);
        // With B-tree deduplication (13+, non-unique indexes) NULLs share posting lists at ~6 bytes per row,
        // while other entries cost a full tuple: weigh the NULLs' share of the index accordingly.
        const dedup = (ctx.capabilities?.majorVersion ?? 13) >= 13 && !r.is_unique;
        const entryBytes = 8 + Math.ceil(Number(r.avg_width) / 8) * 8 + 4;
        const nullShare = dedup ? (nullFrac * 6) / (nullFrac * 6 + (1 - nullFrac) * entryBytes) : nullFrac;
        const saving = Math.round(size * nullShare);
        const severity = climb(saving, { low: 0, medium: o.mediumSavingBytes, high: o.highSavingBytes }) ?? 'low';
        const partial = `CREATE ${r.is_unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${quoteIdent(`${name}_partial`.slice(0, 63))} ON ${qualifiedName(schema, table)} (${quoteIdent(column)}) WHERE ${quoteIdent(column)} IS NOT NULL;`;
        return makeFinding({
          ruleId: 'mostly-null-index',
          category: 'index',
          severity,
          title: `Index ${qualifiedName(schema, name)} on ${table}.${column}: ${percent(nullFrac, 1)}% of entries are NULL (could save ~${formatBytes(saving)})`,
          summary:
            'B-tree indexes store NULL entries, and this column is mostly NULL, so most of the index is never used by equality or range lookups. A partial index WHERE column IS NOT NULL serves the same queries at a fraction of the size.',
          evidence: {
            index: `${schema}.${name}`,
            table: `${schema}.${table}`,
            column,
            nullPercent: round(nullFrac * 100, 1),
            sizeBytes: size,
            estimatedSavingBytes: saving,
            nullShareOfIndexPercent: round(nullShare * 100, 1),
            deduplicated: dedup,
            definition: String(r.definition),
          },
          remediation: {
            sql: `${partial}\nDROP INDEX CONCURRENTLY ${qualifiedName(schema, name)};`,
            steps: [
              'Queries must say `column IS NOT NULL` (or use an operator that implies it, like `=`) for the partial index to be chosen; `WHERE column IS NULL` lookups will no longer use an index.',
            ],
          },
          object: `index ${schema}.${name}`,
          identity: [schema, name],
        });
      });
  },
});
