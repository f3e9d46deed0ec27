import type { RuleReport, SchemaRule } from '../rule.js';
import { nameOf, q, sqlName } from '../rule-helpers.js';
import { column } from '../schema-model.js';

/**
 * A composite UNIQUE key with a nullable column does not stop duplicates: (a, NULL) never equals (a, NULL),
 * so the same combination can be inserted any number of times. A single nullable unique column is the usual
 * "optional but unique" and is not reported.
 */
export const rule: SchemaRule = {
  id: 'nullable-unique-column',
  profile: 'design',
  category: 'design',
  severity: 'medium',
  scope: 'schema',
  description: 'composite unique key with a nullable column (duplicates with NULL are allowed)',
  check(ctx) {
    const out: RuleReport[] = [];
    for (const t of ctx.tables) {
      for (const i of t.indexes) {
        if (!i.unique || i.primary || i.nullsNotDistinct || i.predicate || i.keys.length < 2) continue;
        const nullable = i.keys
          .map((k) => k.column)
          .filter((c): c is string => c !== null && column(t, c)?.nullable === true);
        if (nullable.length === 0) continue;
        const cols = i.keys.map((k) => k.column ?? k.expression ?? '?');
        out.push({
          title: `unique key ${i.name} on ${nameOf(t)} (${cols.join(', ')}) allows duplicates through NULL ${nullable.join(', ')}`,
          summary:
            'NULLs are never equal, so rows that differ only by a NULL in these columns do not conflict and duplicates pile up. Make the columns NOT NULL, or use NULLS NOT DISTINCT (PostgreSQL 15+).',
          evidence: { index: i.name, columns: cols, nullableColumns: nullable },
          remediation: {
            sql:
              ctx.pgMajor >= 15
                ? `CREATE UNIQUE INDEX CONCURRENTLY ${q(`${i.name}_nnd`)} ON ${sqlName(t)} (${cols.map(q).join(', ')}) NULLS NOT DISTINCT;`
                : nullable.map((c) => `ALTER TABLE ${sqlName(t)} ALTER COLUMN ${q(c)} SET NOT NULL;`).join('\n'),
          },
          ...(i.location ? { pos: i.location } : {}),
          object: `${nameOf(t)}.${i.name}`,
        });
      }
    }
    return out;
  },
};
