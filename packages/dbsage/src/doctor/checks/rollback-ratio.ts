import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { databaseStats } from '../sources.js';
import { percent } from '../units.js';

/**
 * `rollback-ratio`: the share of transactions that end in ROLLBACK. A high ratio means failing statements
 * (constraint violations, serialization failures, timeouts) or a driver that rolls back read-only work; either
 * way it is work thrown away. Read-only tools (dbsage included) end their transactions with ROLLBACK, so small
 * databases need a minimum transaction count before the ratio means anything.
 */
export const rollbackRatio = defineCheck({
  id: 'rollback-ratio',
  category: 'query',
  description: 'Share of transactions rolled back in this database',
  options: {
    minTransactions: {
      type: 'number',
      default: 10_000,
      min: 1,
      description: 'transactions needed before the ratio is judged',
    },
    lowPercent: {
      type: 'number',
      default: 5,
      min: 0,
      description: 'rollback share from which a finding is raised (low)',
    },
    mediumPercent: { type: 'number', default: 15, min: 0, description: 'rollback share from which severity is medium' },
    highPercent: { type: 'number', default: 40, min: 0, description: 'rollback share from which severity is high' },
  },
  async run(ctx, o) {
    const db = await databaseStats(ctx);
    const total = db.xactCommit + db.xactRollback;
    if (total < o.minTransactions) return [];
    const ratio = percent(db.xactRollback, total);
    const severity = climb(ratio, { low: o.lowPercent, medium: o.mediumPercent, high: o.highPercent });
    if (!severity) return [];
    return [
      makeFinding({
        ruleId: 'rollback-ratio',
        category: 'query',
        severity,
        title: `${ratio}% of transactions in ${db.database} roll back (${db.xactRollback} of ${total})`,
        summary:
          'Rolled-back transactions are work thrown away, usually errors the application retries or swallows. The server log (log_min_error_statement) shows which statements fail.',
        evidence: {
          database: db.database,
          commits: db.xactCommit,
          rollbacks: db.xactRollback,
          rollbackPercent: ratio,
          window: db.isWindow
            ? 'since snapshot'
            : db.statsReset
              ? `since stats reset ${db.statsReset}`
              : 'since statistics began',
        },
        remediation: {
          steps: [
            'Look for errors in the server log (log_min_error_statement = error) and in the application logs.',
            'Check whether the driver or pool issues ROLLBACK after read-only work (harmless, but it hides real failures in this ratio).',
          ],
        },
        object: `database ${db.database}`,
        identity: [db.database],
      }),
    ];
  },
});
