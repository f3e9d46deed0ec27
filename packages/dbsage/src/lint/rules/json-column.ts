import { columnRule } from '../column-rule.js';
import { nameOf } from '../rule-helpers.js';

/** `json` stores text and reparses it on every access; `jsonb` is indexable and has operators. */
export const rule = columnRule({
  id: 'json-column',
  severity: 'low',
  description: 'json column instead of jsonb',
  judge(c, t) {
    if (c.type.name !== 'json') return undefined;
    return {
      title: `${nameOf(t)}.${c.name} is json, not jsonb`,
      summary:
        'json keeps the raw text and reparses it on every access; it has no equality operator and no GIN indexing. jsonb is what almost every workload wants.',
      fix: `ALTER TABLE {table} ALTER COLUMN {column} TYPE jsonb USING {column}::jsonb;`,
    };
  },
});
