import { quoteLiteral } from '../../engines/postgres/quote.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { query } from '../state.js';
import { formatCount, formatSeconds, round } from '../units.js';

/**
 * `prepared-transactions`: two-phase transactions prepared long ago and never committed or rolled back. They
 * survive restarts, keep their locks and hold the xmin horizon back; usually a transaction manager lost track.
 */
export const preparedTransactions = defineCheck({
  id: 'prepared-transactions',
  category: 'health',
  description: 'Old prepared (two-phase) transactions',
  options: {
    minSeconds: {
      type: 'number',
      default: 300,
      min: 0,
      description: 'age from which a prepared transaction is reported (low)',
    },
    mediumSeconds: { type: 'number', default: 3600, min: 0, description: 'age from which severity is medium' },
    highSeconds: { type: 'number', default: 24 * 3600, min: 0, description: 'age from which severity is high' },
  },
  async run(ctx, o) {
    const rows = await query<Record<string, unknown>>(
      ctx,
      `SELECT p.gid, p.owner::text AS owner, p.database::text AS database, p.prepared::text AS prepared,
              EXTRACT(EPOCH FROM now() - p.prepared)::float8 AS seconds, age(p.transaction)::int8 AS xid_age,
              p.database = current_database() AS here,
              (SELECT count(*) FROM pg_locks l WHERE l.virtualtransaction = '-1/' || p.transaction::text) AS locks
         FROM pg_prepared_xacts p ORDER BY p.prepared`,
    );
    return rows
      .filter((r) => Number(r.seconds) >= o.minSeconds)
      .map((r) => {
        const gid = String(r.gid);
        const seconds = Number(r.seconds);
        const severity = climb(seconds, { low: o.minSeconds, medium: o.mediumSeconds, high: o.highSeconds }) ?? 'low';
        const here = Boolean(r.here);
        return makeFinding({
          ruleId: 'prepared-transactions',
          category: 'health',
          severity,
          title: `Prepared transaction '${gid}' in ${String(r.database)} is ${formatSeconds(seconds)} old (${formatCount(Number(r.xid_age))} transactions)`,
          summary:
            'A prepared transaction keeps its locks and holds back vacuum until someone commits or rolls it back, across restarts. Ask the transaction manager that prepared it for its outcome, then finish it.',
          evidence: {
            gid,
            owner: r.owner,
            database: r.database,
            prepared: r.prepared,
            ageSeconds: round(seconds),
            xidAge: Number(r.xid_age),
            locksHeld: Number(r.locks),
          },
          remediation: here
            ? {
                sql: `ROLLBACK PREPARED ${quoteLiteral(gid)};`,
                steps: ['COMMIT PREPARED instead if the transaction manager recorded it as committed.'],
              }
            : {
                steps: [
                  `Connect to ${String(r.database)} and run ROLLBACK PREPARED ${quoteLiteral(gid)}; (or COMMIT PREPARED).`,
                ],
              },
          object: `prepared transaction ${gid}`,
          identity: [gid],
        });
      });
  },
});
