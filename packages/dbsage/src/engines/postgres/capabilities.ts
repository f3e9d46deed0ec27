import type { Queryable } from './client.js';

/** Extensions whose presence changes what dbsage can do. */
export const KNOWN_EXTENSIONS = [
  'pg_stat_statements',
  'hypopg',
  'pg_trgm',
  'pgstattuple',
  'btree_gin',
  'uuid-ossp',
] as const;
export type KnownExtension = (typeof KNOWN_EXTENSIONS)[number];

/** What the connected database offers. Detected once, up front, read-only. */
export interface Capabilities {
  /** `server_version_num`, e.g. 150004. */
  serverVersionNum: number;
  /** Major version, e.g. 15. */
  majorVersion: number;
  serverVersion: string;
  /** Installed (CREATE EXTENSION done) with version. */
  installedExtensions: Readonly<Record<string, string>>;
  /** Available to install on this server. */
  availableExtensions: readonly string[];
  /** Libraries in shared_preload_libraries. */
  preloadLibraries: readonly string[];
  currentUser: string;
  currentDatabase: string;
  isSuperuser: boolean;
  /** Member of pg_read_all_stats (or pg_monitor, which includes it). */
  canReadAllStats: boolean;
  isMonitor: boolean;
  /** pg_stat_statements is installed and loaded, so its view can be read. */
  hasPgStatStatements: boolean;
  hasHypopg: boolean;
  /** Settings relevant to analysis. */
  settings: Readonly<Record<string, string>>;
}

/** Settings read at detection time. */
export const CAPABILITY_SETTINGS = [
  'max_connections',
  'superuser_reserved_connections',
  'reserved_connections',
  'shared_buffers',
  'work_mem',
  'maintenance_work_mem',
  'effective_cache_size',
  'random_page_cost',
  'track_io_timing',
  'track_counts',
  'autovacuum',
  'autovacuum_freeze_max_age',
  'autovacuum_multixact_freeze_max_age',
  'autovacuum_vacuum_scale_factor',
  'autovacuum_vacuum_threshold',
  'autovacuum_analyze_scale_factor',
  'autovacuum_analyze_threshold',
  'block_size',
  'log_min_duration_statement',
  'shared_preload_libraries',
  'pg_stat_statements.track',
  'plan_cache_mode',
  'server_version',
] as const;

interface Row {
  server_version_num: string;
  current_user: string;
  current_database: string;
  is_superuser: boolean;
  read_all_stats: boolean;
  monitor: boolean;
}

/** Detects capabilities in one read-only transaction. */
export async function detectCapabilities(db: Queryable): Promise<Capabilities> {
  const base = (
    await db.query<Row>(
      `SELECT current_setting('server_version_num') AS server_version_num,
              current_user AS current_user, current_database() AS current_database,
              (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_superuser,
              pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS read_all_stats,
              pg_has_role(current_user, 'pg_monitor', 'USAGE') AS monitor`,
    )
  ).rows[0]!;
  const ext = await db.query<{ name: string; installed_version: string | null }>(
    'SELECT name, installed_version FROM pg_available_extensions ORDER BY name',
  );
  const settingsRows = await db.query<{ name: string; setting: string }>(
    'SELECT name, setting FROM pg_settings WHERE name = ANY($1)',
    [[...CAPABILITY_SETTINGS]],
  );
  const settings: Record<string, string> = {};
  for (const r of settingsRows.rows) settings[r.name] = r.setting;
  const installed: Record<string, string> = {};
  for (const r of ext.rows) if (r.installed_version) installed[r.name] = r.installed_version;
  const preload = (settings.shared_preload_libraries ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const num = Number(base.server_version_num);
  return Object.freeze({
    serverVersionNum: num,
    majorVersion: Math.floor(num / 10000),
    serverVersion: settings.server_version ?? String(num),
    installedExtensions: Object.freeze(installed),
    availableExtensions: Object.freeze(ext.rows.map((r) => r.name)),
    preloadLibraries: Object.freeze(preload),
    currentUser: base.current_user,
    currentDatabase: base.current_database,
    isSuperuser: base.is_superuser,
    canReadAllStats: base.is_superuser || base.read_all_stats || base.monitor,
    isMonitor: base.monitor,
    hasPgStatStatements: 'pg_stat_statements' in installed && preload.includes('pg_stat_statements'),
    hasHypopg: 'hypopg' in installed,
    settings: Object.freeze(settings),
  });
}
