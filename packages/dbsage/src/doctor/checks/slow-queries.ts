import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb, maxSeverity } from '../severity.js';
import { clip, statements } from '../sources.js';
import { oneLine, percent, round } from '../units.js';

/**
 * `slow-queries`: statements whose mean execution time is high, ranked by their share of all execution time,
 * so a 2 s report query run twice a day ranks below a 150 ms query run a million times.
 */
export const slowQueries = defineCheck({
  id: 'slow-queries',
  category: 'query',
  description: 'Statements with a high mean execution time (pg_stat_statements), with their share of total time',
  needs: ['client', 'pg_stat_statements'],
  options: {
    minMeanMillis: {
      type: 'number',
      default: 100,
      min: 0,
      description: 'mean execution time that makes a statement slow (ms)',
    },
    minCalls: { type: 'number', default: 10, min: 0, description: 'ignore statements called fewer times' },
    mediumSharePercent: {
      type: 'number',
      default: 5,
      min: 0,
      description: 'share of total execution time from which severity is medium',
    },
    highSharePercent: {
      type: 'number',
      default: 25,
      min: 0,
      description: 'share of total execution time from which severity is high',
    },
    maxFindings: { type: 'number', default: 20, min: 1, description: 'report at most this many statements' },
  },
  limitations: [{ without: 'read_all_stats', effect: "other users' statement text is hidden" }],
  async run(ctx, o) {
    const all = await statements(ctx);
    const total = all.reduce((s, x) => s + x.totalExecMillis, 0);
    return all
      .filter((s) => s.calls >= o.minCalls && s.calls > 0 && s.totalExecMillis / s.calls >= o.minMeanMillis)
      .sort((a, b) => b.totalExecMillis - a.totalExecMillis)
      .slice(0, o.maxFindings)
      .map((s) => {
        const mean = s.totalExecMillis / s.calls;
        const share = percent(s.totalExecMillis, total);
        const severity =
          maxSeverity(
            climb(share, { low: 0, medium: o.mediumSharePercent, high: o.highSharePercent }),
            climb(mean / Math.max(o.minMeanMillis, 1e-9), { medium: 10 }),
          ) ?? 'low';
        const blocks = s.sharedBlksHit + s.sharedBlksRead;
        return makeFinding({
          ruleId: 'slow-queries',
          category: 'query',
          severity,
          title: `Slow statement (${round(mean)} ms mean, ${s.calls} calls, ${share}% of time): ${oneLine(s.query)}`,
          summary:
            'This statement is slow on average and its share of total execution time shows what tuning it would save. Inspect its plan with EXPLAIN (ANALYZE, BUFFERS) on representative parameters.',
          evidence: {
            queryId: s.queryId,
            user: s.user,
            query: clip(s.query),
            calls: s.calls,
            meanMillis: round(mean, 2),
            totalMillis: round(s.totalExecMillis),
            sharePercentOfTotalTime: share,
            rowsPerCall: round(s.rows / s.calls, 2),
            cacheHitPercent: blocks ? percent(s.sharedBlksHit, blocks) : null,
            tempBlocksWritten: s.tempBlksWritten,
            thresholdMeanMillis: o.minMeanMillis,
          },
          remediation: {
            steps: [
              'Run EXPLAIN (ANALYZE, BUFFERS) on the statement with representative parameters.',
              'Look for sequential scans on large tables, row-estimate errors and sorts spilling to disk; `dbsage indexes` can propose and prove an index.',
            ],
          },
          object: `statement ${s.queryId}`,
          identity: [s.queryId, s.user ?? ''],
        });
      });
  },
});
