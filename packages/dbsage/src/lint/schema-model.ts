import type { FkAction } from '../catalog/types.js';
import type { DefaultVolatility, RelName, TypeInfo } from './ast.js';

/**
 * The one in-memory schema model lint rules judge: built by replaying migration files statement by statement,
 * optionally seeded from the live catalog (`--db`). Design rules are written once against this model and so
 * work the same on files and on a live database. Unlike the frozen catalog model it is mutable, because every
 * replayed statement changes it.
 */

/** A point in a source file (1-based). */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

/** A column. */
export interface ModelColumn {
  name: string;
  type: TypeInfo;
  nullable: boolean;
  /** Default expression as SQL text, or null. */
  default: string | null;
  identity: 'always' | 'by-default' | null;
  /** Declared as serial/bigserial/smallserial (or a `nextval` default from the catalog). */
  serial: boolean;
  /** Stored generated expression, or null. */
  generated: string | null;
  location?: SourcePos;
}

/** A constraint. */
export interface ModelConstraint {
  name: string;
  kind: 'primary' | 'unique' | 'foreign' | 'check' | 'exclusion';
  columns: string[];
  validated: boolean;
  /** UNIQUE … NULLS NOT DISTINCT (PG 15+). */
  nullsNotDistinct: boolean;
  /** CHECK expression as SQL text. */
  expression: string | null;
  references?: { schema: string; table: string; columns: string[]; onDelete: FkAction };
  /** Index the constraint was attached from (`USING INDEX`) or that backs it. */
  indexName: string | null;
  createdInRun: boolean;
  location?: SourcePos;
}

/** One key of an index. */
export interface ModelIndexKey {
  column: string | null;
  expression: string | null;
}

/** An index. */
export interface ModelIndex {
  name: string;
  schema: string;
  table: string;
  method: string;
  keys: ModelIndexKey[];
  include: string[];
  predicate: string | null;
  unique: boolean;
  primary: boolean;
  nullsNotDistinct: boolean;
  valid: boolean;
  /** Constraint that owns the index (PK/unique/exclusion), if any. */
  constraintName: string | null;
  createdInRun: boolean;
  location?: SourcePos;
}

/** A trigger. */
export interface ModelTrigger {
  name: string;
  timing: 'BEFORE' | 'AFTER' | 'INSTEAD OF';
  events: string[];
  forEachRow: boolean;
  function: string;
  /** Trigger arguments (`moddatetime(updated_at)` names its column here). */
  args: string[];
}

/** A function, kept for trigger bodies (`updated_at` maintenance) and default volatility. */
export interface ModelFunction {
  name: string;
  volatility: 'immutable' | 'stable' | 'volatile';
  source: string | null;
}

/** A table. */
export interface ModelTable {
  schema: string;
  name: string;
  kind: 'table' | 'partitioned' | 'foreign' | 'view' | 'materialized-view';
  columns: ModelColumn[];
  constraints: ModelConstraint[];
  indexes: ModelIndex[];
  triggers: ModelTrigger[];
  /** Created by a statement of this run (so DDL on it holds no lock anyone waits for). */
  createdInRun: boolean;
  /** Where it came from: the live catalog or a replayed file. */
  origin: 'catalog' | 'file';
  /** Only seen through ALTER/INDEX statements, never created: table-level design rules skip it. */
  partial: boolean;
  /** Defined or altered by a linted statement (design findings are limited to these when files are linted). */
  touched: boolean;
  /** Total size (heap + toast + indexes) from the catalog, null when unknown. */
  sizeBytes: number | null;
  rowEstimate: number | null;
  /** Rows inserted since the statistics reset (pg_stat_user_tables.n_tup_ins), for growth heuristics. */
  inserted: number | null;
  location?: SourcePos;
}

/** `schema.name` key; the default schema is `public`. */
export function tableKey(schema: string, name: string): string {
  return `${schema}.${name}`;
}

/** `orders` for public tables, `billing.invoices` otherwise. */
export function displayTable(t: { schema: string; name: string }): string {
  return t.schema === 'public' ? t.name : `${t.schema}.${t.name}`;
}

/** The mutable schema model. */
export class SchemaModel {
  readonly #tables = new Map<string, ModelTable>();
  /**
   * The same tables by schema, then name: lookups (several per replayed statement) use this, so they do not
   * build and hash a `schema.name` string each time.
   */
  readonly #bySchema = new Map<string, Map<string, ModelTable>>();
  /** Index key (`schema.index`) → table key. */
  readonly #indexOwner = new Map<string, string>();
  readonly enums = new Map<string, string[]>();
  readonly functions = new Map<string, ModelFunction>();
  /** Server version (e.g. 150004), from `--db` or the configured pg version. */
  serverVersionNum: number;
  /** Schemas searched for unqualified names. */
  searchPath: string[] = ['public'];

  constructor(serverVersionNum = 170000) {
    this.serverVersionNum = serverVersionNum;
  }

  /** Every table, in creation order. */
  tables(): IterableIterator<ModelTable> {
    return this.#tables.values();
  }

  /** Resolves a relation name the way search_path would. */
  table(rel: RelName): ModelTable | undefined {
    if (rel.schema) return this.#bySchema.get(rel.schema)?.get(rel.name);
    for (const schema of this.searchPath) {
      const t = this.#bySchema.get(schema)?.get(rel.name);
      if (t) return t;
    }
    return undefined;
  }

  /** The schema an unqualified new object goes to. */
  schemaFor(rel: RelName): string {
    return rel.schema ?? this.searchPath[0] ?? 'public';
  }

  /** Adds (or replaces) a table. */
  addTable(table: ModelTable): void {
    this.#tables.set(tableKey(table.schema, table.name), table);
    this.#named(table.schema).set(table.name, table);
    for (const index of table.indexes)
      this.#indexOwner.set(tableKey(index.schema, index.name), tableKey(table.schema, table.name));
  }

  /** Removes a table and its indexes. */
  dropTable(table: ModelTable): void {
    this.#tables.delete(tableKey(table.schema, table.name));
    this.#bySchema.get(table.schema)?.delete(table.name);
    for (const index of table.indexes) this.#indexOwner.delete(tableKey(index.schema, index.name));
  }

  /** Renames a table in place. */
  renameTable(table: ModelTable, newName: string): void {
    this.#tables.delete(tableKey(table.schema, table.name));
    this.#bySchema.get(table.schema)?.delete(table.name);
    table.name = newName;
    for (const index of table.indexes) {
      index.table = newName;
      this.#indexOwner.set(tableKey(index.schema, index.name), tableKey(table.schema, newName));
    }
    this.#tables.set(tableKey(table.schema, newName), table);
    this.#named(table.schema).set(newName, table);
  }

  #named(schema: string): Map<string, ModelTable> {
    let named = this.#bySchema.get(schema);
    if (!named) {
      named = new Map();
      this.#bySchema.set(schema, named);
    }
    return named;
  }

  /** Registers an index on its table. */
  addIndex(table: ModelTable, index: ModelIndex): void {
    if (this.#indexOwner.has(tableKey(index.schema, index.name))) {
      table.indexes = table.indexes.filter((i) => i.name !== index.name);
    }
    table.indexes.push(index);
    this.#indexOwner.set(tableKey(index.schema, index.name), tableKey(table.schema, table.name));
  }

  /** Finds an index and its table by (possibly unqualified) name. */
  index(rel: RelName): { table: ModelTable; index: ModelIndex } | undefined {
    const schemas = rel.schema ? [rel.schema] : this.searchPath;
    for (const schema of schemas) {
      const owner = this.#indexOwner.get(tableKey(schema, rel.name));
      const table = owner ? this.#tables.get(owner) : undefined;
      const index = table?.indexes.find((i) => i.name === rel.name && i.schema === schema);
      if (table && index) return { table, index };
    }
    return undefined;
  }

  /** Removes an index. */
  dropIndex(table: ModelTable, index: ModelIndex): void {
    table.indexes = table.indexes.filter((i) => i !== index);
    this.#indexOwner.delete(tableKey(index.schema, index.name));
  }

  /** Renames an index. */
  renameIndex(table: ModelTable, index: ModelIndex, newName: string): void {
    this.#indexOwner.delete(tableKey(index.schema, index.name));
    index.name = newName;
    this.#indexOwner.set(tableKey(index.schema, newName), tableKey(table.schema, table.name));
  }
}

/** A fresh, empty table record. */
export function newTable(
  schema: string,
  name: string,
  createdInRun: boolean,
  origin: ModelTable['origin'],
): ModelTable {
  return {
    schema,
    name,
    kind: 'table',
    columns: [],
    constraints: [],
    indexes: [],
    triggers: [],
    createdInRun,
    origin,
    partial: false,
    touched: false,
    sizeBytes: null,
    rowEstimate: null,
    inserted: null,
  };
}

/** Finds a column of a table. */
export function column(table: ModelTable, name: string): ModelColumn | undefined {
  // A plain loop: called for every column a statement names, mostly before V8 has optimized anything.
  for (const c of table.columns) if (c.name === name) return c;
  return undefined;
}

/** True when the function source assigns `updated_at`-like columns a current timestamp (a maintaining trigger). */
export function functionMaintains(fn: ModelFunction | undefined, columnName: string): boolean {
  if (!fn) return false;
  const src = fn.source ?? '';
  const re = new RegExp(
    `new\\s*\\.\\s*"?${columnName}"?\\s*:?=\\s*(now\\s*\\(|current_timestamp|clock_timestamp|statement_timestamp|transaction_timestamp|localtimestamp)`,
    'i',
  );
  return re.test(src);
}

/** Shared type for the volatility helpers re-exported to rules. */
export type { DefaultVolatility };
