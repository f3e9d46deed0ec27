import { demoDataSteps, demoRowCounts } from './data.js';
import { DEMO_SCHEMA_SQL } from './schema.js';

/** Runs one SQL text with write rights (PGlite `execWrite`, or a `pg` admin client in tests). */
export type SqlWriter = (sql: string) => Promise<unknown>;

/**
 * Creates and fills the demo database: schema, deterministic data (foreign-key triggers are skipped during the
 * bulk load with session_replication_role, as a restore would; the generator only produces valid references),
 * then ANALYZE so pg_stats has the real distributions. No VACUUM: the visibility map stays unset, as right
 * after a bulk load, and the advisor's index-only-scan reasoning does not depend on it.
 */
export async function buildDemoDatabase(
  exec: SqlWriter,
  scale: number,
  onProgress: (label: string, fraction: number) => void = () => undefined,
): Promise<Record<string, number>> {
  await exec('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await exec(DEMO_SCHEMA_SQL);
  const steps = demoDataSteps(scale);
  const counts = demoRowCounts(scale);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  let done = 0;
  await exec('SET session_replication_role = replica');
  try {
    for (const step of steps) {
      onProgress(`loading ${step.label}`, done / total);
      await exec(step.sql);
      done +=
        counts[
          step.label.replace('user_teams', 'userTeams').replace('order_items', 'orderItems') as keyof typeof counts
        ] ?? 0;
    }
  } finally {
    await exec('SET session_replication_role = origin');
  }
  onProgress('analyzing', 1);
  await exec('ANALYZE');
  return counts;
}
