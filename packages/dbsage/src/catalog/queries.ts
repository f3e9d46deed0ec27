/**
 * Catalog queries. Written for PostgreSQL 13–18: columns that appeared later (pg_stat_user_indexes.last_idx_scan
 * in 16) are selected only when the server has them. Every query is schema-filtered to user schemas.
 */

/** Schemas that are never the user's. */
export const SYSTEM_SCHEMA_FILTER = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;

export const TABLES_SQL = `
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name,
       c.relkind::text AS relkind,            -- r table, p partitioned, f foreign, v view, m matview
       c.reltuples::float8 AS reltuples, c.relpages::int8 AS relpages,
       CASE WHEN c.relkind IN ('r','m','p') THEN pg_relation_size(c.oid) ELSE 0 END AS heap_bytes,
       CASE WHEN c.reltoastrelid <> 0 THEN pg_total_relation_size(c.reltoastrelid) ELSE 0 END AS toast_bytes,
       CASE WHEN c.relkind IN ('r','m','p') THEN pg_indexes_size(c.oid) ELSE 0 END AS index_bytes,
       c.reloptions AS reloptions,
       c.relreplident::text AS relreplident,  -- d default, n nothing, f full, i index
       c.relispartition AS is_partition,
       (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
          JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid LIMIT 1) AS parent,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       obj_description(c.oid, 'pg_class') AS comment
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r','p','f','v','m') AND ${SYSTEM_SCHEMA_FILTER}
 ORDER BY n.nspname, c.relname`;

export const COLUMNS_SQL = `
SELECT a.attrelid::int8 AS relid, a.attname AS name, a.attnum::int AS position,
       format_type(a.atttypid, a.atttypmod) AS type, t.typname AS type_name,
       NOT a.attnotnull AS nullable,
       pg_get_expr(d.adbin, d.adrelid) AS default_expr,
       a.attidentity::text AS identity,       -- '' none, a always, d by default
       a.attgenerated::text AS generated,     -- '' none, s stored (v virtual on 18)
       CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN co.collname END AS collation,
       col_description(a.attrelid, a.attnum) AS comment
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p','f','v','m') AND ${SYSTEM_SCHEMA_FILTER}
 ORDER BY a.attrelid, a.attnum`;

export const CONSTRAINTS_SQL = `
SELECT con.conrelid::int8 AS relid, con.conname AS name,
       con.contype::text AS contype,          -- p primary, u unique, f foreign, c check, x exclusion
       con.conkey::int[] AS conkey, pg_get_constraintdef(con.oid, true) AS definition,
       con.convalidated AS validated, con.condeferrable AS deferrable,
       fn.nspname AS ref_schema, fc.relname AS ref_table,
       (SELECT array_agg(fa.attname::text ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = k.attnum) AS ref_columns,
       con.confdeltype::text AS on_delete,    -- a no action, r restrict, c cascade, n set null, d set default
       con.confupdtype::text AS on_update,
       ic.relname AS index_name
  FROM pg_constraint con
  JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
  LEFT JOIN pg_class ic ON ic.oid = con.conindid AND con.contype IN ('p','u','x')
 WHERE con.contype IN ('p','u','f','c','x') AND ${SYSTEM_SCHEMA_FILTER}
 ORDER BY con.conrelid, con.conname`;

/** Index query; `lastScanExpr` is `s.last_idx_scan::text` on 16+ and `NULL::text` before. */
export function indexesSql(lastScanExpr: string): string {
  return `
SELECT i.indrelid::int8 AS relid, ic.relname AS name, n.nspname AS schema, tc.relname AS table_name,
       am.amname AS method, i.indisunique AS is_unique, i.indisprimary AS is_primary,
       i.indisexclusion AS is_exclusion, i.indisvalid AS is_valid, i.indisready AS is_ready,
       i.indisreplident AS is_replident, pg_get_indexdef(i.indexrelid) AS definition,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate,
       pg_relation_size(i.indexrelid) AS size_bytes,
       COALESCE(s.idx_scan, 0) AS scans, COALESCE(s.idx_tup_read, 0) AS tup_read,
       COALESCE(s.idx_tup_fetch, 0) AS tup_fetch, ${lastScanExpr} AS last_scan,
       (SELECT con.conname FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
           AND con.contype IN ('p','u','x') LIMIT 1) AS constraint_name,
       (SELECT json_agg(json_build_object(
                 'attnum', i.indkey[k - 1],
                 'def', pg_get_indexdef(i.indexrelid, k, true),
                 -- indoption bits: 1 = DESC, 2 = NULLS FIRST
                 'desc', (i.indoption[k - 1] & 1) <> 0,
                 'nullsFirst', (i.indoption[k - 1] & 2) <> 0,
                 'opclass', CASE WHEN op.opcdefault THEN NULL ELSE op.opcname END,
                 'collation', CASE WHEN i.indcollation[k - 1] <> 0 AND i.indcollation[k - 1] <> 100
                                   THEN (SELECT collname FROM pg_collation WHERE oid = i.indcollation[k - 1]) END
               ) ORDER BY k)
          FROM generate_series(1, i.indnkeyatts) AS k
          LEFT JOIN pg_opclass op ON op.oid = i.indclass[k - 1]) AS keys,
       (SELECT array_agg(pg_get_indexdef(i.indexrelid, k, true) ORDER BY k)
          FROM generate_series(i.indnkeyatts + 1, i.indnatts) AS k) AS include
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class tc ON tc.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = tc.relnamespace
  JOIN pg_am am ON am.oid = ic.relam
  LEFT JOIN pg_stat_all_indexes s ON s.indexrelid = i.indexrelid
 WHERE ${SYSTEM_SCHEMA_FILTER}
 ORDER BY n.nspname, tc.relname, ic.relname`;
}

export const TRIGGERS_SQL = `
SELECT t.tgrelid::int8 AS relid, t.tgname AS name, t.tgtype::int AS tgtype,
       t.tgenabled::text AS enabled,          -- O origin, D disabled, R replica, A always
       pg_get_triggerdef(t.oid, true) AS definition,
       p.proname AS function, pn.nspname AS function_schema,
       CASE WHEN l.lanname IN ('plpgsql', 'sql') THEN p.prosrc END AS function_source
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang
 WHERE NOT t.tgisinternal AND ${SYSTEM_SCHEMA_FILTER}
 ORDER BY t.tgrelid, t.tgname`;

export const ACTIVITY_SQL = `
SELECT s.relid::int8 AS relid, s.seq_scan, s.seq_tup_read, COALESCE(s.idx_scan, 0) AS idx_scan,
       COALESCE(s.idx_tup_fetch, 0) AS idx_tup_fetch, s.n_tup_ins, s.n_tup_upd, s.n_tup_del, s.n_tup_hot_upd,
       s.n_live_tup, s.n_dead_tup, s.n_mod_since_analyze,
       s.last_vacuum::text, s.last_autovacuum::text, s.last_analyze::text, s.last_autoanalyze::text,
       s.vacuum_count, s.autovacuum_count, s.analyze_count, s.autoanalyze_count
  FROM pg_stat_all_tables s JOIN pg_namespace n ON n.nspname = s.schemaname
 WHERE ${SYSTEM_SCHEMA_FILTER}`;

export const SEQUENCES_SQL = `
SELECT s.schemaname AS schema, s.sequencename AS name, s.data_type::text AS data_type,
       s.start_value, s.increment_by, s.min_value, s.max_value, s.cycle, s.last_value,
       own.schema AS owner_schema, own.table_name AS owner_table, own.column_name AS owner_column,
       own.column_type AS owner_column_type
  FROM pg_sequences s
  JOIN pg_namespace n ON n.nspname = s.schemaname
  JOIN pg_class sc ON sc.relname = s.sequencename AND sc.relnamespace = n.oid
  LEFT JOIN LATERAL (
    SELECT tn.nspname AS schema, tc.relname AS table_name, a.attname AS column_name,
           format_type(a.atttypid, a.atttypmod) AS column_type
      FROM pg_depend d
      JOIN pg_class tc ON tc.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
      JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
     WHERE d.classid = 'pg_class'::regclass AND d.objid = sc.oid AND d.refobjsubid > 0
       AND d.deptype IN ('a', 'i')            -- a auto (serial OWNED BY), i internal (identity)
     LIMIT 1) own ON true
 WHERE ${SYSTEM_SCHEMA_FILTER}
 ORDER BY s.schemaname, s.sequencename`;

export const STATS_SQL = `
SELECT s.schemaname AS schema, s.tablename AS table_name, s.attname AS column_name, s.inherited,
       s.null_frac::float8 AS null_frac, s.n_distinct::float8 AS n_distinct, s.avg_width::int AS avg_width,
       s.most_common_vals::text::text[] AS mcv, s.most_common_freqs::float8[] AS mcf,
       s.histogram_bounds::text::text[] AS histogram, s.correlation::float8 AS correlation
  FROM pg_stats s JOIN pg_namespace n ON n.nspname = s.schemaname
 WHERE ${SYSTEM_SCHEMA_FILTER}`;

export const DATABASE_SQL = `
SELECT current_database() AS database, current_setting('server_version_num')::int AS version_num,
       (SELECT stats_reset::text FROM pg_stat_database WHERE datname = current_database()) AS stats_reset,
       now()::text AS read_at,
       (SELECT array_agg(n.nspname::text ORDER BY n.nspname) FROM pg_namespace n WHERE ${SYSTEM_SCHEMA_FILTER}) AS schemas`;
