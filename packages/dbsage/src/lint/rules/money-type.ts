import { columnRule } from '../column-rule.js';
import { nameOf } from '../rule-helpers.js';

/** `money` formats by lc_monetary and has fixed fractional precision: numeric is the safe choice. */
export const rule = columnRule({
  id: 'money-type',
  severity: 'low',
  description: 'money column instead of numeric',
  judge(c, t) {
    if (c.type.name !== 'money') return undefined;
    return {
      title: `${nameOf(t)}.${c.name} is money`,
      summary:
        'money has a fixed number of fraction digits, parses and prints according to lc_monetary, and cannot hold a currency. Use numeric(p, s) plus a currency column.',
      fix: `ALTER TABLE {table} ALTER COLUMN {column} TYPE numeric(14, 2) USING {column}::numeric;`,
    };
  },
});
