import { columnRule } from '../column-rule.js';
import { nameOf } from '../rule-helpers.js';

/** 2^31 - 1: the largest int4 value a generated key can take. */
const INT4_MAX = 2_147_483_647;

/**
 * A 4-byte surrogate key runs out at 2.1 billion ids; converting a big table later is a full rewrite of it and
 * of every referencing column. With `--db`, the share of the range already used (rows or inserts seen) decides
 * the severity; without data it is a low finding.
 */
export const rule = columnRule({
  id: 'int4-key',
  severity: 'low',
  description: 'int4 (serial / identity) primary key that can run out of values on a growing table',
  judge(c, t) {
    const int4 = c.type.name === 'int4' || c.type.name === 'serial4';
    if (!int4 || !(c.serial || c.identity)) return undefined;
    if (!t.constraints.some((k) => k.kind === 'primary' && k.columns.length === 1 && k.columns[0] === c.name))
      return undefined;
    const used = Math.max(t.rowEstimate ?? 0, t.inserted ?? 0);
    const share = used / INT4_MAX;
    const severity = share >= 0.5 ? 'high' : share >= 0.1 ? 'medium' : 'low';
    return {
      title: `${nameOf(t)}.${c.name} is a 4-byte key${used ? ` (${(share * 100).toFixed(2)}% of the range used)` : ''}`,
      summary:
        'An int4 key stops at 2,147,483,647 and inserts fail from then on; changing it later rewrites the table and every referencing foreign key column. bigint costs 4 bytes more per row.',
      evidence: { maxValue: INT4_MAX, ...(used ? { rowsOrInserts: used, shareUsed: Number(share.toFixed(4)) } : {}) },
      fix: `ALTER TABLE {table} ALTER COLUMN {column} TYPE bigint; -- on a populated table: add a bigint column, backfill, swap`,
      severity,
    };
  },
});
