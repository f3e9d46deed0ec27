import type { AstNode } from '../../sql/parser.js';
import { type AntiPatternHit, type AntiPatternRule, walkAst } from './anti-pattern.js';

function isCountSubquery(node: AstNode | undefined): boolean {
  const link = node?.SubLink;
  if (link?.subLinkType !== 'EXPR_SUBLINK') return false;
  const target = link.subselect?.SelectStmt?.targetList?.[0]?.ResTarget?.val?.FuncCall;
  const name = (target?.funcname as AstNode[] | undefined)?.map((p) => p.String?.sval).pop();
  return name === 'count' && !link.subselect.SelectStmt.groupClause;
}

function smallConst(node: AstNode | undefined): number | null {
  const v = node?.A_Const?.ival;
  if (v === undefined) return null;
  const n = (v.ival as number | undefined) ?? 0;
  return n <= 1 ? n : null;
}

/**
 * `count-for-existence`: `(SELECT count(*) …) > 0` counts every matching row to learn whether there is one;
 * `EXISTS (SELECT 1 …)` stops at the first. Also reported: a top-level `SELECT count(*) … > 0` in HAVING.
 */
export const countForExistence: AntiPatternRule = {
  id: 'count-for-existence',
  description: 'count(*) compared with 0/1 to test existence',
  check(s) {
    const out: AntiPatternHit[] = [];
    walkAst(s.ast, (o) => {
      const e = o.A_Expr;
      if (e?.kind !== 'AEXPR_OP') return;
      const op = (e.name as AstNode[]).map((n) => n.String?.sval).join('');
      if (!['>', '>=', '=', '<>', '!=', '<'].includes(op)) return;
      const [sub, other] = isCountSubquery(e.lexpr)
        ? [e.lexpr, e.rexpr]
        : isCountSubquery(e.rexpr)
          ? [e.rexpr, e.lexpr]
          : [];
      if (!sub) return;
      const n = smallConst(other);
      if (n === null) return;
      const from =
        (sub.SubLink.subselect.SelectStmt.fromClause as AstNode[] | undefined)?.[0]?.RangeVar?.relname ?? '?';
      out.push({
        severity: 'low',
        title: `count(*) ${op} ${n} on ${from} used as an existence test`,
        summary: 'Counting reads every matching row; EXISTS stops at the first one.',
        evidence: { table: from, comparison: `${op} ${n}` },
        fix: {
          sql: `EXISTS (SELECT 1 FROM ${from} WHERE …)`,
          steps: ['Replace the count comparison with EXISTS (or NOT EXISTS).'],
        },
        identity: from,
      });
    });
    return out;
  },
};
