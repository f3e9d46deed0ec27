import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDatabaseAt } from './postgres.js';

/** A database of its own for one test file, in the run's throwaway server. */
export interface TestDatabase {
  url: string;
  name: string;
  /** A plain `pg` client with full rights, for building conditions (not the code under test). */
  admin: pg.Client;
  /** Flushes the admin session's pending pg_stat counters so they are visible to other sessions now. */
  flushStats(): Promise<void>;
  drop(): Promise<void>;
}

/** True when the server tier has a PostgreSQL to use (else tests skip with the global setup's loud line). */
export function hasTestPostgres(): boolean {
  return inject('pgAdminUrl') !== '';
}

/** Creates a fresh database (optionally with extensions) and connects an admin client to it. */
export async function createTestDatabase(
  prefix = 't',
  extensions: readonly string[] = ['pg_stat_statements', 'hypopg', 'pg_trgm', 'pgstattuple', 'btree_gin'],
): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const name = `dbsage_${prefix}_${randomBytes(4).toString('hex')}`;
  const { url, admin } = await createDatabaseAt(adminUrl, name);
  const available = new Set(
    (await admin.query<{ name: string }>('SELECT name FROM pg_available_extensions')).rows.map((r) => r.name),
  );
  for (const ext of extensions) {
    if (available.has(ext)) await admin.query(`CREATE EXTENSION IF NOT EXISTS "${ext}"`);
    else if (process.env.DBSAGE_REQUIRE_SERVICES === '1')
      throw new Error(`extension ${ext} is not available on the test server`);
    else console.warn(`*** test database ${name}: extension ${ext} is not available (install its Debian package) ***`);
  }
  return {
    url,
    name,
    admin,
    async flushStats() {
      await admin.query('SELECT pg_stat_force_next_flush()');
      await admin.query('SELECT 1');
    },
    async drop() {
      await admin.end().catch(() => undefined);
      const s = new pg.Client({ connectionString: adminUrl });
      await s.connect();
      await s.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await s.end();
    },
  };
}
