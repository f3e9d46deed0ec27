import type { AnalyzerContext } from '../findings/registry.js';
import { numericSetting, settings, type TableStats } from './sources.js';

/**
 * Autovacuum's own trigger points for one table, as PostgreSQL computes them (autovacuum.c,
 * relation_needs_vacanalyze): threshold + scale_factor × reltuples, with the table's reloptions overriding the
 * global settings. Checks compare dead tuples and modifications to these, not to a fixed number, so a table
 * tuned with `autovacuum_vacuum_scale_factor = 0.01` is judged by its own setting.
 */
export interface AutovacuumThresholds {
  enabled: boolean;
  vacuumThreshold: number;
  vacuumScaleFactor: number;
  analyzeThreshold: number;
  analyzeScaleFactor: number;
  /** Dead tuples at which autovacuum vacuums the table. */
  vacuumTrigger: number;
  /** Modifications since analyze at which autovacuum analyzes it. */
  analyzeTrigger: number;
  /** Which values came from the table's reloptions. */
  fromReloptions: string[];
}

/** Global autovacuum settings (read once per run). */
export interface AutovacuumSettings {
  autovacuum: boolean;
  vacuumThreshold: number;
  vacuumScaleFactor: number;
  analyzeThreshold: number;
  analyzeScaleFactor: number;
  freezeMaxAge: number;
  multixactFreezeMaxAge: number;
}

/** Reads the global autovacuum settings. */
export async function autovacuumSettings(ctx: AnalyzerContext): Promise<AutovacuumSettings> {
  return {
    autovacuum: ((await settings(ctx)).get('autovacuum')?.setting ?? 'on') === 'on',
    vacuumThreshold: await numericSetting(ctx, 'autovacuum_vacuum_threshold', 50),
    vacuumScaleFactor: await numericSetting(ctx, 'autovacuum_vacuum_scale_factor', 0.2),
    analyzeThreshold: await numericSetting(ctx, 'autovacuum_analyze_threshold', 50),
    analyzeScaleFactor: await numericSetting(ctx, 'autovacuum_analyze_scale_factor', 0.1),
    freezeMaxAge: await numericSetting(ctx, 'autovacuum_freeze_max_age', 200_000_000),
    multixactFreezeMaxAge: await numericSetting(ctx, 'autovacuum_multixact_freeze_max_age', 400_000_000),
  };
}

/** The table's thresholds, reloptions first. */
export function tableThresholds(t: TableStats, g: AutovacuumSettings): AutovacuumThresholds {
  const from: string[] = [];
  const opt = (name: string, fallback: number): number => {
    const raw = t.reloptions[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n)) return fallback;
    from.push(name);
    return n;
  };
  const enabledOpt = t.reloptions.autovacuum_enabled;
  const enabled =
    g.autovacuum && !(enabledOpt !== undefined && ['false', 'off', '0', 'no'].includes(enabledOpt.toLowerCase()));
  const vacuumThreshold = opt('autovacuum_vacuum_threshold', g.vacuumThreshold);
  const vacuumScaleFactor = opt('autovacuum_vacuum_scale_factor', g.vacuumScaleFactor);
  const analyzeThreshold = opt('autovacuum_analyze_threshold', g.analyzeThreshold);
  const analyzeScaleFactor = opt('autovacuum_analyze_scale_factor', g.analyzeScaleFactor);
  // reltuples is -1 for a table never vacuumed or analyzed; autovacuum then uses 0.
  const tuples = Math.max(0, t.reltuples ?? 0);
  return {
    enabled,
    vacuumThreshold,
    vacuumScaleFactor,
    analyzeThreshold,
    analyzeScaleFactor,
    vacuumTrigger: vacuumThreshold + vacuumScaleFactor * tuples,
    analyzeTrigger: analyzeThreshold + analyzeScaleFactor * tuples,
    fromReloptions: from,
  };
}
