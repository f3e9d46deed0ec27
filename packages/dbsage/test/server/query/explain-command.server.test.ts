import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import { explainStatement } from '../../../src/query/explain/run-explain.js';
import { parseJsonPlan } from '../../../src/query/plan/parse-json-plan.js';
import { parseTextPlan } from '../../../src/query/plan/parse-text-plan.js';
import { analyzePlan } from '../../../src/query/plan/plan-insights.js';
import { nodeLabel, planNodes } from '../../../src/query/plan/plan-node.js';
import { loadParser } from '../../../src/sql/parser.js';
import { runCli } from '../../support/cli.js';

describe.skipIf(!hasTestPostgres())('dbsage explain on PostgreSQL 15', () => {
  let db: TestDatabase;
  let dir: string;
  const state = async () =>
    (
      await db.admin.query<{ n: number; s: string }>(
        "SELECT count(*)::int AS n, coalesce(sum(hashtext(id::text || coalesce(note, ''))), 0)::text AS s FROM items",
      )
    ).rows[0];

  beforeAll(async () => {
    await loadParser();
    db = await createTestDatabase('explain');
    await db.admin.query(`
      CREATE TABLE items (id int PRIMARY KEY, grp int NOT NULL, note text);
      INSERT INTO items SELECT g, g % 50, 'n' || g FROM generate_series(1, 50000) g;
      CREATE TABLE audit (at timestamptz DEFAULT now(), what text);
      CREATE FUNCTION touch_items() RETURNS int LANGUAGE sql AS $$ UPDATE items SET note = 'touched' RETURNING 1 $$;
      CREATE SEQUENCE s;
      ANALYZE items;`);
    dir = mkdtempSync(join(tmpdir(), 'dbsage-explain-'));
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('refuses --analyze for writes, data-modifying CTEs and volatile functions (exit 2); the database is unchanged', async () => {
    const before = await state();
    const cases: [string, RegExp][] = [
      ['DELETE FROM items', /a DELETE statement/],
      ["UPDATE items SET note = 'x'", /an UPDATE statement/],
      ["INSERT INTO audit (what) VALUES ('x')", /an INSERT statement/],
      ['WITH d AS (DELETE FROM items RETURNING id) SELECT count(*) FROM d', /data-modifying WITH clause \(items\)/],
      ['SELECT touch_items()', /volatile function touch_items/],
      ["SELECT nextval('s')", /volatile function nextval/],
      ['SELECT * FROM items FOR UPDATE', /locks rows/],
      ['SELECT * INTO copy_of_items FROM items', /SELECT INTO creates a table/],
      ['SELECT pg_terminate_backend(1)', /pg_terminate_backend, whose effects a rollback cannot undo/],
    ];
    for (const [sql, message] of cases) {
      const r = await runCli(['explain', db.url, sql, '--analyze']);
      expect(r.code, sql).toBe(2);
      expect(r.stderr, sql).toMatch(/^dbsage: refusing to run EXPLAIN ANALYZE: /);
      expect(r.stderr, sql).toMatch(message);
      expect(r.stderr.trim().split('\n'), sql).toHaveLength(1);
    }
    expect(await state()).toEqual(before);
    expect((await db.admin.query("SELECT to_regclass('copy_of_items') AS r")).rows[0].r).toBeNull();
    expect((await db.admin.query('SELECT count(*)::int AS n FROM audit')).rows[0].n).toBe(0);
    // Even when allowed explicitly, a volatile function runs READ ONLY and is rolled back: still unchanged.
    const allowed = await runCli(['explain', db.url, 'SELECT touch_items()', '--analyze', '--allow-volatile']);
    expect(allowed.code).toBe(2);
    expect(allowed.stderr).toMatch(/read-only transaction/);
    expect(await state()).toEqual(before);
    // Plain EXPLAIN of a write only plans it: allowed, and nothing changes.
    const plain = await runCli(['explain', db.url, 'DELETE FROM items', '--format', 'json']);
    expect(plain.code).toBe(0);
    expect(await state()).toEqual(before);
  });

  it('--analyze runs a read-only statement and ranks its insights; the tree shows exclusive time', async () => {
    const r = await runCli(['explain', db.url, "SELECT * FROM items WHERE note LIKE 'n4%'", '--analyze']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^execution [\d.]+ ms/);
    expect(r.stdout).toMatch(/Seq Scan on items .* self \(\d+ %\) · rows [\dk.M]+ est [\dk.M]+/);
    expect(r.stdout).toContain('[plan-filter-waste]');
    const json = await runCli([
      'explain',
      db.url,
      'SELECT * FROM items WHERE grp = $1 AND note LIKE $2',
      '--analyze',
      '--param',
      '7',
      'n%7',
      '--format',
      'json',
    ]);
    expect(json.code).toBe(0);
    const findings = JSON.parse(json.stdout) as { ruleId: string; evidence: Record<string, unknown> }[];
    const waste = findings.find((f) => f.ruleId === 'plan-filter-waste');
    expect(waste?.evidence.rowsReturned).toBe(1000);
    expect([...(waste!.evidence.columns as string[])].sort()).toEqual(['grp', 'note']);
  });

  it('plans a parameterised statement without values as a generic plan (PREPARE on PG 15, nothing left behind)', async () => {
    const client = await ServerClient.connect({ connectionString: db.url });
    try {
      const r = await explainStatement(client, 'SELECT * FROM items WHERE id = $1 AND grp = $2');
      expect(r.mode).toBe('generic');
      expect(nodeLabel(r.plan.root)).toBe('Index Scan using items_pkey on items');
      const left = await client.query('SELECT count(*)::int AS n FROM pg_prepared_statements');
      expect(left.rows[0]!.n).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('reads saved JSON and text plans without a database, and the text plan reads like the JSON one', async () => {
    const sql = "SELECT grp, note FROM items WHERE note LIKE 'n4%' ORDER BY note DESC";
    const gucs = "SET max_parallel_workers_per_gather = 0; SET work_mem = '64kB';";
    const text = (await db.admin.query(`${gucs} EXPLAIN (ANALYZE, BUFFERS) ${sql}`)) as unknown as {
      rows: { 'QUERY PLAN': string }[];
    }[];
    const textPlan = text[2]!.rows.map((r) => r['QUERY PLAN']).join('\n');
    const json = (await db.admin.query(`${gucs} EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`)) as unknown as {
      rows: { 'QUERY PLAN': unknown }[];
    }[];
    const jsonPlan = json[2]!.rows[0]!['QUERY PLAN'];
    const a = parseTextPlan(textPlan);
    const b = parseJsonPlan(jsonPlan);
    expect(planNodes(a).map(nodeLabel)).toEqual(planNodes(b).map(nodeLabel));
    expect(planNodes(a).map((n) => [n.actual?.rows, n.actual?.loops, n.planRows, n.rowsRemovedByFilter])).toEqual(
      planNodes(b).map((n) => [n.actual?.rows, n.actual?.loops, n.planRows, n.rowsRemovedByFilter]),
    );
    // Buffers differ between two executions; the structure must not: every node has them, inclusive of children.
    for (const n of planNodes(a)) {
      expect(n.buffers, nodeLabel(n)).not.toBeNull();
      for (const c of n.children) expect(c.buffers!.sharedHit).toBeLessThanOrEqual(n.buffers!.sharedHit);
    }
    // Insights that depend on counts, not on timing, are the same whichever format the plan came in.
    const countBased = (p: ReturnType<typeof parseTextPlan>) =>
      analyzePlan(p)
        .insights.map((i) => i.ruleId)
        .filter((id) => !['plan-slow-node', 'plan-large-seq-scan', 'plan-nested-loop-loops'].includes(id))
        .sort();
    expect(countBased(a)).toEqual(['plan-disk-sort', 'plan-filter-waste']);
    expect(countBased(b)).toEqual(countBased(a));
    writeFileSync(join(dir, 'plan.txt'), `                QUERY PLAN\n------------------\n${textPlan}\n(12 rows)\n`);
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(jsonPlan));
    for (const f of ['plan.txt', 'plan.json']) {
      const r = await runCli(['explain', f, '--format', 'json'], {
        cwd: dir,
        env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:9/x' },
      });
      expect(r.code, f).toBe(0);
      expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
    }
  });

  it('--compare diffs two plans: index choice, node types, cost and time', async () => {
    const sql = 'SELECT * FROM items WHERE grp = 3';
    const before = await runCli(['explain', db.url, sql, '--analyze', '--save', 'before.json', '--quiet'], {
      cwd: dir,
    });
    expect(before.code).toBe(0);
    await db.admin.query('CREATE INDEX items_grp ON items (grp); ANALYZE items');
    const r = await runCli(['explain', db.url, 'before.json', sql, '--compare', '--analyze', '--format', 'markdown'], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/index-choice +items: Seq Scan {2}⇒ {2}Bitmap Heap Scan \(bitmap of items_grp\)/);
    expect(r.stdout).toMatch(/node-types +node types: −Seq Scan; \+Bitmap Heap Scan, \+Bitmap Index Scan/);
    expect(r.stdout).toMatch(/cost +estimated cost \d+ ⇒ \d+ \(×0\.\d+\)/);
    expect(r.stdout).toMatch(/time +execution/);
    expect(JSON.parse(readFileSync(join(dir, 'before.json'), 'utf8'))[0].Plan['Node Type']).toBe('Seq Scan');
  });
});
