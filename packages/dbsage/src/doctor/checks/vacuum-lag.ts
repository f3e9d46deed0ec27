import { qualifiedName } from '../../engines/postgres/quote.js';
import type { Finding } from '../../findings/finding.js';
import { autovacuumSettings, tableThresholds } from '../autovacuum-thresholds.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { candidateTables } from '../sources.js';
import { query } from '../state.js';
import { formatCount, formatSeconds, percent, round } from '../units.js';

/**
 * `vacuum-lag`: tables whose dead tuples are a multiple of their own autovacuum trigger (threshold +
 * scale_factor × reltuples, reloptions respected). At 1× autovacuum should start; well past it, autovacuum is
 * disabled, starved of workers, throttled by cost limits, or blocked by a held-back xmin horizon.
 */
export const vacuumLag = defineCheck({
  id: 'vacuum-lag',
  category: 'health',
  watchRefresh: 'counters',
  description: "Dead tuples and autovacuum lag per table, against each table's own autovacuum thresholds",
  options: {
    minRatio: {
      type: 'number',
      default: 2,
      min: 0,
      description: "dead tuples as a multiple of the table's vacuum trigger from which it is reported (low)",
    },
    mediumRatio: { type: 'number', default: 5, min: 0, description: 'multiple from which severity is medium' },
    highRatio: { type: 'number', default: 20, min: 0, description: 'multiple from which severity is high' },
    minDeadTuples: { type: 'number', default: 1000, min: 0, description: 'tables with fewer dead tuples are ignored' },
    maxFindings: { type: 'number', default: 30, min: 1, description: 'tables reported at most' },
  },
  tableNeed: (o) => ({ minDeadTuples: o.minDeadTuples }),
  async run(ctx, o) {
    const g = await autovacuumSettings(ctx);
    const lagging = (await candidateTables(ctx, 'vacuum-lag'))
      .filter((t) => t.relkind !== 'p' && t.nDeadTup >= o.minDeadTuples)
      .map((t) => ({ t, th: tableThresholds(t, g) }))
      .map((x) => ({ ...x, ratio: x.t.nDeadTup / Math.max(x.th.vacuumTrigger, 1) }))
      .filter((x) => x.ratio >= o.minRatio)
      .sort((a, b) => b.ratio - a.ratio)
      .slice(0, o.maxFindings);
    if (lagging.length === 0) return [];
    const running = new Set(
      (await query<{ relid: number }>(ctx, 'SELECT relid::int8 AS relid FROM pg_stat_progress_vacuum')).map((r) =>
        Number(r.relid),
      ),
    );
    const findings: Finding[] = [];
    for (const { t, th, ratio } of lagging) {
      const severity = climb(ratio, { low: o.minRatio, medium: o.mediumRatio, high: o.highRatio }) ?? 'low';
      const deadPercent = percent(t.nDeadTup, t.nDeadTup + t.nLiveTup);
      findings.push(
        makeFinding({
          ruleId: 'vacuum-lag',
          category: 'health',
          severity,
          title: `${qualifiedName(t.schema, t.name)}: ${formatCount(t.nDeadTup)} dead tuples, ${round(ratio, 1)}× its autovacuum trigger (${deadPercent}% dead)`,
          summary: th.enabled
            ? 'Autovacuum should have cleaned this table long ago and has not kept up: dead tuples bloat it and slow scans. Vacuum it now, then give autovacuum more room (workers, cost limit, a lower scale factor for this table).'
            : 'Autovacuum is disabled for this table, so nothing removes its dead tuples. Vacuum it now and re-enable autovacuum.',
          evidence: {
            table: `${t.schema}.${t.name}`,
            deadTuples: t.nDeadTup,
            liveTuples: t.nLiveTup,
            deadPercent,
            vacuumTrigger: Math.round(th.vacuumTrigger),
            ratioToTrigger: round(ratio, 2),
            vacuumThreshold: th.vacuumThreshold,
            vacuumScaleFactor: th.vacuumScaleFactor,
            thresholdsFromReloptions: th.fromReloptions,
            autovacuumEnabled: th.enabled,
            vacuumRunningNow: running.has(t.oid),
            lastAutovacuum: t.lastAutovacuum,
            lastVacuum: t.lastVacuum,
            sinceLastVacuum: t.vacuumAgeSeconds === null ? 'never' : formatSeconds(t.vacuumAgeSeconds),
          },
          remediation: {
            sql: `VACUUM (ANALYZE) ${qualifiedName(t.schema, t.name)};`,
            steps: [
              'If it comes back: check xmin-horizon (an old transaction stops vacuum from removing anything), then autovacuum_max_workers and autovacuum_vacuum_cost_limit.',
              `For a large, busy table: ALTER TABLE ${qualifiedName(t.schema, t.name)} SET (autovacuum_vacuum_scale_factor = 0.02);`,
            ],
          },
          object: `table ${t.schema}.${t.name}`,
          identity: [t.schema, t.name],
        }),
      );
    }
    return findings;
  },
});
