import type { Catalog, Column, ColumnStats, Constraint, Index, Table } from '../../catalog/types.js';
import type { LogicalModel, LogicalTable } from '../model/resolve.js';
import { pgTypeOf } from './column-type.js';

/** Rows assumed for an entity without `volume.rows` (enough that indexes matter). */
export const DEFAULT_DESIGN_ROWS = 100_000;

const TYPE_NAMES: Record<string, string> = {
  text: 'text',
  integer: 'int4',
  bigint: 'int8',
  smallint: 'int2',
  'double precision': 'float8',
  boolean: 'bool',
  timestamptz: 'timestamptz',
  date: 'date',
  time: 'time',
  interval: 'interval',
  uuid: 'uuid',
  jsonb: 'jsonb',
  bytea: 'bytea',
};

function typeName(pgType: string): string {
  const array = pgType.endsWith('[]');
  const base = array ? pgType.slice(0, -2) : pgType;
  const name = TYPE_NAMES[base] ?? (base.startsWith('numeric') ? 'numeric' : base.replace(/\(.*$/, ''));
  return array ? `_${name}` : name;
}

/** A constant a pattern filters on with a known share of rows (becomes an MCV in the synthetic pg_stats). */
export interface ValueHint {
  table: string;
  column: string;
  value: string;
  frequency: number;
}

/**
 * The catalog the designed schema will have, built from the model without a database: tables, columns with
 * their types, primary/unique/foreign-key constraints and their indexes, row counts from `volume`, and pg_stats
 * the model implies (enum and unique columns' distinct counts, the frequencies access patterns declare with
 * `selectivity`). This lets design run the index advisor's candidate generation exactly as it runs on a live
 * database.
 */
export function modelCatalog(logical: LogicalModel, hints: readonly ValueHint[] = []): Catalog {
  const stats: ColumnStats[] = [];
  const tables = logical.tables.map((t, i): Table => {
    const rows = rowsOf(t, logical);
    const columns = t.columns.map(
      (c, position): Column => ({
        name: c.name,
        position: position + 1,
        type: pgTypeOf(c.field),
        typeName: typeName(pgTypeOf(c.field)),
        nullable: !(c.field.required || t.primaryKey.includes(c.name)),
        default: null,
        identity: c.identity ? 'always' : null,
        serialSequence: null,
        generated: null,
        collation: null,
        comment: null,
      }),
    );
    const constraints: Constraint[] =
      t.primaryKey.length === 0
        ? []
        : [
            {
              name: `${t.name}_pkey`,
              kind: 'primary',
              columns: [...t.primaryKey],
              definition: '',
              validated: true,
              deferrable: false,
              indexName: `${t.name}_pkey`,
            },
          ];
    const uniques = [
      ...t.uniques.map((u) => u.columns),
      ...t.columns.filter((c) => c.field.unique).map((c) => [c.name]),
      ...t.foreignKeys.filter((fk) => fk.unique).map((fk) => fk.columns),
    ];
    uniques.forEach((cols, n) => {
      constraints.push({
        name: `${t.name}_key${n}`,
        kind: 'unique',
        columns: cols,
        definition: '',
        validated: true,
        deferrable: false,
        indexName: `${t.name}_key${n}`,
      });
    });
    for (const fk of t.foreignKeys) {
      constraints.push({
        name: `${t.name}_${fk.columns.join('_')}_fkey`,
        kind: 'foreign',
        columns: fk.columns,
        definition: '',
        validated: true,
        deferrable: false,
        references: {
          schema: 'public',
          table: fk.refTable,
          columns: fk.refColumns,
          onDelete: 'NO ACTION',
          onUpdate: 'NO ACTION',
        },
      });
    }
    const indexes: Index[] = constraints
      .filter((c) => c.indexName)
      .map((c) => ({
        name: c.indexName!,
        schema: 'public',
        table: t.name,
        method: 'btree',
        keys: c.columns.map((col) => ({
          column: col,
          expression: null,
          descending: false,
          nullsFirst: false,
          opclass: null,
          collation: null,
        })),
        include: [],
        predicate: null,
        unique: true,
        primary: c.kind === 'primary',
        exclusion: false,
        constraintName: c.name,
        valid: true,
        ready: true,
        replicaIdentity: false,
        definition: '',
        sizeBytes: 0,
        scans: 0,
        tuplesRead: 0,
        tuplesFetched: 0,
        lastScan: null,
      }));
    for (const c of t.columns) {
      const unique = c.field.unique || (t.primaryKey.length === 1 && t.primaryKey[0] === c.name);
      const values = c.field.type === 'enum' ? c.field.values : undefined;
      const mine = hints.filter((h) => h.table === t.name && h.column === c.name);
      if (!unique && !values && mine.length === 0) continue;
      stats.push({
        schema: 'public',
        table: t.name,
        column: c.name,
        inherited: false,
        nullFrac: 0,
        nDistinct: unique
          ? -1
          : values
            ? values.length
            : Math.max(mine.length + 1, Math.round(1 / Math.max(0.0001, Math.min(...mine.map((h) => h.frequency))))),
        avgWidth: 16,
        mostCommonValues: mine.length > 0 ? mine.map((h) => h.value) : null,
        mostCommonFreqs: mine.length > 0 ? mine.map((h) => h.frequency) : null,
        histogramBounds: null,
        correlation: null,
      });
    }
    return {
      schema: 'public',
      name: t.name,
      oid: i + 1,
      kind: 'table',
      partitionOf: null,
      partitionKey: null,
      rowEstimate: rows,
      pages: Math.ceil(rows / 50),
      heapBytes: rows * 100,
      toastBytes: 0,
      indexBytes: 0,
      reloptions: {},
      replicaIdentity: 'default',
      columns,
      constraints,
      indexes,
      triggers: [],
      activity: null,
      comment: null,
    };
  });
  return {
    serverVersionNum: 180000,
    database: logical.model.name,
    schemas: ['public'],
    tables,
    sequences: [],
    stats,
    statsReset: null,
    readAt: new Date(0).toISOString(),
  };
}

/** Expected rows in a year: volume, or for a junction the product of its side's cardinality, else a default. */
export function rowsOf(t: LogicalTable, logical: LogicalModel): number {
  const v = t.entity?.volume;
  if (v?.rows !== undefined) return Math.round(v.rows + 12 * (v.growthPerMonth ?? 0));
  if (t.junctionOf) {
    const rel = t.junctionOf.relationship;
    const from = logical.table(rel.from)?.entity?.volume?.rows;
    if (from !== undefined && rel.cardinality?.average !== undefined) return Math.round(from * rel.cardinality.average);
  }
  return DEFAULT_DESIGN_ROWS;
}
