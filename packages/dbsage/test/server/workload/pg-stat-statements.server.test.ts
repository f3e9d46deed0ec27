import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { detectCapabilities } from '../../../src/engines/postgres/capabilities.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import { CapabilityError } from '../../../src/errors.js';
import { fingerprintSql, loadParser } from '../../../src/sql/parser.js';
import { loadWorkload } from '../../../src/workload/load.js';
import { readPgStatStatements } from '../../../src/workload/pg-stat-statements.js';
import type { Workload } from '../../../src/workload/types.js';

function calls(w: Workload, sql: string): number | undefined {
  return w.statements.find((s) => s.fingerprint === fingerprintSql(sql))?.calls;
}

describe.skipIf(!hasTestPostgres())('workload from pg_stat_statements on PostgreSQL 15', () => {
  let db: TestDatabase;
  let client: ServerClient;
  beforeAll(async () => {
    await loadParser();
    db = await createTestDatabase('pgss');
    await db.admin.query('CREATE TABLE items (id int PRIMARY KEY, kind text, price int)');
    await db.admin.query("INSERT INTO items SELECT g, 'k' || (g % 5), g FROM generate_series(1, 200) g");
    for (let i = 1; i <= 7; i++) await db.admin.query('SELECT price FROM items WHERE id = $1', [i]);
    // Different constants in the simple protocol: one entry in pg_stat_statements, one fingerprint.
    for (const kind of ['k1', 'k2', 'k3']) await db.admin.query(`SELECT count(*) FROM items WHERE kind = '${kind}'`);
    // The same shape run inside a function is a nested (toplevel = false) entry of its own.
    await db.admin.query(
      'CREATE FUNCTION cheapest() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT min(price) FROM items WHERE kind = $x$k1$x$); END $$',
    );
    for (let i = 0; i < 4; i++) await db.admin.query('SELECT cheapest()');
    client = await ServerClient.connect({ connectionString: db.url });
  });
  afterAll(async () => {
    await client?.close();
    await db?.drop();
  });

  it('reads exact call counts per fingerprint with version-aware columns', async () => {
    const caps = await detectCapabilities(client);
    expect(caps.majorVersion).toBe(15);
    const w = await readPgStatStatements(client, { capabilities: caps });
    expect(w.source).toBe('pg_stat_statements');
    expect(calls(w, 'SELECT price FROM items WHERE id = $1')).toBe(7);
    expect(calls(w, "SELECT count(*) FROM items WHERE kind = 'x'")).toBe(3);
    expect(calls(w, 'SELECT cheapest()')).toBe(4);
    // PL/pgSQL runs the RETURN expression as its own statement: pg_stat_statements shows the expression text.
    expect(calls(w, '(SELECT min(price) FROM items WHERE kind = $1)')).toBe(4);
    // With track = all, CREATE EXTENSION's scripts are hundreds of nested DDL entries: none is workload.
    expect(w.statements.map((s) => s.query).sort()).toEqual([
      '(SELECT min(price) FROM items WHERE kind = $1)',
      'INSERT INTO items SELECT g, $1 || (g % $2), g FROM generate_series($3, $4) g',
      'SELECT cheapest()',
      'SELECT count(*) FROM items WHERE kind = $1',
      'SELECT price FROM items WHERE id = $1',
    ]);
    expect(w.excluded).toBeGreaterThan(100);
    const byId = w.statements.find((s) => s.query === 'SELECT price FROM items WHERE id = $1')!;
    expect(byId).toMatchObject({ rows: 7, example: null, location: null });
    expect(byId.queryId).toMatch(/^-?\d+$/);
    expect(byId.totalTimeMillis).toBeGreaterThan(0);
    expect(byId.meanTimeMillis).toBeCloseTo(byId.totalTimeMillis / 7, 9);
    // Heaviest first.
    const times = w.statements.map((s) => s.totalTimeMillis);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it("leaves out dbsage's own transaction control, SET and catalog statements", async () => {
    // The first read ran BEGIN READ ONLY; SET LOCAL …; catalog queries; the pg_stat_statements query; ROLLBACK.
    await readPgStatStatements(client);
    const w = await readPgStatStatements(client);
    const kinds = w.statements.map((s) => s.query);
    expect(kinds.some((q) => /^(BEGIN|ROLLBACK|SET )/i.test(q))).toBe(false);
    expect(kinds.some((q) => /pg_stat_statements|pg_catalog|pg_extension|pg_settings/.test(q))).toBe(false);
    const kept = await readPgStatStatements(client, { keepExcluded: true });
    expect(kept.statements.some((s) => s.query.startsWith('BEGIN READ ONLY'))).toBe(true);
    expect(kept.statements.some((s) => s.query.includes('pg_stat_statements'))).toBe(true);
  });

  it('keeps only top-level statements when asked', async () => {
    const w = await readPgStatStatements(client, { topLevelOnly: true });
    expect(calls(w, 'SELECT cheapest()')).toBe(4);
    expect(calls(w, '(SELECT min(price) FROM items WHERE kind = $1)')).toBeUndefined();
  });

  it('is what loadWorkload("pgss") returns, and names the fix when the extension is missing', async () => {
    const w = await loadWorkload('pgss', client);
    expect(calls(w, 'SELECT price FROM items WHERE id = $1')).toBe(7);
    const bare = await createTestDatabase('nopgss', []);
    const other = await ServerClient.connect({ connectionString: bare.url });
    try {
      const error = await readPgStatStatements(other).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CapabilityError);
      expect((error as Error).message).toMatch(/CREATE EXTENSION pg_stat_statements.*--workload FILE/);
    } finally {
      await other.close();
      await bare.drop();
    }
  });
});
