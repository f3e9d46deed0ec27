import { columnRule } from '../column-rule.js';
import { nameOf } from '../rule-helpers.js';

/** `char(n)` pads with spaces and compares surprisingly; it is almost never what is meant. */
export const rule = columnRule({
  id: 'char-type',
  severity: 'low',
  description: 'char(n) column',
  judge(c, t) {
    if (c.type.name !== 'bpchar') return undefined;
    return {
      title: `${nameOf(t)}.${c.name} is ${c.type.display}`,
      summary:
        'char(n) pads values with spaces, ignores trailing spaces in comparisons and is no faster than text. Use text (with a CHECK on length if the length is fixed).',
      fix: `ALTER TABLE {table} ALTER COLUMN {column} TYPE text USING rtrim({column});`,
    };
  },
});
