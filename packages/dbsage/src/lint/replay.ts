import type { FkAction } from '../catalog/types.js';
import type { AstNode } from '../sql/parser.js';
import {
  columnRefs,
  defineLazyText,
  dottedName,
  exprText,
  type RelName,
  rangeVar,
  stringConst,
  strings,
  typeInfo,
} from './ast.js';
import {
  column,
  type ModelColumn,
  type ModelConstraint,
  type ModelIndex,
  type ModelTable,
  newTable,
  type SchemaModel,
  type SourcePos,
} from './schema-model.js';

/**
 * Applies one statement to the schema model, after the rules have judged it against the state before it.
 * Only what lint needs is modelled: tables, columns, constraints, indexes, triggers, enums, functions and
 * search_path. Statements about objects the model has never seen (a file-only run without `--db`) create a
 * partial placeholder table, so later statements still find it but design rules know it is incomplete.
 */

/** Maps a parser byte location inside the current statement to a file position. */
export type Locate = (byteLocation: number | undefined) => SourcePos;

/** What the replay needs besides the statement. */
export interface ReplayContext {
  locate: Locate;
  /** Marks objects as created by this run (false for history files replayed before `--since`). */
  inRun: boolean;
  /** Marks tables as touched by a linted statement. */
  linted: boolean;
}

const FK_ACTIONS: Readonly<Record<string, FkAction>> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

/**
 * Position of the entry named `name` (-1 if none). A plain loop rather than `findIndex` with a closure: the
 * replay runs this for every column and constraint it adds, mostly before V8 has optimized anything.
 */
function indexByName(list: readonly { name: string }[], name: string): number {
  for (let i = 0; i < list.length; i++) if (list[i]!.name === name) return i;
  return -1;
}

/** Applies `ast` (a raw statement node) to `model`. */
export function applyStatement(model: SchemaModel, ast: AstNode, ctx: ReplayContext): void {
  const [kind] = Object.keys(ast);
  const node = kind ? ast[kind] : undefined;
  if (!node) return;
  switch (kind) {
    case 'CreateStmt':
      createTable(model, node, ctx);
      return;
    case 'CreateTableAsStmt': {
      const rel = rangeVar(node.into?.rel);
      if (rel && !model.table(rel)) {
        const t = newTable(model.schemaFor(rel), rel.name, ctx.inRun, 'file');
        t.kind = node.objtype === 'OBJECT_MATVIEW' ? 'materialized-view' : 'table';
        t.touched = ctx.linted;
        model.addTable(t);
      }
      return;
    }
    case 'IndexStmt':
      createIndex(model, node, ctx);
      return;
    case 'AlterTableStmt':
      alterTable(model, node, ctx);
      return;
    case 'RenameStmt':
      rename(model, node);
      return;
    case 'DropStmt':
      drop(model, node);
      return;
    case 'CreateTrigStmt': {
      const table = ensureTable(model, rangeVar(node.relation), ctx);
      if (!table) return;
      table.triggers = table.triggers.filter((t) => t.name !== node.trigname);
      // tgtype bits (pg_trigger.h): 2 BEFORE, 64 INSTEAD; events 4 INSERT, 8 DELETE, 16 UPDATE, 32 TRUNCATE.
      const timing = Number(node.timing ?? 0);
      const events = Number(node.events ?? 0);
      table.triggers.push({
        name: String(node.trigname),
        timing: timing & 64 ? 'INSTEAD OF' : timing & 2 ? 'BEFORE' : 'AFTER',
        events: [
          ...(events & 4 ? ['INSERT'] : []),
          ...(events & 16 ? ['UPDATE'] : []),
          ...(events & 8 ? ['DELETE'] : []),
          ...(events & 32 ? ['TRUNCATE'] : []),
        ],
        forEachRow: Boolean(node.row),
        function: strings(node.funcname).pop() ?? '',
        args: strings(node.args),
      });
      return;
    }
    case 'CreateFunctionStmt': {
      const name = strings(node.funcname).pop();
      if (!name) return;
      let volatility: 'immutable' | 'stable' | 'volatile' = 'volatile';
      let source: string | null = null;
      for (const o of (node.options ?? []) as AstNode[]) {
        const d = o.DefElem;
        if (d?.defname === 'volatility') volatility = d.arg?.String?.sval ?? 'volatile';
        if (d?.defname === 'as') source = strings(d.arg?.List?.items ?? []).join('\n');
      }
      if (source === null && node.sql_body) source = exprText(node.sql_body);
      model.functions.set(name, { name, volatility, source });
      return;
    }
    case 'CreateEnumStmt':
      model.enums.set(strings(node.typeName).join('.'), strings(node.vals));
      return;
    case 'AlterEnumStmt': {
      const key = strings(node.typeName).join('.');
      const values = model.enums.get(key);
      if (values && node.newVal && !values.includes(node.newVal)) {
        const at = node.newValNeighbor ? values.indexOf(node.newValNeighbor) : -1;
        if (at < 0) values.push(node.newVal);
        else values.splice(node.newValIsAfter ? at + 1 : at, 0, node.newVal);
      }
      return;
    }
    case 'VariableSetStmt':
      if (node.name === 'search_path' && node.kind === 'VAR_SET_VALUE') {
        const path = ((node.args ?? []) as AstNode[]).map((a) => stringConst(a) ?? '').filter(Boolean);
        model.searchPath = path.filter((p) => p !== '$user');
        if (model.searchPath.length === 0) model.searchPath = ['public'];
      }
      return;
    default:
      return;
  }
}

/** Finds a table or creates a partial placeholder for one the model has never seen. */
function ensureTable(model: SchemaModel, rel: RelName | undefined, ctx: ReplayContext): ModelTable | undefined {
  if (!rel) return undefined;
  let table = model.table(rel);
  if (!table) {
    table = newTable(model.schemaFor(rel), rel.name, false, 'file');
    table.partial = true;
    model.addTable(table);
  }
  if (ctx.linted) table.touched = true;
  return table;
}

function createTable(model: SchemaModel, node: AstNode, ctx: ReplayContext): void {
  const rel = rangeVar(node.relation);
  if (!rel) return;
  const existing = model.table(rel);
  if (existing && !existing.partial) {
    // IF NOT EXISTS, or a table the live catalog already has (the migration was applied): the database wins.
    if (ctx.linted) existing.touched = true;
    return;
  }
  const table = newTable(model.schemaFor(rel), rel.name, ctx.inRun, 'file');
  table.touched = ctx.linted;
  table.location = ctx.locate(node.relation?.location);
  if (node.partspec) table.kind = 'partitioned';
  if (existing) {
    // A placeholder from earlier statements: keep what was learnt about it.
    model.dropTable(existing);
  }
  const parent = node.partbound
    ? model.table(rangeVar(node.inhRelations?.[0]) ?? { schema: null, name: '' })
    : undefined;
  if (parent) table.columns = parent.columns.map((c) => ({ ...c }));
  model.addTable(table);
  for (const elt of (node.tableElts ?? []) as AstNode[]) {
    if (elt.ColumnDef) addColumn(model, table, elt.ColumnDef, ctx);
    else if (elt.Constraint) addConstraint(model, table, elt.Constraint, ctx, undefined);
    else if (elt.TableLikeClause) {
      const like = model.table(rangeVar(elt.TableLikeClause.relation) ?? { schema: null, name: '' });
      if (like) table.columns.push(...like.columns.map((c) => ({ ...c })));
      else table.partial = true;
    }
  }
}

/** Adds a column from a `ColumnDef` node with its inline constraints. */
function addColumn(model: SchemaModel, table: ModelTable, def: AstNode, ctx: ReplayContext): ModelColumn {
  const type = typeInfo(def.typeName);
  const serial = type.name === 'serial4' || type.name === 'serial8' || type.name === 'serial2';
  // Built property by property so that a lazily deparsed default is added in its place, not redefined
  // (see defineLazyText): every column keeps the same shape and property order.
  const col = { name: String(def.colname), type, nullable: !serial } as ModelColumn;
  const defaultExpr = defaultExpression(def.constraints);
  if (defaultExpr) defineLazyText(col, 'default', defaultExpr);
  else col.default = null;
  col.identity = null;
  col.serial = serial;
  col.generated = null;
  col.location = ctx.locate(def.location);
  const existing = indexByName(table.columns, col.name);
  if (existing >= 0) table.columns.splice(existing, 1);
  table.columns.push(col);
  for (const c of (def.constraints ?? []) as AstNode[]) {
    if (c.Constraint) addConstraint(model, table, c.Constraint, ctx, col);
  }
  return col;
}

/** The expression of a column's (last) inline DEFAULT constraint. */
function defaultExpression(constraints: readonly AstNode[] | undefined): AstNode | undefined {
  let expr: AstNode | undefined;
  if (constraints)
    for (const c of constraints) if (c.Constraint?.contype === 'CONSTR_DEFAULT') expr = c.Constraint.raw_expr;
  return expr;
}

function defaultName(table: ModelTable, columns: readonly string[], suffix: string): string {
  return [table.name, ...columns, suffix].join('_');
}

/** Adds a constraint (table-level, or inline on `col`). Returns it when it is a named constraint. */
export function addConstraint(
  model: SchemaModel,
  table: ModelTable,
  c: AstNode,
  ctx: ReplayContext,
  col: ModelColumn | undefined,
): ModelConstraint | undefined {
  const contype = String(c.contype);
  const location = ctx.locate(c.location);
  switch (contype) {
    case 'CONSTR_NOTNULL':
      if (col) col.nullable = false;
      else
        for (const k of strings(c.keys)) {
          const target = column(table, k);
          if (target) target.nullable = false;
        }
      return undefined;
    case 'CONSTR_NULL':
      if (col) col.nullable = true;
      return undefined;
    case 'CONSTR_DEFAULT':
      // Set by addColumn, which reads the default before it builds the column.
      return undefined;
    case 'CONSTR_IDENTITY':
      if (col) {
        col.identity = c.generated_when === 'a' ? 'always' : 'by-default';
        col.nullable = false;
      }
      return undefined;
    case 'CONSTR_GENERATED':
      if (col) col.generated = exprText(c.raw_expr);
      return undefined;
    default:
      break;
  }
  const columns = col ? [col.name] : strings(c.keys ?? c.fk_attrs);
  const kindMap: Record<string, ModelConstraint['kind']> = {
    CONSTR_PRIMARY: 'primary',
    CONSTR_UNIQUE: 'unique',
    CONSTR_FOREIGN: 'foreign',
    CONSTR_CHECK: 'check',
    CONSTR_EXCLUSION: 'exclusion',
  };
  const kind = kindMap[contype];
  if (!kind) return undefined;
  if (kind === 'foreign' && col) columns.splice(0, columns.length, col.name);
  if (kind === 'check' && columns.length === 0) columns.push(...new Set(columnRefs(c.raw_expr)));
  // A constraint attached `USING INDEX` takes the index's columns.
  const usingIndex = c.indexname ? model.index({ schema: table.schema, name: String(c.indexname) }) : undefined;
  if (usingIndex && columns.length === 0) columns.push(...usingIndex.index.keys.map((k) => k.column ?? '?'));
  const suffix = { primary: 'pkey', unique: 'key', foreign: 'fkey', check: 'check', exclusion: 'excl' }[kind];
  const name = c.conname
    ? String(c.conname)
    : kind === 'primary'
      ? `${table.name}_pkey`
      : defaultName(table, columns, suffix);
  const constraint = {
    name,
    kind,
    columns,
    validated: !c.skip_validation,
    nullsNotDistinct: Boolean(c.nulls_not_distinct),
  } as ModelConstraint;
  // A CHECK's text is deparsed on first read, added in its place (see defineLazyText).
  if (kind === 'check') defineLazyText(constraint, 'expression', c.raw_expr);
  else constraint.expression = null;
  constraint.indexName = c.indexname ? String(c.indexname) : null;
  constraint.createdInRun = ctx.inRun;
  constraint.location = location;
  if (kind === 'foreign') {
    const ref = rangeVar(c.pktable);
    const target = ref ? model.table(ref) : undefined;
    const pkCols = strings(c.pk_attrs);
    const refColumns = pkCols.length
      ? pkCols
      : (target?.constraints.find((k) => k.kind === 'primary')?.columns ?? ['id']);
    constraint.references = {
      schema: target?.schema ?? ref?.schema ?? 'public',
      table: ref?.name ?? '?',
      columns: refColumns,
      onDelete: FK_ACTIONS[String(c.fk_del_action ?? 'a')] ?? 'NO ACTION',
    };
  }
  const previous = indexByName(table.constraints, name);
  if (previous >= 0) table.constraints.splice(previous, 1);
  table.constraints.push(constraint);
  if (kind === 'primary')
    for (const k of columns) {
      const target = column(table, k);
      if (target) target.nullable = false;
    }
  if (kind === 'primary' || kind === 'unique' || kind === 'exclusion') {
    if (usingIndex) {
      usingIndex.index.constraintName = name;
      if (kind === 'primary') usingIndex.index.primary = true;
      if (usingIndex.index.name !== name) model.renameIndex(usingIndex.table, usingIndex.index, name);
      constraint.indexName = name;
    } else {
      const index: ModelIndex = {
        name,
        schema: table.schema,
        table: table.name,
        method: kind === 'exclusion' ? String(c.access_method ?? 'gist') : 'btree',
        keys: columns.map((k) => ({ column: k, expression: null })),
        include: strings(c.including),
        predicate: c.where_clause ? exprText(c.where_clause) : null,
        unique: kind !== 'exclusion',
        primary: kind === 'primary',
        nullsNotDistinct: Boolean(c.nulls_not_distinct),
        valid: true,
        constraintName: name,
        createdInRun: ctx.inRun,
        location,
      };
      model.addIndex(table, index);
      constraint.indexName = name;
    }
  }
  return constraint;
}

function createIndex(model: SchemaModel, node: AstNode, ctx: ReplayContext): void {
  const table = ensureTable(model, rangeVar(node.relation), ctx);
  if (!table) return;
  const keys = ((node.indexParams ?? []) as AstNode[]).map((p) => {
    const e = p.IndexElem ?? {};
    return e.name ? { column: String(e.name), expression: null } : { column: null, expression: exprText(e.expr) };
  });
  const name = node.idxname
    ? String(node.idxname)
    : defaultName(
        table,
        keys.map((k) => k.column ?? 'expr'),
        'idx',
      );
  const schema = node.relation?.schemaname ?? table.schema;
  if (node.if_not_exists && model.index({ schema, name })) return;
  model.addIndex(table, {
    name,
    schema,
    table: table.name,
    method: String(node.accessMethod ?? 'btree'),
    keys,
    include: ((node.indexIncludingParams ?? []) as AstNode[]).map((p) => String(p.IndexElem?.name ?? '?')),
    predicate: node.whereClause ? exprText(node.whereClause) : null,
    unique: Boolean(node.unique),
    primary: Boolean(node.primary),
    nullsNotDistinct: Boolean(node.nulls_not_distinct),
    valid: true,
    constraintName: null,
    createdInRun: ctx.inRun,
    location: ctx.locate(node.relation?.location),
  });
}

function alterTable(model: SchemaModel, node: AstNode, ctx: ReplayContext): void {
  if (node.objtype === 'OBJECT_INDEX') return;
  const table = ensureTable(model, rangeVar(node.relation), ctx);
  if (!table) return;
  for (const item of (node.cmds ?? []) as AstNode[]) {
    const cmd = item.AlterTableCmd;
    if (!cmd) continue;
    const target = cmd.name ? column(table, String(cmd.name)) : undefined;
    switch (cmd.subtype) {
      case 'AT_AddColumn':
        if (cmd.def?.ColumnDef) {
          if (cmd.missing_ok && column(table, String(cmd.def.ColumnDef.colname))) break;
          addColumn(model, table, cmd.def.ColumnDef, ctx);
        }
        break;
      case 'AT_DropColumn':
        table.columns = table.columns.filter((c) => c.name !== cmd.name);
        table.constraints = table.constraints.filter((k) => !k.columns.includes(String(cmd.name)));
        for (const index of [...table.indexes]) {
          if (index.keys.some((k) => k.column === cmd.name)) model.dropIndex(table, index);
        }
        break;
      case 'AT_AlterColumnType':
        if (target && cmd.def?.ColumnDef) target.type = typeInfo(cmd.def.ColumnDef.typeName);
        break;
      case 'AT_SetNotNull':
        if (target) target.nullable = false;
        break;
      case 'AT_DropNotNull':
        if (target) target.nullable = true;
        break;
      case 'AT_ColumnDefault':
        if (target) target.default = cmd.def ? exprText(cmd.def) : null;
        break;
      case 'AT_AddIdentity':
        if (target) {
          target.identity = cmd.def?.Constraint?.generated_when === 'a' ? 'always' : 'by-default';
          target.nullable = false;
        }
        break;
      case 'AT_DropIdentity':
        if (target) target.identity = null;
        break;
      case 'AT_AddConstraint':
        if (cmd.def?.Constraint) addConstraint(model, table, cmd.def.Constraint, ctx, undefined);
        break;
      case 'AT_ValidateConstraint': {
        const k = table.constraints.find((c) => c.name === cmd.name);
        if (k) k.validated = true;
        break;
      }
      case 'AT_DropConstraint': {
        table.constraints = table.constraints.filter((c) => c.name !== cmd.name);
        const index = table.indexes.find((i) => i.constraintName === cmd.name);
        if (index) model.dropIndex(table, index);
        break;
      }
      default:
        break;
    }
  }
}

function rename(model: SchemaModel, node: AstNode): void {
  const rel = rangeVar(node.relation);
  switch (node.renameType) {
    case 'OBJECT_TABLE': {
      const table = rel ? model.table(rel) : undefined;
      if (table) model.renameTable(table, String(node.newname));
      return;
    }
    case 'OBJECT_COLUMN': {
      const table = rel ? model.table(rel) : undefined;
      const col = table ? column(table, String(node.subname)) : undefined;
      if (!table || !col) return;
      const from = col.name;
      col.name = String(node.newname);
      for (const k of table.constraints) k.columns = k.columns.map((c) => (c === from ? col.name : c));
      for (const i of table.indexes) for (const key of i.keys) if (key.column === from) key.column = col.name;
      return;
    }
    case 'OBJECT_INDEX': {
      const found = rel ? model.index(rel) : undefined;
      if (found) model.renameIndex(found.table, found.index, String(node.newname));
      return;
    }
    case 'OBJECT_TABCONSTRAINT': {
      const table = rel ? model.table(rel) : undefined;
      const k = table?.constraints.find((c) => c.name === node.subname);
      if (k) k.name = String(node.newname);
      return;
    }
    default:
      return;
  }
}

function drop(model: SchemaModel, node: AstNode): void {
  for (const object of (node.objects ?? []) as AstNode[]) {
    switch (node.removeType) {
      case 'OBJECT_TABLE':
      case 'OBJECT_MATVIEW':
      case 'OBJECT_FOREIGN_TABLE': {
        const table = model.table(dottedName(object));
        if (table) model.dropTable(table);
        break;
      }
      case 'OBJECT_INDEX': {
        const found = model.index(dottedName(object));
        if (found) model.dropIndex(found.table, found.index);
        break;
      }
      case 'OBJECT_TRIGGER': {
        const parts = strings(object.List?.items ?? []);
        const trigger = parts.pop();
        const table = model.table(
          parts.length > 1 ? { schema: parts[0]!, name: parts[1]! } : { schema: null, name: parts[0] ?? '' },
        );
        if (table) table.triggers = table.triggers.filter((t) => t.name !== trigger);
        break;
      }
      case 'OBJECT_TYPE':
        model.enums.delete(strings(object.TypeName?.names ?? []).join('.'));
        break;
      default:
        break;
    }
  }
}
