import { findTable } from '../../catalog/lookup.js';
import type { AntiPatternRule } from './anti-pattern.js';

/**
 * `unbounded-select`: a list query with no LIMIT returns however many rows the table grows to. Reported for
 * workload statements whose mean rows per call reach `unboundedRows`, and for file statements that select rows
 * (no aggregate) with an ORDER BY or no WHERE at all and no LIMIT — unless the WHERE pins a unique key.
 */
export const unboundedSelect: AntiPatternRule = {
  id: 'unbounded-select',
  description: 'A list query without LIMIT',
  check(s, ctx) {
    const m = s.model;
    if (m.kind !== 'select' || m.limit || m.aggregates.length > 0 || m.groupBy.length > 0) return [];
    if (m.relations.length === 0) return [];
    const equalities = m.predicates.filter((p) => p.op === '=' && !p.inOr && !p.negated && p.column);
    const pinsUnique = m.relations.some((r) => {
      const t = ctx.catalog ? findTable(ctx.catalog, r.name, r.schema ?? undefined) : undefined;
      const cols = new Set(equalities.filter((p) => p.table === r.name || p.table === null).map((p) => p.column!));
      if (!t) return cols.has('id');
      return t.indexes.some((i) => i.unique && i.keys.every((k) => k.column && cols.has(k.column)));
    });
    if (pinsUnique) return [];
    if (s.workload) {
      if (s.workload.rowsPerCall < ctx.unboundedRows) return [];
    } else if (m.predicates.length > 0 && m.orderBy.length === 0) return [];
    const tables = m.relations.map((r) => r.name);
    return [
      {
        severity: s.workload ? 'medium' : 'low',
        title: `No LIMIT on a list from ${tables.join(', ')}${s.workload ? ` (${Math.round(s.workload.rowsPerCall).toLocaleString('en-US')} rows per call)` : ''}`,
        summary:
          'Without a LIMIT the result grows with the table: memory, network and latency grow with it until a page or an export breaks.',
        evidence: {
          tables,
          ...(s.workload ? { rowsPerCall: Math.round(s.workload.rowsPerCall), calls: s.workload.calls } : {}),
          orderBy: m.orderBy.length > 0,
        },
        fix: {
          steps: [
            'Page the list (LIMIT with keyset pagination), or stream it with a cursor if all rows are really needed.',
          ],
        },
        identity: tables.join(','),
      },
    ];
  },
};
