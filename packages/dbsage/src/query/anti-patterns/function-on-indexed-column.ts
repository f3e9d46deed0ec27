import { findTable } from '../../catalog/lookup.js';
import { qualifiedName, quoteIdent } from '../../engines/postgres/quote.js';
import type { AntiPatternHit, AntiPatternRule } from './anti-pattern.js';

/**
 * `function-on-indexed-column`: a predicate wraps an indexed column in a function or cast (`lower(email) = …`,
 * `created_at::date = …`), so the plain index on the column cannot be used. Either index the expression or
 * rewrite the predicate on the bare column (`created_at >= $1 AND created_at < $1 + 1 day`). Needs the catalog
 * to know the column is indexed and the expression is not; without one, every wrapped column is reported low.
 */
export const functionOnIndexedColumn: AntiPatternRule = {
  id: 'function-on-indexed-column',
  description: 'A function or cast on an indexed column defeats its index',
  check(s, ctx) {
    const out: AntiPatternHit[] = [];
    const seen = new Set<string>();
    for (const p of s.model.predicates) {
      if (!p.expression || !p.column || !p.table) continue;
      const key = `${p.table}.${p.expression}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const table = ctx.catalog ? findTable(ctx.catalog, p.table, p.schema ?? undefined) : undefined;
      if (ctx.catalog && !table) continue;
      const normalized = (e: string) => e.replace(/[\s()"]/g, '').toLowerCase();
      const plain = table?.indexes.filter((i) => i.valid && i.keys[0]?.column === p.column) ?? [];
      const expressionIndexed = table?.indexes.some(
        (i) => i.valid && i.keys.some((k) => k.expression && normalized(k.expression) === normalized(p.expression!)),
      );
      if (table && (plain.length === 0 || expressionIndexed)) continue;
      const rel = table ? qualifiedName(table.schema, table.name) : quoteIdent(p.table);
      out.push({
        severity: table ? 'medium' : 'low',
        title: `${p.expression} on ${p.table}.${p.column}${plain.length ? ` cannot use ${plain.map((i) => i.name).join(', ')}` : ''}`,
        summary:
          'An index on a column is only used when the predicate compares the bare column; wrapping it in a function or cast turns the lookup into a scan.',
        evidence: {
          table: p.table,
          column: p.column,
          expression: p.expression,
          function: p.functionName,
          op: p.op,
          indexesOnColumn: plain.map((i) => i.name),
        },
        fix: {
          sql: `CREATE INDEX CONCURRENTLY ON ${rel} ((${p.expression}));`,
          steps: [
            `Index the expression ${p.expression}, or compare the bare column (e.g. a range on ${p.column} instead of a cast or date_trunc).`,
          ],
        },
        identity: `${p.table}.${p.expression}`,
      });
    }
    return out;
  },
};
