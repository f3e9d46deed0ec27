import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { applyFix, planFix } from '../../../src/doctor/fix.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import { about, doctor } from './helpers.js';

describe.skipIf(!hasTestPostgres())('doctor table and vacuum checks on PostgreSQL 15', () => {
  let db: TestDatabase;
  let client: ServerClient;

  beforeAll(async () => {
    db = await createTestDatabase('doctor_tbl');
    client = await ServerClient.connect({ connectionString: db.url });
    await db.admin.query(`
      CREATE TABLE bl (id int PRIMARY KEY, v int NOT NULL, pad text NOT NULL) WITH (autovacuum_enabled = false);
      INSERT INTO bl SELECT g, g, repeat('x', 40) FROM generate_series(1, 100000) g;
      CREATE TABLE fresh (id int PRIMARY KEY, v int NOT NULL, pad text NOT NULL);
      INSERT INTO fresh SELECT g, g, repeat('x', 40) FROM generate_series(1, 100000) g;

      CREATE TABLE vl_tuned (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = false, autovacuum_vacuum_scale_factor = 0.01);
      CREATE TABLE vl_default (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = false);
      INSERT INTO vl_tuned SELECT g, g FROM generate_series(1, 10000) g;
      INSERT INTO vl_default SELECT g, g FROM generate_series(1, 10000) g;

      CREATE TABLE hu (id int PRIMARY KEY, v int NOT NULL, w int NOT NULL) WITH (fillfactor = 100, autovacuum_enabled = false);
      CREATE INDEX hu_v ON hu (v);
      INSERT INTO hu SELECT g, g, g FROM generate_series(1, 20000) g;
      CREATE TABLE hu_ok (id int PRIMARY KEY, v int NOT NULL, w int NOT NULL) WITH (fillfactor = 50, autovacuum_enabled = false);
      INSERT INTO hu_ok SELECT g, g, g FROM generate_series(1, 20000) g;

      CREATE TABLE nostats (id int PRIMARY KEY, v int, pad text);
      INSERT INTO nostats SELECT g, g, repeat('p', 50) FROM generate_series(1, 20000) g;
      CREATE TABLE st2 (id int PRIMARY KEY, v int);
      INSERT INTO st2 SELECT g, g FROM generate_series(1, 1000) g;
      CREATE TABLE nopk (a int, b text);
      CREATE TABLE nopk_u (a int NOT NULL, b text, CONSTRAINT nopk_u_a_key UNIQUE (a));
      CREATE TABLE parted (id int, d date) PARTITION BY RANGE (d);
      CREATE TABLE parted_2024 PARTITION OF parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');`);
    await db.admin.query('ANALYZE bl, fresh, vl_tuned, vl_default, hu, hu_ok, st2, nopk, nopk_u, parted');
    // A mass update with autovacuum off: half the heap becomes dead tuples.
    await db.admin.query('UPDATE bl SET v = v + 1');
    await db.admin.query('DELETE FROM vl_tuned WHERE id <= 2000');
    await db.admin.query('DELETE FROM vl_default WHERE id <= 2000');
    await db.admin.query('UPDATE hu SET v = v + 1');
    await db.admin.query('UPDATE hu_ok SET w = w + 1');
    await db.admin.query('ANALYZE bl, fresh');
    // Statistics for one column only: the table has pages, but no basis for a width estimate.
    await db.admin.query('ANALYZE nostats (id)');
    await db.admin.query('INSERT INTO st2 SELECT g, g FROM generate_series(1001, 6000) g');
    // Inserted after the analyze: never vacuumed, statistics stale.
    await db.admin.query(`CREATE TABLE st (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = false);
      INSERT INTO st SELECT g, g FROM generate_series(1, 10000) g;`);
    await db.flushStats();
  });
  afterAll(async () => {
    await client?.close();
    await db?.drop();
  });

  it('table-bloat: measured by pgstattuple_approx, and estimated from statistics; not a fresh table', async () => {
    const options = { 'table-bloat': { minBloatBytes: 1024 * 1024 } };
    const { findings, notes } = await doctor(client, ['table-bloat'], options);
    // A table whose columns have no statistics yet is not guessed at: it is named in a note.
    expect(notes.find((n) => n.startsWith('table-bloat:'))).toContain('public.nostats');
    expect(about(findings, 'table-bloat', 'public.nostats')).toEqual([]);
    const [m] = about(findings, 'table-bloat', 'public.bl');
    expect(m?.evidence.method).toBe('pgstattuple_approx');
    expect(m?.evidence.bloatPercent).toBeGreaterThan(40);
    expect(m?.evidence.deadTuplePercent).toBeGreaterThan(35);
    expect(m?.remediation?.sql).toBe('VACUUM (ANALYZE) bl;');
    expect(about(findings, 'table-bloat', 'public.fresh')).toEqual([]);

    const est = await doctor(client, ['table-bloat'], {
      'table-bloat': { minBloatBytes: 1024 * 1024, useApprox: false },
    });
    const [e] = about(est.findings, 'table-bloat', 'public.bl');
    expect(e?.evidence.method).toBe('statistics estimate');
    expect(e?.evidence.estimatedBloatPercent).toBeGreaterThan(40);
    expect(e?.evidence.estimatedBloatPercent).toBeLessThan(65);
    expect(Number(e?.evidence.pages)).toBeGreaterThan(Number(e?.evidence.expectedPages) * 1.8);
    expect(about(est.findings, 'table-bloat', 'public.fresh')).toEqual([]);
  });

  it("vacuum-lag: dead tuples against each table's own trigger, reloptions respected", async () => {
    const { findings } = await doctor(client, ['vacuum-lag']);
    const [bl] = about(findings, 'vacuum-lag', 'public.bl');
    expect(bl?.evidence.deadTuples).toBe(100000);
    expect(bl?.evidence.vacuumTrigger).toBe(50 + 0.2 * 100000);
    expect(bl?.evidence.ratioToTrigger).toBeCloseTo(100000 / 20050, 1);
    expect(bl?.evidence.autovacuumEnabled).toBe(false);
    expect(bl?.severity).toBe('low');
    const [tuned] = about(findings, 'vacuum-lag', 'public.vl_tuned');
    expect(tuned?.evidence.vacuumTrigger).toBe(50 + 0.01 * 10000);
    expect(tuned?.evidence.thresholdsFromReloptions).toEqual(['autovacuum_vacuum_scale_factor']);
    expect(tuned?.severity).toBe('medium'); // 2000 dead / 150 = 13×
    // Same dead tuples under the default scale factor stay below the trigger.
    expect(about(findings, 'vacuum-lag', 'public.vl_default')).toEqual([]);
  });

  it('stale-vacuum-analyze: a never-analyzed table with rows; not an analyzed one', async () => {
    const { findings } = await doctor(client, ['stale-vacuum-analyze']);
    const [st] = about(findings, 'stale-vacuum-analyze', 'public.st');
    expect(st?.title).toContain('never analyzed');
    expect(st?.evidence.modifiedSinceAnalyze).toBe(10000);
    expect(st?.evidence.lastAnalyze).toBeNull();
    expect(st?.remediation?.sql).toBe('VACUUM (ANALYZE) st;');
    expect(about(findings, 'stale-vacuum-analyze', 'public.fresh')).toEqual([]);
    // st2 was analyzed moments ago, then grew 6×: autovacuum gets its turn first (grace), then it is stale.
    expect(about(findings, 'stale-vacuum-analyze', 'public.st2')).toEqual([]);
    const late = await doctor(client, ['stale-vacuum-analyze'], { 'stale-vacuum-analyze': { graceSeconds: 0 } });
    const [st2] = about(late.findings, 'stale-vacuum-analyze', 'public.st2');
    expect(st2?.title).toContain('statistics stale');
    expect(st2?.evidence.modifiedSinceAnalyze).toBeGreaterThanOrEqual(5000);
    expect(st2?.evidence.analyzeTrigger).toBe(50 + 0.1 * 1000);
    expect(st2?.severity).toBe('medium'); // 5000 / 150 = 33× the trigger
    expect(st2?.remediation?.sql).toBe('ANALYZE st2;');
  });

  it('autovacuum-disabled: per table, severity by what piles up; fix re-enables and vacuums', async () => {
    const { findings } = await doctor(client, ['autovacuum-disabled']);
    const [bl] = about(findings, 'autovacuum-disabled', 'public.bl');
    expect(bl?.evidence.reloption).toBe('autovacuum_enabled=false');
    expect(bl?.evidence.deadTuplesOverTrigger).toBe(true);
    expect(bl?.severity).toBe('high');
    const [st] = about(findings, 'autovacuum-disabled', 'public.st');
    expect(st?.severity).toBe('low'); // small, nothing dead
    expect(about(findings, 'autovacuum-disabled', 'public.fresh')).toEqual([]);
    expect(findings.some((f) => f.title.includes('is off'))).toBe(false);

    const plan = await planFix(client, bl!.fingerprint);
    expect(plan.statements.map((s) => s.kind)).toEqual(['AlterTableStmt', 'VacuumStmt']);
    const results = await applyFix(client, plan);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    const row = await db.admin.query(
      "SELECT reloptions, n_dead_tup FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = 'bl'",
    );
    expect(row.rows[0].reloptions).toBeNull();
    expect(Number(row.rows[0].n_dead_tup)).toBe(0);
  });

  it('hot-update-efficiency: updates of an indexed column on full pages; not HOT-friendly updates', async () => {
    const { findings } = await doctor(client, ['hot-update-efficiency']);
    const [hu] = about(findings, 'hot-update-efficiency', 'public.hu');
    expect(hu?.evidence.updates).toBe(20000);
    expect(hu?.evidence.hotPercent).toBe(0);
    expect(hu?.evidence.fillfactor).toBe(100);
    expect(hu?.severity).toBe('medium');
    expect(hu?.remediation?.sql).toBe('ALTER TABLE hu SET (fillfactor = 90);');
    expect(about(findings, 'hot-update-efficiency', 'public.hu_ok')).toEqual([]);
  });

  it('missing-primary-key: tables and partitioned parents, with a unique NOT NULL candidate', async () => {
    const { findings } = await doctor(client, ['missing-primary-key']);
    const names = findings.map((f) => f.evidence.table).sort();
    expect(names).toEqual(['public.nopk', 'public.nopk_u', 'public.parted']);
    const [u] = about(findings, 'missing-primary-key', 'public.nopk_u');
    expect(u?.evidence.uniqueNotNullIndex).toBe('nopk_u_a_key');
    expect(u?.remediation?.sql).toBe('ALTER TABLE nopk_u ADD PRIMARY KEY USING INDEX nopk_u_a_key;');
    expect(about(findings, 'missing-primary-key', 'public.nopk')[0]?.remediation?.steps?.[0]).toContain(
      'GENERATED ALWAYS AS IDENTITY',
    );
  });
});
