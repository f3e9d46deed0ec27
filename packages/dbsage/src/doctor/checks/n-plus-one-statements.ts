import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { clip, statements } from '../sources.js';
import { oneLine, percent, round } from '../units.js';

/**
 * `n-plus-one-statements`: a cheap statement returning about one row, called far more than anything else —
 * the server-side fingerprint of an N+1 loop in the application (one query per parent row).
 */
export const nPlusOneStatements = defineCheck({
  id: 'n-plus-one-statements',
  category: 'query',
  description: 'Very frequent statements returning about one row per call (N+1 query pattern hint)',
  needs: ['client', 'pg_stat_statements'],
  options: {
    minCalls: { type: 'number', default: 10_000, min: 1, description: 'calls from which a statement is considered' },
    maxRowsPerCall: {
      type: 'number',
      default: 1.5,
      min: 0,
      description: 'rows per call at or below which a statement looks like a per-row lookup',
    },
    maxMeanMillis: {
      type: 'number',
      default: 10,
      min: 0,
      description: 'only cheap statements (mean ms) are N+1 candidates',
    },
    lowCallSharePercent: {
      type: 'number',
      default: 5,
      min: 0,
      description: 'share of all calls from which it is reported (low)',
    },
    mediumCallSharePercent: {
      type: 'number',
      default: 20,
      min: 0,
      description: 'share of all calls from which severity is medium',
    },
    highCallSharePercent: {
      type: 'number',
      default: 50,
      min: 0,
      description: 'share of all calls from which severity is high',
    },
  },
  async run(ctx, o) {
    const all = await statements(ctx);
    const totalCalls = all.reduce((s, x) => s + x.calls, 0);
    const out = [];
    for (const s of all) {
      if (s.calls < o.minCalls) continue;
      const rowsPerCall = s.rows / s.calls;
      const mean = s.totalExecMillis / s.calls;
      if (rowsPerCall > o.maxRowsPerCall || mean > o.maxMeanMillis) continue;
      if (!/^\s*select/i.test(s.query)) continue;
      const share = percent(s.calls, totalCalls);
      const severity = climb(share, {
        low: o.lowCallSharePercent,
        medium: o.mediumCallSharePercent,
        high: o.highCallSharePercent,
      });
      if (!severity) continue;
      out.push(
        makeFinding({
          ruleId: 'n-plus-one-statements',
          category: 'query',
          severity,
          title: `${s.calls.toLocaleString('en-US')} calls returning ${round(rowsPerCall, 2)} rows each (${share}% of all calls): ${oneLine(s.query)}`,
          summary:
            'A cheap single-row lookup that dominates the call count usually comes from a loop in the application issuing one query per parent row. Fetching the rows in one query (IN/ANY, a join, or eager loading) removes the round trips.',
          evidence: {
            queryId: s.queryId,
            user: s.user,
            query: clip(s.query),
            calls: s.calls,
            rowsPerCall: round(rowsPerCall, 3),
            meanMillis: round(mean, 3),
            callSharePercent: share,
            totalMillis: round(s.totalExecMillis),
          },
          remediation: {
            steps: [
              'Find the code path issuing this statement in a loop (`dbsage n-plus-one` on a log or trace pinpoints it).',
              "Load the rows for all parents in one query: `WHERE id = ANY($1)`, a join, or the ORM's eager loading.",
            ],
          },
          object: `statement ${s.queryId}`,
          identity: [s.queryId, s.user ?? ''],
        }),
      );
    }
    return out;
  },
});
