import type {
  AccessPatternSpec,
  DesignModel,
  EntitySpec,
  FieldSpec,
  IndexSpec,
  OnDeleteAction,
  RelationshipSpec,
} from './schema.js';
import type { InputProblem, YamlSource } from './yaml-source.js';

/**
 * The model resolved into tables: key columns, foreign-key columns and junction tables made explicit, every
 * name checked. Both generators (PostgreSQL and MongoDB) read this, so they agree on what exists.
 */

/** Where a column comes from (the rationale names it). */
export type ColumnOrigin = 'key' | 'field' | 'foreign-key' | 'timestamps' | 'link-field';

/** A column of a resolved table. */
export interface LogicalColumn {
  name: string;
  field: FieldSpec;
  origin: ColumnOrigin;
  /** Model path of the declaration (for error and rationale lines). */
  path: (string | number)[];
  /** Identity key column (`GENERATED ALWAYS AS IDENTITY`). */
  identity: boolean;
  /** UUID key generator expression, when a uuid key. */
  uuidGenerator: string | null;
  /** Maintained on UPDATE (updated_at). */
  onUpdateNow: boolean;
}

/** A foreign key from a 1:1 / 1:N relationship or a junction side. */
export interface LogicalForeignKey {
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: OnDeleteAction;
  /** Why this ON DELETE (explicit in the model, or the rule applied). */
  onDeleteReason: string;
  relationship: RelationshipSpec;
  relationshipIndex: number;
  /** 1:1: the FK column is unique. */
  unique: boolean;
}

/** A resolved table: an entity's or an N:M junction's. */
export interface LogicalTable {
  name: string;
  kind: 'entity' | 'junction';
  entity: EntitySpec | null;
  /** For a junction: the N:M relationship. */
  junctionOf: { relationship: RelationshipSpec; index: number } | null;
  columns: LogicalColumn[];
  primaryKey: string[];
  keyKind: 'identity' | 'uuid' | 'natural' | 'junction' | 'none';
  uniques: { name?: string | undefined; columns: string[]; path: (string | number)[] }[];
  checks: { name?: string | undefined; expression: string; path: (string | number)[] }[];
  indexes: { spec: IndexSpec; path: (string | number)[] }[];
  foreignKeys: LogicalForeignKey[];
  path: (string | number)[];
}

/** An access pattern with its table. */
export interface LogicalPattern {
  spec: AccessPatternSpec;
  index: number;
  table: LogicalTable;
}

/** The resolved model. */
export interface LogicalModel {
  model: DesignModel;
  tables: LogicalTable[];
  patterns: LogicalPattern[];
  table(name: string): LogicalTable | undefined;
}

/** `users` → `user`, `categories` → `category`, `addresses` → `address`. */
export function singular(name: string): string {
  if (/ies$/.test(name)) return name.replace(/ies$/, 'y');
  if (/(ss|x|ch|sh)es$/.test(name)) return name.replace(/es$/, '');
  if (/ss$/.test(name)) return name;
  if (/s$/.test(name)) return name.slice(0, -1);
  return name;
}

const NOW_FIELD: FieldSpec = {
  type: 'timestamp',
  required: true,
  unique: false,
  default: 'now',
  array: false,
};

/**
 * Resolves a validated model into tables. Problems (unknown entities or fields, name clashes, options that do
 * not apply to a type) are returned with their source positions rather than thrown one at a time.
 */
export function resolveModel(
  model: DesignModel,
  source: YamlSource,
): { logical: LogicalModel; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const tables = new Map<string, LogicalTable>();

  // Pass 1: entity tables with key, fields, timestamps.
  for (const [name, entity] of Object.entries(model.entities)) {
    const path = ['entities', name];
    const table: LogicalTable = {
      name,
      kind: 'entity',
      entity,
      junctionOf: null,
      columns: [],
      primaryKey: [],
      keyKind: 'identity',
      uniques: entity.unique.map((u, i) => ({ name: u.name, columns: u.columns, path: [...path, 'unique', i] })),
      checks: entity.checks.map((c, i) => ({ name: c.name, expression: c.expression, path: [...path, 'checks', i] })),
      indexes: entity.indexes.map((spec, i) => ({ spec, path: [...path, 'indexes', i] })),
      foreignKeys: [],
      path,
    };
    const key = entity.key ?? { strategy: model.settings.key };
    if (key.columns) {
      table.keyKind = 'natural';
      table.primaryKey = key.columns;
      if (key.strategy || key.column || key.generator) {
        problems.push(source.problem([...path, 'key'], 'a key with columns takes no strategy, column or generator'));
      }
    } else if (key.strategy === 'none') {
      table.keyKind = 'none';
      table.primaryKey = [];
    } else {
      const strategy = key.strategy ?? model.settings.key;
      const column = key.column ?? 'id';
      table.keyKind = strategy;
      table.primaryKey = [column];
      if (strategy === 'identity' && key.generator) {
        problems.push(source.problem([...path, 'key', 'generator'], 'generator applies to uuid keys only'));
      }
      if (entity.fields[column]) {
        problems.push(
          source.problem([...path, 'fields', column], `"${column}" is the generated key column; remove it from fields`),
        );
      }
      table.columns.push({
        name: column,
        field: {
          type: strategy === 'uuid' ? 'uuid' : 'bigint',
          required: true,
          unique: false,
          array: false,
        },
        origin: 'key',
        path: [...path, 'key'],
        identity: strategy === 'identity',
        uuidGenerator: strategy === 'uuid' ? (key.generator ?? 'gen_random_uuid()') : null,
        onUpdateNow: false,
      });
    }
    tables.set(name, table);
  }

  // Pass 2: relationships (FK columns go right after the key, as a reader expects).
  model.relationships.forEach((rel, index) => {
    const path = ['relationships', index];
    const from = tables.get(rel.from);
    const to = tables.get(rel.to);
    if (!from) problems.push(source.problem([...path, 'from'], `unknown entity "${rel.from}"`));
    if (!to) problems.push(source.problem([...path, 'to'], `unknown entity "${rel.to}"`));
    if (!from || !to) return;
    if (rel.type === 'N:M') {
      for (const k of ['column', 'owned'] as const) {
        if (rel[k] !== undefined)
          problems.push(source.problem([...path, k], `${k} does not apply to N:M (use columns)`));
      }
      resolveJunction(rel, index, from, to, tables, source, problems);
      return;
    }
    for (const k of ['through', 'columns'] as const) {
      if (rel[k] !== undefined) problems.push(source.problem([...path, k], `${k} applies to N:M relationships only`));
    }
    if (Object.keys(rel.fields).length > 0) {
      problems.push(source.problem([...path, 'fields'], 'fields apply to N:M relationships only (the junction row)'));
    }
    const ref = singleKey(from, source, [...path, 'from'], problems);
    if (!ref) return;
    const column = rel.column ?? `${singular(rel.from)}_id`;
    if (to.columns.some((c) => c.name === column) || to.entity?.fields[column]) {
      problems.push(
        source.problem(
          [...path, rel.column ? 'column' : 'to'],
          `column "${column}" already exists on ${to.name}; name the foreign key with column:`,
        ),
      );
      return;
    }
    if (typeof rel.onDelete === 'object') {
      problems.push(source.problem([...path, 'onDelete'], 'per-side onDelete applies to N:M only'));
      return;
    }
    const { action, reason } = chooseOnDelete(rel);
    if (action === 'set null' && rel.required) {
      problems.push(source.problem([...path, 'onDelete'], 'ON DELETE SET NULL needs required: false'));
    }
    const keyCount = to.keyKind === 'natural' ? 0 : to.primaryKey.length;
    const fkCount = to.columns.filter((c) => c.origin === 'foreign-key').length;
    to.columns.splice(keyCount + fkCount, 0, {
      name: column,
      field: { ...ref.field, required: rel.required, unique: false, default: undefined },
      origin: 'foreign-key',
      path,
      identity: false,
      uuidGenerator: null,
      onUpdateNow: false,
    });
    to.foreignKeys.push({
      columns: [column],
      refTable: from.name,
      refColumns: [ref.name],
      onDelete: action,
      onDeleteReason: reason,
      relationship: rel,
      relationshipIndex: index,
      unique: rel.type === '1:1',
    });
  });

  // Pass 3: declared fields and timestamps, after keys and foreign keys.
  for (const table of tables.values()) {
    const entity = table.entity;
    if (!entity) continue;
    for (const [name, field] of Object.entries(entity.fields)) {
      checkField(field, [...table.path, 'fields', name], source, problems);
      table.columns.push(fieldColumn(name, field, 'field', [...table.path, 'fields', name]));
    }
    if (entity.timestamps) {
      for (const name of ['created_at', 'updated_at']) {
        if (table.columns.some((c) => c.name === name)) continue;
        table.columns.push(fieldColumn(name, NOW_FIELD, 'timestamps', [...table.path, 'timestamps']));
      }
    }
  }

  // Pass 4: names used by keys, uniques, indexes.
  for (const table of tables.values()) {
    const has = (c: string) => table.columns.some((col) => col.name === c);
    if (table.keyKind === 'natural') {
      table.primaryKey.forEach((c, i) => {
        if (!has(c)) problems.push(source.problem([...table.path, 'key', i], `unknown column "${c}" in ${table.name}`));
      });
    }
    for (const u of table.uniques) {
      u.columns.forEach((c, i) => {
        if (!has(c)) problems.push(source.problem([...u.path, 'columns', i], `unknown column "${c}" in ${table.name}`));
      });
    }
    for (const ix of table.indexes) {
      ix.spec.keys.forEach((k, i) => {
        if (k.column && !has(k.column)) {
          problems.push(source.problem([...ix.path, 'keys', i], `unknown column "${k.column}" in ${table.name}`));
        }
      });
      ix.spec.include.forEach((c, i) => {
        if (!has(c))
          problems.push(source.problem([...ix.path, 'include', i], `unknown column "${c}" in ${table.name}`));
      });
    }
  }

  // Pass 5: access patterns.
  const patterns: LogicalPattern[] = [];
  const seenPatterns = new Map<string, number>();
  model.accessPatterns.forEach((spec, index) => {
    const path = ['accessPatterns', index];
    if (seenPatterns.has(spec.name)) {
      problems.push(source.problem([...path, 'name'], `duplicate access pattern name "${spec.name}"`));
    }
    seenPatterns.set(spec.name, index);
    const table = tables.get(spec.entity);
    if (!table) {
      problems.push(source.problem([...path, 'entity'], `unknown entity "${spec.entity}"`));
      return;
    }
    const has = (c: string) => table.columns.some((col) => col.name === c);
    spec.filters.forEach((f, i) => {
      if (f.field && !has(f.field)) {
        problems.push(source.problem([...path, 'filters', i, 'field'], `unknown field "${f.field}" in ${table.name}`));
      }
      if (f.op === 'between' && f.value !== undefined) {
        problems.push(source.problem([...path, 'filters', i, 'value'], 'between takes parameters, not a value'));
      }
    });
    spec.sort.forEach((s, i) => {
      if (!has(s.field)) {
        problems.push(source.problem([...path, 'sort', i], `unknown field "${s.field}" in ${table.name}`));
      }
    });
    (spec.select ?? []).forEach((c, i) => {
      if (!has(c)) problems.push(source.problem([...path, 'select', i], `unknown field "${c}" in ${table.name}`));
    });
    spec.set.forEach((c, i) => {
      if (!has(c)) problems.push(source.problem([...path, 'set', i], `unknown field "${c}" in ${table.name}`));
    });
    spec.with.forEach((w, i) => {
      if (!tables.has(w)) problems.push(source.problem([...path, 'with', i], `unknown entity "${w}"`));
      else if (!relatedTables(table, tables.get(w)!, [...tables.values()])) {
        problems.push(source.problem([...path, 'with', i], `no relationship between ${table.name} and ${w}`));
      }
    });
    patterns.push({ spec, index, table });
  });

  const list = [...tables.values()];
  return {
    logical: { model, tables: list, patterns, table: (name) => tables.get(name) },
    problems,
  };
}

/** Tables `a` and `b` are linked by a foreign key (either way) or through a junction. */
export function relatedTables(a: LogicalTable, b: LogicalTable, all: readonly LogicalTable[]): boolean {
  if (a.foreignKeys.some((fk) => fk.refTable === b.name) || b.foreignKeys.some((fk) => fk.refTable === a.name)) {
    return true;
  }
  return all.some(
    (t) =>
      t.kind === 'junction' &&
      t.foreignKeys.some((fk) => fk.refTable === a.name) &&
      t.foreignKeys.some((fk) => fk.refTable === b.name),
  );
}

function fieldColumn(name: string, field: FieldSpec, origin: ColumnOrigin, path: (string | number)[]): LogicalColumn {
  const onUpdateNow =
    field.onUpdate === 'now' || (field.onUpdate === undefined && name === 'updated_at' && field.type === 'timestamp');
  return { name, field, origin, path, identity: false, uuidGenerator: null, onUpdateNow };
}

/** ON DELETE: explicit in the model, else owned → cascade, required → restrict, optional → set null. */
function chooseOnDelete(rel: RelationshipSpec): { action: OnDeleteAction; reason: string } {
  if (typeof rel.onDelete === 'string') return { action: rel.onDelete, reason: 'explicit in the model' };
  if (rel.owned) return { action: 'cascade', reason: `${rel.to} rows are owned by their ${singular(rel.from)}` };
  if (rel.required) {
    return {
      action: 'restrict',
      reason: `${rel.to} rows need their ${singular(rel.from)}; deleting a ${singular(rel.from)} that has ${rel.to} must be a deliberate step (set owned: true to cascade)`,
    };
  }
  return { action: 'set null', reason: `the link is optional: ${rel.to} rows outlive their ${singular(rel.from)}` };
}

function singleKey(
  table: LogicalTable,
  source: YamlSource,
  path: (string | number)[],
  problems: InputProblem[],
): LogicalColumn | undefined {
  if (table.primaryKey.length !== 1) {
    problems.push(source.problem(path, `${table.name} has a composite key; a reference needs a single-column key`));
    return undefined;
  }
  const col = table.columns.find((c) => c.name === table.primaryKey[0]) ?? fieldAsColumn(table, table.primaryKey[0]!);
  if (!col) problems.push(source.problem(path, `${table.name}'s key column is not defined`));
  return col;
}

function fieldAsColumn(table: LogicalTable, name: string): LogicalColumn | undefined {
  const field = table.entity?.fields[name];
  return field ? fieldColumn(name, field, 'field', [...table.path, 'fields', name]) : undefined;
}

function resolveJunction(
  rel: RelationshipSpec,
  index: number,
  from: LogicalTable,
  to: LogicalTable,
  tables: Map<string, LogicalTable>,
  source: YamlSource,
  problems: InputProblem[],
): void {
  const path = ['relationships', index];
  const name = rel.through ?? `${rel.from}_${rel.to}`;
  if (tables.has(name)) {
    problems.push(source.problem([...path, rel.through ? 'through' : 'to'], `table "${name}" already exists`));
    return;
  }
  const [fromCol, toCol] = rel.columns ?? [`${singular(rel.from)}_id`, `${singular(rel.to)}_id`];
  if (fromCol === toCol) {
    problems.push(source.problem(path, `both junction columns would be "${fromCol}"; name them with columns: [a, b]`));
    return;
  }
  const fromKey = singleKey(from, source, [...path, 'from'], problems);
  const toKey = singleKey(to, source, [...path, 'to'], problems);
  if (!fromKey || !toKey) return;
  const sides = typeof rel.onDelete === 'object' ? rel.onDelete : { from: rel.onDelete, to: rel.onDelete };
  const side = (action: OnDeleteAction | undefined, entity: string) =>
    action
      ? { action, reason: 'explicit in the model' }
      : { action: 'cascade' as const, reason: `a link row means nothing without its ${singular(entity)}` };
  const fromAction = side(sides.from, rel.from);
  const toAction = side(sides.to, rel.to);
  for (const [a, p] of [
    [fromAction.action, 'from'],
    [toAction.action, 'to'],
  ] as const) {
    if (a === 'set null')
      problems.push(source.problem([...path, 'onDelete', p], 'junction key columns cannot be set null'));
  }
  const fkColumn = (colName: string, ref: LogicalColumn): LogicalColumn => ({
    name: colName,
    field: { ...ref.field, required: true, unique: false, default: undefined },
    origin: 'foreign-key',
    path,
    identity: false,
    uuidGenerator: null,
    onUpdateNow: false,
  });
  const table: LogicalTable = {
    name,
    kind: 'junction',
    entity: null,
    junctionOf: { relationship: rel, index },
    columns: [fkColumn(fromCol, fromKey), fkColumn(toCol, toKey)],
    primaryKey: [fromCol, toCol],
    keyKind: 'junction',
    uniques: [],
    checks: [],
    indexes: [],
    foreignKeys: [
      {
        columns: [fromCol],
        refTable: from.name,
        refColumns: [fromKey.name],
        onDelete: fromAction.action,
        onDeleteReason: fromAction.reason,
        relationship: rel,
        relationshipIndex: index,
        unique: false,
      },
      {
        columns: [toCol],
        refTable: to.name,
        refColumns: [toKey.name],
        onDelete: toAction.action,
        onDeleteReason: toAction.reason,
        relationship: rel,
        relationshipIndex: index,
        unique: false,
      },
    ],
    path,
  };
  for (const [fname, field] of Object.entries(rel.fields)) {
    checkField(field, [...path, 'fields', fname], source, problems);
    if (fname === fromCol || fname === toCol) {
      problems.push(source.problem([...path, 'fields', fname], `"${fname}" is a junction key column`));
      continue;
    }
    table.columns.push(fieldColumn(fname, field, 'link-field', [...path, 'fields', fname]));
  }
  tables.set(name, table);
}

/** Options that only make sense for some types. */
function checkField(field: FieldSpec, path: (string | number)[], source: YamlSource, problems: InputProblem[]): void {
  const t = field.type;
  if (t === 'enum' && !field.values) problems.push(source.problem([...path, 'type'], 'an enum needs values: [...]'));
  if (t !== 'enum' && field.values)
    problems.push(source.problem([...path, 'values'], 'values apply to type enum only'));
  if (field.format && t !== 'string') problems.push(source.problem([...path, 'format'], 'format applies to strings'));
  const stringOnly = ['minLength', 'maxLength', 'pattern'] as const;
  for (const k of stringOnly) {
    if (field[k] !== undefined && t !== 'string') {
      problems.push(source.problem([...path, k], `${k} applies to strings`));
    }
  }
  const numeric = ['integer', 'bigint', 'smallint', 'decimal', 'float'];
  for (const k of ['min', 'max', 'exclusiveMin'] as const) {
    if (field[k] !== undefined && !numeric.includes(t)) {
      problems.push(source.problem([...path, k], `${k} applies to numbers`));
    }
  }
  if ((field.precision !== undefined || field.scale !== undefined) && t !== 'decimal') {
    problems.push(
      source.problem([...path, field.precision !== undefined ? 'precision' : 'scale'], 'applies to decimal'),
    );
  }
  if (field.scale !== undefined && field.precision === undefined) {
    problems.push(source.problem([...path, 'scale'], 'scale needs precision'));
  }
  if (field.onUpdate === 'now' && t !== 'timestamp') {
    problems.push(source.problem([...path, 'onUpdate'], 'onUpdate: now applies to timestamps'));
  }
  if (field.default === 'now' && !['timestamp', 'date', 'time'].includes(t)) {
    problems.push(source.problem([...path, 'default'], 'default: now applies to timestamps and dates'));
  }
  if (t === 'enum' && typeof field.default === 'string' && field.values && !field.values.includes(field.default)) {
    problems.push(source.problem([...path, 'default'], `default "${field.default}" is not one of the values`));
  }
}
