import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { backendActionSql, clientBackends, clip } from '../sources.js';
import { formatSeconds, round } from '../units.js';

/**
 * `long-running-queries`: statements active for longer than a threshold. They hold snapshots (blocking vacuum
 * cleanup), locks and a connection; severity climbs with the duration as a multiple of the threshold.
 */
export const longRunningQueries = defineCheck({
  id: 'long-running-queries',
  category: 'query',
  description: 'Queries running longer than a threshold (pg_stat_activity)',
  options: {
    minSeconds: {
      type: 'number',
      default: 60,
      min: 0,
      description: 'running time from which a query is reported (low)',
    },
    mediumFactor: {
      type: 'number',
      default: 5,
      min: 1,
      description: 'multiple of minSeconds from which severity is medium',
    },
    highFactor: {
      type: 'number',
      default: 60,
      min: 1,
      description: 'multiple of minSeconds from which severity is high',
    },
  },
  limitations: [{ without: 'read_all_stats', effect: "other users' sessions show no query text or timings" }],
  async run(ctx, o) {
    const backends = await clientBackends(ctx);
    return backends
      .filter((b) => b.state === 'active' && b.querySeconds !== null && b.querySeconds >= o.minSeconds)
      .sort((a, b) => (b.querySeconds ?? 0) - (a.querySeconds ?? 0))
      .map((b) => {
        const seconds = b.querySeconds ?? 0;
        const ratio = seconds / Math.max(o.minSeconds, 1e-9);
        const severity = climb(ratio, { low: 1, medium: o.mediumFactor, high: o.highFactor }) ?? 'low';
        return makeFinding({
          ruleId: 'long-running-queries',
          category: 'query',
          severity,
          title: `Query running for ${formatSeconds(seconds)} (pid ${b.pid}, ${b.user ?? '?'}@${b.database ?? '?'})`,
          summary:
            'A long-running query holds its snapshot, locks and connection for its whole duration, which holds back vacuum cleanup and can queue DDL behind it. Cancel it if it is not expected, and set statement_timeout for the role.',
          evidence: {
            pid: b.pid,
            user: b.user,
            database: b.database,
            application: b.application,
            client: b.clientAddr,
            runningSeconds: round(seconds),
            transactionSeconds: b.xactSeconds === null ? null : round(b.xactSeconds),
            waitEvent: b.waitEventType ? `${b.waitEventType}:${b.waitEvent}` : null,
            xminAge: b.xminAge,
            query: clip(b.query),
            thresholdSeconds: o.minSeconds,
          },
          remediation: {
            sql: backendActionSql('cancel', b, " AND state = 'active'"),
            steps: [
              'Cancel the query (the SQL above re-checks that it is the same session).',
              `To bound such queries: ALTER ROLE ${b.user ?? '<role>'} SET statement_timeout = '...';`,
            ],
          },
          object: `pid ${b.pid}`,
          identity: [b.pid, b.backendStart ?? ''],
        });
      });
  },
});
