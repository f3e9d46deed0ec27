import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import { explainStatement } from '../../../src/query/explain/run-explain.js';
import { analyzePlan, type RankedInsight } from '../../../src/query/plan/plan-insights.js';
import { loadParser } from '../../../src/sql/parser.js';

/**
 * Every plan insight on a plan produced by real PostgreSQL 15 that exhibits it, plus the negative: the same
 * statement once the cause is fixed does not raise it.
 */
describe.skipIf(!hasTestPostgres())('plan insights on PostgreSQL 15 plans', () => {
  let db: TestDatabase;
  let client: ServerClient;
  const serial = { max_parallel_workers_per_gather: '0' };

  beforeAll(async () => {
    await loadParser();
    db = await createTestDatabase('planins');
    // a and b are perfectly correlated (b = a), spread over the whole table (a = g % 100).
    await db.admin.query(`
      CREATE TABLE t AS SELECT g AS id, g % 100 AS a, g % 100 AS b, md5(g::text) AS txt FROM generate_series(1, 200000) g;
      CREATE TABLE u (id int PRIMARY KEY, v text);
      INSERT INTO u SELECT g, md5(g::text) FROM generate_series(1, 200000) g;
      CREATE TABLE nv (id int, a int) WITH (autovacuum_enabled = false);
      INSERT INTO nv SELECT g, g FROM generate_series(1, 100000) g;
      CREATE INDEX nv_a ON nv (a);
      CREATE INDEX t_a ON t (a);
      ANALYZE t; ANALYZE u; ANALYZE nv;`);
    client = await ServerClient.connect({ connectionString: db.url });
  });

  afterAll(async () => {
    await client?.close();
    await db?.drop();
  });

  async function insights(sql: string, gucs: Record<string, string> = {}): Promise<RankedInsight[]> {
    const r = await explainStatement(client, sql, { analyze: true, gucs: { ...serial, ...gucs } });
    return analyzePlan(r.plan).insights;
  }
  const only = (list: RankedInsight[], id: string) => list.filter((i) => i.ruleId === id);

  it('plan-disk-sort: a sort that spills with a tiny work_mem, not with enough', async () => {
    const spilled = only(await insights('SELECT * FROM t ORDER BY txt', { work_mem: '64kB' }), 'plan-disk-sort');
    expect(spilled).toHaveLength(1);
    expect(spilled[0]!.evidence.diskKb).toBeGreaterThan(1000);
    expect(spilled[0]!.evidence.sortKey).toEqual(['txt']);
    expect(spilled[0]!.fix.sql).toMatch(/SET work_mem = '\d+MB'/);
    // The suggested work_mem really makes it an in-memory sort.
    const mb = spilled[0]!.evidence.suggestedWorkMemMb as number;
    expect(only(await insights('SELECT * FROM t ORDER BY txt', { work_mem: `${mb}MB` }), 'plan-disk-sort')).toEqual([]);
  });

  it('plan-row-misestimate: correlated columns, fixed by the extended statistics it suggests', async () => {
    const found = only(await insights('SELECT * FROM t WHERE a = 1 AND b = 1'), 'plan-row-misestimate');
    expect(found).toHaveLength(1);
    const e = found[0]!.evidence;
    expect(e.direction).toBe('under');
    expect(e.actualRows).toBe(2000);
    expect(e.factor as number).toBeGreaterThanOrEqual(10);
    expect(e.columns).toEqual(['a', 'b']);
    expect(found[0]!.fix.sql).toContain('CREATE STATISTICS');
    await db.admin.query(found[0]!.fix.sql!);
    try {
      expect(only(await insights('SELECT * FROM t WHERE a = 1 AND b = 1'), 'plan-row-misestimate')).toEqual([]);
    } finally {
      await db.admin.query('DROP STATISTICS IF EXISTS "t_a_b_stats"');
      await db.admin.query('ANALYZE t');
    }
  });

  it('plan-filter-waste: a filter-heavy sequential scan; not with an index on the column', async () => {
    const found = only(await insights("SELECT id FROM t WHERE txt LIKE 'abc%'"), 'plan-filter-waste');
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence.columns).toEqual(['txt']);
    expect(found[0]!.evidence.removedShare as number).toBeGreaterThan(0.99);
    expect(found[0]!.fix.sql).toContain('CREATE INDEX CONCURRENTLY ON t (txt)');
    expect(only(await insights('SELECT id FROM t WHERE id = 5 OR id = 6'), 'plan-filter-waste')).toHaveLength(1);
    expect(only(await insights('SELECT id FROM u WHERE id BETWEEN 5 AND 600'), 'plan-filter-waste')).toEqual([]);
  });

  it('plan-hash-batches: a hash join split into batches with a tiny work_mem', async () => {
    const sql = 'SELECT t.txt, u.v FROM t JOIN u ON u.id = t.id';
    const gucs = { enable_mergejoin: 'off', enable_nestloop: 'off' };
    const found = only(await insights(sql, { ...gucs, work_mem: '64kB' }), 'plan-hash-batches');
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence.batches as number).toBeGreaterThan(1);
    expect(only(await insights(sql, { ...gucs, work_mem: '256MB' }), 'plan-hash-batches')).toEqual([]);
  });

  it('plan-lossy-bitmap: a bitmap heap scan that goes lossy with a tiny work_mem', async () => {
    const sql = 'SELECT count(*) FROM t WHERE a < 50';
    const gucs = { enable_seqscan: 'off', enable_indexscan: 'off', enable_indexonlyscan: 'off' };
    const found = only(await insights(sql, { ...gucs, work_mem: '64kB' }), 'plan-lossy-bitmap');
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence.lossyHeapBlocks as number).toBeGreaterThan(0);
    expect(found[0]!.evidence.rowsRemovedByIndexRecheck as number).toBeGreaterThan(0);
    expect(only(await insights(sql, { ...gucs, work_mem: '64MB' }), 'plan-lossy-bitmap')).toEqual([]);
  });

  it('plan-heap-fetches: an index-only scan on a never-vacuumed table; gone after the VACUUM it suggests', async () => {
    const sql = 'SELECT a FROM nv WHERE a < 20000';
    const gucs = { enable_seqscan: 'off', enable_bitmapscan: 'off' };
    const found = only(await insights(sql, gucs), 'plan-heap-fetches');
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence.heapFetches).toBe(19999);
    expect(found[0]!.fix.sql).toBe('VACUUM (ANALYZE) nv;');
    await db.admin.query(found[0]!.fix.sql!);
    expect(only(await insights(sql, gucs), 'plan-heap-fetches')).toEqual([]);
  });

  it('plan-nested-loop-loops: a nested loop that runs its inner index scan per outer row', async () => {
    const sql = 'SELECT t.id, u.v FROM t JOIN u ON u.id = t.id WHERE t.a = 7';
    const found = only(
      await insights(sql, { enable_hashjoin: 'off', enable_mergejoin: 'off', enable_bitmapscan: 'off' }),
      'plan-nested-loop-loops',
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence.loops).toBe(2000);
    expect(String(found[0]!.evidence.inner)).toContain('u_pkey');
    expect(only(await insights(sql, { enable_nestloop: 'off' }), 'plan-nested-loop-loops')).toEqual([]);
  });

  it('plan-workers-not-launched: workers planned, none available', async () => {
    const force = {
      max_parallel_workers_per_gather: '2',
      parallel_setup_cost: '0',
      parallel_tuple_cost: '0',
      min_parallel_table_scan_size: '0',
    };
    const found = only(
      await insights('SELECT count(*) FROM t WHERE txt > $$a$$', { ...force, max_parallel_workers: '0' }),
      'plan-workers-not-launched',
    );
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence).toMatchObject({ workersPlanned: 2, workersLaunched: 0 });
    expect(
      only(
        await insights('SELECT count(*) FROM t WHERE txt > $$a$$', { ...force, max_parallel_workers: '8' }),
        'plan-workers-not-launched',
      ),
    ).toEqual([]);
  });

  it('plan-large-seq-scan: a full scan that returns everything (not filter waste)', async () => {
    const list = await insights('SELECT count(*) FROM t');
    const found = only(list, 'plan-large-seq-scan');
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence.rowsScanned).toBe(200000);
    expect(only(list, 'plan-filter-waste')).toEqual([]);
    expect(only(await insights('SELECT count(*) FROM u WHERE id < 100'), 'plan-large-seq-scan')).toEqual([]);
  });

  it('plan-poor-read-efficiency: an index scan whose rows are scattered over the table', async () => {
    const gucs = { enable_seqscan: 'off', enable_bitmapscan: 'off' };
    const found = only(await insights('SELECT id FROM t WHERE a = 3', gucs), 'plan-poor-read-efficiency');
    expect(found).toHaveLength(1);
    expect(found[0]!.evidence.rows).toBe(2000);
    expect(found[0]!.evidence.blocks as number).toBeGreaterThan(1000);
    // The same rows clustered on few pages read efficiently.
    expect(
      only(await insights('SELECT v FROM u WHERE id BETWEEN 1 AND 2000', gucs), 'plan-poor-read-efficiency'),
    ).toEqual([]);
  });

  it('plan-slow-node: the dominant node with no specific cause, exclusive of its children', async () => {
    const list = await insights('SELECT txt, count(*) FROM t GROUP BY txt', { work_mem: '512MB' });
    const slow = only(list, 'plan-slow-node');
    expect(slow.length).toBeGreaterThan(0);
    expect(slow[0]!.node.nodeType).toBe('Aggregate');
    expect(slow[0]!.evidence.exclusive as number).toBeLessThan(slow[0]!.evidence.inclusive as number);
    // Ranked by the share they could save, largest first.
    for (let i = 1; i < list.length; i++) expect(list[i - 1]!.share).toBeGreaterThanOrEqual(list[i]!.share);
  });
});
