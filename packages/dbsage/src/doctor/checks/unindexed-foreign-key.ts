import { qualifiedName, quoteIdent } from '../../engines/postgres/quote.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb, maxSeverity } from '../severity.js';
import { USER_SCHEMAS } from '../sources.js';
import { catalogMemo, query } from '../state.js';
import { formatBytes, formatCount } from '../units.js';

const FK_ACTIONS: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/** A default index name for the FK columns, within PostgreSQL's 63-byte limit. */
export function fkIndexName(table: string, columns: readonly string[]): string {
  const base = `${table}_${columns.join('_')}`;
  return `${base.slice(0, 59)}_idx`;
}

/**
 * `unindexed-foreign-key`: foreign keys whose columns are not the leading columns (in any order) of a valid,
 * non-partial B-tree index on the referencing table. Every DELETE or key UPDATE on the referenced table then
 * scans the referencing table to check or cascade, under lock. Severity climbs with the referencing table's
 * size and with the writes on the referenced table that trigger those scans.
 */
export const unindexedForeignKey = defineCheck({
  id: 'unindexed-foreign-key',
  category: 'index',
  watchRefresh: 'catalog',
  description: 'Foreign keys without an index whose leading columns cover them',
  options: {
    minRows: {
      type: 'number',
      default: 1000,
      min: 0,
      description: 'referencing tables with fewer rows (estimate) are reported as info',
    },
    mediumRows: {
      type: 'number',
      default: 100_000,
      min: 0,
      description: 'referencing rows from which severity is medium',
    },
    highRows: {
      type: 'number',
      default: 10_000_000,
      min: 0,
      description: 'referencing rows from which severity is high',
    },
    mediumParentWrites: {
      type: 'number',
      default: 10_000,
      min: 0,
      description: 'deletes + updates on the referenced table from which severity is at least medium',
    },
  },
  async run(ctx, o) {
    // Which foreign keys lack an index and their names depend on the catalog alone (kept across a session's runs);
    // column names (a column rename is not in the catalog version), row estimates, sizes and counters are read on
    // every run, for those constraints only.
    const unindexed = await catalogMemo(ctx, 'unindexed-foreign-keys', async () =>
      query<Record<string, unknown>>(
        ctx,
        `SELECT con.oid::int8 AS oid, con.conname AS name, n.nspname AS schema, t.relname AS table_name,
                fn.nspname AS ref_schema, ft.relname AS ref_table,
                con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update
           FROM pg_constraint con
           JOIN pg_class t ON t.oid = con.conrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
           JOIN pg_class ft ON ft.oid = con.confrelid
           JOIN pg_namespace fn ON fn.oid = ft.relnamespace
          WHERE con.contype = 'f'               -- f: foreign key
            AND con.conparentid = 0             -- partitions inherit the parent's constraint: report it once
            AND ${USER_SCHEMAS}
            AND NOT EXISTS (
                  SELECT 1 FROM pg_index i
                    JOIN pg_class ic ON ic.oid = i.indexrelid
                    JOIN pg_am am ON am.oid = ic.relam
                   WHERE i.indrelid = con.conrelid AND i.indpred IS NULL AND i.indisvalid
                     AND am.amname = 'btree' AND i.indnkeyatts >= cardinality(con.conkey)
                     AND (SELECT array_agg(u.attnum) FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(attnum, ord)
                           WHERE u.ord <= cardinality(con.conkey)) @> con.conkey
                     AND (SELECT array_agg(u.attnum) FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(attnum, ord)
                           WHERE u.ord <= cardinality(con.conkey)) <@ con.conkey)`,
      ),
    );
    if (unindexed.length === 0) return [];
    // One row per constraint, in the same order (WITH ORDINALITY): index probes of pg_constraint and pg_class.
    const numbers = await query<Record<string, unknown>>(
      ctx,
      `SELECT con.oid IS NOT NULL AS present,
              ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.ord) AS columns,
              GREATEST(t.reltuples, 0)::float8 AS rows,
              -- pg_class size (as of the last VACUUM/ANALYZE), measured on disk only before the first one
              CASE WHEN t.relkind = 'p' THEN 0
                   WHEN t.relpages = 0 THEN pg_relation_size(t.oid)
                   ELSE t.relpages::int8 * current_setting('block_size')::int8 END AS table_bytes,
              pg_stat_get_tuples_deleted(con.confrelid) + pg_stat_get_tuples_updated(con.confrelid) AS parent_writes,
              pg_stat_get_numscans(con.conrelid) AS child_seq_scans
         FROM unnest($1::oid[]) WITH ORDINALITY u(oid, ord)
         LEFT JOIN pg_constraint con ON con.oid = u.oid
         LEFT JOIN pg_class t ON t.oid = con.conrelid
        ORDER BY u.ord`,
      [unindexed.map((r) => r.oid)],
    );
    // A constraint dropped since the catalog version was read has no row left: not reported.
    const rows = unindexed.flatMap((r, i) => (numbers[i]?.present ? [{ ...r, ...numbers[i] }] : []));
    return rows.map((r) => {
      const schema = String(r.schema);
      const table = String(r.table_name);
      const columns = (r.columns as string[] | null) ?? [];
      const childRows = Number(r.rows);
      const parentWrites = Number(r.parent_writes);
      const onDelete = FK_ACTIONS[String(r.on_delete)] ?? 'NO ACTION';
      const severity =
        childRows < o.minRows
          ? 'info'
          : (maxSeverity(
              climb(childRows, { low: o.minRows, medium: o.mediumRows, high: o.highRows }),
              climb(parentWrites, { medium: o.mediumParentWrites }),
            ) ?? 'low');
      const indexName = fkIndexName(table, columns);
      const refTable = qualifiedName(String(r.ref_schema), String(r.ref_table));
      return makeFinding({
        ruleId: 'unindexed-foreign-key',
        category: 'index',
        severity,
        title: `${qualifiedName(schema, table)}(${columns.join(', ')}) references ${refTable} without an index`,
        summary:
          'Without an index on the referencing columns, every delete or key update on the referenced table scans this table to check or cascade, holding locks meanwhile; joins on the key scan it too. An index on the foreign key columns fixes both.',
        evidence: {
          constraint: String(r.name),
          table: `${schema}.${table}`,
          columns,
          references: `${String(r.ref_schema)}.${String(r.ref_table)}`,
          onDelete,
          onUpdate: FK_ACTIONS[String(r.on_update)] ?? 'NO ACTION',
          referencingRows: childRows,
          referencingTableBytes: Number(r.table_bytes),
          referencedTableDeletesAndUpdates: parentWrites,
          referencingTableSeqScans: Number(r.child_seq_scans),
        },
        remediation: {
          sql: `CREATE INDEX CONCURRENTLY ${quoteIdent(indexName)} ON ${qualifiedName(schema, table)} (${columns.map(quoteIdent).join(', ')});`,
          steps: [
            `Builds without blocking writes; takes time proportional to ${formatCount(childRows)} rows (${formatBytes(Number(r.table_bytes))}).`,
          ],
        },
        object: `constraint ${schema}.${table}.${String(r.name)}`,
        identity: [schema, table, String(r.name)],
      });
    });
  },
});
