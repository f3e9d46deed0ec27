import { qualifiedName } from '../engines/postgres/quote.js';
import type { Finding, Severity } from '../findings/finding.js';
import type { AnalyzerContext } from '../findings/registry.js';
import { autovacuumSettings } from './autovacuum-thresholds.js';
import { makeFinding } from './make-finding.js';
import { climb } from './severity.js';
import { oldestTables } from './sources.js';
import { query } from './state.js';
import { formatCount, percent, round } from './units.js';

/**
 * Shared logic of xid-wraparound and multixact-wraparound. Transaction and multixact ids are 32-bit counters
 * compared modulo 2³¹: a row frozen more than 2³¹ ids ago would appear to be in the future, so PostgreSQL stops
 * assigning ids before that. Ages are judged against that hard limit (how close to an outage) and against
 * autovacuum_freeze_max_age / autovacuum_multixact_freeze_max_age (whether anti-wraparound vacuum keeps up).
 */

/** The hard limit: 2³¹ ids. */
export const WRAPAROUND_LIMIT = 2 ** 31;

/** Options shared by both wraparound checks. */
export const WRAPAROUND_OPTIONS = {
  lowFreezeMaxAgeFactor: {
    type: 'number',
    default: 1.25,
    min: 0,
    description:
      'age as a multiple of the freeze max age from which it is reported (low): anti-wraparound vacuum is not keeping up',
  },
  mediumPercentOfLimit: {
    type: 'number',
    default: 25,
    min: 0,
    description: 'age as a % of 2^31 from which severity is medium',
  },
  highPercentOfLimit: {
    type: 'number',
    default: 50,
    min: 0,
    description: 'age as a % of 2^31 from which severity is high',
  },
  criticalPercentOfLimit: {
    type: 'number',
    default: 75,
    min: 0,
    description: 'age as a % of 2^31 from which severity is critical',
  },
  maxTables: { type: 'number', default: 10, min: 0, description: 'tables of the current database reported at most' },
} as const;

/** Resolved wraparound options. */
export interface WraparoundOptions {
  lowFreezeMaxAgeFactor: number;
  mediumPercentOfLimit: number;
  highPercentOfLimit: number;
  criticalPercentOfLimit: number;
  maxTables: number;
}

function severityOf(age: number, freezeMaxAge: number, o: WraparoundOptions): Severity | undefined {
  const pct = (age / WRAPAROUND_LIMIT) * 100;
  return (
    climb(pct, { medium: o.mediumPercentOfLimit, high: o.highPercentOfLimit, critical: o.criticalPercentOfLimit }) ??
    climb(age / Math.max(freezeMaxAge, 1), { low: o.lowFreezeMaxAgeFactor })
  );
}

/** Findings for one kind of id, per database (all of the cluster) and per table (current database). */
export async function wraparoundFindings(
  ctx: AnalyzerContext,
  kind: 'xid' | 'multixact',
  o: WraparoundOptions,
): Promise<Finding[]> {
  const ruleId = kind === 'xid' ? 'xid-wraparound' : 'multixact-wraparound';
  const g = await autovacuumSettings(ctx);
  const freezeMaxAge = kind === 'xid' ? g.freezeMaxAge : g.multixactFreezeMaxAge;
  const freezeSetting = kind === 'xid' ? 'autovacuum_freeze_max_age' : 'autovacuum_multixact_freeze_max_age';
  const idName = kind === 'xid' ? 'transaction id' : 'multixact id';
  const dbs = await query<{ datname: string; age: number; current: boolean }>(
    ctx,
    `SELECT datname, ${kind === 'xid' ? 'age(datfrozenxid)' : 'mxid_age(datminmxid)'}::int8 AS age,
            datname = current_database() AS current
       FROM pg_database ORDER BY 2 DESC`,
  );
  // No table is older than its database (datfrozenxid is the oldest relfrozenxid), so the oldest tables are read
  // only when the current database itself is old enough for a finding.
  const tables = dbs.some((d) => d.current && severityOf(Number(d.age), freezeMaxAge, o))
    ? await oldestTables(ctx, kind, Math.max(5, o.maxTables))
    : [];
  const ageOf = (t: (typeof tables)[number]) => (kind === 'xid' ? t.xidAge : t.mxidAge);
  const findings: Finding[] = [];
  for (const d of dbs) {
    const age = Number(d.age);
    const severity = severityOf(age, freezeMaxAge, o);
    if (!severity) continue;
    const oldest = d.current
      ? tables.slice(0, 5).map((t) => ({ table: `${t.schema}.${t.name}`, age: ageOf(t), tableBytes: t.tableBytes }))
      : null;
    findings.push(
      makeFinding({
        ruleId,
        category: 'health',
        severity,
        title: `Database ${d.datname}: ${idName} age ${formatCount(age)} (${percent(age, WRAPAROUND_LIMIT)}% of the wraparound limit)`,
        summary: `PostgreSQL stops assigning ${idName}s before the age reaches 2^31, which takes the database down for writes until it is vacuumed. The age is ${round(age / Math.max(freezeMaxAge, 1), 2)}× ${freezeSetting}, where anti-wraparound autovacuum should have brought it down.`,
        evidence: {
          database: d.datname,
          age,
          percentOfLimit: percent(age, WRAPAROUND_LIMIT),
          remaining: WRAPAROUND_LIMIT - age,
          [freezeSetting]: freezeMaxAge,
          multipleOfFreezeMaxAge: round(age / Math.max(freezeMaxAge, 1), 3),
          ...(oldest ? { oldestTables: oldest } : {}),
        },
        remediation: d.current
          ? {
              sql: tables
                .slice(0, 3)
                .filter(
                  (t) =>
                    ageOf(t) >= freezeMaxAge * Math.min(o.lowFreezeMaxAgeFactor, 1) || ageOf(t) === ageOf(tables[0]!),
                )
                .map((t) => `VACUUM (FREEZE, ANALYZE) ${qualifiedName(t.schema, t.name)};`)
                .join('\n'),
              steps: [
                'Check xmin-horizon first: vacuum cannot freeze past an old transaction, prepared transaction or replication slot.',
                'vacuumdb --freeze --jobs=N vacuums the whole database in parallel.',
              ],
            }
          : { steps: [`Connect to ${d.datname} and run dbsage doctor there, or vacuumdb --freeze -d ${d.datname}.`] },
        object: `database ${d.datname}`,
        identity: ['database', d.datname],
      }),
    );
  }
  for (const t of tables.slice(0, o.maxTables)) {
    const age = ageOf(t);
    const severity = severityOf(age, freezeMaxAge, o);
    if (!severity) break;
    findings.push(
      makeFinding({
        ruleId,
        category: 'health',
        severity,
        title: `${qualifiedName(t.schema, t.name)}: ${idName} age ${formatCount(age)} (${percent(age, WRAPAROUND_LIMIT)}% of the limit)`,
        summary: `This table holds the database's ${idName} age back; freezing it lets the age advance.`,
        evidence: {
          table: `${t.schema}.${t.name}`,
          age,
          percentOfLimit: percent(age, WRAPAROUND_LIMIT),
          [freezeSetting]: freezeMaxAge,
          tableBytes: t.tableBytes,
          lastVacuum: t.lastVacuum,
          lastAutovacuum: t.lastAutovacuum,
        },
        remediation: { sql: `VACUUM (FREEZE, ANALYZE) ${qualifiedName(t.schema, t.name)};` },
        object: `table ${t.schema}.${t.name}`,
        identity: ['table', t.schema, t.name],
      }),
    );
  }
  return findings;
}
