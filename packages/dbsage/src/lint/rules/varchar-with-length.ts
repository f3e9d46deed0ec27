import { columnRule } from '../column-rule.js';
import { nameOf } from '../rule-helpers.js';

/** `varchar(n)` has no storage benefit over text and changing n later locks the table; a CHECK is cheaper to change. */
export const rule = columnRule({
  id: 'varchar-with-length',
  severity: 'info',
  description: 'varchar(n) instead of text with a CHECK constraint',
  judge(c, t) {
    if (c.type.name !== 'varchar' || c.type.typmods.length === 0) return undefined;
    const n = c.type.typmods[0]!;
    return {
      title: `${nameOf(t)}.${c.name} is varchar(${n})`,
      summary:
        'varchar(n) stores exactly like text; the limit is only a check, and shrinking it later rewrites the table under an ACCESS EXCLUSIVE lock. text with a CHECK (length(…) <= n) can be changed with NOT VALID.',
      evidence: { length: n },
      fix: `ALTER TABLE {table} ALTER COLUMN {column} TYPE text;\nALTER TABLE {table} ADD CONSTRAINT ${`${t.name}_${c.name}_length`} CHECK (length({column}) <= ${n}) NOT VALID;`,
    };
  },
});
