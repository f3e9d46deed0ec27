import { qualifiedName } from '../../engines/postgres/quote.js';
import type { Finding } from '../../findings/finding.js';
import { autovacuumSettings, tableThresholds } from '../autovacuum-thresholds.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { candidateTables, settings } from '../sources.js';
import { formatBytes, percent } from '../units.js';

/**
 * `autovacuum-disabled`: autovacuum turned off for the whole server (autovacuum = off, or track_counts = off,
 * which silently stops it), or for single tables (autovacuum_enabled = false). Only anti-wraparound vacuums
 * still run then, late and all at once. Per-table severity climbs with what is piling up: dead tuples past the
 * table's trigger, or freeze age near autovacuum_freeze_max_age.
 */
export const autovacuumDisabled = defineCheck({
  id: 'autovacuum-disabled',
  category: 'config',
  watchRefresh: 'catalog',
  description: 'Autovacuum disabled globally, through track_counts, or per table',
  options: {
    minBytes: {
      type: 'number',
      default: 1024 * 1024,
      min: 0,
      description: 'tables smaller than this (and without dead tuples) are low',
    },
    highFreezeAgePercent: {
      type: 'number',
      default: 50,
      min: 0,
      description: 'table xid age as a % of autovacuum_freeze_max_age from which severity is high',
    },
  },
  tableNeed: () => ({ withStorageOptions: true }),
  async run(ctx, o) {
    const s = await settings(ctx);
    const g = await autovacuumSettings(ctx);
    const findings: Finding[] = [];
    for (const name of ['autovacuum', 'track_counts'] as const) {
      const setting = s.get(name);
      if (setting?.setting !== 'off') continue;
      findings.push(
        makeFinding({
          ruleId: 'autovacuum-disabled',
          category: 'config',
          severity: 'high',
          title: `${name} is off: autovacuum does not run on this server`,
          summary:
            name === 'autovacuum'
              ? 'Without autovacuum, dead tuples accumulate, statistics go stale and only emergency anti-wraparound vacuums run. Turn it back on.'
              : 'track_counts = off stops the statistics autovacuum relies on, so it never triggers. Turn it back on.',
          evidence: { setting: name, value: setting.setting, source: setting.source },
          remediation: { sql: `ALTER SYSTEM SET ${name} = on;\nSELECT pg_reload_conf();` },
          object: 'cluster',
          identity: ['global', name],
        }),
      );
    }
    for (const t of await candidateTables(ctx, 'autovacuum-disabled')) {
      if (t.relkind === 'p') continue;
      const v = t.reloptions.autovacuum_enabled?.toLowerCase();
      if (v === undefined || !['false', 'off', '0', 'no'].includes(v)) continue;
      const th = tableThresholds(t, g);
      const overTrigger = t.nDeadTup >= th.vacuumTrigger;
      const freezePercent = percent(t.xidAge, g.freezeMaxAge);
      const severity =
        overTrigger || freezePercent >= o.highFreezeAgePercent
          ? 'high'
          : t.tableBytes >= o.minBytes || t.nDeadTup > 0
            ? 'medium'
            : 'low';
      findings.push(
        makeFinding({
          ruleId: 'autovacuum-disabled',
          category: 'config',
          severity,
          title: `Autovacuum is disabled on ${qualifiedName(t.schema, t.name)} (${formatBytes(t.tableBytes)}, ${t.nDeadTup} dead tuples)`,
          summary:
            'Nothing vacuums or analyzes this table automatically: dead tuples and stale statistics accumulate until someone runs VACUUM, and freezing waits for an emergency anti-wraparound vacuum.',
          evidence: {
            table: `${t.schema}.${t.name}`,
            reloption: `autovacuum_enabled=${t.reloptions.autovacuum_enabled}`,
            tableBytes: t.tableBytes,
            deadTuples: t.nDeadTup,
            vacuumTrigger: Math.round(th.vacuumTrigger),
            deadTuplesOverTrigger: overTrigger,
            xidAge: t.xidAge,
            xidAgePercentOfFreezeMaxAge: freezePercent,
            lastVacuum: t.lastVacuum,
            lastAnalyze: t.lastAnalyze,
          },
          remediation: {
            sql: `ALTER TABLE ${qualifiedName(t.schema, t.name)} RESET (autovacuum_enabled);${overTrigger ? `\nVACUUM (ANALYZE) ${qualifiedName(t.schema, t.name)};` : ''}`,
            steps: ['If it was disabled for a bulk load, re-enable it now that the load is done.'],
          },
          object: `table ${t.schema}.${t.name}`,
          identity: [t.schema, t.name],
        }),
      );
    }
    return findings;
  },
});
