import { findTable } from '../../catalog/lookup.js';
import type { AstNode } from '../../sql/parser.js';
import { type AntiPatternHit, type AntiPatternRule, columnRefParts, walkAst } from './anti-pattern.js';

/**
 * `not-in-nullable-subquery`: `x NOT IN (SELECT col …)` is never true when the subquery yields a NULL (the whole
 * predicate becomes NULL), so rows silently disappear; and the planner cannot turn it into an anti-join, so it
 * runs as a hashed or, worse, a per-row subplan. NOT EXISTS has the intended meaning and plans as an anti-join.
 * With a catalog the rule checks that the column is nullable; without one it reports any column.
 */
export const notInNullable: AntiPatternRule = {
  id: 'not-in-nullable-subquery',
  description: 'NOT IN (subquery) over a nullable column',
  check(s, ctx) {
    const out: AntiPatternHit[] = [];
    walkAst(s.ast, (o) => {
      const not = o.BoolExpr;
      if (not?.boolop !== 'NOT_EXPR') return;
      const link = (not.args as AstNode[] | undefined)?.[0]?.SubLink;
      if (link?.subLinkType !== 'ANY_SUBLINK') return;
      const sub = link.subselect?.SelectStmt;
      const target = sub?.targetList?.[0]?.ResTarget?.val;
      const parts = columnRefParts(target);
      const fromRv = (sub?.fromClause as AstNode[] | undefined)?.find((f) => f.RangeVar)?.RangeVar;
      if (!parts || !fromRv) return;
      const column = parts[parts.length - 1]!;
      const tableName = fromRv.relname as string;
      const table = ctx.catalog ? findTable(ctx.catalog, tableName, fromRv.schemaname) : undefined;
      const col = table?.columns.find((c) => c.name === column);
      if (col && !col.nullable) return;
      const outer = columnRefParts(link.testexpr)?.join('.') ?? 'the value';
      out.push({
        severity: 'medium',
        title: `NOT IN (SELECT ${column} FROM ${tableName}): ${col ? 'the column is nullable' : 'a NULL in the subquery makes it match nothing'}`,
        summary:
          'One NULL returned by the subquery makes NOT IN unknown for every row, so the query silently returns nothing; NOT EXISTS means what was intended and plans as an anti-join.',
        evidence: { table: tableName, column, nullable: col ? col.nullable : 'unknown (no catalog)', outer },
        fix: {
          sql: `… WHERE NOT EXISTS (SELECT 1 FROM ${tableName} x WHERE x.${column} = ${outer})`,
          steps: ['Rewrite as NOT EXISTS with the correlation in its WHERE clause.'],
        },
        identity: `${tableName}.${column}`,
      });
    });
    return out;
  },
};
