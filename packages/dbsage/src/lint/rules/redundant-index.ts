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
      // Candidates for "wider" grouped by leading key, with key strings computed once (tables can carry
      // thousands of indexes).
      const byLead = new Map<string, { index: (typeof t.indexes)[number]; keys: string[] }[]>();
      for (const o of t.indexes) {
        if (o.method !== 'btree' || !o.valid || o.keys.length === 0) continue;
        const keys = o.keys.map(key);
        const list = byLead.get(keys[0]!) ?? [];
        list.push({ index: o, keys });
        byLead.set(keys[0]!, list);
      }
      for (const i of t.indexes) {
        if (i.unique || i.constraintName || i.method !== 'btree' || !i.valid || i.keys.length === 0) continue;
        const keys = i.keys.map(key);
        const wider = byLead
          .get(keys[0]!)
          ?.find(
            (o) =>
              o.index !== i &&
              o.keys.length > keys.length &&
              (o.index.predicate ?? '') === (i.predicate ?? '') &&
              keys.every((k, n) => o.keys[n] === k),
          );
        if (!wider) continue;
        out.push({
          title: `index ${i.name} on ${nameOf(t)} is a prefix of ${wider.index.name}`,
          summary: `${wider.index.name} starts with the same keys, so it answers every lookup ${i.name} does. Dropping ${i.name} saves its storage and write cost (check it is not needed for a much smaller size first).`,
          evidence: { index: i.name, keys, coveredBy: wider.index.name, coveringKeys: wider.keys },
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
