import type { AstNode } from '../../sql/parser.js';
import { type AntiPatternHit, type AntiPatternRule, columnRefParts, walkAst } from './anti-pattern.js';

/** The column a comparison filters on (`a = 1` → a), or null when it is not a simple column predicate. */
function filteredColumn(node: AstNode): string | null {
  const e = node.A_Expr ?? node.NullTest ?? null;
  if (!e) return null;
  const side = node.A_Expr ? (columnRefParts(e.lexpr) ? e.lexpr : e.rexpr) : e.arg;
  const parts = columnRefParts(side);
  return parts ? parts.join('.') : null;
}

/**
 * `or-across-columns`: `WHERE a = $1 OR b = $2` cannot use one index for both branches; PostgreSQL needs an
 * index on each column and a BitmapOr, or it scans. A UNION (ALL) of two indexable queries is the usual rewrite.
 * ORs over the same column (an IN list in disguise) are fine and not reported.
 */
export const orAcrossColumns: AntiPatternRule = {
  id: 'or-across-columns',
  description: 'OR between predicates on different columns',
  check(s) {
    const out: AntiPatternHit[] = [];
    walkAst(s.ast, (o, key) => {
      if (key !== 'whereClause' && key !== 'quals') return;
      const b = o.BoolExpr;
      if (b?.boolop !== 'OR_EXPR') return;
      const columns = (b.args as AstNode[]).map(filteredColumn);
      if (columns.some((c) => c === null)) return;
      const distinct = [...new Set(columns as string[])];
      if (distinct.length < 2) return;
      out.push({
        severity: 'low',
        title: `OR across ${distinct.join(', ')}`,
        summary:
          'One index cannot serve an OR over different columns; without an index on each (for a BitmapOr) the table is scanned. A UNION of indexable branches is often faster.',
        evidence: { columns: distinct, tables: s.model.relations.map((r) => r.name) },
        fix: {
          steps: [
            `Index each of ${distinct.join(', ')} so PostgreSQL can combine them (BitmapOr), or split into SELECT … WHERE ${distinct[0]} = … UNION SELECT … WHERE ${distinct[1]} = ….`,
          ],
        },
        identity: distinct.join(','),
      });
    });
    return out;
  },
};
