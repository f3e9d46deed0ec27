import { deparseSync } from 'pgsql-deparser';
import type {
  ColumnUse,
  ExtractedStatement,
  JoinKey,
  OrderKey,
  Predicate,
  PredicateOp,
  RelationRef,
  ValueRef,
  WriteTarget,
} from './extract-types.js';
import type { AstNode } from './parser.js';

/** Optional catalog knowledge: resolves an unqualified column when several tables are in scope. */
export interface ExtractOptions {
  /** Column names of a table (name as written), when known. */
  columnsOf?: (table: string, schema: string | null) => readonly string[] | undefined;
}

interface ScopeEntry {
  /** Real table name, or null for a CTE/subquery/function. */
  table: string | null;
  schema: string | null;
  /** Output columns of a derived table, when known. */
  columns?: string[];
}

/** Name resolution scope: alias (or table name) → entry; parent for correlated subqueries. */
class Scope {
  readonly entries = new Map<string, ScopeEntry>();
  constructor(
    readonly parent: Scope | null,
    readonly ctes: Map<string, ExtractedStatement>,
  ) {}

  resolve(alias: string): ScopeEntry | undefined {
    return this.entries.get(alias) ?? this.parent?.resolve(alias);
  }

  /** Entries of this level that are real tables. */
  tables(): ScopeEntry[] {
    return [...this.entries.values()];
  }
}

const OPS = new Set<string>([
  '=',
  '<>',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '~',
  '~*',
  '!~',
  '!~*',
  '@>',
  '<@',
  '?',
  '?|',
  '?&',
  '&&',
  '@@',
  '@?',
  '@@@',
  '~~',
  '~~*',
  '!~~',
  '!~~*',
]);
const FLIP: Record<string, string> = {
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
  '=': '=',
  '<>': '<>',
  '@>': '<@',
  '<@': '@>',
};
const AGGREGATES = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'array_agg',
  'json_agg',
  'jsonb_agg',
  'string_agg',
  'bool_and',
  'bool_or',
  'json_object_agg',
  'jsonb_object_agg',
  'every',
  'stddev',
  'variance',
  'percentile_cont',
  'percentile_disc',
  'mode',
]);

function str(node: AstNode | undefined): string | undefined {
  return node?.String?.sval;
}

/** Deparses an expression node back to SQL text (for expression indexes and messages). */
export function deparseExpr(node: AstNode): string {
  try {
    return deparseSync(node as never, {}).trim();
  } catch {
    return '?';
  }
}

function columnRefParts(node: AstNode): string[] | null {
  const ref = node.ColumnRef;
  if (!ref) return null;
  const parts: string[] = [];
  for (const f of ref.fields ?? []) {
    if (f.A_Star) parts.push('*');
    else parts.push(str(f) ?? '?');
  }
  return parts;
}

/** Collects ColumnRefs and ParamRefs under a node (not descending into subqueries). */
function collectRefs(node: unknown, out: { columns: AstNode[]; params: number[] }): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) collectRefs(n, out);
    return;
  }
  const obj = node as AstNode;
  if (obj.ColumnRef) {
    out.columns.push(obj);
    return;
  }
  if (obj.ParamRef) {
    out.params.push(obj.ParamRef.number ?? 0);
    return;
  }
  if (obj.SubLink) return;
  for (const v of Object.values(obj)) collectRefs(v, out);
}

class Extractor {
  readonly relations = new Map<string, RelationRef>();
  readonly predicates: Predicate[] = [];
  readonly joins: JoinKey[] = [];
  subqueries = 0;

  constructor(readonly options: ExtractOptions) {}

  addRelation(name: string, schema: string | null, alias: string | null, access: 'read' | 'write'): void {
    const key = `${schema ?? ''}.${name}`;
    const existing = this.relations.get(key);
    if (existing) {
      if (alias && !existing.aliases.includes(alias)) existing.aliases.push(alias);
      if (existing.access !== access) existing.access = 'read-write';
      return;
    }
    this.relations.set(key, { name, schema, aliases: alias ? [alias] : [], access });
  }

  /** Resolves a ColumnRef to table + column in scope. */
  resolveColumn(node: AstNode, scope: Scope): { table: string | null; schema: string | null; column: string } | null {
    const parts = columnRefParts(node);
    if (!parts || parts.length === 0) return null;
    const column = parts[parts.length - 1]!;
    if (column === '*') return null;
    if (parts.length >= 2) {
      const qualifier = parts[parts.length - 2]!;
      const entry = scope.resolve(qualifier);
      if (entry) return { table: entry.table, schema: entry.schema, column };
      return { table: qualifier, schema: parts.length >= 3 ? parts[parts.length - 3]! : null, column };
    }
    // Unqualified: the only table in the innermost scope that can have it.
    for (let s: Scope | null = scope; s; s = s.parent) {
      const entries = s.tables();
      if (entries.length === 0) continue;
      if (entries.length === 1) {
        const e = entries[0]!;
        return { table: e.table, schema: e.schema, column };
      }
      const matches = entries.filter((e) => {
        if (e.columns) return e.columns.includes(column);
        if (e.table && this.options.columnsOf)
          return this.options.columnsOf(e.table, e.schema)?.includes(column) ?? false;
        return false;
      });
      if (matches.length === 1) return { table: matches[0]!.table, schema: matches[0]!.schema, column };
      if (matches.length > 1) return { table: null, schema: null, column };
      if (!this.options.columnsOf) return { table: null, schema: null, column };
    }
    return { table: null, schema: null, column };
  }

  valueOf(node: AstNode | undefined, scope: Scope): ValueRef {
    if (!node) return { kind: 'const', value: null };
    if (node.A_Const) {
      const c = node.A_Const;
      if (c.isnull) return { kind: 'const', value: null };
      if (c.ival !== undefined) return { kind: 'const', value: c.ival.ival ?? 0 };
      if (c.fval !== undefined) return { kind: 'const', value: Number(c.fval.fval) };
      if (c.sval !== undefined) return { kind: 'const', value: c.sval.sval ?? '' };
      if (c.boolval !== undefined) return { kind: 'const', value: Boolean(c.boolval.boolval) };
      if (c.bsval !== undefined) return { kind: 'const', value: c.bsval.bsval ?? '' };
      return { kind: 'const', value: 0 };
    }
    if (node.ParamRef) return { kind: 'param', index: node.ParamRef.number ?? 0 };
    if (node.TypeCast) {
      const inner = this.valueOf(node.TypeCast.arg, scope);
      const type = (node.TypeCast.typeName?.names ?? [])
        .map(str)
        .filter((s: string | undefined) => s && s !== 'pg_catalog')
        .join('.');
      if (inner.kind === 'const' || inner.kind === 'param') return { ...inner, type };
      return inner;
    }
    if (node.List) return { kind: 'list', items: (node.List.items ?? []).map((n: AstNode) => this.valueOf(n, scope)) };
    if (node.A_ArrayExpr)
      return { kind: 'list', items: (node.A_ArrayExpr.elements ?? []).map((n: AstNode) => this.valueOf(n, scope)) };
    if (node.ColumnRef) {
      const r = this.resolveColumn(node, scope);
      if (r) return { kind: 'column', table: r.table, column: r.column };
    }
    if (node.SubLink) {
      this.subLink(node.SubLink, scope);
      return { kind: 'subquery' };
    }
    const refs = { columns: [] as AstNode[], params: [] as number[] };
    collectRefs(node, refs);
    if (refs.columns.length === 0) return { kind: 'expr', text: deparseExpr(node), params: refs.params };
    return { kind: 'other', text: deparseExpr(node) };
  }

  /** The filtered side: a column, or a function/cast wrapping exactly one column. */
  subjectOf(
    node: AstNode | undefined,
    scope: Scope,
  ): {
    table: string | null;
    schema: string | null;
    column: string;
    expression: string | null;
    functionName: string | null;
  } | null {
    if (!node) return null;
    if (node.ColumnRef) {
      const r = this.resolveColumn(node, scope);
      return r ? { ...r, expression: null, functionName: null } : null;
    }
    if (node.FuncCall || node.TypeCast || node.CoalesceExpr || node.A_Expr || node.A_Indirection) {
      const refs = { columns: [] as AstNode[], params: [] as number[] };
      collectRefs(node, refs);
      const distinct = new Set(refs.columns.map((c) => (columnRefParts(c) ?? []).join('.')));
      if (distinct.size !== 1 || refs.params.length > 0) return null;
      const r = this.resolveColumn(refs.columns[0]!, scope);
      if (!r) return null;
      const fn = node.FuncCall
        ? ((node.FuncCall.funcname ?? [])
            .map(str)
            .filter((s: string | undefined) => s !== 'pg_catalog')
            .pop() ?? null)
        : null;
      return { ...r, expression: this.stripQualifiers(node), functionName: fn };
    }
    return null;
  }

  /** Deparses an expression with table qualifiers removed (index expressions are written unqualified). */
  stripQualifiers(node: AstNode): string {
    const clone = JSON.parse(JSON.stringify(node)) as AstNode;
    const walk = (n: unknown): void => {
      if (!n || typeof n !== 'object') return;
      if (Array.isArray(n)) {
        for (const item of n) walk(item);
        return;
      }
      const o = n as AstNode;
      if (o.ColumnRef?.fields && o.ColumnRef.fields.length > 1) o.ColumnRef.fields = o.ColumnRef.fields.slice(-1);
      for (const v of Object.values(o)) walk(v);
    };
    walk(clone);
    return deparseExpr(clone);
  }

  pushPredicate(p: Omit<Predicate, 'schema'> & { schema?: string | null }): void {
    this.predicates.push({ schema: null, ...p } as Predicate);
  }

  /** Walks a boolean condition (WHERE, JOIN ON, HAVING). */
  condition(
    node: AstNode | undefined,
    scope: Scope,
    ctx: { inOr: boolean; negated: boolean; join?: JoinKey['type'] },
  ): void {
    if (!node) return;
    if (node.BoolExpr) {
      const op = node.BoolExpr.boolop;
      const args: AstNode[] = node.BoolExpr.args ?? [];
      if (op === 'AND_EXPR') for (const a of args) this.condition(a, scope, ctx);
      else if (op === 'OR_EXPR') for (const a of args) this.condition(a, scope, { ...ctx, inOr: true });
      else if (op === 'NOT_EXPR') for (const a of args) this.condition(a, scope, { ...ctx, negated: !ctx.negated });
      return;
    }
    if (node.NullTest) {
      const s = this.subjectOf(node.NullTest.arg, scope);
      if (s) {
        const isNull = node.NullTest.nulltesttype === 'IS_NULL';
        this.pushPredicate({
          ...s,
          op: isNull !== ctx.negated ? 'IS NULL' : 'IS NOT NULL',
          value: { kind: 'const', value: null },
          inOr: ctx.inOr,
          negated: false,
          location: node.NullTest.location ?? 0,
        });
      }
      return;
    }
    if (node.BooleanTest) {
      const s = this.subjectOf(node.BooleanTest.arg, scope);
      const t = node.BooleanTest.booltesttype as string;
      if (s && (t === 'IS_TRUE' || t === 'IS_FALSE')) {
        this.pushPredicate({
          ...s,
          op: t === 'IS_TRUE' ? 'IS TRUE' : 'IS FALSE',
          value: { kind: 'const', value: t === 'IS_TRUE' },
          inOr: ctx.inOr,
          negated: ctx.negated,
          location: node.BooleanTest.location ?? 0,
        });
      }
      return;
    }
    if (node.SubLink) {
      this.subLink(node.SubLink, scope);
      return;
    }
    if (node.ColumnRef) {
      // A boolean column used as a predicate: WHERE active
      const s = this.subjectOf(node, scope);
      if (s)
        this.pushPredicate({
          ...s,
          op: '=',
          value: { kind: 'const', value: !ctx.negated },
          inOr: ctx.inOr,
          negated: false,
          location: node.ColumnRef.location ?? 0,
        });
      return;
    }
    if (node.A_Expr) this.aExpr(node.A_Expr, scope, ctx);
  }

  subLink(link: AstNode, scope: Scope): void {
    this.subqueries++;
    // testexpr IN (subquery): the outer side is a predicate with a subquery value.
    if (link.testexpr && link.subLinkType === 'ANY_SUBLINK') {
      const s = this.subjectOf(link.testexpr, scope);
      if (s)
        this.pushPredicate({
          ...s,
          op: 'IN',
          value: { kind: 'subquery' },
          inOr: false,
          negated: false,
          location: link.location ?? 0,
        });
    }
    if (link.subselect) this.statement(link.subselect, new Scope(scope, scope.ctes));
  }

  aExpr(e: AstNode, scope: Scope, ctx: { inOr: boolean; negated: boolean; join?: JoinKey['type'] }): void {
    const kind: string = e.kind;
    const opName: string = (e.name ?? []).map(str).join('.');
    const location: number = e.location ?? 0;
    const base = { inOr: ctx.inOr, location };
    if (kind === 'AEXPR_IN') {
      const s = this.subjectOf(e.lexpr, scope);
      if (s) {
        const notIn = opName === '<>';
        this.pushPredicate({
          ...s,
          ...base,
          op: notIn !== ctx.negated ? 'NOT IN' : 'IN',
          value: this.valueOf(e.rexpr, scope),
          negated: false,
        });
      }
      return;
    }
    if (
      kind === 'AEXPR_BETWEEN' ||
      kind === 'AEXPR_NOT_BETWEEN' ||
      kind === 'AEXPR_BETWEEN_SYM' ||
      kind === 'AEXPR_NOT_BETWEEN_SYM'
    ) {
      const s = this.subjectOf(e.lexpr, scope);
      const bounds: AstNode[] = e.rexpr?.List?.items ?? [];
      if (s) {
        const not = kind.includes('NOT') !== ctx.negated;
        this.pushPredicate({
          ...s,
          ...base,
          op: not ? 'NOT BETWEEN' : 'BETWEEN',
          value: this.valueOf(bounds[0], scope),
          upper: this.valueOf(bounds[1], scope),
          negated: false,
        });
      }
      return;
    }
    if (kind === 'AEXPR_LIKE' || kind === 'AEXPR_ILIKE' || kind === 'AEXPR_SIMILAR') {
      const s = this.subjectOf(e.lexpr, scope);
      if (s) {
        const negatedOp = opName.startsWith('!');
        let op: PredicateOp = kind === 'AEXPR_SIMILAR' ? 'SIMILAR TO' : kind === 'AEXPR_LIKE' ? 'LIKE' : 'ILIKE';
        if (negatedOp !== ctx.negated && op !== 'SIMILAR TO') op = `NOT ${op}` as PredicateOp;
        this.pushPredicate({ ...s, ...base, op, value: this.valueOf(e.rexpr, scope), negated: false });
      }
      return;
    }
    if (kind === 'AEXPR_OP_ANY' || kind === 'AEXPR_OP_ALL') {
      // col = ANY($1) is an IN list; col <> ALL(...) is NOT IN.
      const s = this.subjectOf(e.lexpr, scope);
      if (s && opName === '=' && kind === 'AEXPR_OP_ANY') {
        this.pushPredicate({
          ...s,
          ...base,
          op: ctx.negated ? 'NOT IN' : 'IN',
          value: this.valueOf(e.rexpr, scope),
          negated: false,
        });
      } else if (s && opName === '<>' && kind === 'AEXPR_OP_ALL') {
        this.pushPredicate({ ...s, ...base, op: 'NOT IN', value: this.valueOf(e.rexpr, scope), negated: ctx.negated });
      }
      return;
    }
    if (kind !== 'AEXPR_OP' || !OPS.has(opName)) {
      this.valueOf(e.lexpr, scope);
      this.valueOf(e.rexpr, scope);
      return;
    }
    let op = opName === '!=' ? '<>' : opName;
    // LIKE written as operators (~~ is LIKE, ~~* ILIKE).
    if (op === '~~') op = 'LIKE';
    else if (op === '~~*') op = 'ILIKE';
    else if (op === '!~~') op = 'NOT LIKE';
    else if (op === '!~~*') op = 'NOT ILIKE';
    // Join key: column = column of two different tables.
    if (op === '=' && e.lexpr?.ColumnRef && e.rexpr?.ColumnRef) {
      const l = this.resolveColumn(e.lexpr, scope);
      const r = this.resolveColumn(e.rexpr, scope);
      if (l && r && (l.table !== r.table || l.table === null)) {
        this.joins.push({
          left: { table: l.table, column: l.column },
          right: { table: r.table, column: r.column },
          type: ctx.join ?? 'INNER',
        });
        return;
      }
    }
    let subject = this.subjectOf(e.lexpr, scope);
    let valueNode = e.rexpr;
    if (!subject || (e.rexpr && this.subjectOf(e.rexpr, scope) && !this.isConstantLike(e.rexpr))) {
      // Value on the left: flip (`$1 = col`, `5 < col`).
      const right = this.subjectOf(e.rexpr, scope);
      if (right && this.isConstantLike(e.lexpr)) {
        subject = right;
        valueNode = e.lexpr;
        op = FLIP[op] ?? op;
      } else if (!subject) {
        this.valueOf(e.lexpr, scope);
        this.valueOf(e.rexpr, scope);
        return;
      }
    }
    this.pushPredicate({
      ...subject,
      ...base,
      op: op as PredicateOp,
      value: this.valueOf(valueNode, scope),
      negated: ctx.negated,
    });
  }

  isConstantLike(node: AstNode | undefined): boolean {
    if (!node) return false;
    const refs = { columns: [] as AstNode[], params: [] as number[] };
    collectRefs(node, refs);
    return refs.columns.length === 0 && !node.SubLink;
  }

  /** Registers FROM items in a scope. */
  fromItem(node: AstNode, scope: Scope): void {
    if (node.RangeVar) {
      const rv = node.RangeVar;
      const name: string = rv.relname;
      const schema: string | null = rv.schemaname ?? null;
      const alias: string | null = rv.alias?.aliasname ?? null;
      const cte = schema === null ? scope.ctes.get(name) : undefined;
      if (cte) {
        scope.entries.set(alias ?? name, {
          table: null,
          schema: null,
          columns: cte.selected.map((c) => c.column ?? '').filter(Boolean),
        });
        return;
      }
      scope.entries.set(alias ?? name, { table: name, schema });
      this.addRelation(name, schema, alias, 'read');
      return;
    }
    if (node.JoinExpr) {
      const j = node.JoinExpr;
      this.fromItem(j.larg, scope);
      this.fromItem(j.rarg, scope);
      const type: JoinKey['type'] =
        j.jointype === 'JOIN_LEFT'
          ? 'LEFT'
          : j.jointype === 'JOIN_RIGHT'
            ? 'RIGHT'
            : j.jointype === 'JOIN_FULL'
              ? 'FULL'
              : 'INNER';
      if (j.quals) this.condition(j.quals, scope, { inOr: false, negated: false, join: type });
      if (j.usingClause) {
        const leftTable = this.lastTable(j.larg, scope);
        const rightTable = this.lastTable(j.rarg, scope);
        for (const u of j.usingClause as AstNode[]) {
          const col = str(u) ?? '';
          this.joins.push({ left: { table: leftTable, column: col }, right: { table: rightTable, column: col }, type });
        }
      }
      return;
    }
    if (node.RangeSubselect) {
      const sub = new Extractor(this.options);
      const inner = sub.statementModel(
        node.RangeSubselect.subquery,
        new Scope(node.RangeSubselect.lateral ? scope : null, scope.ctes),
      );
      this.merge(sub);
      this.subqueries++;
      const alias = node.RangeSubselect.alias?.aliasname;
      if (alias)
        scope.entries.set(alias, {
          table: null,
          schema: null,
          columns: inner.selected.map((c) => c.column ?? '').filter(Boolean),
        });
      return;
    }
    if (node.RangeFunction) {
      const alias = node.RangeFunction.alias?.aliasname;
      if (alias) scope.entries.set(alias, { table: null, schema: null });
    }
  }

  lastTable(node: AstNode, scope: Scope): string | null {
    if (node.RangeVar) return scope.resolve(node.RangeVar.alias?.aliasname ?? node.RangeVar.relname)?.table ?? null;
    if (node.JoinExpr) return this.lastTable(node.JoinExpr.rarg, scope);
    return null;
  }

  merge(other: Extractor): void {
    for (const r of other.relations.values()) {
      for (const a of r.aliases.length ? r.aliases : [null])
        this.addRelation(r.name, r.schema, a, r.access === 'write' ? 'write' : 'read');
      if (r.access !== 'read') this.addRelation(r.name, r.schema, null, 'write');
    }
    this.predicates.push(...other.predicates);
    this.joins.push(...other.joins);
    this.subqueries += other.subqueries;
  }

  /** Processes a WITH clause into the scope's CTE map. */
  withClause(withClause: AstNode | undefined, scope: Scope): void {
    for (const c of withClause?.ctes ?? []) {
      const cte = c.CommonTableExpr;
      if (!cte) continue;
      const sub = new Extractor(this.options);
      const model = sub.statementModel(cte.ctequery, new Scope(null, scope.ctes));
      this.merge(sub);
      scope.ctes.set(cte.ctename, model);
    }
  }

  /** Walks any statement into this extractor (predicates/relations), returning its model. */
  statement(node: AstNode, scope: Scope): void {
    const sub = new Extractor(this.options);
    sub.statementModel(node, scope);
    this.merge(sub);
  }

  columnUse(node: AstNode, scope: Scope): ColumnUse {
    if (node.ColumnRef) {
      const r = this.resolveColumn(node, scope);
      if (r) return { table: r.table, column: r.column, expression: null };
    }
    const s = this.subjectOf(node, scope);
    if (s) return { table: s.table, column: s.column, expression: s.expression };
    return { table: null, column: null, expression: deparseExpr(node) };
  }

  selectList(
    targets: AstNode[] | undefined,
    scope: Scope,
  ): { selected: ExtractedStatement['selected']; aggregates: string[] } {
    const selected: ExtractedStatement['selected'] = [];
    const aggregates: string[] = [];
    for (const t of targets ?? []) {
      const val = t.ResTarget?.val;
      if (!val) continue;
      const parts = columnRefParts(val);
      if (parts && parts[parts.length - 1] === '*') {
        const table = parts.length > 1 ? (scope.resolve(parts[0]!)?.table ?? parts[0]!) : null;
        selected.push({ table, column: null, expression: null, star: true });
        continue;
      }
      if (val.FuncCall) {
        const fn = (val.FuncCall.funcname ?? []).map(str).pop() as string | undefined;
        if (fn && AGGREGATES.has(fn)) aggregates.push(fn);
      }
      if (val.SubLink) {
        this.subLink(val.SubLink, scope);
        selected.push({ table: null, column: t.ResTarget.name ?? null, expression: 'subquery', star: false });
        continue;
      }
      const use = this.columnUse(val, scope);
      selected.push({ ...use, column: t.ResTarget.name ?? use.column, star: false });
    }
    return { selected, aggregates };
  }

  /** Builds the model for one statement node, accumulating into this extractor. */
  statementModel(node: AstNode, scope: Scope): ExtractedStatement {
    const model = emptyStatementModel();
    if (node.SelectStmt) {
      const s = node.SelectStmt;
      this.withClause(s.withClause, scope);
      model.ctes = [...scope.ctes.keys()];
      if (s.op && s.op !== 'SETOP_NONE') {
        const l = this.statementModel({ SelectStmt: s.larg }, new Scope(scope.parent, scope.ctes));
        this.statementModel({ SelectStmt: s.rarg }, new Scope(scope.parent, scope.ctes));
        model.kind = 'select';
        model.selected = l.selected;
      } else if (s.valuesLists) {
        model.kind = 'select';
        for (const row of s.valuesLists) for (const v of row.List?.items ?? []) this.valueOf(v, scope);
      } else {
        model.kind = 'select';
        for (const f of s.fromClause ?? []) this.fromItem(f, scope);
        this.condition(s.whereClause, scope, { inOr: false, negated: false });
        this.condition(s.havingClause, scope, { inOr: false, negated: false });
        const list = this.selectList(s.targetList, scope);
        model.selected = list.selected;
        model.aggregates = list.aggregates;
        model.groupBy = (s.groupClause ?? []).map((g: AstNode) => this.columnUse(g, scope));
        model.distinct = Array.isArray(s.distinctClause);
      }
      model.orderBy = (s.sortClause ?? []).map((sb: AstNode): OrderKey => {
        const by = sb.SortBy;
        const use = this.orderTarget(by.node, scope, model.selected);
        return {
          ...use,
          descending: by.sortby_dir === 'SORTBY_DESC',
          nullsFirst:
            by.sortby_nulls === 'SORTBY_NULLS_FIRST' ? true : by.sortby_nulls === 'SORTBY_NULLS_LAST' ? false : null,
        };
      });
      if (s.limitCount) model.limit = this.valueOf(s.limitCount, scope);
      if (s.limitOffset) model.offset = this.valueOf(s.limitOffset, scope);
    } else if (node.InsertStmt) {
      const s = node.InsertStmt;
      this.withClause(s.withClause, scope);
      const rv = s.relation;
      this.addRelation(rv.relname, rv.schemaname ?? null, rv.alias?.aliasname ?? null, 'write');
      scope.entries.set(rv.alias?.aliasname ?? rv.relname, { table: rv.relname, schema: rv.schemaname ?? null });
      model.kind = 'insert';
      model.write = {
        kind: 'insert',
        table: rv.relname,
        schema: rv.schemaname ?? null,
        columns: (s.cols ?? []).map((c: AstNode) => c.ResTarget?.name).filter(Boolean),
        onConflict: Boolean(s.onConflictClause),
        unfiltered: false,
      };
      if (s.selectStmt) this.statement(s.selectStmt, new Scope(null, scope.ctes));
      if (s.returningList) model.selected = this.selectList(s.returningList, scope).selected;
    } else if (node.UpdateStmt || node.DeleteStmt) {
      const s = node.UpdateStmt ?? node.DeleteStmt;
      const isUpdate = Boolean(node.UpdateStmt);
      this.withClause(s.withClause, scope);
      const rv = s.relation;
      this.addRelation(rv.relname, rv.schemaname ?? null, rv.alias?.aliasname ?? null, 'write');
      scope.entries.set(rv.alias?.aliasname ?? rv.relname, { table: rv.relname, schema: rv.schemaname ?? null });
      for (const f of (isUpdate ? s.fromClause : s.usingClause) ?? []) this.fromItem(f, scope);
      this.condition(s.whereClause, scope, { inOr: false, negated: false });
      model.kind = isUpdate ? 'update' : 'delete';
      const write: WriteTarget = {
        kind: isUpdate ? 'update' : 'delete',
        table: rv.relname,
        schema: rv.schemaname ?? null,
        columns: isUpdate ? (s.targetList ?? []).map((t: AstNode) => t.ResTarget?.name).filter(Boolean) : [],
        onConflict: false,
        unfiltered: !s.whereClause,
      };
      model.write = write;
      if (isUpdate) for (const t of s.targetList ?? []) if (t.ResTarget?.val) this.valueOf(t.ResTarget.val, scope);
      if (s.returningList) model.selected = this.selectList(s.returningList, scope).selected;
    } else if (node.ExplainStmt) {
      return this.statementModel(node.ExplainStmt.query, scope);
    }
    return model;
  }

  /** ORDER BY may name an output column alias or position. */
  orderTarget(node: AstNode, scope: Scope, selected: ExtractedStatement['selected']): ColumnUse {
    const parts = columnRefParts(node);
    if (parts?.length === 1) {
      const alias = selected.find((c) => c.column === parts[0] && c.expression);
      if (alias) return { table: alias.table, column: alias.column, expression: alias.expression };
    }
    const pos = node.A_Const?.ival?.ival;
    if (typeof pos === 'number' && selected[pos - 1]) {
      const c = selected[pos - 1]!;
      return { table: c.table, column: c.column, expression: c.expression };
    }
    return this.columnUse(node, scope);
  }
}

/** The model of a statement that reads and writes nothing (utility statements, unparseable input). */
export function emptyStatementModel(): ExtractedStatement {
  return {
    kind: 'utility',
    relations: [],
    predicates: [],
    joins: [],
    groupBy: [],
    orderBy: [],
    limit: null,
    offset: null,
    selected: [],
    write: null,
    distinct: false,
    aggregates: [],
    ctes: [],
    subqueries: 0,
  };
}

/**
 * Extracts the statement model from a parsed statement (`SqlStatement.ast` or `parseStatement()`): relations
 * with aliases resolved through CTEs and subqueries, per-table predicates (=, IN, ranges, BETWEEN, IS NULL,
 * LIKE/ILIKE, regex, jsonb @> ? ?| ?&, full-text @@, function-wrapped columns), join keys, GROUP BY, ORDER BY
 * with direction, LIMIT/OFFSET, selected columns and, for writes, the target and columns.
 */
export function extractStatement(ast: AstNode, options: ExtractOptions = {}): ExtractedStatement {
  const extractor = new Extractor(options);
  const model = extractor.statementModel(ast, new Scope(null, new Map()));
  return {
    ...model,
    relations: [...extractor.relations.values()],
    predicates: extractor.predicates,
    joins: extractor.joins,
    subqueries: extractor.subqueries,
  };
}
