import { qualifiedName } from '../../engines/postgres/quote.js';
import type { Finding } from '../../findings/finding.js';
import { autovacuumSettings, tableThresholds } from '../autovacuum-thresholds.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb, maxSeverity } from '../severity.js';
import { candidateTables } from '../sources.js';
import { formatCount, formatSeconds, round } from '../units.js';

/**
 * `stale-vacuum-analyze`: tables whose planner statistics are stale (modifications since the last analyze a
 * multiple of the table's own analyze trigger, or never analyzed at all) or that were never vacuumed despite
 * many inserts (the visibility map stays empty, so index-only scans turn into heap fetches). Stale statistics
 * are the most common cause of a plan that was good yesterday.
 */
export const staleVacuumAnalyze = defineCheck({
  id: 'stale-vacuum-analyze',
  category: 'health',
  watchRefresh: 'counters',
  description: 'Tables with stale statistics (analyze) or never vacuumed after many inserts',
  options: {
    minRatio: {
      type: 'number',
      default: 2,
      min: 0,
      description: 'modifications as a multiple of the analyze trigger from which a table is reported (low)',
    },
    mediumRatio: { type: 'number', default: 10, min: 0, description: 'multiple from which severity is medium' },
    minRows: { type: 'number', default: 1000, min: 0, description: 'tables with fewer live rows are ignored' },
    mediumRows: {
      type: 'number',
      default: 1_000_000,
      min: 0,
      description: 'a never-analyzed table from this many rows is medium',
    },
    graceSeconds: {
      type: 'number',
      default: 600,
      min: 0,
      description:
        'with autovacuum on, a table analyzed this recently is not judged (autovacuum has not had its turn yet)',
    },
    maxFindings: { type: 'number', default: 30, min: 1, description: 'tables reported at most' },
  },
  tableNeed: (o) => ({ minLiveTuples: o.minRows }),
  async run(ctx, o) {
    const g = await autovacuumSettings(ctx);
    const findings: Finding[] = [];
    const candidates = (await candidateTables(ctx, 'stale-vacuum-analyze')).filter(
      (t) => t.relkind === 'r' && t.nLiveTup >= o.minRows,
    );
    for (const t of candidates) {
      const th = tableThresholds(t, g);
      const neverAnalyzed = t.lastAnalyze === null && t.lastAutoanalyze === null;
      const neverVacuumed = t.lastVacuum === null && t.lastAutovacuum === null;
      const analyzeRatio = t.nModSinceAnalyze / Math.max(th.analyzeTrigger, 1);
      const insertTrigger = 1000 + 0.2 * Math.max(t.reltuples ?? 0, 0);
      const insertRatio = t.nInsSinceVacuum / insertTrigger;
      // Modifications counted just after an ANALYZE (pending statistics are flushed up to a second late) or a
      // burst since the last one are autovacuum's to handle at its next round; judge only once it had the time.
      const inGrace = th.enabled && t.analyzeAgeSeconds !== null && t.analyzeAgeSeconds < o.graceSeconds;
      const staleAnalyze = neverAnalyzed || (analyzeRatio >= o.minRatio && !inGrace);
      // Right after a bulk load autovacuum may simply not have come round yet: with it enabled, only a table far
      // past its insert trigger counts as never vacuumed.
      const staleVacuum = neverVacuumed && insertRatio >= (th.enabled ? o.mediumRatio : o.minRatio);
      if (!staleAnalyze && !staleVacuum) continue;
      const severity =
        maxSeverity(
          neverAnalyzed ? climb(t.nLiveTup, { low: 0, medium: o.mediumRows }) : undefined,
          climb(Math.max(staleAnalyze ? analyzeRatio : 0, staleVacuum ? insertRatio : 0), {
            low: o.minRatio,
            medium: o.mediumRatio,
          }),
        ) ?? 'low';
      const what = [
        staleAnalyze ? (neverAnalyzed ? 'never analyzed' : 'statistics stale') : null,
        staleVacuum ? 'never vacuumed' : null,
      ]
        .filter(Boolean)
        .join(', ');
      findings.push(
        makeFinding({
          ruleId: 'stale-vacuum-analyze',
          category: 'health',
          severity,
          title: `${qualifiedName(t.schema, t.name)}: ${what} (${formatCount(t.nModSinceAnalyze)} rows changed since analyze)`,
          summary:
            'The planner estimates row counts from statistics gathered by ANALYZE; with this many changes since, its estimates (and plan choices) can be far off. Vacuum also sets the visibility map that index-only scans rely on.',
          evidence: {
            table: `${t.schema}.${t.name}`,
            liveTuples: t.nLiveTup,
            modifiedSinceAnalyze: t.nModSinceAnalyze,
            analyzeTrigger: Math.round(th.analyzeTrigger),
            ratioToAnalyzeTrigger: round(analyzeRatio, 2),
            insertedSinceVacuum: t.nInsSinceVacuum,
            lastAnalyze: t.lastAnalyze,
            lastAutoanalyze: t.lastAutoanalyze,
            lastVacuum: t.lastVacuum,
            lastAutovacuum: t.lastAutovacuum,
            sinceLastAnalyze: t.analyzeAgeSeconds === null ? 'never' : formatSeconds(t.analyzeAgeSeconds),
            autovacuumEnabled: th.enabled,
            thresholdsFromReloptions: th.fromReloptions,
          },
          remediation: {
            sql: staleVacuum
              ? `VACUUM (ANALYZE) ${qualifiedName(t.schema, t.name)};`
              : `ANALYZE ${qualifiedName(t.schema, t.name)};`,
            steps: th.enabled
              ? ['If it recurs on a large table, lower its autovacuum_analyze_scale_factor.']
              : [
                  'Autovacuum is disabled for this table: re-enable it (see autovacuum-disabled) or schedule ANALYZE after bulk loads.',
                ],
          },
          object: `table ${t.schema}.${t.name}`,
          identity: [t.schema, t.name],
        }),
      );
    }
    return findings
      .sort((a, b) => Number(b.evidence.modifiedSinceAnalyze) - Number(a.evidence.modifiedSinceAnalyze))
      .slice(0, o.maxFindings);
  },
});
