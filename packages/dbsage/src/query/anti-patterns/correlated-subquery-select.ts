import type { AstNode } from '../../sql/parser.js';
import { type AntiPatternHit, type AntiPatternRule, columnRefParts, walkAst } from './anti-pattern.js';

function aliasesOf(from: AstNode[] | undefined): Set<string> {
  const out = new Set<string>();
  walkAst(from ?? [], (o) => {
    if (o.RangeVar) out.add((o.RangeVar.alias?.aliasname as string | undefined) ?? (o.RangeVar.relname as string));
    if (o.RangeSubselect?.alias?.aliasname) out.add(o.RangeSubselect.alias.aliasname as string);
  });
  return out;
}

/**
 * `correlated-subquery-select`: a scalar subquery in the select list that references the outer row runs once
 * per output row (a SubPlan): an N+1 inside one statement. A LEFT JOIN (with GROUP BY or LATERAL) computes it
 * in one pass.
 */
export const correlatedSubquerySelect: AntiPatternRule = {
  id: 'correlated-subquery-select',
  description: 'Correlated subquery in the select list',
  check(s) {
    const out: AntiPatternHit[] = [];
    walkAst(s.ast, (o) => {
      const sel = o.SelectStmt;
      if (!sel?.targetList) return;
      const outer = aliasesOf(sel.fromClause);
      for (const t of sel.targetList as AstNode[]) {
        const link = t.ResTarget?.val?.SubLink;
        if (link?.subLinkType !== 'EXPR_SUBLINK') continue;
        const inner = link.subselect?.SelectStmt;
        const innerAliases = aliasesOf(inner?.fromClause);
        const refs: string[] = [];
        walkAst(inner, (n) => {
          const parts = columnRefParts(n);
          if (parts && parts.length >= 2 && outer.has(parts[0]!) && !innerAliases.has(parts[0]!))
            refs.push(parts.join('.'));
        });
        if (refs.length === 0) continue;
        const from = [...innerAliases][0] ?? '?';
        out.push({
          severity: 'medium',
          title: `Correlated subquery on ${from} in the select list (per row of ${[...outer].join(', ')})`,
          summary:
            'The subquery runs once for every row the outer query returns; a join with GROUP BY (or LEFT JOIN LATERAL) computes it for all rows at once.',
          evidence: { subqueryFrom: from, correlatedOn: [...new Set(refs)], column: t.ResTarget.name ?? null },
          fix: {
            steps: [
              `Join ${from} once (LEFT JOIN … GROUP BY, or LEFT JOIN LATERAL for a per-row LIMIT) instead of a subquery per row.`,
            ],
          },
          identity: `${from}:${t.ResTarget.name ?? ''}`,
        });
      }
    });
    return out;
  },
};
