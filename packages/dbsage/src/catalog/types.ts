/**
 * The catalog model: PostgreSQL's catalogs parsed once from snake_case rows into frozen camelCase types.
 * Everything downstream (doctor, lint --db, index advisor, design --from) reads this model, never pg_catalog.
 */

/** `pg_class.relkind` values dbsage distinguishes. */
export const TABLE_KINDS = ['table', 'partitioned', 'foreign', 'view', 'materialized-view'] as const;
export type TableKind = (typeof TABLE_KINDS)[number];

/** A column. */
export interface Column {
  name: string;
  /** 1-based attnum. */
  position: number;
  /** Formatted type with typmod, e.g. `character varying(255)`, `numeric(10,2)`, `timestamp with time zone`. */
  type: string;
  /** Base type name without typmod (`varchar`, `int4`, `timestamptz`, `_text` for arrays). */
  typeName: string;
  nullable: boolean;
  /** Default expression as PostgreSQL prints it, or null. */
  default: string | null;
  /** `always` / `by-default` for identity columns. */
  identity: 'always' | 'by-default' | null;
  /** Sequence-backed default (`nextval(...)`): the sequence name, for serial detection. */
  serialSequence: string | null;
  /** Generated column expression (stored), or null. */
  generated: string | null;
  collation: string | null;
  comment: string | null;
}

/** Foreign key actions as written in DDL. */
export type FkAction = 'NO ACTION' | 'RESTRICT' | 'CASCADE' | 'SET NULL' | 'SET DEFAULT';

/** A constraint. */
export interface Constraint {
  name: string;
  /** `pg_constraint.contype`: p primary, u unique, f foreign, c check, x exclusion. */
  kind: 'primary' | 'unique' | 'foreign' | 'check' | 'exclusion';
  columns: string[];
  /** Full definition from pg_get_constraintdef. */
  definition: string;
  validated: boolean;
  deferrable: boolean;
  /** Foreign keys only. */
  references?: { schema: string; table: string; columns: string[]; onDelete: FkAction; onUpdate: FkAction };
  /** The index backing a PK/unique/exclusion constraint. */
  indexName?: string;
}

/** One key of an index: a column or an expression. */
export interface IndexKey {
  /** Column name, or null for an expression key. */
  column: string | null;
  /** Expression text for expression keys (e.g. `lower((email)::text)`). */
  expression: string | null;
  /** B-tree ordering. */
  descending: boolean;
  nullsFirst: boolean;
  /** Operator class when not the default for the type (e.g. `gin_trgm_ops`, `jsonb_path_ops`). */
  opclass: string | null;
  collation: string | null;
}

/** An index. */
export interface Index {
  name: string;
  schema: string;
  table: string;
  /** Access method: btree, hash, gin, gist, spgist, brin, … */
  method: string;
  /** Key columns/expressions in order (INCLUDE columns excluded). */
  keys: IndexKey[];
  /** INCLUDE columns. */
  include: string[];
  /** Partial index predicate, or null. */
  predicate: string | null;
  unique: boolean;
  primary: boolean;
  /** Backs an exclusion constraint. */
  exclusion: boolean;
  /** Name of the constraint that owns the index (PK/unique/exclusion), if any. */
  constraintName: string | null;
  /** False for an index left INVALID (failed CREATE INDEX CONCURRENTLY). */
  valid: boolean;
  ready: boolean;
  replicaIdentity: boolean;
  definition: string;
  sizeBytes: number;
  /** pg_stat_user_indexes counters. */
  scans: number;
  tuplesRead: number;
  tuplesFetched: number;
  lastScan: string | null;
}

/** A trigger (internal constraint triggers excluded). */
export interface Trigger {
  name: string;
  /** BEFORE / AFTER / INSTEAD OF. */
  timing: 'BEFORE' | 'AFTER' | 'INSTEAD OF';
  events: ('INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE')[];
  forEachRow: boolean;
  function: string;
  enabled: boolean;
  definition: string;
  /** Source of the trigger function when it is PL/pgSQL or SQL (for updated_at detection). */
  functionSource: string | null;
}

/** Per-table activity counters from pg_stat_user_tables. */
export interface TableActivity {
  seqScan: number;
  seqTupRead: number;
  idxScan: number;
  idxTupFetch: number;
  nTupIns: number;
  nTupUpd: number;
  nTupDel: number;
  nTupHotUpd: number;
  nLiveTup: number;
  nDeadTup: number;
  nModSinceAnalyze: number;
  lastVacuum: string | null;
  lastAutovacuum: string | null;
  lastAnalyze: string | null;
  lastAutoanalyze: string | null;
  vacuumCount: number;
  autovacuumCount: number;
  analyzeCount: number;
  autoanalyzeCount: number;
}

/** A table (or partitioned table, view, materialized view, foreign table). */
export interface Table {
  schema: string;
  name: string;
  oid: number;
  kind: TableKind;
  /** For a partition: its parent `schema.name`. */
  partitionOf: string | null;
  /** For a partitioned table: the partition key (pg_get_partkeydef). */
  partitionKey: string | null;
  /** pg_class.reltuples (−1 → null when never analyzed/vacuumed). */
  rowEstimate: number | null;
  /** pg_class.relpages. */
  pages: number;
  heapBytes: number;
  toastBytes: number;
  indexBytes: number;
  /** Storage parameters such as `autovacuum_enabled=false`, `fillfactor=90`. */
  reloptions: Readonly<Record<string, string>>;
  /** `pg_class.relreplident`: d default, n nothing, f full, i index. */
  replicaIdentity: 'default' | 'nothing' | 'full' | 'index';
  columns: Column[];
  constraints: Constraint[];
  indexes: Index[];
  triggers: Trigger[];
  activity: TableActivity | null;
  comment: string | null;
}

/** A sequence with its owning column, for overflow checks. */
export interface Sequence {
  schema: string;
  name: string;
  dataType: string;
  startValue: number;
  increment: number;
  minValue: number;
  maxValue: number;
  cycle: boolean;
  /** Last value (null when never used or not readable). */
  lastValue: number | null;
  /** Owning `schema.table.column` (serial / identity), or null. */
  ownedBy: { schema: string; table: string; column: string; columnType: string } | null;
}

/** Column statistics from pg_stats. */
export interface ColumnStats {
  schema: string;
  table: string;
  column: string;
  inherited: boolean;
  nullFrac: number;
  /** >0: distinct count; <0: negative fraction of rows (−1 = unique). */
  nDistinct: number;
  avgWidth: number;
  mostCommonValues: string[] | null;
  mostCommonFreqs: number[] | null;
  histogramBounds: string[] | null;
  correlation: number | null;
}

/** The whole catalog model. */
export interface Catalog {
  serverVersionNum: number;
  database: string;
  schemas: string[];
  tables: Table[];
  sequences: Sequence[];
  stats: ColumnStats[];
  /** When the statistics counters were last reset (pg_stat_database.stats_reset), or null. */
  statsReset: string | null;
  /** When this model was read (ISO). */
  readAt: string;
}
