import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgres, type TestPostgres } from '../../../../../test/support/postgres.js';
import { readCatalog } from '../../../src/catalog/introspect.js';
import type { Catalog } from '../../../src/catalog/types.js';
import { buildDemoDatabase } from '../../../src/demo/build.js';
import { demoWorkload } from '../../../src/demo/workload.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import type { Finding } from '../../../src/findings/finding.js';
import { instrument, type RuntimeNPlusOne } from '../../../src/instrument.js';
import {
  findNPlusOneFromStatements,
  findNPlusOneInStreams,
  statsFromWorkload,
  streamsFromLogSessions,
} from '../../../src/query/n-plus-one/find-n-plus-one.js';
import { fingerprintSql, loadParser } from '../../../src/sql/parser.js';
import { loadLogSessions } from '../../../src/workload/log.js';
import { readPgStatStatements } from '../../../src/workload/pg-stat-statements.js';
import { runCli } from '../../support/cli.js';

/**
 * The acceptance test of N+1 detection: the demo's loop (users, then teams per user) run for real through an
 * instrumented pool on PostgreSQL 15 that logs every statement, found by the three sources, and the generated
 * rewrites run on the same data with the same results as the loop.
 */

const SCALE = 1;
const [PARENT, CHILD] = (() => {
  const w = demoWorkload(SCALE);
  return [w.find((q) => q.id === 'n-plus-one-parent')!, w.find((q) => q.id === 'n-plus-one-child')!];
})();
const END = "SELECT 'dbsage-n-plus-one-end'";
/** Parent rows per loop: the demo parent's LIMIT. */
const N = Number(/LIMIT (\d+)/.exec(PARENT!.sql)![1]);

type Row = Record<string, unknown>;

/** The demo's child statement identifies a user by its number (user<k>@example.com ↔ md5('user' || k)). */
const userNumber = (row: Row) => /^user(\d+)@/.exec(String(row.email))![1]!;

/** The loop as the application runs it: the parent list, then one child query per parent row. */
async function runLoop(q: { query: (text: string, values?: unknown[]) => Promise<{ rows: Row[] }> }) {
  const parents = (await q.query(PARENT!.sql)).rows;
  const children = new Map<string, Row[]>();
  for (const p of parents) children.set(String(p.id), (await q.query(CHILD!.sql, [userNumber(p)])).rows);
  return { parents, children };
}

const normChildren = (rows: readonly Row[]) => rows.map((r) => `${String(r.team_id)}:${String(r.role)}`).sort();

describe.skipIf(!postgresAvailable())('N+1: the demo loop found by runtime, log and pg_stat_statements', () => {
  let server: TestPostgres;
  let pool: pg.Pool;
  let client: ServerClient;
  let catalog: Catalog;
  const runtime: RuntimeNPlusOne[] = [];
  let loop: Awaited<ReturnType<typeof runLoop>>;
  let runtimeFindings: Finding[];
  let logPath: string;

  beforeAll(async () => {
    await loadParser();
    server = await startPostgres({
      log_min_duration_statement: '0',
      log_line_prefix: "'%m [%p] %q%u@%d/%a '",
      log_min_messages: 'warning',
    });
    logPath = server.logFile;
    const admin = new pg.Client({ connectionString: server.adminUrl });
    await admin.connect();
    await admin.query('SET log_min_duration_statement = -1');
    await admin.query('CREATE EXTENSION pg_stat_statements');
    await buildDemoDatabase((sql) => admin.query(sql), SCALE);
    // Some parents without children, so the comparison covers the LEFT JOIN's empty side too.
    await admin.query(
      `DELETE FROM user_teams WHERE user_id IN (SELECT id FROM users ORDER BY created_at DESC LIMIT ${N} OFFSET ${N - 5})`,
    );
    await admin.query('SELECT pg_stat_statements_reset()');
    await admin.end();
    client = await ServerClient.connect({ connectionString: server.adminUrl });
    catalog = await client.transaction((tx) => readCatalog(tx, { stats: false }));
    pool = new pg.Pool({ connectionString: server.adminUrl, max: 4, application_name: 'demo-app' });
    const inst = instrument(pool, { onNPlusOne: (hit) => runtime.push(hit) });
    loop = await inst.runInRequest(() => runLoop(pool), { name: 'GET /users' });
    runtimeFindings = await inst.findings({ client, catalog });
    inst.restore();
    await pool.query(END);
  }, 300_000);

  afterAll(async () => {
    await pool?.end();
    await client?.close();
    await server?.stop();
  });

  function expectDemoNPlusOne(f: Finding | undefined, source: string) {
    expect(f, source).toBeDefined();
    expect(f!.ruleId).toBe('n-plus-one');
    expect(f!.evidence.source).toBe(source);
    expect(f!.evidence.link).toEqual({
      kind: 'one-to-many',
      child: 'user_teams.user_id',
      parent: 'users.id',
      evidence: 'foreign-key',
      constraint: 'user_teams_user_id_fkey',
    });
    expect(f!.evidence.rewrite).toBe('json-agg');
    expect(f!.evidence.rewriteCheck).toMatchObject({ parses: true, plans: true, error: null });
    expect(f!.remediation?.sql).toMatch(/LEFT JOIN user_teams AS ut ON ut\.user_id = p\.id/);
    expect(f!.remediation?.sql).toMatch(/json_agg\(.*\) FILTER \(WHERE ut\.user_id IS NOT NULL\)/);
  }

  it('runtime: instrument(pool) reports the loop at request end (a child per parent row, ≥ 50 ms)', () => {
    expect(loop.parents).toHaveLength(N);
    expect(runtime).toHaveLength(1);
    expect(runtime[0]).toMatchObject({
      request: 'GET /users',
      parentQuery: PARENT!.sql,
      childQuery: CHILD!.sql,
      count: N,
    });
    expect(runtime[0]!.totalMillis!).toBeGreaterThanOrEqual(50);
    expect(runtimeFindings).toHaveLength(1);
    expectDemoNPlusOne(runtimeFindings[0], 'runtime');
    expect(runtimeFindings[0]!.evidence).toMatchObject({ childCalls: N, seenIn: 'GET /users' });
  });

  it('pg_stat_statements: the child calls match the parent rows and the child filters the FK to users', async () => {
    const workload = await readPgStatStatements(client);
    const findings = await findNPlusOneFromStatements(statsFromWorkload(workload), { client, catalog });
    const f = findings.find((x) => x.fingerprint === runtimeFindings[0]!.fingerprint);
    expectDemoNPlusOne(f, 'pg_stat_statements');
    expect(f!.evidence).toMatchObject({ childCalls: N, parentCalls: 1, parentRows: N, callsPerParentRow: 1 });
    // pg_stat_statements normalised the LIMIT constant into a parameter: the rewrite keeps it as $1.
    expect(f!.remediation?.sql).toMatch(/LIMIT \$1/);
    expect(findings).toHaveLength(1);
  });

  it('log: the per-session statement stream carries the same loop', async () => {
    for (let i = 0; i < 100 && !(existsSync(logPath) && readFileSync(logPath, 'utf8').includes(END)); i++)
      await new Promise((r) => setTimeout(r, 50));
    const { sessions } = await loadLogSessions(logPath);
    const findings = await findNPlusOneInStreams(streamsFromLogSessions(sessions), 'log', { client, catalog });
    expect(findings).toHaveLength(1);
    expectDemoNPlusOne(findings[0], 'log');
    expect(findings[0]!.evidence.childCalls).toBe(N);
    expect(findings[0]!.evidence.childTotalMillis as number).toBeGreaterThanOrEqual(50);
    expect(findings[0]!.fingerprint).toBe(runtimeFindings[0]!.fingerprint);
  });

  it('the json_agg rewrite returns the same parents in the same order with the same children as the loop', async () => {
    const sql = runtimeFindings[0]!.remediation!.sql!;
    const { rows } = await pool.query(sql);
    expect(rows.map((r) => [r.id, r.email, r.name])).toEqual(loop.parents.map((p) => [p.id, p.email, p.name]));
    let withChildren = 0;
    for (const r of rows) {
      const expected = normChildren(loop.children.get(String(r.id))!);
      expect(normChildren(r.user_teams as Row[])).toEqual(expected);
      if (expected.length > 0) withChildren++;
    }
    // The data has parents with and without children: both cases are compared.
    expect(withChildren).toBeGreaterThan(0);
    expect(withChildren).toBeLessThan(rows.length);
    // The pg_stat_statements form ($1 for the LIMIT) gives the same rows with the original constant.
    const workload = await readPgStatStatements(client);
    const [pgss] = await findNPlusOneFromStatements(statsFromWorkload(workload), { client, catalog });
    expect((await pool.query(pgss!.remediation!.sql!, [N])).rows).toEqual(rows);
  });

  it('the = ANY batching rewrite returns the same children per parent in one query', async () => {
    const batch = runtime[0]!;
    expect(batch.rewrite?.kind).toBe('json-agg');
    const steps = runtimeFindings[0]!.remediation!.steps!.join('\n');
    const batchSql = /Or keep two queries and batch the child[^\n]*\n([\s\S]*)/
      .exec(steps)![1]!
      .split('\nNo single-query')[0]!;
    expect(batchSql).toContain('= ANY (ARRAY(SELECT');
    const { rows } = await pool.query(batchSql, [loop.parents.map(userNumber)]);
    for (const p of loop.parents) {
      const mine = rows.filter((r) => r.user_id === p.id);
      expect(normChildren(mine)).toEqual(normChildren(loop.children.get(String(p.id))!));
    }
  });

  /** Runs a loop through an instrumented pool, returns the runtime finding and the loop's results. */
  async function loopAndFinding(parentSql: string, childSql: string, param: (p: Row) => unknown) {
    const p2 = new pg.Pool({ connectionString: server.adminUrl, max: 2 });
    const inst = instrument(p2, { nPlusOne: { minTotalMillis: 0 } });
    try {
      const result = await inst.runInRequest(async () => {
        const parents = (await p2.query(parentSql)).rows;
        const children: Row[][] = [];
        for (const p of parents) children.push((await p2.query(childSql, [param(p)])).rows);
        return { parents, children };
      });
      const [finding] = await inst.findings({ client, catalog });
      return { ...result, finding: finding!, run: (sql: string) => p2.query(sql).then((r) => r.rows) };
    } finally {
      inst.restore();
      setTimeout(() => void p2.end(), 100);
    }
  }

  it('to-one (orders → their user): a JOIN rewrite with the same rows as the loop', async () => {
    const { parents, children, finding, run } = await loopAndFinding(
      'SELECT id, user_id, total FROM orders ORDER BY id LIMIT 30',
      'SELECT email, name FROM users WHERE id = $1',
      (p) => p.user_id,
    );
    expect(finding.evidence.link).toMatchObject({
      kind: 'to-one',
      child: 'users.id',
      parent: 'orders.user_id',
      evidence: 'foreign-key',
    });
    expect(finding.evidence.rewrite).toBe('join');
    expect(finding.evidence.rewriteCheck).toMatchObject({ parses: true, plans: true });
    // orders.user_id is NOT NULL and references users: every order has its user, so an inner JOIN keeps them all.
    expect(finding.remediation!.sql).toMatch(/\nJOIN users ON users\.id = p\.user_id/);
    const rows = await run(finding.remediation!.sql!);
    expect(rows.map((r) => [r.id, r.user_id, r.total])).toEqual(parents.map((p) => [p.id, p.user_id, p.total]));
    expect(rows.map((r) => [r.users_email, r.users_name])).toEqual(children.map((c) => [c[0]!.email, c[0]!.name]));
  });

  it('per-parent LIMIT (3 latest comments per post): a LEFT JOIN LATERAL rewrite with the same rows as the loop', async () => {
    const { parents, children, finding, run } = await loopAndFinding(
      'SELECT id, title FROM posts WHERE id <= 40 ORDER BY title, id',
      'SELECT id, body FROM comments WHERE post_id = $1 ORDER BY created_at DESC, id DESC LIMIT 3',
      (p) => p.id,
    );
    expect(finding.evidence.link).toMatchObject({ kind: 'one-to-many', child: 'comments.post_id', parent: 'posts.id' });
    expect(finding.evidence.rewrite).toBe('lateral');
    expect(finding.evidence.rewriteCheck).toMatchObject({ parses: true, plans: true });
    const rows = await run(finding.remediation!.sql!);
    const expected = parents.flatMap((p, i) =>
      children[i]!.length ? children[i]!.map((c) => [p.id, p.title, c.id, c.body]) : [[p.id, p.title, null, null]],
    );
    expect(rows.map((r) => [r.id, r.title, r.comments_id, r.comments_body])).toEqual(expected);
    expect(expected.length).toBeGreaterThan(parents.length);
    expect(children.some((c) => c.length === 0)).toBe(true);
  });

  it('no N+1 for a request that loads parents and children in two queries', async () => {
    const hits: RuntimeNPlusOne[] = [];
    const p2 = new pg.Pool({ connectionString: server.adminUrl, max: 2 });
    const inst = instrument(p2, { onNPlusOne: (h) => hits.push(h) });
    try {
      await inst.runInRequest(async () => {
        const parents = (await p2.query(PARENT!.sql)).rows;
        await p2.query('SELECT user_id, team_id, role FROM user_teams WHERE user_id = ANY($1::uuid[])', [
          parents.map((p) => p.id),
        ]);
        for (let i = 0; i < 4; i++) await p2.query('SELECT 1');
      });
      expect(hits).toEqual([]);
      expect(await inst.findings()).toEqual([]);
    } finally {
      inst.restore();
      await p2.end();
    }
  });

  it('dbsage n-plus-one: from pg_stat_statements and from the log, JSON findings', async () => {
    const pgss = await runCli(['n-plus-one', server.adminUrl, '--format', 'json']);
    expect(pgss.code).toBe(0);
    const a = JSON.parse(pgss.stdout) as Finding[];
    expect(a.map((f) => [f.ruleId, f.evidence.source, f.fingerprint])).toContainEqual([
      'n-plus-one',
      'pg_stat_statements',
      runtimeFindings[0]!.fingerprint,
    ]);
    const log = await runCli(['n-plus-one', server.adminUrl, '--log', logPath, '--format', 'json']);
    expect(log.code).toBe(0);
    const b = JSON.parse(log.stdout) as Finding[];
    expect(b.filter((f) => f.fingerprint === runtimeFindings[0]!.fingerprint).map((f) => f.evidence.source)).toEqual([
      'log',
    ]);
  });

  it('demo statement fingerprints are the ones the finding names', () => {
    expect(runtimeFindings[0]!.fingerprint).toMatch(/^n-plus-one:[0-9a-f]{16}$/);
    expect(fingerprintSql(CHILD!.sql)).toBe(fingerprintSql(String(runtimeFindings[0]!.evidence.childQuery)));
  });
});
