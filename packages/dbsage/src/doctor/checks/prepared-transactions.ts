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
              COALESCE(lk.locks, 0) AS locks, lk.relations
         FROM pg_prepared_xacts p
         -- A prepared transaction's locks have no pid; its transactionid lock names its virtual transaction.
         LEFT JOIN LATERAL (
           SELECT count(*) AS locks,
                  array_agg(DISTINCT l.relation::regclass::text) FILTER (WHERE l.locktype = 'relation') AS relations
             FROM pg_locks l
            WHERE l.pid IS NULL AND l.virtualtransaction = (
                    SELECT t.virtualtransaction FROM pg_locks t
                     WHERE t.locktype = 'transactionid' AND t.transactionid = p.transaction AND t.pid IS NULL LIMIT 1)
         ) lk ON true
        ORDER BY p.prepared`,
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
            lockedRelations: (r.relations as string[] | null) ?? [],
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
