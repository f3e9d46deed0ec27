import { quoteIdent } from '../../engines/postgres/quote.js';
import { deparseExpr } from '../../sql/extract.js';
import { type AstNode, parseRaw } from '../../sql/parser.js';
import type { NPlusOneLink } from './link.js';
import { linkEquality, paramsIn, renumberParams, type SelectParts, selectParts } from './statement-parts.js';

/** Rewrite kinds, after Bullet's and Prisma's eager-loading strategies, written as SQL from the real statements. */
export const REWRITE_KINDS = ['json-agg', 'join', 'lateral', 'any-batch'] as const;
export type RewriteKind = (typeof REWRITE_KINDS)[number];

/** One generated rewrite. */
export interface NPlusOneRewrite {
  kind: RewriteKind;
  sql: string;
  /** How to call it: which `$n` carries what. */
  params: string;
}

/** The rewrites for one N+1: the single-query form, and the batching form that always applies. */
export interface NPlusOneRewrites {
  primary: NPlusOneRewrite | null;
  batch: NPlusOneRewrite | null;
  /** Why no single-query form could be written, when it could not. */
  reason: string | null;
}

const ORD = 'dbsage_ord';

function parseCondition(text: string): AstNode {
  const r = parseRaw(`SELECT 1 WHERE ${text}`);
  if (!r.ok) throw new Error(`internal: generated condition does not parse: ${text}`);
  return r.stmts[0]!.stmt.SelectStmt.whereClause as AstNode;
}

function andOf(conjuncts: AstNode[]): AstNode | undefined {
  if (conjuncts.length === 0) return undefined;
  if (conjuncts.length === 1) return conjuncts[0];
  return { BoolExpr: { boolop: 'AND_EXPR', args: conjuncts } };
}

function columnRef(...names: string[]): AstNode {
  return { ColumnRef: { fields: names.map((n) => ({ String: { sval: n } })) } };
}

/** Replaces every ParamRef `n` under a node by a node. */
function replaceParam(node: AstNode, n: number, by: AstNode): AstNode {
  const walk = (x: unknown): unknown => {
    if (!x || typeof x !== 'object') return x;
    if (Array.isArray(x)) return x.map(walk);
    const o = x as AstNode;
    if (o.ParamRef && (o.ParamRef.number ?? 0) === n) return JSON.parse(JSON.stringify(by));
    const out: AstNode = {};
    for (const [k, v] of Object.entries(o)) out[k] = walk(v);
    return out;
  };
  return walk(node) as AstNode;
}

function castType(value: AstNode): string | null {
  const tc = value.TypeCast;
  if (!tc?.arg?.ParamRef) return null;
  const names = ((tc.typeName?.names ?? []) as AstNode[])
    .map((n) => n.String?.sval as string)
    .filter((s) => s !== 'pg_catalog');
  return names.join('.') || null;
}

interface Located {
  child: SelectParts;
  parent: SelectParts;
  linkIndex: number;
  link: ReturnType<typeof linkEquality> & object;
  childAlias: string;
}

function locate(parentSql: string, childSql: string, link: NPlusOneLink): Located | string {
  const parent = selectParts(parentSql);
  const child = selectParts(childSql);
  if (!parent) return 'the parent statement is not a plain SELECT';
  if (!child) return 'the child statement is not a plain SELECT';
  const item = child.from.find((f) => f.table === link.childTable);
  if (!item) return `the child statement does not read ${link.childTable} directly`;
  for (const [i, c] of child.conjuncts.entries()) {
    const eq = linkEquality(c);
    if (!eq || eq.column !== link.childColumn) continue;
    if (eq.qualifier !== null && eq.qualifier !== item.alias) continue;
    return { child, parent, linkIndex: i, link: eq, childAlias: item.alias };
  }
  return `no "${link.childColumn} = $n" condition found in the child statement`;
}

/**
 * Writes the batching rewrite: the child statement once for all parents, the per-iteration value becoming an
 * array parameter (`= ANY($n)`), with the link column added to the output so rows can be matched to parents.
 */
function batchRewrite(l: Located, link: NPlusOneLink): NPlusOneRewrite | null {
  const ast = JSON.parse(JSON.stringify(l.child.ast)) as AstNode;
  const select = ast.SelectStmt;
  const k = l.link.params[0]!;
  if (new Set(l.link.params).size !== 1) return null;
  const colSql = deparseExpr(
    ((l.child.conjuncts[l.linkIndex]!.A_Expr.lexpr as AstNode).ColumnRef
      ? l.child.conjuncts[l.linkIndex]!.A_Expr.lexpr
      : l.child.conjuncts[l.linkIndex]!.A_Expr.rexpr) as AstNode,
  );
  let condition: string;
  let params: string;
  if (l.link.value.ParamRef || castType(l.link.value)) {
    const t = castType(l.link.value);
    condition = `${colSql} = ANY($${k}${t ? `::${t}[]` : ''})`;
    params = `$${k}: an array of the parents' ${link.parentColumn} values`;
  } else {
    const t = 'text';
    const valueSql = deparseExpr(replaceParam(l.link.value, k, columnRef('v')));
    condition = `${colSql} = ANY(ARRAY(SELECT ${valueSql} FROM unnest($${k}::${t}[]) AS dbsage_v(v)))`;
    params = `$${k}: an array of the values the loop passed one at a time`;
  }
  const conjuncts = [...l.child.conjuncts];
  conjuncts[l.linkIndex] = parseCondition(condition);
  select.whereClause = andOf(conjuncts);
  const selectsLink = l.child.outputs.some((o) => o.star || o.name === link.childColumn);
  if (!selectsLink)
    select.targetList = [
      { ResTarget: { val: columnRef(l.childAlias, link.childColumn) } },
      ...(select.targetList ?? []),
    ];
  return { kind: 'any-batch', sql: deparseExpr(ast), params };
}

/**
 * Generates the rewrites of an N+1 from the parent and child statements as the application runs them:
 * one-to-many → LEFT JOIN + json_agg … FILTER (WHERE … IS NOT NULL) grouped per parent; to-one → JOIN (LEFT JOIN
 * when a parent may have no match); a child with a per-parent LIMIT → LEFT JOIN LATERAL; and always the
 * `= ANY($n)` batching form. Parent parameters keep their numbers; the child's other parameters follow them.
 * `parentColumns` expands a parent `SELECT *` (from the catalog), which GROUP BY needs spelled out.
 */
export function generateRewrites(
  parentSql: string,
  childSql: string,
  link: NPlusOneLink,
  options: { parentColumns?: readonly string[] } = {},
): NPlusOneRewrites {
  const located = locate(parentSql, childSql, link);
  if (typeof located === 'string') return { primary: null, batch: null, reason: located };
  const batch = batchRewrite(located, link);
  const { parent, child, linkIndex, childAlias } = located;
  // Parent output columns, star expanded when the catalog says what it holds.
  const parentNames: string[] = [];
  for (const o of parent.outputs) {
    if (o.star) {
      if (!options.parentColumns)
        return { primary: null, batch, reason: 'the parent selects * and its columns are unknown' };
      parentNames.push(...options.parentColumns);
    } else if (o.name) parentNames.push(o.name);
    else return { primary: null, batch, reason: 'a parent output column has no name' };
  }
  if (!parentNames.includes(link.parentColumn))
    return { primary: null, batch, reason: `the parent does not select ${link.parentColumn}` };
  const pAlias = childAlias === 'p' || child.from.some((f) => f.alias === 'p') ? 'dbsage_parent' : 'p';
  // The child's other parameters follow the parent's.
  const linkParams = new Set(located.link.params);
  const otherParams = [...new Set(child.conjuncts.flatMap((c, i) => (i === linkIndex ? [] : paramsIn(c))))].sort(
    (a, b) => a - b,
  );
  if (otherParams.some((n) => linkParams.has(n)))
    return { primary: null, batch, reason: 'the per-iteration parameter is used elsewhere in the child' };
  const shift = new Map(otherParams.map((n, i) => [n, parent.maxParam + i + 1]));
  const rest = child.conjuncts
    .filter((_, i) => i !== linkIndex)
    .map((c) => deparseExpr(renumberParams(c, (n) => shift.get(n) ?? n)));
  const childCol = `${quoteIdent(childAlias)}.${quoteIdent(link.childColumn)}`;
  const on = [`${childCol} = ${pAlias}.${quoteIdent(link.parentColumn)}`, ...rest].join(' AND ');
  // The parent as a derived table, numbered in its own order so the result keeps it.
  const ordered =
    Array.isArray(parent.select.sortClause) && parent.select.sortClause.length > 0 && !parent.select.distinctClause;
  const parentAst = JSON.parse(JSON.stringify(parent.ast)) as AstNode;
  if (ordered) {
    const template = parseRaw(`SELECT row_number() OVER (ORDER BY 1) AS ${ORD}`);
    if (!template.ok) throw new Error('internal: row_number template');
    const target = template.stmts[0]!.stmt.SelectStmt.targetList[0] as AstNode;
    target.ResTarget.val.FuncCall.over.orderClause = JSON.parse(JSON.stringify(parent.select.sortClause));
    parentAst.SelectStmt.targetList = [...parentAst.SelectStmt.targetList, target];
  }
  const parentSqlOut = deparseExpr(parentAst).replace(/\n/g, '\n  ');
  const pcols = parentNames.map((n) => `${pAlias}.${quoteIdent(n)}`);
  const orderBy = ordered ? `\nORDER BY ${pAlias}.${ORD}` : '';
  const fromSql = child.from.find((f) => f.alias === childAlias)!.sql;
  const childOrder = ((child.select.sortClause ?? []) as AstNode[]).map((s) =>
    deparseExpr({ SelectStmt: { sortClause: [s] } }).replace(/^.*ORDER BY\s*/s, ''),
  );
  const paramsNote =
    parent.maxParam > 0 || otherParams.length > 0
      ? `the parent's parameters ($1…$${parent.maxParam}) as before${otherParams.length ? `, then the child's other parameters as $${parent.maxParam + 1}…` : ''}`
      : 'none';
  // Per-parent LIMIT: only a lateral subquery keeps "n per parent".
  if (child.select.limitCount) {
    const lateralAst = JSON.parse(JSON.stringify(child.ast)) as AstNode;
    const conj = child.conjuncts.map((c, i) =>
      i === linkIndex
        ? parseCondition(`${childCol} = ${pAlias}.${quoteIdent(link.parentColumn)}`)
        : renumberParams(c, (n) => shift.get(n) ?? n),
    );
    lateralAst.SelectStmt.whereClause = andOf(conj);
    const lateralSql = deparseExpr(lateralAst).replace(/\n/g, '\n  ');
    // Child columns are prefixed with the child table: `c.*` would collide with the parent's names (id, …).
    const lateralOutputs = child.outputs.some((o) => o.star || !o.name)
      ? ['c.*']
      : child.outputs.map((o) => `c.${quoteIdent(o.name!)} AS ${quoteIdent(`${link.childTable}_${o.name}`)}`);
    return {
      primary: {
        kind: 'lateral',
        sql: `SELECT ${[...pcols, ...lateralOutputs].join(', ')}\nFROM (\n  ${parentSqlOut}\n) AS ${pAlias}\nLEFT JOIN LATERAL (\n  ${lateralSql}\n) AS c ON true${orderBy}`,
        params: paramsNote,
      },
      batch,
      reason: null,
    };
  }
  if (link.kind === 'one-to-many') {
    const star = child.outputs.find((o) => o.star);
    const obj = star
      ? `to_json(${quoteIdent(childAlias)}.*)`
      : `json_build_object(${child.outputs.map((o) => `'${(o.name ?? '?').replace(/'/g, "''")}', ${o.sql}`).join(', ')})`;
    let aggName = link.childTable;
    while (parentNames.includes(aggName)) aggName = `${aggName}_list`;
    const agg = `COALESCE(json_agg(${obj}${childOrder.length ? ` ORDER BY ${childOrder.join(', ')}` : ''}) FILTER (WHERE ${childCol} IS NOT NULL), '[]') AS ${quoteIdent(aggName)}`;
    const groupBy = [...pcols, ...(ordered ? [`${pAlias}.${ORD}`] : [])];
    return {
      primary: {
        kind: 'json-agg',
        sql: `SELECT ${pcols.join(', ')},\n       ${agg}\nFROM (\n  ${parentSqlOut}\n) AS ${pAlias}\nLEFT JOIN ${fromSql} ON ${on}\nGROUP BY ${groupBy.join(', ')}${orderBy}`,
        params: paramsNote,
      },
      batch,
      reason: null,
    };
  }
  // to-one: one child row per parent; inner JOIN only when every parent is known to match.
  const childOutputs = child.outputs.map((o) =>
    o.star ? `${quoteIdent(childAlias)}.*` : `${o.sql} AS ${quoteIdent(`${link.childTable}_${o.name ?? 'value'}`)}`,
  );
  const join = link.alwaysMatches && rest.length === 0 ? 'JOIN' : 'LEFT JOIN';
  return {
    primary: {
      kind: 'join',
      sql: `SELECT ${[...pcols, ...childOutputs].join(', ')}\nFROM (\n  ${parentSqlOut}\n) AS ${pAlias}\n${join} ${fromSql} ON ${on}${orderBy}`,
      params: paramsNote,
    },
    batch,
    reason: null,
  };
}
