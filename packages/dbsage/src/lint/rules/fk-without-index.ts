import type { SchemaRule } from '../rule.js';
import { nameOf, q, sqlName } from '../rule-helpers.js';
import type { ModelTable } from '../schema-model.js';

/** True when some valid, non-partial index on `table` starts with exactly `columns` (in any order). */
export function coveredByIndex(table: ModelTable, columns: readonly string[]): string | undefined {
  for (const index of table.indexes) {
    if (!index.valid || index.predicate || index.method !== 'btree') continue;
    const lead = index.keys.slice(0, columns.length).map((k) => k.column);
    if (lead.length === columns.length && columns.every((c) => lead.includes(c))) return index.name;
  }
  return undefined;
}

/**
 * A foreign key whose referencing columns have no index makes every DELETE/UPDATE of a parent row scan the
 * child table (the FK check), and joins from parent to children cannot use an index.
 */
export const rule: SchemaRule = {
  id: 'fk-without-index',
  profile: 'design',
  category: 'design',
  severity: 'medium',
  scope: 'schema',
  description: 'foreign key without an index on the referencing columns',
  check(ctx) {
    const out = [];
    for (const t of ctx.tables) {
      for (const k of t.constraints) {
        if (k.kind !== 'foreign' || k.columns.length === 0) continue;
        if (coveredByIndex(t, k.columns)) continue;
        const name = `${t.name}_${k.columns.join('_')}_idx`;
        out.push({
          title: `${nameOf(t)}.${k.columns.join(', ')} has no index (FK to ${k.references?.table ?? '?'})`,
          summary: `Every DELETE or key UPDATE on ${k.references?.table ?? 'the parent'} scans ${nameOf(t)} to check this foreign key, and joins from the parent cannot use an index.`,
          evidence: {
            constraint: k.name,
            columns: k.columns,
            references: k.references ? `${k.references.table}(${k.references.columns.join(', ')})` : null,
            onDelete: k.references?.onDelete ?? null,
            ...(t.rowEstimate !== null ? { rowEstimate: t.rowEstimate } : {}),
          },
          remediation: {
            sql: `CREATE INDEX CONCURRENTLY ${q(name)} ON ${sqlName(t)} (${k.columns.map(q).join(', ')});`,
          },
          ...(k.location ? { pos: k.location } : {}),
          object: `${nameOf(t)}.${k.columns.join(',')}`,
        });
      }
    }
    return out;
  },
};
