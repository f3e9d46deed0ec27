import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { clip, statements } from '../sources.js';
import { percent, round } from '../units.js';

/**
 * `jit-time-share`: statements spending a large share of their time compiling JIT code. JIT pays off for long
 * analytical queries; on short OLTP queries whose estimated cost crosses jit_above_cost it often costs more than
 * it saves.
 */
export const jitTimeShare = defineCheck({
  id: 'jit-time-share',
  category: 'query',
  description: 'Statements where JIT compilation takes a large share of execution time',
  needs: ['client', 'pg_stat_statements'],
  options: {
    lowSharePercent: {
      type: 'number',
      default: 10,
      min: 0,
      description: "JIT share of the statement's time from which it is reported",
    },
    mediumSharePercent: { type: 'number', default: 30, min: 0, description: 'JIT share from which severity is medium' },
    highSharePercent: { type: 'number', default: 60, min: 0, description: 'JIT share from which severity is high' },
    minJitMillis: {
      type: 'number',
      default: 1000,
      min: 0,
      description: 'total JIT time of a statement (ms) below which it is ignored',
    },
    maxFindings: { type: 'number', default: 10, min: 1, description: 'statements reported at most' },
  },
  async run(ctx, o) {
    const all = await statements(ctx);
    return all
      .filter((s) => s.jitMillis > 0 && s.jitMillis >= o.minJitMillis)
      .map((s) => ({ s, share: percent(s.jitMillis, s.totalExecMillis) }))
      .filter(({ share }) => share >= o.lowSharePercent)
      .sort((a, b) => b.s.jitMillis - a.s.jitMillis)
      .slice(0, o.maxFindings)
      .map(({ s, share }) => {
        const severity =
          climb(share, { low: o.lowSharePercent, medium: o.mediumSharePercent, high: o.highSharePercent }) ?? 'low';
        return makeFinding({
          ruleId: 'jit-time-share',
          category: 'query',
          severity,
          title: `JIT takes ${share}% of this statement's time (${round(s.jitMillis)} ms over ${s.calls} calls)`,
          summary:
            'JIT compilation is paid on every execution, and on short queries it often costs more than it saves. Raise jit_above_cost or turn jit off for this workload.',
          evidence: {
            queryId: s.queryId,
            user: s.user,
            query: clip(s.query),
            calls: s.calls,
            jitMillis: round(s.jitMillis, 2),
            executionMillis: round(s.totalExecMillis, 2),
            jitSharePercent: share,
            jitFunctions: s.jitFunctions,
          },
          remediation: {
            steps: [
              'For OLTP roles: ALTER ROLE <role> SET jit = off;',
              'Or raise the thresholds: jit_above_cost, jit_inline_above_cost, jit_optimize_above_cost.',
            ],
          },
          object: `statement ${s.queryId}`,
          identity: [s.queryId, s.user ?? ''],
        });
      });
  },
});
