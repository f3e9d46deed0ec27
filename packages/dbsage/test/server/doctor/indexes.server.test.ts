import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { applyFix, planFix } from '../../../src/doctor/fix.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import { about, doctor, session, until } from './helpers.js';

describe.skipIf(!hasTestPostgres())('doctor index checks on PostgreSQL 15', () => {
  let db: TestDatabase;
  let client: ServerClient;
  const indexExists = async (name: string) =>
    (await db.admin.query('SELECT 1 FROM pg_class WHERE relname = $1', [name])).rowCount === 1;

  beforeAll(async () => {
    db = await createTestDatabase('doctor_idx');
    client = await ServerClient.connect({ connectionString: db.url });
    await db.admin.query(`
      CREATE TABLE dup (id int PRIMARY KEY, a int, b int);
      INSERT INTO dup SELECT g, g % 1000, g FROM generate_series(1, 100000) g;
      CREATE INDEX dup_a1 ON dup (a);
      CREATE INDEX dup_a2 ON dup (a);
      CREATE INDEX dup_a_partial ON dup (a) WHERE b > 10;
      CREATE TABLE dupu (id int PRIMARY KEY, code text, CONSTRAINT dupu_code_key UNIQUE (code));
      INSERT INTO dupu SELECT g, 'c' || g FROM generate_series(1, 50000) g;
      CREATE INDEX dupu_code_idx ON dupu (code);
      CREATE INDEX dupu_code_pattern ON dupu (code text_pattern_ops);

      CREATE TABLE red (id int PRIMARY KEY, a int, b int, c int);
      INSERT INTO red SELECT g, g % 100, g % 7, g FROM generate_series(1, 100000) g;
      CREATE INDEX red_a ON red (a);
      CREATE INDEX red_a_b ON red (a, b);
      CREATE INDEX red_b ON red (b);
      CREATE INDEX red_a_desc ON red (a DESC);
      CREATE UNIQUE INDEX red_c_u ON red (c);
      CREATE INDEX red_c_a ON red (c, a);

      CREATE TABLE used_t (id int PRIMARY KEY, a int);
      INSERT INTO used_t SELECT g, g FROM generate_series(1, 100000) g;
      CREATE INDEX used_t_a ON used_t (a);

      CREATE TABLE inv (x int);
      INSERT INTO inv VALUES (1), (1), (2);

      CREATE TABLE mn (id int PRIMARY KEY, maybe int, always int);
      INSERT INTO mn SELECT g, CASE WHEN g % 10 = 0 THEN g END, g FROM generate_series(1, 100000) g;
      CREATE INDEX mn_maybe ON mn (maybe);
      CREATE INDEX mn_always ON mn (always);

      CREATE TABLE ib (id int PRIMARY KEY, v int NOT NULL);
      INSERT INTO ib SELECT g, g FROM generate_series(1, 100000) g;
      CREATE INDEX ib_v ON ib (v);
      DELETE FROM ib WHERE id % 10 <> 0;
      CREATE TABLE ib2 (id int PRIMARY KEY, v int NOT NULL);
      INSERT INTO ib2 SELECT g, g FROM generate_series(1, 100000) g;
      CREATE INDEX ib2_v ON ib2 (v);

      CREATE TABLE parent (id int PRIMARY KEY, k1 int, k2 int, UNIQUE (k1, k2));
      INSERT INTO parent SELECT g, g, g FROM generate_series(1, 1000) g;
      CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent, other int);
      INSERT INTO child SELECT g, g % 1000 + 1, g FROM generate_series(1, 5000) g;
      CREATE TABLE child_ok (id int PRIMARY KEY, parent_id int REFERENCES parent, k1 int, k2 int,
                             FOREIGN KEY (k1, k2) REFERENCES parent (k1, k2));
      CREATE INDEX child_ok_parent ON child_ok (parent_id, id);
      CREATE INDEX child_ok_k ON child_ok (k2, k1, id);
      CREATE TABLE child_second (id int PRIMARY KEY, parent_id int REFERENCES parent, x int);
      CREATE INDEX child_second_x_parent ON child_second (x, parent_id);

      CREATE TABLE ss (id int PRIMARY KEY, v int, pad text);
      INSERT INTO ss SELECT g, g % 1000, repeat('x', 20) FROM generate_series(1, 100000) g;`);
    await db.admin.query('VACUUM ANALYZE');
    for (let i = 0; i < 120; i++) await db.admin.query('SELECT count(*) FROM ss WHERE v = $1', [i]);
    for (let i = 0; i < 50; i++) await db.admin.query('SELECT * FROM used_t WHERE a = $1', [i]);
    for (let i = 0; i < 200; i++) await db.admin.query('SELECT * FROM ss WHERE id = $1', [i + 1]);
    await db.flushStats();
  });
  afterAll(async () => {
    await client?.close();
    await db?.drop();
  });

  it('exact-duplicate-index: exact duplicates, keeping the constraint or the older index; fix drops one concurrently', async () => {
    const { findings } = await doctor(client, ['exact-duplicate-index']);
    const dup = findings.filter((f) => f.ruleId === 'exact-duplicate-index');
    const plain = dup.find((f) => f.evidence.duplicate === 'dup_a2');
    expect(plain?.evidence.kept).toBe('dup_a1');
    expect(plain?.evidence.duplicateSizeBytes).toBeGreaterThan(100_000);
    expect(plain?.remediation?.sql).toBe('DROP INDEX CONCURRENTLY dup_a2;');
    const constraint = dup.find((f) => f.evidence.table === 'public.dupu');
    expect(constraint?.evidence.duplicate).toBe('dupu_code_idx');
    expect(constraint?.evidence.kept).toBe('dupu_code_key');
    expect(constraint?.evidence.keptConstraint).toBe('dupu_code_key');
    // Negative: another operator class and a partial index are not duplicates.
    expect(JSON.stringify(dup)).not.toContain('dupu_code_pattern');
    expect(JSON.stringify(dup)).not.toContain('dup_a_partial');
    expect(dup).toHaveLength(2);

    const plan = await planFix(client, plain!.fingerprint);
    expect(plan.statements.map((s) => s.kind)).toEqual(['DropStmt']);
    const results = await applyFix(client, plan);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await indexExists('dup_a2')).toBe(false);
    expect(await indexExists('dup_a1')).toBe(true);
  });

  it('left-prefix-index: a left prefix of another index, never a unique one, and not an exact duplicate', async () => {
    const { findings } = await doctor(client, ['left-prefix-index']);
    const red = findings.filter((f) => f.ruleId === 'left-prefix-index' && f.evidence.table === 'public.red');
    expect(red.map((f) => f.evidence.redundant)).toEqual(['red_a']);
    expect(red[0]?.evidence.coveredBy).toBe('red_a_b');
    expect(red[0]?.evidence.coveringSizeBytes).toBeGreaterThan(0);
    expect(red[0]?.remediation?.sql).toBe('DROP INDEX CONCURRENTLY red_a;');
    // Unique red_c_u, non-prefix red_b and DESC red_a_desc are never reported.
    expect(JSON.stringify(findings)).not.toMatch(/red_c_u|"redundant":"red_b"|red_a_desc"/);
  });

  it('unused-index: zero scans with size and stats age; never PK/unique, not a scanned index', async () => {
    const { findings } = await doctor(client, ['unused-index']);
    const [mnAlways] = about(findings, 'unused-index', 'public.mn_always');
    expect(mnAlways?.evidence.scans).toBe(0);
    expect(mnAlways?.evidence.sizeBytes).toBeGreaterThan(1024 * 1024);
    expect(mnAlways?.evidence.statsSince).toBe('never reset');
    expect(mnAlways?.remediation?.sql).toBe('DROP INDEX CONCURRENTLY mn_always;');
    expect(about(findings, 'unused-index', 'public.used_t_a')).toEqual([]);
    expect(findings.some((f) => String(f.evidence.index).endsWith('_pkey'))).toBe(false);
    expect(about(findings, 'unused-index', 'red_c_u')).toEqual([]);
    expect(about(findings, 'unused-index', 'dupu_code_key')).toEqual([]);
  });

  it('invalid-index: left by a failed CREATE UNIQUE INDEX CONCURRENTLY, not one being built', async () => {
    await expect(db.admin.query('CREATE UNIQUE INDEX CONCURRENTLY inv_x ON inv (x)')).rejects.toThrow(
      /could not create unique index/,
    );
    // An index being built right now: CIC waits for an older transaction, its index is INVALID meanwhile.
    const old = await session(db.url, 'doctor-old-snapshot');
    const builder = await session(db.url, 'doctor-builder');
    await old.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await old.query('SELECT count(*) FROM ib2');
    const building = builder.query('CREATE INDEX CONCURRENTLY ib2_building ON ib2 (v, id)');
    await until(
      async () => (await db.admin.query("SELECT 1 FROM pg_class WHERE relname = 'ib2_building'")).rowCount === 1,
    );
    const { findings } = await doctor(client, ['invalid-index']);
    await old.query('COMMIT');
    await building;
    await old.end();
    await builder.end();
    const inv = findings.filter((f) => f.ruleId === 'invalid-index');
    expect(inv.map((f) => f.evidence.index)).toEqual(['public.inv_x']);
    expect(inv[0]?.evidence.unique).toBe(true);
    expect(inv[0]?.severity).toBe('high');
    expect(inv[0]?.remediation?.sql).toBe('REINDEX INDEX CONCURRENTLY inv_x;');
    expect(inv[0]?.remediation?.steps?.[0]).toContain('GROUP BY x HAVING count(*) > 1');
  });

  it('mostly-null-index: suggests a partial index with the saving', async () => {
    // B-tree deduplication (13+) keeps this 100k-row index under the 1 MB default, so the size floor is lowered.
    const { findings } = await doctor(client, ['mostly-null-index'], { 'mostly-null-index': { minBytes: 0 } });
    const [f] = about(findings, 'mostly-null-index', 'public.mn_maybe');
    expect(f?.evidence.nullPercent).toBeCloseTo(90, 0);
    const size = Number(f?.evidence.sizeBytes);
    expect(f?.evidence.deduplicated).toBe(true);
    // The estimate against the real thing: build the partial index and compare sizes.
    await db.admin.query('CREATE INDEX mn_maybe_nn ON mn (maybe) WHERE maybe IS NOT NULL');
    const partial = Number((await db.admin.query("SELECT pg_relation_size('mn_maybe_nn') AS s")).rows[0].s);
    await db.admin.query('DROP INDEX mn_maybe_nn');
    const realSaving = size - partial;
    expect(Number(f?.evidence.estimatedSavingBytes)).toBeGreaterThan(realSaving * 0.75);
    expect(Number(f?.evidence.estimatedSavingBytes)).toBeLessThan(realSaving * 1.25);
    expect(f?.remediation?.sql).toContain(
      'CREATE INDEX CONCURRENTLY mn_maybe_partial ON mn (maybe) WHERE maybe IS NOT NULL;',
    );
    expect(about(findings, 'mostly-null-index', 'mn_always')).toEqual([]);
  });

  it('index-bloat: a B-tree left mostly empty by a mass delete, not a fresh one', async () => {
    const { findings } = await doctor(client, ['index-bloat'], { 'index-bloat': { minBloatBytes: 0 } });
    const [f] = about(findings, 'index-bloat', 'public.ib_v');
    expect(f?.evidence.estimatedBloatPercent).toBeGreaterThan(80);
    expect(f?.evidence.rows).toBe(10000);
    expect(Number(f?.evidence.expectedPages)).toBeLessThan(Number(f?.evidence.pages) / 5);
    expect(f?.remediation?.sql).toBe('REINDEX INDEX CONCURRENTLY ib_v;');
    expect(about(findings, 'index-bloat', 'ib2_v')).toEqual([]);
    // fix: REINDEX INDEX CONCURRENTLY (outside a transaction block), after which the index is compact again.
    const options = { 'index-bloat': { minBloatBytes: 0 } };
    const results = await applyFix(client, await planFix(client, f!.fingerprint, { options }));
    expect(results.map((r) => r.ok)).toEqual([true]);
    const sizeAfter = Number((await db.admin.query("SELECT pg_relation_size('ib_v') AS s")).rows[0].s);
    expect(sizeAfter).toBeLessThan(Number(f?.evidence.sizeBytes) / 4);
    expect(about((await doctor(client, ['index-bloat'], options)).findings, 'index-bloat', 'public.ib_v')).toEqual([]);
  });

  it('unindexed-foreign-key: FK columns not leading an index; fix creates the index concurrently', async () => {
    const { findings } = await doctor(client, ['unindexed-foreign-key']);
    const fks = findings.filter((f) => f.ruleId === 'unindexed-foreign-key');
    const child = fks.find((f) => f.evidence.table === 'public.child');
    expect(child?.evidence.columns).toEqual(['parent_id']);
    expect(child?.evidence.references).toBe('public.parent');
    expect(child?.evidence.referencingRows).toBe(5000);
    expect(child?.remediation?.sql).toBe('CREATE INDEX CONCURRENTLY child_parent_id_idx ON child (parent_id);');
    // Covered in any order by leading columns: not reported; covered only as a second column: reported.
    expect(fks.filter((f) => f.evidence.table === 'public.child_ok')).toEqual([]);
    expect(fks.find((f) => f.evidence.table === 'public.child_second')?.evidence.columns).toEqual(['parent_id']);

    const plan = await planFix(client, child!.fingerprint);
    const results = await applyFix(client, plan);
    expect(results.map((r) => r.ok)).toEqual([true]);
    const valid = await db.admin.query(
      "SELECT indisvalid FROM pg_index WHERE indexrelid = 'child_parent_id_idx'::regclass",
    );
    expect(valid.rows[0].indisvalid).toBe(true);
    const after = await doctor(client, ['unindexed-foreign-key']);
    expect(after.findings.find((f) => f.evidence.table === 'public.child')).toBeUndefined();
  });

  it('seq-scan-heavy-table: a table read by sequential scans, not one read by index', async () => {
    const { findings } = await doctor(client, ['seq-scan-heavy-table'], {
      'seq-scan-heavy-table': { minBytes: 1024 * 1024, minSeqScans: 100, minSeqScanPercent: 30 },
    });
    const [f] = about(findings, 'seq-scan-heavy-table', 'public.ss');
    expect(f?.evidence.seqScans).toBeGreaterThanOrEqual(120);
    expect(f?.evidence.indexScans).toBeGreaterThanOrEqual(200);
    expect(f?.evidence.rowsPerSeqScan).toBeGreaterThanOrEqual(90000);
    expect(about(findings, 'seq-scan-heavy-table', 'public.used_t')).toEqual([]);
  });
});
