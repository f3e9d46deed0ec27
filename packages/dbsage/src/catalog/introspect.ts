import type { Queryable } from '../engines/postgres/client.js';
import {
  ACTIVITY_SQL,
  COLUMNS_SQL,
  CONSTRAINTS_SQL,
  DATABASE_SQL,
  indexesSql,
  SEQUENCES_SQL,
  STATS_SQL,
  TABLES_SQL,
  TRIGGERS_SQL,
} from './queries.js';
import type {
  Catalog,
  Column,
  ColumnStats,
  Constraint,
  FkAction,
  Index,
  IndexKey,
  Sequence,
  Table,
  TableActivity,
  TableKind,
  Trigger,
} from './types.js';

type Row = Record<string, unknown>;

const RELKIND: Record<string, TableKind> = {
  r: 'table',
  p: 'partitioned',
  f: 'foreign',
  v: 'view',
  m: 'materialized-view',
};
const CONTYPE: Record<string, Constraint['kind']> = {
  p: 'primary',
  u: 'unique',
  f: 'foreign',
  c: 'check',
  x: 'exclusion',
};
const FK_ACTION: Record<string, FkAction> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};
const REPLIDENT: Record<string, Table['replicaIdentity']> = { d: 'default', n: 'nothing', f: 'full', i: 'index' };

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Recursively freezes a value (the catalog model is immutable once read). */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/** Parses `pg_class.reloptions` (`{fillfactor=90,…}`) into a record. */
export function parseReloptions(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(v)) return out;
  for (const item of v as string[]) {
    const eq = item.indexOf('=');
    if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** Splits `"NO ACTION"`-free serial detection: `nextval('public.users_id_seq'::regclass)` → sequence name. */
export function serialSequenceOf(defaultExpr: string | null): string | null {
  if (!defaultExpr) return null;
  const m = /^nextval\('([^']+)'::regclass\)$/.exec(defaultExpr);
  return m ? m[1]!.replace(/"/g, '') : null;
}

/** The tgtype bit layout (pg_trigger.h): 1 ROW, 2 BEFORE, 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE, 64 INSTEAD. */
function triggerFromRow(r: Row): Trigger {
  const t = num(r.tgtype);
  const events: Trigger['events'] = [];
  if (t & 4) events.push('INSERT');
  if (t & 16) events.push('UPDATE');
  if (t & 8) events.push('DELETE');
  if (t & 32) events.push('TRUNCATE');
  return {
    name: String(r.name),
    timing: t & 64 ? 'INSTEAD OF' : t & 2 ? 'BEFORE' : 'AFTER',
    events,
    forEachRow: (t & 1) !== 0,
    function: r.function_schema === 'public' ? String(r.function) : `${r.function_schema}.${r.function}`,
    enabled: r.enabled !== 'D',
    definition: String(r.definition),
    functionSource: str(r.function_source),
  };
}

function activityFromRow(r: Row): TableActivity {
  return {
    seqScan: num(r.seq_scan),
    seqTupRead: num(r.seq_tup_read),
    idxScan: num(r.idx_scan),
    idxTupFetch: num(r.idx_tup_fetch),
    nTupIns: num(r.n_tup_ins),
    nTupUpd: num(r.n_tup_upd),
    nTupDel: num(r.n_tup_del),
    nTupHotUpd: num(r.n_tup_hot_upd),
    nLiveTup: num(r.n_live_tup),
    nDeadTup: num(r.n_dead_tup),
    nModSinceAnalyze: num(r.n_mod_since_analyze),
    lastVacuum: str(r.last_vacuum),
    lastAutovacuum: str(r.last_autovacuum),
    lastAnalyze: str(r.last_analyze),
    lastAutoanalyze: str(r.last_autoanalyze),
    vacuumCount: num(r.vacuum_count),
    autovacuumCount: num(r.autovacuum_count),
    analyzeCount: num(r.analyze_count),
    autoanalyzeCount: num(r.autoanalyze_count),
  };
}

function groupBy<T>(rows: readonly Row[], key: string, map: (r: Row) => T): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of rows) {
    const k = num(r[key]);
    const list = out.get(k);
    if (list) list.push(map(r));
    else out.set(k, [map(r)]);
  }
  return out;
}

/** Options of {@link readCatalog}. */
export interface ReadCatalogOptions {
  /** Read pg_stats (default true; the doctor's bloat estimate and the advisor need it). */
  stats?: boolean;
}

/**
 * Reads the catalog into the frozen model. Run it inside one read-only transaction (as
 * `client.transaction(tx => readCatalog(tx))`) so every part sees the same snapshot.
 */
export async function readCatalog(db: Queryable, options: ReadCatalogOptions = {}): Promise<Catalog> {
  const dbRow = (await db.query<Row>(DATABASE_SQL)).rows[0]!;
  const versionNum = num(dbRow.version_num);
  const lastScan = versionNum >= 160000 ? 's.last_idx_scan::text' : 'NULL::text';
  const [tables, columns, constraints, indexes, triggers, activity, sequences, stats] = [
    (await db.query<Row>(TABLES_SQL)).rows,
    (await db.query<Row>(COLUMNS_SQL)).rows,
    (await db.query<Row>(CONSTRAINTS_SQL)).rows,
    (await db.query<Row>(indexesSql(lastScan))).rows,
    (await db.query<Row>(TRIGGERS_SQL)).rows,
    (await db.query<Row>(ACTIVITY_SQL)).rows,
    (await db.query<Row>(SEQUENCES_SQL)).rows,
    options.stats === false ? [] : (await db.query<Row>(STATS_SQL)).rows,
  ];

  const columnsByRel = groupBy<Column>(columns, 'relid', (r) => {
    const def = str(r.default_expr);
    const generated = str(r.generated);
    return {
      name: String(r.name),
      position: num(r.position),
      type: String(r.type),
      typeName: String(r.type_name),
      nullable: Boolean(r.nullable),
      default: generated ? null : def,
      identity: r.identity === 'a' ? 'always' : r.identity === 'd' ? 'by-default' : null,
      serialSequence: serialSequenceOf(def),
      generated: generated ? def : null,
      collation: str(r.collation),
      comment: str(r.comment),
    };
  });
  const attname = (relid: number, attnum: number): string =>
    columnsByRel.get(relid)?.find((c) => c.position === attnum)?.name ?? `#${attnum}`;

  const constraintsByRel = groupBy<Constraint>(constraints, 'relid', (r) => {
    const relid = num(r.relid);
    const kind = CONTYPE[String(r.contype)]!;
    const c: Constraint = {
      name: String(r.name),
      kind,
      columns: ((r.conkey as number[] | null) ?? []).map((a) => attname(relid, a)),
      definition: String(r.definition),
      validated: Boolean(r.validated),
      deferrable: Boolean(r.deferrable),
    };
    if (kind === 'foreign') {
      c.references = {
        schema: String(r.ref_schema),
        table: String(r.ref_table),
        columns: (r.ref_columns as string[] | null) ?? [],
        onDelete: FK_ACTION[String(r.on_delete)] ?? 'NO ACTION',
        onUpdate: FK_ACTION[String(r.on_update)] ?? 'NO ACTION',
      };
    }
    if (r.index_name) c.indexName = String(r.index_name);
    return c;
  });

  const indexesByRel = groupBy<Index>(indexes, 'relid', (r) => {
    const rawKeys = (typeof r.keys === 'string' ? JSON.parse(r.keys) : r.keys) as Row[] | null;
    const keys: IndexKey[] = (rawKeys ?? []).map((k) => {
      const isColumn = num(k.attnum) !== 0;
      return {
        column: isColumn ? attname(num(r.relid), num(k.attnum)) : null,
        expression: isColumn ? null : String(k.def),
        descending: Boolean(k.desc),
        nullsFirst: Boolean(k.nullsFirst),
        opclass: str(k.opclass),
        collation: str(k.collation),
      };
    });
    return {
      name: String(r.name),
      schema: String(r.schema),
      table: String(r.table_name),
      method: String(r.method),
      keys,
      include: (r.include as string[] | null) ?? [],
      predicate: str(r.predicate),
      unique: Boolean(r.is_unique),
      primary: Boolean(r.is_primary),
      exclusion: Boolean(r.is_exclusion),
      constraintName: str(r.constraint_name),
      valid: Boolean(r.is_valid),
      ready: Boolean(r.is_ready),
      replicaIdentity: Boolean(r.is_replident),
      definition: String(r.definition),
      sizeBytes: num(r.size_bytes),
      scans: num(r.scans),
      tuplesRead: num(r.tup_read),
      tuplesFetched: num(r.tup_fetch),
      lastScan: str(r.last_scan),
    };
  });

  const triggersByRel = groupBy(triggers, 'relid', triggerFromRow);
  const activityByRel = new Map(activity.map((r) => [num(r.relid), activityFromRow(r)]));

  const tableModels: Table[] = tables.map((r) => {
    const oid = num(r.oid);
    const reltuples = Number(r.reltuples);
    return {
      schema: String(r.schema),
      name: String(r.name),
      oid,
      kind: RELKIND[String(r.relkind)] ?? 'table',
      partitionOf: r.is_partition ? str(r.parent) : null,
      partitionKey: str(r.partition_key),
      rowEstimate: reltuples < 0 ? null : reltuples,
      pages: num(r.relpages),
      heapBytes: num(r.heap_bytes),
      toastBytes: num(r.toast_bytes),
      indexBytes: num(r.index_bytes),
      reloptions: parseReloptions(r.reloptions),
      replicaIdentity: REPLIDENT[String(r.relreplident)] ?? 'default',
      columns: columnsByRel.get(oid) ?? [],
      constraints: constraintsByRel.get(oid) ?? [],
      indexes: indexesByRel.get(oid) ?? [],
      triggers: triggersByRel.get(oid) ?? [],
      activity: activityByRel.get(oid) ?? null,
      comment: str(r.comment),
    };
  });

  const sequenceModels: Sequence[] = sequences.map((r) => ({
    schema: String(r.schema),
    name: String(r.name),
    dataType: String(r.data_type),
    startValue: num(r.start_value),
    increment: num(r.increment_by),
    minValue: num(r.min_value),
    maxValue: num(r.max_value),
    cycle: Boolean(r.cycle),
    lastValue: numOrNull(r.last_value),
    ownedBy: r.owner_table
      ? {
          schema: String(r.owner_schema),
          table: String(r.owner_table),
          column: String(r.owner_column),
          columnType: String(r.owner_column_type),
        }
      : null,
  }));

  const statModels: ColumnStats[] = stats.map((r) => ({
    schema: String(r.schema),
    table: String(r.table_name),
    column: String(r.column_name),
    inherited: Boolean(r.inherited),
    nullFrac: num(r.null_frac),
    nDistinct: num(r.n_distinct),
    avgWidth: num(r.avg_width),
    mostCommonValues: (r.mcv as string[] | null) ?? null,
    mostCommonFreqs: (r.mcf as number[] | null)?.map(Number) ?? null,
    histogramBounds: (r.histogram as string[] | null) ?? null,
    correlation: numOrNull(r.correlation),
  }));

  return deepFreeze({
    serverVersionNum: versionNum,
    database: String(dbRow.database),
    schemas: (dbRow.schemas as string[] | null) ?? [],
    tables: tableModels,
    sequences: sequenceModels,
    stats: statModels,
    statsReset: str(dbRow.stats_reset),
    readAt: String(dbRow.read_at),
  });
}
