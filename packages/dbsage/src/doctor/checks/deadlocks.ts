import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { databaseStats } from '../sources.js';
import { round } from '../units.js';

/**
 * `deadlocks`: deadlocks detected in this database (pg_stat_database), as a rate per day when the window is
 * known. Every deadlock aborted a transaction the application then had to retry or lost.
 */
export const deadlocks = defineCheck({
  id: 'deadlocks',
  category: 'query',
  description: 'Deadlocks in this database, as a count and a rate per day',
  options: {
    minDeadlocks: { type: 'number', default: 1, min: 1, description: 'deadlocks from which a finding is raised (low)' },
    mediumPerDay: {
      type: 'number',
      default: 10,
      min: 0,
      description: 'deadlocks per day from which severity is medium',
    },
    highPerDay: { type: 'number', default: 100, min: 0, description: 'deadlocks per day from which severity is high' },
  },
  async run(ctx, o) {
    const db = await databaseStats(ctx);
    if (db.deadlocks < o.minDeadlocks) return [];
    const days = db.windowSeconds ? db.windowSeconds / 86_400 : null;
    const perDay = days && days > 0 ? db.deadlocks / Math.max(days, 1 / 24) : null;
    const severity =
      (perDay === null ? undefined : climb(perDay, { medium: o.mediumPerDay, high: o.highPerDay })) ?? 'low';
    return [
      makeFinding({
        ruleId: 'deadlocks',
        category: 'query',
        severity,
        title: `${db.deadlocks} deadlock(s) in ${db.database}${perDay === null ? '' : ` (${round(perDay, 1)} per day)`}`,
        summary:
          'Each deadlock aborted one of the transactions involved. The server log (log_lock_waits, deadlock detail) names the statements; taking row locks in a consistent order prevents them.',
        evidence: {
          database: db.database,
          deadlocks: db.deadlocks,
          perDay: perDay === null ? null : round(perDay, 2),
          windowSeconds: db.windowSeconds === null ? null : round(db.windowSeconds),
          window: db.isWindow
            ? 'since snapshot'
            : db.statsReset
              ? `since stats reset ${db.statsReset}`
              : 'since statistics began',
          transactions: db.xactCommit + db.xactRollback,
        },
        remediation: {
          steps: [
            'Read the deadlock reports in the server log (they list both statements and the locks).',
            'Lock rows in one consistent order (e.g. ORDER BY id FOR UPDATE) and keep transactions short.',
            'SET log_lock_waits = on to see lock waits that do not end in a deadlock.',
          ],
        },
        object: `database ${db.database}`,
        identity: [db.database],
      }),
    ];
  },
});
