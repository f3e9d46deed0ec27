import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { backendActionSql, clientBackends, clip } from '../sources.js';
import { formatSeconds, round } from '../units.js';

/**
 * `idle-in-transaction`: sessions that opened a transaction and went quiet. They keep locks and their snapshot
 * (so vacuum cannot clean dead rows newer than it) while doing nothing. Reported once for the database with the
 * count, the oldest, and each session over the threshold.
 */
export const idleInTransaction = defineCheck({
  id: 'idle-in-transaction',
  category: 'query',
  description: 'Sessions idle inside an open transaction (count and oldest)',
  options: {
    minSeconds: { type: 'number', default: 60, min: 0, description: 'idle time from which a session is reported' },
    mediumFactor: {
      type: 'number',
      default: 5,
      min: 1,
      description: 'oldest idle time, as a multiple of minSeconds, from which severity is medium',
    },
    highFactor: {
      type: 'number',
      default: 30,
      min: 1,
      description: 'multiple of minSeconds from which severity is high',
    },
    maxSessions: { type: 'number', default: 20, min: 1, description: 'sessions listed in the evidence' },
  },
  limitations: [{ without: 'read_all_stats', effect: "other users' sessions show no state or timings" }],
  async run(ctx, o) {
    const backends = await clientBackends(ctx);
    const idle = backends
      .filter(
        (b) =>
          (b.state === 'idle in transaction' || b.state === 'idle in transaction (aborted)') &&
          (b.stateSeconds ?? 0) >= o.minSeconds,
      )
      .sort((a, b) => (b.stateSeconds ?? 0) - (a.stateSeconds ?? 0));
    if (idle.length === 0) return [];
    const oldest = idle[0]!;
    const oldestSeconds = oldest.stateSeconds ?? 0;
    let severity =
      climb(oldestSeconds / Math.max(o.minSeconds, 1e-9), { low: 1, medium: o.mediumFactor, high: o.highFactor }) ??
      'low';
    // Holding back the xmin horizon makes it worse: dead rows pile up everywhere while it stays open.
    if (severity === 'low' && idle.some((b) => (b.xminAge ?? 0) > 0 || (b.xidAge ?? 0) > 0) && idle.length >= 5)
      severity = 'medium';
    const sessions = idle.slice(0, o.maxSessions).map((b) => ({
      pid: b.pid,
      user: b.user,
      database: b.database,
      application: b.application,
      client: b.clientAddr,
      idleSeconds: round(b.stateSeconds ?? 0),
      transactionSeconds: b.xactSeconds === null ? null : round(b.xactSeconds),
      holdsXid: b.xidAge !== null,
      xminAge: b.xminAge,
      lastQuery: clip(b.query, 300),
    }));
    return [
      makeFinding({
        ruleId: 'idle-in-transaction',
        category: 'query',
        severity,
        title: `${idle.length} session(s) idle in transaction, oldest for ${formatSeconds(oldestSeconds)} (pid ${oldest.pid})`,
        summary:
          'An open transaction that does nothing keeps its locks and snapshot, so other sessions can queue behind it and vacuum cannot remove dead rows. Fix the application path that forgets to commit, and set idle_in_transaction_session_timeout.',
        evidence: {
          count: idle.length,
          oldestSeconds: round(oldestSeconds),
          oldestPid: oldest.pid,
          sessions,
          thresholdSeconds: o.minSeconds,
        },
        remediation: {
          sql: idle
            .slice(0, o.maxSessions)
            .map((b) => backendActionSql('terminate', b, " AND state LIKE 'idle in transaction%'"))
            .join('\n'),
          steps: [
            'Terminating ends the sessions and rolls back their transactions (the SQL re-checks each session first).',
            "Prevent it: ALTER ROLE <app_role> SET idle_in_transaction_session_timeout = '5min';",
          ],
        },
        object: `database ${oldest.database ?? ''}`,
        identity: ['database'],
      }),
    ];
  },
});
