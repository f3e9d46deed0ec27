import { compareText } from '../../util/compare.js';
import type { RuleReport, SchemaRule } from '../rule.js';
import { nameOf, q } from '../rule-helpers.js';
import type { ModelIndex } from '../schema-model.js';

/** A comparable signature of an index: method, keys, INCLUDE and predicate. */
export function indexSignature(i: ModelIndex): string {
  return [
    i.method,
    i.keys.map((k) => k.column ?? `(${k.expression})`).join(','),
    i.include.join(','),
    i.predicate ?? '',
  ].join('|');
}

/** Two indexes with the same definition: double the write cost and storage for nothing. */
export const rule: SchemaRule = {
  id: 'duplicate-index',
  profile: 'design',
  category: 'design',
  severity: 'medium',
  scope: 'schema',
  description: 'index identical to another index on the same table',
  check(ctx) {
    const out: RuleReport[] = [];
    for (const t of ctx.tables) {
      const seen = new Map<string, ModelIndex>();
      // Keep constraint-backed and unique indexes; report the plain copy.
      const ordered = [...t.indexes].sort(
        (a, b) =>
          Number(Boolean(b.constraintName)) - Number(Boolean(a.constraintName)) ||
          Number(b.unique) - Number(a.unique) ||
          // Ties keep the alphabetically first name, so files and the catalog (listed by name) agree.
          compareText(a.name, b.name),
      );
      for (const i of ordered) {
        const sig = indexSignature(i);
        const kept = seen.get(sig);
        if (!kept) {
          seen.set(sig, i);
          continue;
        }
        if (i.constraintName) continue;
        out.push({
          title: `index ${i.name} on ${nameOf(t)} duplicates ${kept.name}`,
          summary:
            'Both indexes have the same keys, so every write maintains two copies and the planner only ever needs one. Drop the duplicate.',
          evidence: { index: i.name, duplicateOf: kept.name, keys: i.keys.map((k) => k.column ?? k.expression) },
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
