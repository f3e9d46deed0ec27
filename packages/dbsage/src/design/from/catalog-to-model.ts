import type { Catalog, Column, Constraint, Index, Table } from '../../catalog/types.js';
import type { Workload } from '../../workload/types.js';
import { singular } from '../model/resolve.js';
import type { DesignModelInput } from '../model/schema.js';
import { FORMAT_PATTERNS } from '../postgres/column-type.js';

/**
 * An existing schema as a model file: tables become entities (or N:M junctions when their key is exactly two
 * foreign keys), foreign keys become relationships with their ON DELETE, CHECKs that the generator would write
 * become field properties (enum values, formats, ranges, lengths), everything else is kept verbatim (`pgType`,
 * raw `checks`, explicit `indexes`) so that `design` regenerates the same schema. Statements from
 * pg_stat_statements become access patterns with their SQL and call rate.
 */
export interface CatalogModel {
  model: DesignModelInput;
  /** What could not be represented, or was changed, and why. */
  notes: string[];
}

type FieldInput = Record<string, unknown> & { type: string };

/** Options of {@link modelFromCatalog}. */
export interface CatalogModelOptions {
  /** Schema to read (default `public`). */
  schema?: string;
  /** Installed extensions (plpgsql excluded). */
  extensions?: readonly string[];
  /** Workload from pg_stat_statements, for access patterns. */
  workload?: Workload;
  /** Seconds the statistics cover (for rates), when known. */
  statsSeconds?: number;
  /** Model name. */
  name?: string;
  /** At most this many access patterns (by total time). */
  maxPatterns?: number;
}

const SIMPLE_TYPES: Record<string, FieldInput> = {
  text: { type: 'string' },
  int4: { type: 'integer' },
  int8: { type: 'bigint' },
  int2: { type: 'smallint' },
  float8: { type: 'float' },
  bool: { type: 'boolean' },
  timestamptz: { type: 'timestamp' },
  date: { type: 'date' },
  time: { type: 'time' },
  interval: { type: 'interval' },
  uuid: { type: 'uuid' },
  jsonb: { type: 'json' },
  bytea: { type: 'bytes' },
};

/** Maps a catalog column type to a field type (or `pgType` when there is no exact logical twin). */
function fieldType(c: Column): FieldInput {
  const array = c.typeName.startsWith('_');
  const base = array ? c.typeName.slice(1) : c.typeName;
  const simple = SIMPLE_TYPES[base];
  if (simple && (!array || base !== 'jsonb')) return array ? { ...simple, array: true } : { ...simple };
  if (base === 'numeric' && !array) {
    const m = /^numeric\((\d+),(\d+)\)$/.exec(c.type.replace(/\s/g, ''));
    return m ? { type: 'decimal', precision: Number(m[1]), scale: Number(m[2]) } : { type: 'decimal' };
  }
  return { type: 'string', pgType: c.type };
}

/** `'active'::text` → `active`, `0` → 0, `now()` → now, `'{}'::jsonb` → {}; else `{ sql }`. */
function defaultValue(c: Column, field: FieldInput): unknown {
  const d = c.default;
  if (d === null) return undefined;
  if (d === 'now()' && field.type === 'timestamp') return 'now';
  if (d === 'CURRENT_DATE' && field.type === 'date') return 'now';
  if (field.pgType) return { sql: d };
  const str = /^'((?:[^']|'')*)'::(text|character varying|jsonb)$/.exec(d);
  if (str) {
    const value = str[1]!.replace(/''/g, "'");
    if (str[2] === 'jsonb') {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return { sql: d };
      }
    }
    return value;
  }
  if (/^-?\d+(\.\d+)?$/.test(d) && ['integer', 'bigint', 'smallint', 'decimal', 'float'].includes(field.type)) {
    return Number(d);
  }
  if ((d === 'true' || d === 'false') && field.type === 'boolean') return d === 'true';
  return { sql: d };
}

/** The body of `CHECK ((...))` without the outer parentheses. */
function checkBody(def: string): string {
  const m = /^CHECK \((.*)\)$/s.exec(def.trim().replace(/ NOT VALID$/, ''));
  let body = m ? m[1]! : def;
  while (body.startsWith('(') && body.endsWith(')') && balanced(body.slice(1, -1))) body = body.slice(1, -1);
  return body;
}

function balanced(s: string): boolean {
  let depth = 0;
  let quoted = false;
  for (const ch of s) {
    if (ch === "'") quoted = !quoted;
    if (quoted) continue;
    if (ch === '(') depth++;
    if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

const NUM = String.raw`\(?(-?\d+(?:\.\d+)?)\)?(?:::[a-z ]+)?`;

/**
 * Recognises a CHECK the generator writes for a field (and returns the field properties), else null. Only
 * exact shapes are recognised, so the regenerated constraint is the same constraint.
 */
function recognizeCheck(body: string, column: string, field: FieldInput): Record<string, unknown> | null {
  const col = column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const anyArray = new RegExp(`^${col} = ANY \\(ARRAY\\[(.*)\\]\\)$`).exec(body);
  if (anyArray && field.type === 'string' && !field.pgType && !field.array) {
    const values = [...anyArray[1]!.matchAll(/'((?:[^']|'')*)'::text/g)].map((m) => m[1]!.replace(/''/g, "'"));
    const rebuilt = values.map((v) => `'${v.replace(/'/g, "''")}'::text`).join(', ');
    if (values.length > 0 && rebuilt === anyArray[1]) return { type: 'enum', values };
  }
  const regex = new RegExp(`^${col} (~\\*?) '((?:[^']|'')*)'::text$`).exec(body);
  if (regex && field.type === 'string') {
    const re = regex[2]!.replace(/''/g, "'");
    for (const [format, f] of Object.entries(FORMAT_PATTERNS)) {
      if (f.regex === re && f.op === regex[1]) return { format };
    }
    if (regex[1] === '~') return { pattern: re };
    return null;
  }
  const parts = body.split(/\) AND \(/).map((p) => p.replace(/^\(+|\)+$/g, ''));
  const out: Record<string, unknown> = {};
  const numeric = ['integer', 'bigint', 'smallint', 'decimal', 'float'].includes(field.type);
  for (const part of parts) {
    const cmp = new RegExp(`^${col} (>=|>|<=) ${NUM}$`).exec(part);
    const len = new RegExp(`^char_length\\(${col}\\) (>=|<=) (\\d+)$`).exec(part);
    if (cmp && numeric) {
      const v = Number(cmp[2]);
      if (cmp[1] === '>=') out.min = v;
      else if (cmp[1] === '>') out.exclusiveMin = v;
      else out.max = v;
    } else if (len && field.type === 'string' && !field.pgType) {
      if (len[1] === '>=') out.minLength = Number(len[2]);
      else out.maxLength = Number(len[2]);
    } else return null;
  }
  // The generator writes a range as (exclusiveMin|min) AND max, and a length as min AND max, in one CHECK.
  const isRange = 'min' in out || 'max' in out || 'exclusiveMin' in out;
  const isLength = 'minLength' in out || 'maxLength' in out;
  if (isRange === isLength) return null;
  if ('min' in out && 'exclusiveMin' in out) return null;
  return out;
}

function keyOf(k: Index['keys'][number]): Record<string, unknown> | string {
  const base = k.column !== null ? { column: k.column } : { expression: k.expression };
  // NULLS FIRST is the default for DESC, NULLS LAST for ASC: only the other one is written.
  const nulls = k.nullsFirst !== k.descending ? { nulls: k.nullsFirst ? 'first' : 'last' } : {};
  const extra = {
    ...(k.descending ? { order: 'desc' } : {}),
    ...(k.opclass ? { opclass: k.opclass } : {}),
    ...nulls,
  };
  if (k.column !== null && Object.keys(extra).length === 0) return k.column;
  return { ...base, ...extra };
}

const ON_DELETE: Record<string, string> = {
  CASCADE: 'cascade',
  RESTRICT: 'restrict',
  'SET NULL': 'set null',
  'NO ACTION': 'no action',
};

/** Builds a model from a catalog. Pure: the caller reads the catalog and the workload. */
export function modelFromCatalog(catalog: Catalog, options: CatalogModelOptions = {}): CatalogModel {
  const schema = options.schema ?? 'public';
  const notes: string[] = [];
  const inSchema = catalog.tables.filter((t) => t.schema === schema);
  const tables = inSchema.filter((t) => (t.kind === 'table' || t.kind === 'partitioned') && !t.partitionOf);
  for (const t of inSchema) {
    if (t.partitionOf) notes.push(`${t.name} is a partition of ${t.partitionOf}: partitions are not modelled`);
    if (t.kind === 'partitioned') notes.push(`${t.name} is partitioned (${t.partitionKey}): modelled as a plain table`);
    if (t.kind === 'view' || t.kind === 'materialized-view') notes.push(`${t.kind} ${t.name} is not modelled`);
  }
  const others = catalog.tables.filter((t) => t.schema !== schema && t.kind === 'table');
  if (others.length > 0) {
    notes.push(`${others.length} tables outside schema ${schema} were not read (a model covers one schema)`);
  }
  const byName = new Map(tables.map((t) => [t.name, t]));
  const pk = (t: Table) => t.constraints.find((c) => c.kind === 'primary');
  const singleFks = (t: Table) =>
    t.constraints.filter((c) => {
      if (c.kind !== 'foreign' || !c.references) return false;
      const parent = byName.get(c.references.table);
      const parentPk = parent ? pk(parent) : undefined;
      return (
        c.columns.length === 1 &&
        c.references.schema === schema &&
        parentPk?.columns.length === 1 &&
        c.references.columns[0] === parentPk.columns[0]
      );
    });

  // Junctions: the primary key is exactly two single-column foreign keys, and nothing else is a key.
  const junctions = new Set<string>();
  for (const t of tables) {
    const key = pk(t);
    const fks = singleFks(t);
    if (key?.columns.length !== 2) continue;
    const [a, b] = key.columns;
    const fa = fks.find((f) => f.columns[0] === a);
    const fb = fks.find((f) => f.columns[0] === b);
    const firstTwo = t.columns.slice(0, 2).map((c) => c.name);
    if (fa && fb && firstTwo[0] === a && firstTwo[1] === b && !junctions.has(fa.references!.table)) {
      junctions.add(t.name);
    }
  }

  const keyStrategies: string[] = [];
  const entities: Record<string, Record<string, unknown>> = {};
  const relationships: Record<string, unknown>[] = [];
  const fkRelationships: { child: Table; fk: Constraint; position: number }[] = [];

  for (const t of tables) {
    if (junctions.has(t.name)) continue;
    const entity: Record<string, unknown> = {};
    if (t.comment) entity.description = t.comment;
    const key = pk(t);
    const fks = singleFks(t).filter((f) => !junctions.has(f.references!.table));
    const fkColumns = new Set(fks.map((f) => f.columns[0]!));
    const keyColumns = new Set<string>();
    if (!key) {
      notes.push(`${t.name} has no primary key (key: none); rule table-without-primary-key`);
      entity.key = 'none';
    } else if (key.columns.length === 1) {
      const col = t.columns.find((c) => c.name === key.columns[0])!;
      if (col.identity && col.typeName === 'int8' && !fkColumns.has(col.name)) {
        if (col.identity === 'by-default') {
          notes.push(`${t.name}.${col.name} is GENERATED BY DEFAULT AS IDENTITY; the model regenerates it as ALWAYS`);
        }
        entity.key = col.name === 'id' ? 'identity' : { strategy: 'identity', column: col.name };
        keyStrategies.push('identity');
        keyColumns.add(col.name);
      } else if (col.serialSequence && ['int4', 'int8'].includes(col.typeName) && !fkColumns.has(col.name)) {
        notes.push(
          `${t.name}.${col.name} is ${col.typeName === 'int4' ? 'serial' : 'bigserial'}: the model uses a bigint identity key instead (rules serial-column, int4-key)`,
        );
        entity.key = col.name === 'id' ? 'identity' : { strategy: 'identity', column: col.name };
        keyStrategies.push('identity');
        keyColumns.add(col.name);
      } else if (
        col.typeName === 'uuid' &&
        col.default &&
        /^(gen_random_uuid|uuid_generate_v[14]|uuidv[47])\(\)$/.test(col.default) &&
        !fkColumns.has(col.name)
      ) {
        entity.key =
          col.name === 'id' && col.default === 'gen_random_uuid()'
            ? 'uuid'
            : {
                strategy: 'uuid',
                ...(col.name === 'id' ? {} : { column: col.name }),
                ...(col.default === 'gen_random_uuid()' ? {} : { generator: col.default }),
              };
        keyStrategies.push('uuid');
        keyColumns.add(col.name);
      } else {
        entity.key = [col.name];
      }
    } else {
      entity.key = [...key.columns];
    }

    const fields: Record<string, FieldInput> = {};
    const uniques: Record<string, unknown>[] = [];
    const checks: Record<string, unknown>[] = [];
    for (const c of t.columns) {
      if (keyColumns.has(c.name) || fkColumns.has(c.name)) continue;
      if (c.generated) {
        notes.push(`${t.name}.${c.name} is a generated column: kept as a plain column of its type`);
      }
      const f = fieldType(c);
      if (!c.nullable) f.required = true;
      const d = defaultValue(c, f);
      if (d !== undefined) f.default = d;
      if (c.comment) f.description = c.comment;
      fields[c.name] = f;
    }
    // Unique constraints: a single-column one with the generator's name is a field property.
    for (const u of t.constraints.filter((c) => c.kind === 'unique')) {
      const col = u.columns[0]!;
      if (u.columns.length === 1 && fields[col] && u.name === `${t.name}_${col}_key`) fields[col]!.unique = true;
      else uniques.push({ name: u.name, columns: [...u.columns] });
    }
    for (const c of t.constraints.filter((x) => x.kind === 'check')) {
      const body = checkBody(c.definition);
      const col = c.columns.length === 1 ? c.columns[0]! : null;
      const field = col ? fields[col] : undefined;
      const recognized = col && field ? recognizeCheck(body, col, field) : null;
      if (recognized && field && !overlaps(field, recognized)) Object.assign(field, recognized);
      else checks.push({ name: c.name, expression: body });
      if (!c.validated)
        notes.push(`${t.name}: CHECK ${c.name} is NOT VALID in the database; the model regenerates it validated`);
    }
    if (Object.keys(t.reloptions).length > 0) {
      notes.push(
        `${t.name}: storage parameters (${Object.entries(t.reloptions)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}) are not modelled`,
      );
    }
    for (const c of t.constraints.filter((x) => x.kind === 'exclusion')) {
      notes.push(`${t.name}: exclusion constraint ${c.name} is not modelled`);
    }
    // updated_at-style triggers.
    for (const trg of t.triggers) {
      const m = trg.functionSource
        ? /NEW\.("?)([a-z_][a-z0-9_]*)\1\s*:?=\s*(now\(\)|current_timestamp|clock_timestamp\(\))\s*;/i.exec(
            trg.functionSource,
          )
        : null;
      const col = m?.[2];
      const simple = trg.timing === 'BEFORE' && trg.forEachRow && trg.events.length === 1 && trg.events[0] === 'UPDATE';
      if (col && simple && fields[col]?.type === 'timestamp') {
        fields[col]!.onUpdate = 'now';
        if (trg.name !== `${t.name}_set_${col}` || trg.function !== `set_${col}`) {
          notes.push(
            `${t.name}.${col}: trigger ${trg.name} (function ${trg.function}) will be regenerated as ${t.name}_set_${col} with set_${col}()`,
          );
        }
      } else {
        notes.push(`${t.name}: trigger ${trg.name} is not modelled`);
      }
    }
    for (const [name, f] of Object.entries(fields)) {
      if (name === 'updated_at' && f.type === 'timestamp' && f.onUpdate === undefined) f.onUpdate = 'none';
    }
    entity.fields = fields;
    if (uniques.length > 0) entity.unique = uniques;
    if (checks.length > 0) entity.checks = checks;
    const indexes = explicitIndexes(t);
    if (indexes.length > 0) entity.indexes = indexes;
    if (t.rowEstimate !== null && t.rowEstimate >= 0) entity.volume = { rows: Math.round(t.rowEstimate) };
    entities[t.name] = entity;
    for (const fk of fks) fkRelationships.push({ child: t, fk, position: columnPosition(t, fk.columns[0]!) });
    for (const fk of t.constraints.filter((c) => c.kind === 'foreign' && !fks.includes(c))) {
      if (!singleFks(t).includes(fk)) {
        notes.push(
          `${t.name}: foreign key ${fk.name} (${fk.columns.join(', ')}) is not a single-column reference to a primary key: not modelled`,
        );
      }
    }
    const fkOrder = t.columns.filter((c) => fkColumns.has(c.name)).map((c) => c.name);
    const expected = t.columns.filter((c) => keyColumns.has(c.name) || fkColumns.has(c.name)).map((c) => c.name);
    if (
      expected.join() !==
        t.columns
          .slice(0, expected.length)
          .map((c) => c.name)
          .join() &&
      fkOrder.length > 0
    ) {
      notes.push(`${t.name}: foreign-key columns will be regenerated right after the key (column order differs)`);
    }
  }

  // Relationships: foreign keys in child column order, then junctions.
  fkRelationships.sort((a, b) => tables.indexOf(a.child) - tables.indexOf(b.child) || a.position - b.position);
  for (const { child, fk } of fkRelationships) {
    const col = child.columns.find((c) => c.name === fk.columns[0])!;
    const parent = fk.references!.table;
    const unique = child.constraints.some(
      (c) => (c.kind === 'unique' || c.kind === 'primary') && c.columns.length === 1 && c.columns[0] === col.name,
    );
    const rel: Record<string, unknown> = { type: unique ? '1:1' : '1:N', from: parent, to: child.name };
    if (col.name !== `${singular(parent)}_id`) rel.column = col.name;
    if (col.nullable) rel.required = false;
    rel.onDelete = fkAction(fk, notes);
    if (unique) {
      const ownUnique = child.constraints.find(
        (c) => c.kind === 'unique' && c.columns.length === 1 && c.columns[0] === col.name,
      );
      if (ownUnique && ownUnique.name !== `${child.name}_${col.name}_key`) {
        notes.push(
          `${child.name}: unique constraint ${ownUnique.name} will be regenerated as ${child.name}_${col.name}_key`,
        );
      }
    }
    relationships.push(rel);
  }
  for (const name of junctions) {
    const t = byName.get(name)!;
    const [a, b] = pk(t)!.columns as [string, string];
    const fks = singleFks(t);
    const fa = fks.find((f) => f.columns[0] === a)!;
    const fb = fks.find((f) => f.columns[0] === b)!;
    const from = fa.references!.table;
    const to = fb.references!.table;
    const rel: Record<string, unknown> = { type: 'N:M', from, to, through: name };
    if (a !== `${singular(from)}_id` || b !== `${singular(to)}_id`) rel.columns = [a, b];
    const da = fkAction(fa, notes);
    const db = fkAction(fb, notes);
    rel.onDelete = da === db ? da : { from: da, to: db };
    const fields: Record<string, FieldInput> = {};
    for (const c of t.columns.slice(2)) {
      const f = fieldType(c);
      if (!c.nullable) f.required = true;
      const d = defaultValue(c, f);
      if (d !== undefined) f.default = d;
      fields[c.name] = f;
    }
    for (const c of t.constraints.filter((x) => x.kind === 'check')) {
      const body = checkBody(c.definition);
      const col = c.columns.length === 1 ? c.columns[0]! : null;
      const field = col ? fields[col] : undefined;
      const recognized = col && field ? recognizeCheck(body, col, field) : null;
      if (recognized && field && !overlaps(field, recognized)) Object.assign(field, recognized);
      else notes.push(`${name}: CHECK ${c.name} on a junction is not modelled`);
    }
    if (Object.keys(fields).length > 0) rel.fields = fields;
    if (t.comment) rel.description = t.comment;
    const indexes = explicitIndexes(t);
    if (indexes.length > 0) {
      notes.push(
        `${name}: indexes of an N:M junction are derived (reverse index), not kept: ${indexes.map((i) => i.name).join(', ')}`,
      );
    }
    relationships.push(rel);
  }

  const strategy = keyStrategies.filter((k) => k === 'uuid').length > keyStrategies.length / 2 ? 'uuid' : 'identity';
  // Entities whose key equals the default strategy need no key line.
  for (const e of Object.values(entities)) if (e.key === strategy) delete e.key;

  const model: DesignModelInput = {
    version: 1,
    name: options.name ?? catalog.database,
    description: `Read from database ${catalog.database} (schema ${schema}) by dbsage design --from.`,
    settings: {
      key: strategy as 'identity' | 'uuid',
      deriveIndexes: false,
      extensions: [...(options.extensions ?? [])],
      textSearchConfig: 'english',
    },
    entities: entities as DesignModelInput['entities'],
    relationships: relationships as DesignModelInput['relationships'],
    accessPatterns: accessPatterns(options, tables, notes) as DesignModelInput['accessPatterns'],
  };
  return { model, notes };
}

function overlaps(field: FieldInput, recognized: Record<string, unknown>): boolean {
  return Object.keys(recognized).some((k) => k !== 'type' && k in field);
}

function columnPosition(t: Table, column: string): number {
  return t.columns.find((c) => c.name === column)?.position ?? 0;
}

function fkAction(fk: Constraint, notes: string[]): string {
  const action = fk.references!.onDelete;
  if (action === 'SET DEFAULT') {
    notes.push(`${fk.name}: ON DELETE SET DEFAULT is modelled as NO ACTION`);
    return 'no action';
  }
  if (fk.references!.onUpdate !== 'NO ACTION')
    notes.push(`${fk.name}: ON UPDATE ${fk.references!.onUpdate} is not modelled`);
  return ON_DELETE[action]!;
}

/** Indexes that do not back a constraint, as explicit model indexes. */
function explicitIndexes(t: Table): Record<string, unknown>[] {
  return t.indexes
    .filter((ix) => !ix.constraintName && !ix.primary)
    .map((ix) => ({
      name: ix.name,
      keys: ix.keys.map(keyOf),
      ...(ix.method === 'btree' ? {} : { method: ix.method }),
      ...(ix.unique ? { unique: true } : {}),
      ...(ix.include.length > 0 ? { include: [...ix.include] } : {}),
      ...(ix.predicate ? { where: ix.predicate } : {}),
    }));
}

/** Statements of the workload that touch the model's tables, as access patterns with their SQL and rate. */
function accessPatterns(
  options: CatalogModelOptions,
  tables: readonly Table[],
  notes: string[],
): Record<string, unknown>[] {
  const w = options.workload;
  if (!w) return [];
  const names = new Set(tables.map((t) => t.name));
  const out: Record<string, unknown>[] = [];
  const used = new Set<string>();
  const sorted = [...w.statements].sort((a, b) => b.totalTimeMillis - a.totalTimeMillis);
  for (const s of sorted) {
    if (out.length >= (options.maxPatterns ?? 30)) break;
    const m = /^\s*(select|insert|update|delete|with)\b/i.exec(s.query);
    if (!m) continue;
    const tableMatch = [...s.query.matchAll(/\b(?:from|into|update|join)\s+("?)([a-z_][a-z0-9_]*)\1/gi)]
      .map((x) => x[2]!.toLowerCase())
      .find((n) => names.has(n));
    if (!tableMatch) continue;
    const verb = m[1]!.toLowerCase();
    const kind = verb === 'insert' ? 'insert' : verb === 'update' ? 'update' : verb === 'delete' ? 'delete' : 'read';
    let name = `${kind}-${tableMatch}`;
    for (let i = 2; used.has(name); i++) name = `${kind}-${tableMatch}-${i}`;
    used.add(name);
    const pattern: Record<string, unknown> = {
      name,
      description: `${s.calls} calls, ${Math.round(s.meanTimeMillis * 1000) / 1000} ms mean (pg_stat_statements)`,
      entity: tableMatch,
      kind,
      sql: s.query.trim(),
    };
    if (options.statsSeconds && options.statsSeconds > 0) {
      const perDay = (s.calls / options.statsSeconds) * 86400;
      pattern.frequency =
        perDay >= 86400 ? `${Math.round(perDay / 86400)}/s` : `${Math.max(1, Math.round(perDay))}/day`;
    }
    out.push(pattern);
  }
  if (out.length === 0) notes.push('pg_stat_statements has no statements on these tables: no access patterns');
  return out;
}
