import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { settings } from '../sources.js';
import { query } from '../state.js';

/**
 * `pg-stat-statements-missing`: pg_stat_statements not loaded, not installed in this database, or not tracking.
 * Without it the doctor's query checks, the index advisor and every other "which statements cost the most"
 * answer have nothing to work from.
 */
export const pgStatStatementsMissing = defineCheck({
  id: 'pg-stat-statements-missing',
  category: 'config',
  watchRefresh: 'estimates',
  description: 'pg_stat_statements not loaded, not installed in this database, or not tracking',
  options: {},
  async run(ctx) {
    const s = await settings(ctx);
    const preload = (s.get('shared_preload_libraries')?.setting ?? '').split(',').map((x) => x.trim());
    const loaded = preload.includes('pg_stat_statements');
    const installed = (
      await query<{ v: string | null }>(
        ctx,
        "SELECT extversion AS v FROM pg_extension WHERE extname = 'pg_stat_statements'",
      )
    )[0]?.v;
    const track = s.get('pg_stat_statements.track')?.setting ?? null;
    const evidence = { sharedPreloadLibraries: preload.filter(Boolean), installedVersion: installed ?? null, track };
    const base = {
      ruleId: 'pg-stat-statements-missing',
      category: 'config' as const,
      object: 'cluster',
      identity: ['cluster'],
    };
    if (!loaded) {
      return [
        makeFinding({
          ...base,
          severity: 'medium',
          title: 'pg_stat_statements is not loaded (shared_preload_libraries)',
          summary:
            'Without pg_stat_statements there is no record of which statements take the time, so slow-query, N+1 and index advice checks cannot run. Loading it needs a restart; its overhead is small.',
          evidence,
          remediation: {
            sql: "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements';  -- append to any existing libraries\n-- restart PostgreSQL, then:\nCREATE EXTENSION IF NOT EXISTS pg_stat_statements;",
          },
        }),
      ];
    }
    if (!installed) {
      return [
        makeFinding({
          ...base,
          severity: 'low',
          title: 'pg_stat_statements is loaded but not installed in this database',
          summary:
            'The library collects statistics, but the view to read them does not exist in this database. CREATE EXTENSION adds it; no restart needed.',
          evidence,
          remediation: { sql: 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements;' },
          identity: ['database'],
        }),
      ];
    }
    if (track === 'none') {
      return [
        makeFinding({
          ...base,
          severity: 'low',
          title: 'pg_stat_statements.track is none: nothing is recorded',
          summary: 'The extension is installed but tracking is off, so its view stays empty.',
          evidence,
          remediation: { sql: "ALTER SYSTEM SET pg_stat_statements.track = 'top';\nSELECT pg_reload_conf();" },
          identity: ['track'],
        }),
      ];
    }
    return [];
  },
});
