import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { clip, statements } from '../sources.js';
import { oneLine, percent, round } from '../units.js';

/**
 * `top-statements`: the few statements that account for most execution time. Informational: it is where
 * tuning pays most, whether or not any single call is slow.
 */
export const topStatements = defineCheck({
  id: 'top-statements',
  category: 'query',
  description: 'The statements that take the largest share of total execution time',
  needs: ['client', 'pg_stat_statements'],
  options: {
    top: { type: 'number', default: 5, min: 1, description: 'how many statements to list' },
    minSharePercent: {
      type: 'number',
      default: 10,
      min: 0,
      description: 'list a statement only from this share of total time',
    },
  },
  limitations: [{ without: 'read_all_stats', effect: "other users' statement text is hidden" }],
  async run(ctx, o) {
    const all = await statements(ctx);
    const total = all.reduce((s, x) => s + x.totalExecMillis, 0);
    if (total <= 0) return [];
    return [...all]
      .sort((a, b) => b.totalExecMillis - a.totalExecMillis)
      .slice(0, o.top)
      .map((s, rank) => ({ s, rank, share: percent(s.totalExecMillis, total) }))
      .filter(({ share }) => share >= o.minSharePercent)
      .map(({ s, rank, share }) =>
        makeFinding({
          ruleId: 'top-statements',
          category: 'query',
          severity: 'info',
          title: `#${rank + 1} by total time (${share}%, ${s.calls} calls): ${oneLine(s.query)}`,
          summary:
            "This statement is among those that take most of the server's execution time. Making it cheaper, or calling it less often, frees the most capacity.",
          evidence: {
            rank: rank + 1,
            queryId: s.queryId,
            user: s.user,
            query: clip(s.query),
            calls: s.calls,
            totalMillis: round(s.totalExecMillis),
            meanMillis: round(s.totalExecMillis / Math.max(s.calls, 1), 2),
            sharePercentOfTotalTime: share,
            rowsPerCall: round(s.rows / Math.max(s.calls, 1), 2),
          },
          remediation: {
            steps: [
              'Check the plan with EXPLAIN (ANALYZE, BUFFERS); consider caching or batching if it is called very often.',
            ],
          },
          object: `statement ${s.queryId}`,
          identity: [s.queryId, s.user ?? ''],
        }),
      );
  },
});
