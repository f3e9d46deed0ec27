import { qualifiedName } from '../../engines/postgres/quote.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { USER_SCHEMAS } from '../sources.js';
import { catalogMemo, query } from '../state.js';
import { formatBytes, formatCount } from '../units.js';

/**
 * `missing-primary-key`: tables without a primary key. Rows cannot be addressed reliably (duplicates, ORMs,
 * tooling), and logical replication cannot replicate UPDATE/DELETE without a replica identity. Partitions are
 * judged through their parent. Severity climbs with size and is at least medium when the table is published.
 */
export const missingPrimaryKey = defineCheck({
  id: 'missing-primary-key',
  category: 'schema',
  watchRefresh: 'catalog',
  description: 'Tables without a primary key',
  options: {
    mediumRows: {
      type: 'number',
      default: 100_000,
      min: 0,
      description: 'rows (estimate) from which severity is medium',
    },
  },
  async run(ctx, o) {
    // Which tables have no primary key depends on the catalog alone (kept across a session's runs); their row
    // counts, sizes, candidate keys and publications are read on every run, for those tables only.
    const withoutPk = await catalogMemo(ctx, 'tables-without-primary-key', async () =>
      (
        await query<{ oid: number }>(
          ctx,
          `SELECT c.oid::int8 AS oid
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p')           -- r table, p partitioned table
              AND NOT c.relispartition AND c.relpersistence = 'p'
              AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
              AND ${USER_SCHEMAS}`,
        )
      ).map((r) => Number(r.oid)),
    );
    if (withoutPk.length === 0) return [];
    const rows = await query<Record<string, unknown>>(
      ctx,
      `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
              GREATEST(c.reltuples, 0)::float8 AS rows,
              CASE WHEN c.relkind = 'r' THEN pg_table_size(c.oid) ELSE 0 END AS table_bytes,
              c.relreplident::text AS replident,      -- d default, n nothing, f full, i index
              (SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
                  AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                                     AND a.attnum = ANY (i.indkey::int2[]) AND NOT a.attnotnull)
                ORDER BY i.indnatts LIMIT 1) AS candidate_index,
              EXISTS (SELECT 1 FROM pg_publication_tables p WHERE p.schemaname = n.nspname AND p.tablename = c.relname)
                OR EXISTS (SELECT 1 FROM pg_publication WHERE puballtables) AS published
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = ANY ($1::oid[])`,
      [withoutPk],
    );
    return rows.map((r) => {
      const schema = String(r.schema);
      const name = String(r.name);
      const count = Number(r.rows);
      const published = Boolean(r.published);
      let severity = climb(count, { low: 0, medium: o.mediumRows }) ?? 'low';
      if (published && r.replident === 'd') severity = 'high';
      else if (published && severity === 'low') severity = 'medium';
      const candidate = r.candidate_index === null ? null : String(r.candidate_index);
      const table = qualifiedName(schema, name);
      return makeFinding({
        ruleId: 'missing-primary-key',
        category: 'schema',
        severity,
        title: `${table} has no primary key (${formatCount(count)} rows)`,
        summary: published
          ? 'This table is published for logical replication without a primary key: UPDATE and DELETE fail or replicate with a full-row identity. Add a primary key.'
          : 'Without a primary key, rows cannot be addressed reliably: duplicates creep in and tools (ORMs, logical replication, online schema change) cannot work on the table.',
        evidence: {
          table: `${schema}.${name}`,
          rows: count,
          tableBytes: Number(r.table_bytes),
          replicaIdentity:
            { d: 'default', n: 'nothing', f: 'full', i: 'index' }[String(r.replident)] ?? String(r.replident),
          published,
          uniqueNotNullIndex: candidate,
        },
        remediation: candidate
          ? {
              sql: `ALTER TABLE ${table} ADD PRIMARY KEY USING INDEX ${qualifiedName(schema, candidate)};`,
              steps: [
                `${candidate} is unique on NOT NULL columns: it can become the primary key without a rebuild (short ACCESS EXCLUSIVE lock).`,
              ],
            }
          : {
              steps: [
                `Add a key column, e.g. ALTER TABLE ${table} ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY; (rewrites the table: ${formatBytes(Number(r.table_bytes))}).`,
                'Or build a unique index CONCURRENTLY on existing NOT NULL columns, then ADD PRIMARY KEY USING INDEX.',
              ],
            },
        object: `table ${schema}.${name}`,
        identity: [schema, name],
      });
    });
  },
});
