import type { RuleReport, SchemaRule } from '../rule.js';
import { nameOf, q, sqlName } from '../rule-helpers.js';

/** A NOT VALID constraint left unvalidated: old rows may violate it and the planner cannot rely on it. */
export const rule: SchemaRule = {
  id: 'unvalidated-constraint',
  profile: 'design',
  category: 'design',
  severity: 'low',
  scope: 'schema',
  description: 'constraint added NOT VALID and never validated',
  check(ctx) {
    const out: RuleReport[] = [];
    for (const t of ctx.tables) {
      for (const k of t.constraints) {
        if (k.validated || (k.kind !== 'check' && k.kind !== 'foreign')) continue;
        out.push({
          title: `constraint ${k.name} on ${nameOf(t)} is NOT VALID`,
          summary:
            'Existing rows were never checked, so they may violate it, and the planner ignores unvalidated CHECKs for constraint exclusion. VALIDATE takes only a SHARE UPDATE EXCLUSIVE lock.',
          evidence: { constraint: k.name, kind: k.kind },
          remediation: { sql: `ALTER TABLE ${sqlName(t)} VALIDATE CONSTRAINT ${q(k.name)};` },
          ...(k.location ? { pos: k.location } : {}),
          object: `${nameOf(t)}.${k.name}`,
        });
      }
    }
    return out;
  },
};
