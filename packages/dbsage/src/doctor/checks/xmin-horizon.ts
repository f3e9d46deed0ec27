import { quoteLiteral } from '../../engines/postgres/quote.js';
import type { Finding } from '../../findings/finding.js';
import { autovacuumSettings } from '../autovacuum-thresholds.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb, maxSeverity } from '../severity.js';
import { activity, backendActionSql, clip } from '../sources.js';
import { query } from '../state.js';
import { formatCount, formatSeconds, percent, round } from '../units.js';

/** Something that holds the xmin horizon back. */
interface Holder {
  kind: 'backend' | 'replication slot' | 'prepared transaction' | 'standby feedback';
  name: string;
  age: number;
  seconds: number | null;
  details: Record<string, unknown>;
  identity: (string | number)[];
  remediation: { sql?: string; steps: string[] };
}

/**
 * `xmin-horizon`: who holds back the oldest xmin, by name. Vacuum cannot remove row versions newer than the
 * oldest snapshot or transaction any of these still needs, and cannot freeze past it: one forgotten session,
 * prepared transaction, abandoned replication slot or standby with hot_standby_feedback bloats every table and
 * eventually threatens wraparound. Severity climbs with the age (as a share of autovacuum_freeze_max_age) and
 * the duration.
 */
export const xminHorizon = defineCheck({
  id: 'xmin-horizon',
  category: 'health',
  description: 'The xmin horizon holder by name (backend, replication slot, prepared transaction, standby feedback)',
  options: {
    minAgeXids: {
      type: 'number',
      default: 1_000_000,
      min: 0,
      description: 'age (transactions) from which a holder is reported',
    },
    minSeconds: {
      type: 'number',
      default: 3600,
      min: 0,
      description: 'duration from which a holder is reported regardless of age',
    },
    mediumFreezeMaxAgePercent: {
      type: 'number',
      default: 10,
      min: 0,
      description: 'age as a % of autovacuum_freeze_max_age from which severity is medium',
    },
    highFreezeMaxAgePercent: {
      type: 'number',
      default: 50,
      min: 0,
      description: 'age as a % of autovacuum_freeze_max_age from which severity is high',
    },
    mediumSeconds: { type: 'number', default: 4 * 3600, min: 0, description: 'duration from which severity is medium' },
    highSeconds: { type: 'number', default: 24 * 3600, min: 0, description: 'duration from which severity is high' },
    maxFindings: { type: 'number', default: 5, min: 1, description: 'holders reported at most' },
  },
  limitations: [{ without: 'read_all_stats', effect: "other users' sessions and standbys show no xmin" }],
  async run(ctx, o) {
    const holders: Holder[] = [];
    const standbyPids = new Set<number>();
    const others = await query<Record<string, unknown>>(
      ctx,
      `SELECT 'replication slot' AS kind, slot_name::text AS name, slot_type || COALESCE(' ' || plugin, '') AS detail,
              database::text AS database, active, GREATEST(age(xmin), age(catalog_xmin))::int8 AS age,
              NULL::float8 AS seconds, NULL::int AS pid
         FROM pg_replication_slots WHERE xmin IS NOT NULL OR catalog_xmin IS NOT NULL
       UNION ALL
       SELECT 'prepared transaction', gid, owner::text, database::text, NULL, age(transaction)::int8,
              EXTRACT(EPOCH FROM now() - prepared)::float8, NULL
         FROM pg_prepared_xacts
       UNION ALL
       SELECT 'standby feedback', application_name, COALESCE(client_addr::text, 'local'), NULL, NULL,
              age(backend_xmin)::int8, EXTRACT(EPOCH FROM now() - backend_start)::float8, pid
         FROM pg_stat_replication WHERE backend_xmin IS NOT NULL`,
    );
    for (const r of others) {
      const kind = String(r.kind) as Holder['kind'];
      const name = String(r.name);
      const age = Number(r.age);
      const seconds = r.seconds === null ? null : Number(r.seconds);
      if (kind === 'standby feedback') standbyPids.add(Number(r.pid));
      holders.push({
        kind,
        name,
        age,
        seconds,
        details:
          kind === 'replication slot'
            ? { slot: name, type: r.detail, database: r.database, active: r.active }
            : kind === 'prepared transaction'
              ? { gid: name, owner: r.detail, database: r.database }
              : { standby: name, client: r.detail },
        identity: [kind, name],
        remediation:
          kind === 'replication slot'
            ? {
                sql: `SELECT pg_drop_replication_slot(${quoteLiteral(name)});`,
                steps: [
                  'Drop the slot only if its consumer is gone for good; an active consumer must be fixed instead.',
                ],
              }
            : kind === 'prepared transaction'
              ? {
                  sql: `ROLLBACK PREPARED ${quoteLiteral(name)};`,
                  steps: [
                    `Run it connected to database ${String(r.database)}; COMMIT PREPARED instead if the transaction manager says it committed.`,
                  ],
                }
              : {
                  steps: [
                    'A standby with hot_standby_feedback = on reports the xmin of its oldest query: find and cancel long queries on that standby.',
                    'Or bound them there with max_standby_streaming_delay / statement_timeout.',
                  ],
                },
      });
    }
    for (const b of await activity(ctx)) {
      if (b.isSelf || standbyPids.has(b.pid)) continue;
      const age = Math.max(b.xminAge ?? 0, b.xidAge ?? 0);
      if (age <= 0) continue;
      holders.push({
        kind: 'backend',
        name: `pid ${b.pid}`,
        age,
        seconds: b.xactSeconds,
        details: {
          pid: b.pid,
          user: b.user,
          database: b.database,
          application: b.application,
          client: b.clientAddr,
          backendType: b.backendType,
          state: b.state,
          transactionSeconds: b.xactSeconds === null ? null : round(b.xactSeconds),
          query: clip(b.query, 300),
        },
        identity: ['backend', b.pid, b.backendStart ?? ''],
        remediation: {
          sql: backendActionSql('terminate', b),
          steps: [
            'Terminating rolls back its transaction; find out why the application keeps a transaction open this long.',
          ],
        },
      });
    }
    const g = await autovacuumSettings(ctx);
    const findings: Finding[] = [];
    const sorted = holders.sort((a, b) => b.age - a.age);
    for (const h of sorted) {
      if (findings.length >= o.maxFindings) break;
      if (h.age < o.minAgeXids && (h.seconds ?? 0) < o.minSeconds) continue;
      const agePercent = percent(h.age, g.freezeMaxAge);
      const severity =
        maxSeverity(
          climb(agePercent, { low: 0, medium: o.mediumFreezeMaxAgePercent, high: o.highFreezeMaxAgePercent }),
          h.seconds === null ? undefined : climb(h.seconds, { low: 0, medium: o.mediumSeconds, high: o.highSeconds }),
        ) ?? 'low';
      findings.push(
        makeFinding({
          ruleId: 'xmin-horizon',
          category: 'health',
          severity,
          title: `xmin horizon held back by ${h.kind} ${h.name}: ${formatCount(h.age)} transactions old${h.seconds === null ? '' : `, ${formatSeconds(h.seconds)}`}${h === sorted[0] ? ' (oldest)' : ''}`,
          summary:
            'Vacuum cannot remove row versions newer than the oldest transaction this holder still needs, in any table, nor freeze past it. Until it goes away, dead rows accumulate everywhere and the wraparound age keeps growing.',
          evidence: {
            holderKind: h.kind,
            holder: h.name,
            xminAge: h.age,
            ageSeconds: h.seconds === null ? null : round(h.seconds),
            percentOfFreezeMaxAge: agePercent,
            autovacuum_freeze_max_age: g.freezeMaxAge,
            oldest: h === sorted[0],
            ...h.details,
          },
          remediation: h.remediation,
          object: `${h.kind} ${h.name}`,
          identity: h.identity,
        }),
      );
    }
    return findings;
  },
});
