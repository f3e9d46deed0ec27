import { deparseExpr } from '../../sql/extract.js';
import { type AstNode, parseRaw } from '../../sql/parser.js';

/** A parsed single SELECT with the pieces the rewrite generator composes. */
export interface SelectParts {
  ast: AstNode;
  select: AstNode;
  /** FROM items as written (deparsed), and the alias (or name) of each table. */
  from: { sql: string; table: string | null; schema: string | null; alias: string }[];
  /** Output columns: name as the caller sees it, expression text, star. */
  outputs: { name: string | null; sql: string; star: boolean; starOf: string | null }[];
  /** AND-ed conditions of WHERE. */
  conjuncts: AstNode[];
  /** Highest `$n`. */
  maxParam: number;
}

/** Parses one plain SELECT (no set operation); null when it is something else. */
export function selectParts(sql: string): SelectParts | null {
  const parsed = parseRaw(sql);
  if (!parsed.ok || parsed.stmts.length !== 1) return null;
  const ast = parsed.stmts[0]!.stmt;
  const select = ast.SelectStmt;
  if (!select || (select.op && select.op !== 'SETOP_NONE') || select.valuesLists) return null;
  // One table: qualify bare column names with its alias, so the pieces stay unambiguous once joined to others.
  const only = (select.fromClause ?? []) as AstNode[];
  if (only.length === 1 && only[0]!.RangeVar) {
    const rv = only[0]!.RangeVar;
    qualifyColumns(select, (rv.alias?.aliasname as string | undefined) ?? (rv.relname as string));
  }
  const from: SelectParts['from'] = [];
  for (const f of (select.fromClause ?? []) as AstNode[]) {
    const rv = f.RangeVar;
    from.push({
      sql: deparseExpr(f),
      table: rv?.relname ?? null,
      schema: rv?.schemaname ?? null,
      alias: rv ? ((rv.alias?.aliasname as string | undefined) ?? (rv.relname as string)) : '?',
    });
  }
  const outputs: SelectParts['outputs'] = [];
  for (const t of (select.targetList ?? []) as AstNode[]) {
    const val = t.ResTarget?.val;
    if (!val) continue;
    const fields = val.ColumnRef?.fields as AstNode[] | undefined;
    const last = fields?.[fields.length - 1];
    if (last?.A_Star) {
      outputs.push({
        name: null,
        sql: deparseExpr(val),
        star: true,
        starOf: fields!.length > 1 ? (fields![0]!.String?.sval ?? null) : null,
      });
      continue;
    }
    const name = (t.ResTarget.name as string | undefined) ?? (last?.String?.sval as string | undefined) ?? null;
    outputs.push({ name, sql: deparseExpr(val), star: false, starOf: null });
  }
  const where = select.whereClause as AstNode | undefined;
  const conjuncts = !where ? [] : where.BoolExpr?.boolop === 'AND_EXPR' ? (where.BoolExpr.args as AstNode[]) : [where];
  let maxParam = 0;
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) walk(x);
      return;
    }
    const o = n as AstNode;
    if (o.ParamRef) maxParam = Math.max(maxParam, o.ParamRef.number ?? 0);
    for (const v of Object.values(o)) walk(v);
  };
  walk(ast);
  return { ast, select, from, outputs, conjuncts, maxParam };
}

/** Params (`$n`) referenced under a node. */
export function paramsIn(node: unknown): number[] {
  const out: number[] = [];
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) walk(x);
      return;
    }
    const o = n as AstNode;
    if (o.ParamRef) out.push(o.ParamRef.number ?? 0);
    for (const v of Object.values(o)) walk(v);
  };
  walk(node);
  return out;
}

/** True when a node references a column. */
export function hasColumnRef(node: unknown): boolean {
  if (!node || typeof node !== 'object') return false;
  if (Array.isArray(node)) return node.some(hasColumnRef);
  const o = node as AstNode;
  if (o.ColumnRef) return true;
  if (o.SubLink) return true;
  return Object.values(o).some(hasColumnRef);
}

/**
 * A per-iteration equality in the child: `<column> = <expression of $n only>` (either side). Returns the column
 * (qualifier and name), the value side, and the params it uses.
 */
export function linkEquality(
  conjunct: AstNode,
): { qualifier: string | null; column: string; value: AstNode; params: number[] } | null {
  const e = conjunct.A_Expr;
  if (e?.kind !== 'AEXPR_OP') return null;
  const op = ((e.name ?? []) as AstNode[]).map((n) => n.String?.sval).join('');
  if (op !== '=') return null;
  for (const [colSide, valSide] of [
    [e.lexpr, e.rexpr],
    [e.rexpr, e.lexpr],
  ] as const) {
    const fields = colSide?.ColumnRef?.fields as AstNode[] | undefined;
    if (!fields) continue;
    if (hasColumnRef(valSide)) continue;
    const params = paramsIn(valSide);
    if (params.length === 0) continue;
    const names = fields.map((f) => f.String?.sval as string);
    return {
      qualifier: names.length > 1 ? names[names.length - 2]! : null,
      column: names[names.length - 1]!,
      value: valSide,
      params,
    };
  }
  return null;
}

/** Deep-clones an AST node and renumbers its params with `map` (old → new). */
export function renumberParams(node: AstNode, map: (n: number) => number): AstNode {
  const clone = JSON.parse(JSON.stringify(node)) as AstNode;
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) walk(x);
      return;
    }
    const o = n as AstNode;
    if (o.ParamRef) o.ParamRef.number = map(o.ParamRef.number ?? 0);
    for (const v of Object.values(o)) walk(v);
  };
  walk(clone);
  return clone;
}

/**
 * Prefixes unqualified column references of one SELECT level with `alias`. Subqueries keep their own scope and
 * are left alone, and so are ORDER BY / GROUP BY items naming an output column.
 */
function qualifyColumns(select: AstNode, alias: string): void {
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object') return;
    if (Array.isArray(n)) {
      for (const x of n) walk(x);
      return;
    }
    const o = n as AstNode;
    if (o.SubLink || o.RangeSubselect || o.SelectStmt) return;
    const fields = o.ColumnRef?.fields as AstNode[] | undefined;
    if (fields && fields.length === 1) {
      o.ColumnRef.fields = [{ String: { sval: alias } }, ...fields];
      return;
    }
    for (const v of Object.values(o)) walk(v);
  };
  for (const key of ['targetList', 'whereClause', 'havingClause']) walk(select[key]);
  // ORDER BY / GROUP BY may name an output column (`ORDER BY n` for `count(*) AS n`): those stay bare.
  const outputNames = new Set(((select.targetList ?? []) as AstNode[]).map((t) => t.ResTarget?.name).filter(Boolean));
  for (const key of ['sortClause', 'groupClause']) {
    for (const item of (select[key] ?? []) as AstNode[]) {
      const target = item.SortBy ? item.SortBy.node : item;
      const f = target?.ColumnRef?.fields as AstNode[] | undefined;
      if (f?.length === 1 && outputNames.has(f[0]!.String?.sval)) continue;
      walk(item);
    }
  }
}
