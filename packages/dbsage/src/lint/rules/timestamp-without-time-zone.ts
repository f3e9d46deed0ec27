import { columnRule } from '../column-rule.js';
import { nameOf } from '../rule-helpers.js';

/** `timestamp` drops the time zone: the same instant stored from two zones reads back as two values. */
export const rule = columnRule({
  id: 'timestamp-without-time-zone',
  severity: 'low',
  description: 'timestamp without time zone instead of timestamptz',
  judge(c, t) {
    if (c.type.name !== 'timestamp') return undefined;
    return {
      title: `${nameOf(t)}.${c.name} is timestamp without time zone`,
      summary:
        'timestamp stores wall-clock time without the offset, so values written by clients in different zones (or across DST) cannot be compared. timestamptz stores an instant.',
      fix: `ALTER TABLE {table} ALTER COLUMN {column} TYPE timestamptz USING {column} AT TIME ZONE 'UTC';`,
    };
  },
});
