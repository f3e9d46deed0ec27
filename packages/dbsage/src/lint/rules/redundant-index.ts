import type { RuleReport, SchemaRule } from '../rule.js';
import { nameOf, q } from '../rule-helpers.js';

/**
 * A non-unique b-tree index whose keys are a leading prefix of another b-tree index (same predicate) is
 * redundant: the longer index serves the same lookups and sorts.
 */
export const rule: SchemaRule = {
  id: 'redundant-index',
  profile: 'design',
  category: 'design',
  severity: 'low',
  scope: 'schema',
  description: 'b-tree index whose keys are a prefix of another index',
  check(ctx) {
    const out: RuleReport[] = [];
    const key = (k: { column: string | null; expression: string | null }) => k.column ?? `(${k.expression})`;
    for (const t of ctx.tables) {
      for (const i of t.indexes) {
        if (i.unique || i.constraintName || i.method !== 'btree' || !i.valid) continue;
        const keys = i.keys.map(key);
        const wider = t.indexes.find(
          (o) =>
            o !== i &&
            o.method === 'btree' &&
            o.valid &&
            o.keys.length > keys.length &&
            (o.predicate ?? '') === (i.predicate ?? '') &&
            keys.every((k, n) => key(o.keys[n]!) === k),
        );
        if (!wider) continue;
        out.push({
          title: `index ${i.name} on ${nameOf(t)} is a prefix of ${wider.name}`,
          summary: `${wider.name} starts with the same keys, so it answers every lookup ${i.name} does. Dropping ${i.name} saves its storage and write cost (check it is not needed for a much smaller size first).`,
          evidence: { index: i.name, keys, coveredBy: wider.name, coveringKeys: wider.keys.map(key) },
          remediation: {
            sql: `DROP INDEX CONCURRENTLY ${i.schema === 'public' ? '' : `${q(i.schema)}.`}${q(i.name)};`,
          },
          ...(i.location ? { pos: i.location } : {}),
          object: `${nameOf(t)}.${i.name}`,
        });
      }
    }
    return out;
  },
};
