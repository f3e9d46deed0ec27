import type { AntiPatternRule } from './anti-pattern.js';

/**
 * `distinct-join-fanout`: `SELECT DISTINCT` over a join whose selected columns all come from one table is
 * usually there to undo the duplicates the join produced (one row per child). The join builds and sorts or
 * hashes all those rows just to remove them; `WHERE EXISTS (…)` (a semi-join) never makes them.
 */
export const distinctJoinFanout: AntiPatternRule = {
  id: 'distinct-join-fanout',
  description: 'DISTINCT hiding join fan-out',
  check(s) {
    const m = s.model;
    if (m.kind !== 'select' || !m.distinct || m.joins.length === 0 || m.relations.length < 2) return [];
    const tables = new Set(m.selected.map((c) => c.table).filter((t): t is string => t !== null));
    if (tables.size !== 1 || m.selected.some((c) => c.table === null && !c.star)) return [];
    const kept = [...tables][0]!;
    const dropped = m.relations.map((r) => r.name).filter((n) => n !== kept);
    if (dropped.length === 0) return [];
    return [
      {
        severity: 'low',
        title: `DISTINCT over a join with ${dropped.join(', ')} only to select ${kept} columns`,
        summary:
          'The join multiplies rows and DISTINCT removes them again; a semi-join (EXISTS) returns each row once without producing the duplicates.',
        evidence: { selectedFrom: kept, joined: dropped, joins: m.joins.length },
        fix: {
          sql: `SELECT … FROM ${kept} WHERE EXISTS (SELECT 1 FROM ${dropped[0]} WHERE <join condition> AND …)`,
          steps: ['Move the joined tables into EXISTS and drop DISTINCT.'],
        },
        identity: `${kept}:${dropped.join(',')}`,
      },
    ];
  },
};
