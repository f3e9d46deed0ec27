/**
 * The doctor's shared sources: one set-based query each (never one query per table), memoised per run. Counter
 * columns are turned into the `--since` window here, in one place, so the checks read plain numbers and never
 * care whether they look at lifetime counters or a window.
 */

import { parseReloptions } from '../catalog/introspect.js';
import type { AnalyzerContext } from '../findings/registry.js';
import { counterDelta, type Snapshot } from './snapshot.js';
import { catalogMemo, doctorState, memo, query, statsQuery } from './state.js';

type Row = Record<string, unknown>;
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
/** An int2vector / oidvector in its text form (`1 3 2`) as numbers. */
const vector = (v: unknown): number[] =>
  v === null || v === undefined || v === '' ? [] : String(v).split(' ').map(Number);

/** User schemas only (system and toast schemas are PostgreSQL's business). */
export const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;

// ---------------------------------------------------------------------------------------------------- settings

/** One row of pg_settings. */
export interface Setting {
  name: string;
  setting: string;
  unit: string | null;
  /** Where the value came from: default, configuration file, database, user, session, … */
  source: string;
  /** When a change takes effect: postmaster (restart), sighup (reload), user/superuser (session). */
  context: string;
  bootValue: string | null;
}

/** All of pg_settings, by name. */
export function settings(ctx: AnalyzerContext): Promise<ReadonlyMap<string, Setting>> {
  return memo(ctx, 'settings', async () => {
    const rows = await query<Row>(ctx, 'SELECT name, setting, unit, source, context, boot_val FROM pg_settings');
    return new Map(
      rows.map((r) => [
        String(r.name),
        {
          name: String(r.name),
          setting: String(r.setting),
          unit: str(r.unit),
          source: String(r.source),
          context: String(r.context),
          bootValue: str(r.boot_val),
        },
      ]),
    );
  });
}

/** A numeric setting, or `fallback` when absent (older server) or not numeric. */
export async function numericSetting(ctx: AnalyzerContext, name: string, fallback: number): Promise<number> {
  const s = (await settings(ctx)).get(name);
  const n = s ? Number(s.setting) : Number.NaN;
  return Number.isFinite(n) ? n : fallback;
}

/** Server version number (`server_version_num`). */
export async function serverVersionNum(ctx: AnalyzerContext): Promise<number> {
  if (ctx.capabilities) return ctx.capabilities.serverVersionNum;
  return numericSetting(ctx, 'server_version_num', 150000);
}

// ---------------------------------------------------------------------------------------------------- activity

/** One backend of pg_stat_activity, with ages computed on the server (no client clock skew). */
export interface Backend {
  pid: number;
  database: string | null;
  user: string | null;
  application: string;
  clientAddr: string | null;
  backendType: string;
  state: string | null;
  waitEventType: string | null;
  waitEvent: string | null;
  query: string | null;
  backendStart: string | null;
  /** Seconds since the transaction / query / last state change started. */
  xactSeconds: number | null;
  querySeconds: number | null;
  stateSeconds: number | null;
  /** age(backend_xid) and age(backend_xmin), in transactions. */
  xidAge: number | null;
  xminAge: number | null;
  /** pg_blocking_pids (read only for sessions waiting on a lock: the function takes lock-manager locks). */
  blockingPids: number[];
  isSelf: boolean;
}

/** pg_stat_activity, all backends of the cluster. */
export function activity(ctx: AnalyzerContext): Promise<readonly Backend[]> {
  return memo(ctx, 'activity', async () => {
    const rows = await query<Row>(
      ctx,
      `SELECT a.pid, a.datname, a.usename, a.application_name, a.client_addr::text AS client_addr, a.backend_type,
              a.state, a.wait_event_type, a.wait_event, a.query, a.backend_start::text AS backend_start,
              EXTRACT(EPOCH FROM clock_timestamp() - a.xact_start)::float8 AS xact_seconds,
              EXTRACT(EPOCH FROM clock_timestamp() - a.query_start)::float8 AS query_seconds,
              EXTRACT(EPOCH FROM clock_timestamp() - a.state_change)::float8 AS state_seconds,
              age(a.backend_xid)::int8 AS xid_age, age(a.backend_xmin)::int8 AS xmin_age,
              CASE WHEN a.wait_event_type = 'Lock' THEN pg_blocking_pids(a.pid) END AS blocking_pids,
              a.pid = pg_backend_pid() AS is_self
         FROM pg_stat_activity a`,
    );
    return rows.map(
      (r): Backend => ({
        pid: num(r.pid),
        database: str(r.datname),
        user: str(r.usename),
        application: String(r.application_name ?? ''),
        clientAddr: str(r.client_addr),
        backendType: String(r.backend_type ?? ''),
        state: str(r.state),
        waitEventType: str(r.wait_event_type),
        waitEvent: str(r.wait_event),
        query: str(r.query),
        backendStart: str(r.backend_start),
        xactSeconds: numOrNull(r.xact_seconds),
        querySeconds: numOrNull(r.query_seconds),
        stateSeconds: numOrNull(r.state_seconds),
        xidAge: numOrNull(r.xid_age),
        xminAge: numOrNull(r.xmin_age),
        blockingPids: ((r.blocking_pids as number[] | null) ?? []).map(Number),
        isSelf: Boolean(r.is_self),
      }),
    );
  });
}

/** Client sessions other than the doctor's own (background workers and WAL senders are not clients). */
export async function clientBackends(ctx: AnalyzerContext): Promise<Backend[]> {
  return (await activity(ctx)).filter((b) => b.backendType === 'client backend' && !b.isSelf);
}

/** The SQL that ends one backend only if it is still the same session (pid reuse cannot hit a new session). */
export function backendActionSql(action: 'cancel' | 'terminate', backend: Backend, extraCondition = ''): string {
  const fn = action === 'cancel' ? 'pg_cancel_backend' : 'pg_terminate_backend';
  const started = backend.backendStart ? ` AND backend_start = '${backend.backendStart.replace(/'/g, "''")}'` : '';
  return `SELECT ${fn}(pid) FROM pg_stat_activity WHERE pid = ${Math.trunc(backend.pid)}${started}${extraCondition};`;
}

/** Counts by a key, largest first, at most `top` entries. */
export function breakdown(
  backends: readonly Backend[],
  key: (b: Backend) => string | null,
  top = 10,
): Record<string, number> {
  const counts = new Map<string, number>();
  for (const b of backends) {
    const k = key(b) ?? '(unknown)';
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]).slice(0, top));
}

/** First `max` characters of a query for evidence (queries can be megabytes). */
export function clip(text: string | null, max = 500): string | null {
  if (text === null) return null;
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

// ---------------------------------------------------------------------------------------------------- database

/** pg_stat_database counters of the current database (window-adjusted under `--since`). */
export interface DatabaseStats {
  database: string;
  xactCommit: number;
  xactRollback: number;
  blksRead: number;
  blksHit: number;
  tempFiles: number;
  tempBytes: number;
  deadlocks: number;
  statsReset: string | null;
  /** Seconds the counters cover: since the `--since` snapshot, or since stats_reset (null when unknown). */
  windowSeconds: number | null;
  /** True when the numbers are a `--since` window. */
  isWindow: boolean;
}

/** The counter columns of {@link DatabaseStats} (what a snapshot saves). */
export const DATABASE_COUNTERS = [
  'xactCommit',
  'xactRollback',
  'blksRead',
  'blksHit',
  'tempFiles',
  'tempBytes',
  'deadlocks',
] as const;

/** pg_stat_database for the current database, lifetime values (no window). */
export function rawDatabaseStats(ctx: AnalyzerContext): Promise<DatabaseStats & { takenAt: string }> {
  return memo(ctx, 'database', async () => {
    const r = (
      await query<Row>(
        ctx,
        `SELECT datname, xact_commit, xact_rollback, blks_read, blks_hit, temp_files, temp_bytes, deadlocks,
                stats_reset::text AS stats_reset,
                EXTRACT(EPOCH FROM now() - stats_reset)::float8 AS stats_age, now()::text AS taken_at
           FROM pg_stat_database WHERE datname = current_database()`,
      )
    )[0]!;
    return {
      database: String(r.datname),
      xactCommit: num(r.xact_commit),
      xactRollback: num(r.xact_rollback),
      blksRead: num(r.blks_read),
      blksHit: num(r.blks_hit),
      tempFiles: num(r.temp_files),
      tempBytes: num(r.temp_bytes),
      deadlocks: num(r.deadlocks),
      statsReset: str(r.stats_reset),
      windowSeconds: numOrNull(r.stats_age),
      isWindow: false,
      takenAt: String(r.taken_at),
    };
  });
}

/** pg_stat_database for the current database; under `--since`, the counters of the window. */
export async function databaseStats(ctx: AnalyzerContext): Promise<DatabaseStats> {
  const raw = await rawDatabaseStats(ctx);
  const baseline = doctorState(ctx).baseline;
  if (!baseline) return raw;
  const out: DatabaseStats = { ...raw, isWindow: true, windowSeconds: windowSeconds(baseline, raw.takenAt) };
  let reset = false;
  for (const k of DATABASE_COUNTERS) {
    const d = counterDelta(raw[k], baseline.database[k] ?? 0);
    reset ||= d.reset;
    out[k] = d.value;
  }
  if (reset) noteReset(ctx, 'database');
  return out;
}

// ---------------------------------------------------------------------------------------------------- tables

/** One table with its size, statistics counters, I/O counters and freeze ages. */
export interface TableStats {
  oid: number;
  schema: string;
  name: string;
  /** r table, m materialized view, p partitioned table (no storage). */
  relkind: string;
  reltuples: number | null;
  relpages: number;
  /** relpages × block_size (pg_class, as of the last VACUUM/ANALYZE). */
  heapBytes: number;
  /** Heap + TOAST pages × block_size, without indexes (same source). */
  tableBytes: number;
  reloptions: Readonly<Record<string, string>>;
  hasPrimaryKey: boolean;
  /** A unique index on NOT NULL columns exists (a primary-key candidate). */
  hasUniqueNotNull: boolean;
  replicaIdentity: string;
  seqScan: number;
  seqTupRead: number;
  idxScan: number;
  nTupIns: number;
  nTupUpd: number;
  nTupDel: number;
  nTupHotUpd: number;
  nLiveTup: number;
  nDeadTup: number;
  nModSinceAnalyze: number;
  nInsSinceVacuum: number;
  lastVacuum: string | null;
  lastAutovacuum: string | null;
  lastAnalyze: string | null;
  lastAutoanalyze: string | null;
  /** Seconds since the last (auto)vacuum / (auto)analyze, null when never. */
  vacuumAgeSeconds: number | null;
  analyzeAgeSeconds: number | null;
  heapBlksRead: number;
  heapBlksHit: number;
  idxBlksRead: number;
  idxBlksHit: number;
  xidAge: number;
  mxidAge: number;
}

/** The counter columns of {@link TableStats} (what a snapshot saves and `--since` subtracts). */
export const TABLE_COUNTERS = [
  'seqScan',
  'seqTupRead',
  'idxScan',
  'nTupIns',
  'nTupUpd',
  'nTupDel',
  'nTupHotUpd',
  'heapBlksRead',
  'heapBlksHit',
  'idxBlksRead',
  'idxBlksHit',
] as const;

/**
 * Which tables a check looks at, from its own options: a table is worth reading for the check when it passes every
 * floor given. Checks declare it ({@link TableNeed} through `tableNeed` in their definition) so a run reads only the
 * tables some check can report, instead of every table of a 5,000-table catalog on every run.
 */
export interface TableNeed {
  minDeadTuples?: number;
  minLiveTuples?: number;
  minUpdates?: number;
  /** Heap + TOAST bytes (pg_class pages). */
  minBytes?: number;
  minSeqScans?: number;
  /** Only tables with storage parameters (reloptions) set. */
  withStorageOptions?: boolean;
}

/** Heap + TOAST bytes of table `c` (toast joined as `toast`), from pg_class; measured only before the first VACUUM/ANALYZE. */
const TABLE_BYTES_SQL = `CASE WHEN c.relpages = 0 AND c.relkind <> 'p' THEN pg_table_size(c.oid)
                   ELSE (c.relpages::int8 + COALESCE(toast.relpages, 0)) * current_setting('block_size')::int8 END`;

/** The SQL condition (OR of each need's AND) and its parameters. */
export function tableNeedCondition(needs: readonly TableNeed[]): { sql: string; params: number[] } {
  const params: number[] = [];
  const p = (v: number) => {
    params.push(v);
    return `$${params.length}`;
  };
  const parts = needs.map((need) => {
    // Catalog conditions first, counters last: nested CASEs make the server read a counter only for the tables
    // the cheaper conditions keep (it does not order the arms of an AND by cost reliably).
    const and: string[] = [];
    if (need.withStorageOptions) and.push('c.reloptions IS NOT NULL');
    if (need.minBytes !== undefined) and.push(`${TABLE_BYTES_SQL} >= ${p(need.minBytes)}`);
    if (need.minSeqScans !== undefined) and.push(`pg_stat_get_numscans(c.oid) >= ${p(need.minSeqScans)}`);
    if (need.minDeadTuples !== undefined) and.push(`pg_stat_get_dead_tuples(c.oid) >= ${p(need.minDeadTuples)}`);
    if (need.minLiveTuples !== undefined) and.push(`pg_stat_get_live_tuples(c.oid) >= ${p(need.minLiveTuples)}`);
    if (need.minUpdates !== undefined) and.push(`pg_stat_get_tuples_updated(c.oid) >= ${p(need.minUpdates)}`);
    if (and.length === 0) return 'true';
    return `(${and.reduceRight((inner, cond) => `CASE WHEN ${cond} THEN ${inner} ELSE false END`)})`;
  });
  return { sql: parts.length === 0 ? 'false' : parts.join(' OR '), params };
}

/** All user tables (lifetime counters). */
export function rawTableStats(ctx: AnalyzerContext): Promise<readonly TableStats[]> {
  return memo(ctx, 'tables', () => readTables(ctx, 'true', []));
}

/**
 * The tables the selected checks can report (lifetime counters): the union of the {@link TableNeed}s the runner
 * collected. The floors are applied to lifetime counters and gauges, so under `--since` (where a window counter is
 * never above its lifetime value, or equal to it after a reset) this is still a superset of what a check reports.
 */
function rawCandidateTables(ctx: AnalyzerContext, needs: readonly TableNeed[]): Promise<readonly TableStats[]> {
  return memo(ctx, 'tables-candidates', () => {
    const cond = tableNeedCondition(needs);
    return readTables(ctx, cond.sql, cond.params);
  });
}

async function readTables(ctx: AnalyzerContext, condition: string, params: readonly unknown[]): Promise<TableStats[]> {
  const rows = await statsQuery<Row>(
    ctx,
    // The pg_stat_*_tables views aggregate per row over pg_index and join pg_class again; calling the
    // pg_stat_get_* functions they are built on, with the index sums per table read only for the tables the
    // condition keeps (it runs on pg_class before the join), is several times cheaper on a catalog of thousands
    // of tables.
    `SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name,
              c.relkind::text AS relkind,          -- r table, m matview, p partitioned
              c.reltuples::float8 AS reltuples, c.relpages::int8 AS relpages,
              -- sizes from pg_class (as of the last VACUUM/ANALYZE), not a stat() per file: one query stays cheap
              -- on a catalog of thousands of tables (relpages is 0 until the first VACUUM/ANALYZE: only those
              -- tables are measured on disk)
              CASE WHEN c.relpages = 0 AND c.relkind <> 'p' THEN pg_relation_size(c.oid)
                   ELSE c.relpages::int8 * current_setting('block_size')::int8 END AS heap_bytes,
              ${TABLE_BYTES_SQL} AS table_bytes,
              c.reloptions, c.relreplident::text AS replident,  -- d default, n nothing, f full, i index
              COALESCE(idx.has_pk, false) AS has_pk,
              CASE WHEN NOT COALESCE(idx.has_pk, false) THEN
                EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid
                           AND i.indpred IS NULL AND i.indexprs IS NULL
                           AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                                              AND a.attnum = ANY (i.indkey::int2[]) AND NOT a.attnotnull))
              END AS has_unn,
              pg_stat_get_numscans(c.oid) AS seq_scan, pg_stat_get_tuples_returned(c.oid) AS seq_tup_read,
              COALESCE(idx.scans, 0) AS idx_scan, pg_stat_get_tuples_inserted(c.oid) AS n_tup_ins,
              pg_stat_get_tuples_updated(c.oid) AS n_tup_upd, pg_stat_get_tuples_deleted(c.oid) AS n_tup_del,
              pg_stat_get_tuples_hot_updated(c.oid) AS n_tup_hot_upd, pg_stat_get_live_tuples(c.oid) AS n_live_tup,
              pg_stat_get_dead_tuples(c.oid) AS n_dead_tup, pg_stat_get_mod_since_analyze(c.oid) AS n_mod_since_analyze,
              pg_stat_get_ins_since_vacuum(c.oid) AS n_ins_since_vacuum,
              pg_stat_get_last_vacuum_time(c.oid)::text AS last_vacuum,
              pg_stat_get_last_autovacuum_time(c.oid)::text AS last_autovacuum,
              pg_stat_get_last_analyze_time(c.oid)::text AS last_analyze,
              pg_stat_get_last_autoanalyze_time(c.oid)::text AS last_autoanalyze,
              EXTRACT(EPOCH FROM now() - GREATEST(pg_stat_get_last_vacuum_time(c.oid),
                                                  pg_stat_get_last_autovacuum_time(c.oid)))::float8 AS vacuum_age,
              EXTRACT(EPOCH FROM now() - GREATEST(pg_stat_get_last_analyze_time(c.oid),
                                                  pg_stat_get_last_autoanalyze_time(c.oid)))::float8 AS analyze_age,
              pg_stat_get_blocks_fetched(c.oid) - pg_stat_get_blocks_hit(c.oid) AS heap_blks_read,
              pg_stat_get_blocks_hit(c.oid) AS heap_blks_hit,
              COALESCE(idx.blks_read, 0) AS idx_blks_read, COALESCE(idx.blks_hit, 0) AS idx_blks_hit,
              CASE WHEN c.relkind <> 'p' THEN age(c.relfrozenxid) ELSE 0 END::int8 AS xid_age,
              CASE WHEN c.relkind <> 'p' THEN mxid_age(c.relminmxid) ELSE 0 END::int8 AS mxid_age
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_class toast ON toast.oid = c.reltoastrelid
         LEFT JOIN LATERAL (
           SELECT sum(pg_stat_get_numscans(i.indexrelid))::int8 AS scans,
                  sum(pg_stat_get_blocks_fetched(i.indexrelid) - pg_stat_get_blocks_hit(i.indexrelid))::int8 AS blks_read,
                  sum(pg_stat_get_blocks_hit(i.indexrelid))::int8 AS blks_hit,
                  bool_or(i.indisprimary) AS has_pk
             FROM pg_index i WHERE i.indrelid = c.oid
         ) idx ON true
        WHERE c.relkind IN ('r', 'm', 'p') AND c.relpersistence <> 't' AND ${USER_SCHEMAS}
          AND (${condition})`,
    params,
  );
  return rows.map(
    (r): TableStats => ({
      oid: num(r.oid),
      schema: String(r.schema),
      name: String(r.name),
      relkind: String(r.relkind),
      reltuples: Number(r.reltuples) < 0 ? null : Number(r.reltuples),
      relpages: num(r.relpages),
      heapBytes: num(r.heap_bytes),
      tableBytes: num(r.table_bytes),
      reloptions: parseReloptions(r.reloptions),
      hasPrimaryKey: Boolean(r.has_pk),
      hasUniqueNotNull: Boolean(r.has_unn),
      replicaIdentity: String(r.replident),
      seqScan: num(r.seq_scan),
      seqTupRead: num(r.seq_tup_read),
      idxScan: num(r.idx_scan),
      nTupIns: num(r.n_tup_ins),
      nTupUpd: num(r.n_tup_upd),
      nTupDel: num(r.n_tup_del),
      nTupHotUpd: num(r.n_tup_hot_upd),
      nLiveTup: num(r.n_live_tup),
      nDeadTup: num(r.n_dead_tup),
      nModSinceAnalyze: num(r.n_mod_since_analyze),
      nInsSinceVacuum: num(r.n_ins_since_vacuum),
      lastVacuum: str(r.last_vacuum),
      lastAutovacuum: str(r.last_autovacuum),
      lastAnalyze: str(r.last_analyze),
      lastAutoanalyze: str(r.last_autoanalyze),
      vacuumAgeSeconds: numOrNull(r.vacuum_age),
      analyzeAgeSeconds: numOrNull(r.analyze_age),
      heapBlksRead: num(r.heap_blks_read),
      heapBlksHit: num(r.heap_blks_hit),
      idxBlksRead: num(r.idx_blks_read),
      idxBlksHit: num(r.idx_blks_hit),
      xidAge: num(r.xid_age),
      mxidAge: num(r.mxid_age),
    }),
  );
}

/** Block counters summed over every user table and its indexes. */
export interface TableTotals {
  heapBlksHit: number;
  heapBlksRead: number;
  idxBlksHit: number;
  idxBlksRead: number;
}

/**
 * Block counters of all user tables summed (on the server: one row instead of one per table); under `--since`,
 * the sum of each table's window.
 */
export async function tableTotals(ctx: AnalyzerContext): Promise<TableTotals> {
  if (doctorState(ctx).baseline) {
    const tables = await tableStats(ctx);
    const sum = (f: (t: TableStats) => number) => tables.reduce((a, t) => a + f(t), 0);
    return {
      heapBlksHit: sum((t) => t.heapBlksHit),
      heapBlksRead: sum((t) => t.heapBlksRead),
      idxBlksHit: sum((t) => t.idxBlksHit),
      idxBlksRead: sum((t) => t.idxBlksRead),
    };
  }
  return memo(ctx, 'table-totals', async () => {
    const r = (
      await statsQuery<Row>(
        ctx,
        // One pass over pg_class: the indexes of user tables live in their table's schema, so one scan with a
        // filter per kind sums both without joining pg_index.
        `SELECT sum(b.hit) FILTER (WHERE b.relkind IN ('r', 'm'))::int8 AS heap_hit,
                sum(b.fetched - b.hit) FILTER (WHERE b.relkind IN ('r', 'm'))::int8 AS heap_read,
                sum(b.hit) FILTER (WHERE b.relkind = 'i')::int8 AS idx_hit,
                sum(b.fetched - b.hit) FILTER (WHERE b.relkind = 'i')::int8 AS idx_read
           FROM (SELECT c.relkind, pg_stat_get_blocks_hit(c.oid) AS hit, pg_stat_get_blocks_fetched(c.oid) AS fetched
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relkind IN ('r', 'm', 'i')   -- r table, m matview, i index (partitioned ones have no blocks)
                    AND c.relpersistence <> 't' AND ${USER_SCHEMAS}
                 OFFSET 0) b   -- OFFSET 0 keeps the subquery: each counter is read once per relation, not per aggregate`,
      )
    )[0];
    return {
      heapBlksHit: num(r?.heap_hit),
      heapBlksRead: num(r?.heap_read),
      idxBlksHit: num(r?.idx_hit),
      idxBlksRead: num(r?.idx_read),
    };
  });
}

/** The tables with the oldest relfrozenxid (`xid`) or relminmxid (`multixact`), oldest first. */
export async function oldestTables(
  ctx: AnalyzerContext,
  kind: 'xid' | 'multixact',
  limit = 5,
): Promise<
  Pick<TableStats, 'schema' | 'name' | 'xidAge' | 'mxidAge' | 'tableBytes' | 'lastVacuum' | 'lastAutovacuum'>[]
> {
  const rows = await query<Row>(
    ctx,
    `SELECT n.nspname AS schema, c.relname AS name, age(c.relfrozenxid)::int8 AS xid_age,
            mxid_age(c.relminmxid)::int8 AS mxid_age, ${TABLE_BYTES_SQL} AS table_bytes,
            pg_stat_get_last_vacuum_time(c.oid)::text AS last_vacuum,
            pg_stat_get_last_autovacuum_time(c.oid)::text AS last_autovacuum
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class toast ON toast.oid = c.reltoastrelid
      WHERE c.relkind IN ('r', 'm') AND c.relpersistence <> 't' AND ${USER_SCHEMAS}
      ORDER BY ${kind === 'xid' ? 'age(c.relfrozenxid)' : 'mxid_age(c.relminmxid)'} DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    schema: String(r.schema),
    name: String(r.name),
    xidAge: num(r.xid_age),
    mxidAge: num(r.mxid_age),
    tableBytes: num(r.table_bytes),
    lastVacuum: str(r.last_vacuum),
    lastAutovacuum: str(r.last_autovacuum),
  }));
}

/** `schema.name` key used by snapshots. */
export function relKey(schema: string, name: string): string {
  return `${schema}.${name}`;
}

/** All user tables; under `--since`, counters are the window's. */
export async function tableStats(ctx: AnalyzerContext): Promise<readonly TableStats[]> {
  return windowTables(ctx, 'tables-window', await rawTableStats(ctx));
}

/**
 * The tables check `checkId` may report: those passing the floors it declared (`tableNeed`), read in one query with
 * the other selected checks' floors. A check that declared none (or runs outside the runner) gets every table.
 * The check still applies its own filters: the floors only spare reading tables it would drop anyway.
 */
export async function candidateTables(ctx: AnalyzerContext, checkId: string): Promise<readonly TableStats[]> {
  const needs = doctorState(ctx).tableNeeds;
  if (!needs?.has(checkId)) return tableStats(ctx);
  return windowTables(ctx, 'tables-candidates-window', await rawCandidateTables(ctx, [...needs.values()]));
}

function windowTables(ctx: AnalyzerContext, key: string, raw: readonly TableStats[]): Promise<readonly TableStats[]> {
  const baseline = doctorState(ctx).baseline;
  if (!baseline) return Promise.resolve(raw);
  return memo(ctx, key, async () => {
    let reset = false;
    const out = raw.map((t) => {
      const before = baseline.tables[relKey(t.schema, t.name)];
      const copy: TableStats = { ...t };
      for (const k of TABLE_COUNTERS) {
        const d = counterDelta(t[k], before?.[k] ?? 0);
        reset ||= d.reset;
        copy[k] = d.value;
      }
      return copy;
    });
    if (reset) noteReset(ctx, 'table');
    return out;
  });
}

// ---------------------------------------------------------------------------------------------------- catalog

/**
 * A version of the catalog tables that the doctor's cached values derive from (pg_class, pg_index, pg_constraint,
 * pg_namespace): per table, the number of rows and a hash of every row's xmin. A committed CREATE, DROP, ALTER or
 * RENAME writes a new row version (a new xmin) or removes one, so it always changes the version; VACUUM and
 * ANALYZE update relpages and reltuples in place and do not, which is why sizes and row estimates are never
 * cached. `age(xmin) - age('3')` is `3 - xmin` as an int8, stable from run to run, and much cheaper per row than
 * a text cast of the xid (age() of the bootstrap xid 1 is always 2^31 - 1: those rows count as 0).
 * Temporary tables are left out of pg_class (their indexes and constraints still count: a miss, never a wrong
 * answer). Read on every run of a session (a few ms); never cached.
 */
export async function catalogVersion(ctx: AnalyzerContext): Promise<string> {
  const part = (table: string, where = '') =>
    `(SELECT count(*) || ':' || COALESCE(sum(hashint8(CASE WHEN age(xmin) = 2147483647 THEN 0
                                                          ELSE age(xmin)::int8 - age('3'::xid)::int8 END)), 0)
        FROM ${table} ${where})`;
  const rows = await query<{ v: string }>(
    ctx,
    `SELECT concat_ws('/', ${part('pg_class', "WHERE relpersistence <> 't'")}, ${part('pg_index')},
                           ${part('pg_constraint')}, ${part('pg_namespace')}) AS v`,
  );
  return String(rows[0]?.v);
}

// ---------------------------------------------------------------------------------------------------- indexes

/** What the catalog says about an index (no sizes, no counters): kept across the runs of a doctor session. */
export interface IndexShape {
  oid: number;
  tableOid: number;
  schema: string;
  table: string;
  name: string;
  method: string;
  unique: boolean;
  primary: boolean;
  exclusion: boolean;
  valid: boolean;
  ready: boolean;
  replicaIdentity: boolean;
  /** Number of key columns (the rest of `attnums` are INCLUDE columns). */
  keyCount: number;
  /** pg_index.indkey: attribute numbers, 0 for an expression. */
  attnums: number[];
  opclasses: number[];
  collations: number[];
  /** pg_index.indoption bits per key (1 DESC, 2 NULLS FIRST). */
  options: number[];
  expressions: string | null;
  predicate: string | null;
  /** Owning constraint (PK, unique or exclusion), if any. */
  constraintName: string | null;
}

/** An index with its sizes and scan counter (read on every run). */
export interface IndexInfo extends IndexShape {
  /** Column names for `attnums` (null for expressions), filled by {@link measureIndexes} (empty before). */
  columns: (string | null)[];
  /** pg_get_indexdef, filled by {@link measureIndexes} (null before). */
  definition: string | null;
  relpages: number;
  reltuples: number;
  /** relpages × block_size; exact (pg_relation_size) after {@link measureIndexes}. */
  sizeBytes: number;
  scans: number;
  /** The table's relpages × block_size. */
  tableBytes: number;
  tableWrites: number;
}

/**
 * The shape of every index of a user table, from the catalog alone. Kept across the runs of a doctor session
 * while the catalog version is unchanged: on a catalog of 15,000 indexes this is the largest read of a run.
 */
export function indexShapes(ctx: AnalyzerContext): Promise<readonly IndexShape[]> {
  return catalogMemo(ctx, 'index-shapes', async () => {
    const rows = await query<Row>(
      ctx,
      `SELECT i.indexrelid::int8 AS oid, i.indrelid::int8 AS table_oid, n.nspname AS schema, t.relname AS table_name,
              c.relname AS name, am.amname AS method, i.indisunique AS is_unique, i.indisprimary AS is_primary,
              i.indisexclusion AS is_exclusion, i.indisvalid AS is_valid, i.indisready AS is_ready,
              i.indisreplident AS is_replident, i.indnkeyatts::int AS key_count,
              -- int2vector/oidvector as their space-separated text: splitting it is far cheaper than parsing
              -- 60,000 array literals on a big catalog
              i.indkey::text AS attnums, i.indclass::text AS opclasses, i.indcollation::text AS collations,
              i.indoption::text AS options,
              pg_get_expr(i.indexprs, i.indrelid) AS expressions, pg_get_expr(i.indpred, i.indrelid) AS predicate,
              con.conname AS constraint_name
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         JOIN pg_am am ON am.oid = c.relam
         LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                                    AND con.contype IN ('p', 'u', 'x')   -- primary, unique, exclusion
        WHERE t.relkind IN ('r', 'm', 'p') AND ${USER_SCHEMAS}`,
    );
    return rows.map(
      (r): IndexShape => ({
        oid: num(r.oid),
        tableOid: num(r.table_oid),
        schema: String(r.schema),
        table: String(r.table_name),
        name: String(r.name),
        method: String(r.method),
        unique: Boolean(r.is_unique),
        primary: Boolean(r.is_primary),
        exclusion: Boolean(r.is_exclusion),
        valid: Boolean(r.is_valid),
        ready: Boolean(r.is_ready),
        replicaIdentity: Boolean(r.is_replident),
        keyCount: num(r.key_count),
        attnums: vector(r.attnums),
        opclasses: vector(r.opclasses),
        collations: vector(r.collations),
        options: vector(r.options),
        expressions: str(r.expressions),
        predicate: str(r.predicate),
        constraintName: str(r.constraint_name),
      }),
    );
  });
}

/** {@link indexShapes} by index oid. */
export function indexShapesByOid(ctx: AnalyzerContext): Promise<ReadonlyMap<number, IndexShape>> {
  return catalogMemo(ctx, 'index-shapes-by-oid', async () => new Map((await indexShapes(ctx)).map((i) => [i.oid, i])));
}

/** The per-run numbers of an index: sizes from pg_class and counters. */
const INDEX_NUMBERS_SQL = `i.indexrelid::int8 AS oid, c.relpages::int8 AS relpages, GREATEST(c.reltuples, 0)::float8 AS reltuples,
       -- sizes from pg_class (as of the last VACUUM/ANALYZE/CREATE INDEX): a stat() per file for 15,000 indexes
       -- costs about a second; measureIndexes() reads exact sizes for the few that are reported
       CASE WHEN c.relpages = 0 THEN pg_relation_size(c.oid)
            ELSE c.relpages::int8 * current_setting('block_size')::int8 END AS size_bytes,
       CASE WHEN t.relpages = 0 AND t.relkind <> 'p' THEN pg_relation_size(t.oid)
            ELSE t.relpages::int8 * current_setting('block_size')::int8 END AS table_bytes,
       pg_stat_get_numscans(i.indexrelid) AS scans,
       COALESCE(pg_stat_get_tuples_inserted(i.indrelid) + pg_stat_get_tuples_updated(i.indrelid)
                + pg_stat_get_tuples_deleted(i.indrelid), 0) AS table_writes`;

function withNumbers(shape: IndexShape, r: Row | undefined): IndexInfo {
  return {
    ...shape,
    columns: [],
    definition: null,
    relpages: num(r?.relpages),
    reltuples: num(r?.reltuples),
    sizeBytes: num(r?.size_bytes),
    scans: num(r?.scans),
    tableBytes: num(r?.table_bytes),
    tableWrites: num(r?.table_writes),
  };
}

/**
 * All indexes of user tables with sizes and lifetime scan counters: the shapes (cached in a session) joined with
 * one read of the numbers of every index. Checks that look at a few indexes use {@link measureIndexes} instead.
 */
export function rawIndexes(ctx: AnalyzerContext): Promise<readonly IndexInfo[]> {
  return memo(ctx, 'indexes', async () => {
    const shapes = await indexShapes(ctx);
    const rows = await statsQuery<Row>(
      ctx,
      `SELECT ${INDEX_NUMBERS_SQL}
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE t.relkind IN ('r', 'm', 'p') AND ${USER_SCHEMAS}`,
    );
    const byOid = new Map(rows.map((r) => [num(r.oid), r]));
    // An index created after the shapes were read has no shape yet and waits for the next run.
    return shapes.filter((s) => byOid.has(s.oid)).map((s) => withNumbers(s, byOid.get(s.oid)));
  });
}

/**
 * Exact sizes (pg_relation_size), counters, definitions (pg_get_indexdef) and column names for the indexes a check
 * is about to report, in one query: cheap for a handful, where doing it for every index of a 15,000-index catalog
 * is not. Under `--since`, `scans` is the window's. Indexes dropped since their shape was read are left out.
 */
export async function measureIndexes(
  ctx: AnalyzerContext,
  list: readonly IndexShape[],
): Promise<Map<number, IndexInfo>> {
  const out = new Map<number, IndexInfo>();
  if (list.length === 0) return out;
  const rows = await query<Record<string, unknown>>(
    ctx,
    `SELECT ${INDEX_NUMBERS_SQL}, pg_relation_size(i.indexrelid) AS exact_size, pg_get_indexdef(i.indexrelid) AS def,
            ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                    LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   ORDER BY k.ord) AS columns
       FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_class t ON t.oid = i.indrelid
      WHERE i.indexrelid = ANY ($1::oid[])`,
    [[...new Set(list.map((i) => i.oid))]],
  );
  const byOid = new Map(rows.map((r) => [num(r.oid), r]));
  const baseline = doctorState(ctx).baseline;
  let reset = false;
  for (const i of list) {
    const r = byOid.get(i.oid);
    if (!r) continue;
    const numbers = withNumbers(i, r);
    if (baseline) {
      const d = counterDelta(numbers.scans, baseline.indexes[relKey(i.schema, i.name)]?.scans ?? 0);
      reset ||= d.reset;
      numbers.scans = d.value;
    }
    out.set(i.oid, {
      ...numbers,
      sizeBytes: num(r.exact_size),
      definition: str(r.def),
      columns: ((r.columns as (string | null)[] | null) ?? []).map((c) => c ?? null),
    });
  }
  if (reset) noteReset(ctx, 'index');
  return out;
}

/** All indexes; under `--since`, `scans` is the window's. */
export async function indexes(ctx: AnalyzerContext): Promise<readonly IndexInfo[]> {
  const raw = await rawIndexes(ctx);
  const baseline = doctorState(ctx).baseline;
  if (!baseline) return raw;
  return memo(ctx, 'indexes-window', async () => {
    let reset = false;
    const out = raw.map((i) => {
      const d = counterDelta(i.scans, baseline.indexes[relKey(i.schema, i.name)]?.scans ?? 0);
      reset ||= d.reset;
      return { ...i, scans: d.value };
    });
    if (reset) noteReset(ctx, 'index');
    return out;
  });
}

// ---------------------------------------------------------------------------------------------------- statements

/** One pg_stat_statements entry (top-level statements of the current database). */
export interface StatementStats {
  /** `queryid:userid` (queryid alone is not unique across users). */
  key: string;
  queryId: string;
  user: string | null;
  query: string;
  calls: number;
  totalExecMillis: number;
  totalPlanMillis: number;
  rows: number;
  sharedBlksHit: number;
  sharedBlksRead: number;
  tempBlksWritten: number;
  /** Sum of JIT generation, inlining, optimization and emission time (0 before pg_stat_statements 1.10). */
  jitMillis: number;
  jitFunctions: number;
}

/** The counter columns of {@link StatementStats}. */
export const STATEMENT_COUNTERS = [
  'calls',
  'totalExecMillis',
  'totalPlanMillis',
  'rows',
  'sharedBlksHit',
  'sharedBlksRead',
  'tempBlksWritten',
  'jitMillis',
  'jitFunctions',
] as const;

function pgssVersion(ctx: AnalyzerContext): number {
  const v = ctx.capabilities?.installedExtensions.pg_stat_statements ?? '1.10';
  const [major, minor] = v.split('.').map(Number);
  return (major ?? 1) * 100 + (minor ?? 0);
}

/** pg_stat_statements for the current database (lifetime counters), the doctor's own statements left out. */
export function rawStatements(ctx: AnalyzerContext): Promise<readonly StatementStats[]> {
  return memo(ctx, 'statements', async () => {
    const version = pgssVersion(ctx);
    const jit =
      version >= 110
        ? `(s.jit_generation_time + s.jit_inlining_time + s.jit_optimization_time + s.jit_emission_time)`
        : '0';
    const jitFunctions = version >= 110 ? 's.jit_functions' : '0';
    const toplevel = version >= 109 ? 'AND s.toplevel' : '';
    const rows = await query<Row>(
      ctx,
      `SELECT s.queryid::text AS queryid, s.userid::int8 AS userid, r.rolname, s.query, s.calls,
              s.total_exec_time::float8 AS total_exec, s.total_plan_time::float8 AS total_plan, s.rows,
              s.shared_blks_hit, s.shared_blks_read, s.temp_blks_written,
              ${jit}::float8 AS jit_time, ${jitFunctions}::int8 AS jit_functions
         FROM pg_stat_statements s
         LEFT JOIN pg_roles r ON r.oid = s.userid
        WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ${toplevel}
          AND s.query NOT LIKE '/* dbsage%'
          AND s.queryid IS NOT NULL`,
    );
    return rows.map(
      (r): StatementStats => ({
        key: `${r.queryid}:${r.userid}`,
        queryId: String(r.queryid),
        user: str(r.rolname),
        query: String(r.query ?? ''),
        calls: num(r.calls),
        totalExecMillis: num(r.total_exec),
        totalPlanMillis: num(r.total_plan),
        rows: num(r.rows),
        sharedBlksHit: num(r.shared_blks_hit),
        sharedBlksRead: num(r.shared_blks_read),
        tempBlksWritten: num(r.temp_blks_written),
        jitMillis: num(r.jit_time),
        jitFunctions: num(r.jit_functions),
      }),
    );
  });
}

/** pg_stat_statements; under `--since`, each statement's window (statements with no calls in it dropped). */
export async function statements(ctx: AnalyzerContext): Promise<readonly StatementStats[]> {
  const raw = await rawStatements(ctx);
  const baseline = doctorState(ctx).baseline;
  if (!baseline) return raw;
  return memo(ctx, 'statements-window', async () => {
    let reset = false;
    const out: StatementStats[] = [];
    for (const s of raw) {
      const before = baseline.statements[s.key];
      const copy: StatementStats = { ...s };
      for (const k of STATEMENT_COUNTERS) {
        const d = counterDelta(s[k], before?.[k] ?? 0);
        reset ||= d.reset;
        copy[k] = d.value;
      }
      if (copy.calls > 0) out.push(copy);
    }
    if (reset) noteReset(ctx, 'pg_stat_statements');
    return out;
  });
}

// ---------------------------------------------------------------------------------------------------- checkpoints

/** Checkpoint counters (pg_stat_bgwriter before 17, pg_stat_checkpointer from 17). */
export interface CheckpointStats {
  timed: number;
  requested: number;
  statsReset: string | null;
  isWindow: boolean;
}

/** Lifetime checkpoint counters. */
export function rawCheckpoints(ctx: AnalyzerContext): Promise<CheckpointStats> {
  return memo(ctx, 'checkpoints', async () => {
    const version = await serverVersionNum(ctx);
    const sql =
      version >= 170000
        ? 'SELECT num_timed AS timed, num_requested AS requested, stats_reset::text AS stats_reset FROM pg_stat_checkpointer'
        : 'SELECT checkpoints_timed AS timed, checkpoints_req AS requested, stats_reset::text AS stats_reset FROM pg_stat_bgwriter';
    const r = (await query<Row>(ctx, sql))[0]!;
    return { timed: num(r.timed), requested: num(r.requested), statsReset: str(r.stats_reset), isWindow: false };
  });
}

/** Checkpoint counters; under `--since`, the window's. */
export async function checkpoints(ctx: AnalyzerContext): Promise<CheckpointStats> {
  const raw = await rawCheckpoints(ctx);
  const baseline = doctorState(ctx).baseline;
  if (!baseline) return raw;
  const timed = counterDelta(raw.timed, baseline.checkpoints.timed);
  const requested = counterDelta(raw.requested, baseline.checkpoints.requested);
  if (timed.reset || requested.reset) noteReset(ctx, 'checkpoint');
  return { ...raw, timed: timed.value, requested: requested.value, isWindow: true };
}

// ---------------------------------------------------------------------------------------------------- helpers

function windowSeconds(baseline: Snapshot, nowText: string): number | null {
  const a = Date.parse(baseline.takenAt);
  const b = Date.parse(nowText);
  return Number.isFinite(a) && Number.isFinite(b) ? Math.max(0, (b - a) / 1000) : null;
}

function noteReset(ctx: AnalyzerContext, what: string): void {
  doctorState(ctx).notes.add(
    `Some ${what} statistics were reset (or the objects recreated) after the --since snapshot; for those, the figures cover the time since the reset.`,
  );
}
