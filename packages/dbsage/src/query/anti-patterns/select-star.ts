import { type AntiPatternRule, isHot } from './anti-pattern.js';

/**
 * `select-star`: `SELECT *` on a hot path reads and ships every column (wide text, jsonb, TOASTed values), rules
 * out index-only scans, and silently changes shape when a column is added.
 */
export const selectStar: AntiPatternRule = {
  id: 'select-star',
  description: 'SELECT * on a hot path',
  check(s, ctx) {
    if (s.model.kind !== 'select' || !isHot(s, ctx)) return [];
    const stars = s.model.selected.filter((c) => c.star);
    if (stars.length === 0) return [];
    const tables = s.model.relations.map((r) => r.name);
    return [
      {
        severity: s.workload ? 'medium' : 'low',
        title: `SELECT * from ${tables.join(', ') || 'a subquery'}${s.workload ? ` (${s.workload.calls.toLocaleString('en-US')} calls)` : ''}`,
        summary:
          'Selecting every column reads and sends data the caller does not use and prevents index-only scans; name the columns.',
        evidence: { tables, ...(s.workload ? { calls: s.workload.calls, meanMillis: s.workload.meanMillis } : {}) },
        fix: { steps: ['List the columns the code reads; a covering index on them can then serve the query alone.'] },
        identity: tables.join(','),
      },
    ];
  },
};
