import type { RuleReport, SchemaRule } from '../rule.js';
import { nameOf, q, sqlName } from '../rule-helpers.js';
import { column } from '../schema-model.js';

/** A b-tree led by a boolean column splits the table in two at best; a partial index on the rare value is smaller and faster. */
export const rule: SchemaRule = {
  id: 'boolean-index',
  profile: 'design',
  category: 'design',
  severity: 'low',
  scope: 'schema',
  description: 'index led by a boolean column (use a partial index)',
  check(ctx) {
    const out: RuleReport[] = [];
    for (const t of ctx.tables) {
      for (const i of t.indexes) {
        const first = i.keys[0]?.column;
        if (!first || i.predicate || i.unique) continue;
        if (column(t, first)?.type.name !== 'bool') continue;
        const rest = i.keys.slice(1).map((k) => k.column ?? `(${k.expression})`);
        out.push({
          title: `index ${i.name} on ${nameOf(t)} is led by boolean ${first}`,
          summary:
            'A boolean has two values, so the index only helps for the rare one and still stores every row. A partial index WHERE the rare value holds is a fraction of the size.',
          evidence: { index: i.name, column: first },
          remediation: {
            sql: `CREATE INDEX CONCURRENTLY ${q(`${i.name}_partial`)} ON ${sqlName(t)} (${rest.length ? rest.join(', ') : 'id'}) WHERE ${q(first)};\nDROP INDEX CONCURRENTLY ${q(i.name)};`,
          },
          ...(i.location ? { pos: i.location } : {}),
          object: `${nameOf(t)}.${i.name}`,
        });
      }
    }
    return out;
  },
};
