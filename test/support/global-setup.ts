import type { TestProject } from 'vitest/node';
import { servicesRequired } from './ports.js';
import { postgresAvailable, startPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the run's throwaway PostgreSQL 15, or '' when unavailable (tests skip). */
    pgAdminUrl: string;
  }
}

/** Starts the server tier's PostgreSQL once per run; each test file creates its own database in it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!postgresAvailable()) {
    if (servicesRequired()) throw new Error('PostgreSQL 15 binaries are missing and DBSAGE_REQUIRE_SERVICES=1');
    console.warn('\n*** SKIPPING server-tier PostgreSQL tests: PostgreSQL 15 binaries not found ***\n');
    project.provide('pgAdminUrl', '');
    return async () => undefined;
  }
  const pg = await startPostgres();
  project.provide('pgAdminUrl', pg.adminUrl);
  return () => pg.stop();
}
