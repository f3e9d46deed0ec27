import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import type { CliIO } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { runDoctor } from '../../../src/doctor/runner.js';
import { createDoctor, type DoctorSession } from '../../../src/doctor/session.js';
import { catalogVersion } from '../../../src/doctor/sources.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import { createAnalyzerContext } from '../../../src/findings/context.js';
import { about } from './helpers.js';

/** The checks whose inventories a session keeps between runs, and one that reads statistics only. */
const CACHED = [
  'exact-duplicate-index',
  'left-prefix-index',
  'unused-index',
  'unindexed-foreign-key',
  'missing-primary-key',
  'invalid-index',
  'vacuum-lag',
];

describe.skipIf(!hasTestPostgres())('doctor monitoring session (createDoctor) on PostgreSQL 15', () => {
  let db: TestDatabase;
  let client: ServerClient;
  let doctor: DoctorSession;
  const version = () => catalogVersion(createAnalyzerContext({ client }));
  const run = async () => {
    const r = await doctor.run();
    for (const o of r.outcomes) expect(o.status, `${o.analyzerId}: ${o.reason ?? ''}`).toBe('ok');
    return r.findings;
  };

  beforeAll(async () => {
    db = await createTestDatabase('doctor_session');
    client = await ServerClient.connect({ connectionString: db.url });
    await db.admin.query(`
      CREATE TABLE s_parent (id int PRIMARY KEY);
      INSERT INTO s_parent SELECT g FROM generate_series(1, 100) g;
      CREATE TABLE s_child (id int PRIMARY KEY, parent_id int, a int, b int);
      INSERT INTO s_child SELECT g, g % 100 + 1, g % 10, g FROM generate_series(1, 20000) g;
      CREATE INDEX s_child_a ON s_child (a);
      CREATE TABLE s_dead (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = off);
      INSERT INTO s_dead SELECT g, g FROM generate_series(1, 20000) g;
      ANALYZE;
    `);
    // Every check on every run: these tests are about the catalog cache, not the cadence (tested below).
    doctor = createDoctor({ client, only: CACHED, everyCheckEveryRun: true });
  });

  afterAll(async () => {
    await client?.close();
    await db?.drop();
  });

  it('a run with nothing changed reuses the inventories; a new duplicate, FK and prefix index show on the next run', async () => {
    const first = await run();
    expect(about(first, 'exact-duplicate-index', 's_child')).toEqual([]);
    expect(about(first, 'unindexed-foreign-key', 's_child')).toEqual([]);
    await run();
    expect(doctor.stats).toEqual({ runs: 2, catalogReads: 1, checkRuns: 2 * CACHED.length });

    await db.admin.query(`
      CREATE INDEX s_child_a_dup ON s_child (a);
      ALTER TABLE s_child ADD CONSTRAINT s_child_parent_fk FOREIGN KEY (parent_id) REFERENCES s_parent (id);
      CREATE INDEX s_child_a_b ON s_child (a, b);
    `);
    const second = await run();
    expect(doctor.stats.catalogReads).toBe(2);
    const [dup] = about(second, 'exact-duplicate-index', 's_child_a');
    expect(dup?.evidence.table).toBe('public.s_child');
    expect([dup?.evidence.duplicate, dup?.evidence.kept].sort()).toEqual(['s_child_a', 's_child_a_dup']);
    const [fk] = about(second, 'unindexed-foreign-key', 's_child_parent_fk');
    expect(fk?.evidence.columns).toEqual(['parent_id']);
    // (a) is a left prefix of (a, b); the duplicate pair is reported once, by exact-duplicate-index.
    expect(about(second, 'left-prefix-index', 's_child_a_b').length).toBe(1);

    // The same findings as a one-off run of the same checks.
    const oneOff = await runDoctor({ client, only: CACHED });
    const prints = (fs: typeof second) => fs.map((f) => f.fingerprint).sort();
    expect(prints(second)).toEqual(prints(oneOff.findings));
  });

  it('a dropped index, a renamed column and an added index are seen on the next run', async () => {
    await db.admin.query(`
      DROP INDEX s_child_a_dup;
      ALTER TABLE s_child RENAME COLUMN parent_id TO parent_ref;
    `);
    const third = await run();
    expect(about(third, 'exact-duplicate-index', 's_child')).toEqual([]);
    const [fk] = about(third, 'unindexed-foreign-key', 's_child_parent_fk');
    expect(fk?.evidence.columns).toEqual(['parent_ref']);
    // A rename alone leaves the catalog version as it is: column names are read on every run.
    const before = await version();
    await db.admin.query('ALTER TABLE s_child RENAME COLUMN parent_ref TO parent_key');
    expect(await version()).toBe(before);
    expect(about(await run(), 'unindexed-foreign-key', 's_child_parent_fk')[0]?.evidence.columns).toEqual([
      'parent_key',
    ]);
    await db.admin.query('ALTER TABLE s_child RENAME COLUMN parent_key TO parent_ref');
    await db.admin.query('CREATE INDEX s_child_parent_ref ON s_child (parent_ref)');
    expect(about(await run(), 'unindexed-foreign-key', 's_child_parent_fk')).toEqual([]);
  });

  it('a table losing its primary key, an invalid index and dead tuples are seen on the next run', async () => {
    await db.admin.query('ALTER TABLE s_dead DROP CONSTRAINT s_dead_pkey');
    await db.admin.query("SET lock_timeout = '5s'");
    await db.admin.query('INSERT INTO s_dead VALUES (1, 1)');
    await expect(db.admin.query('CREATE UNIQUE INDEX CONCURRENTLY s_dead_id_u ON s_dead (id)')).rejects.toThrow();
    await db.admin.query('UPDATE s_dead SET v = v + 1');
    await db.flushStats();
    const findings = await run();
    expect(about(findings, 'missing-primary-key', 's_dead').length).toBe(1);
    expect(about(findings, 'invalid-index', 's_dead_id_u')[0]?.evidence.unique).toBe(true);
    const [lag] = about(findings, 'vacuum-lag', 's_dead');
    expect(Number(lag?.evidence.deadTuples)).toBeGreaterThanOrEqual(20_000);
  });

  it('the catalog version changes with a change to pg_index alone, and not with statistics', async () => {
    const before = await version();
    await db.admin.query('ANALYZE s_child');
    await db.admin.query('SELECT count(*) FROM s_child');
    await db.flushStats();
    expect(await version()).toBe(before);
    await db.admin.query('ALTER TABLE s_child CLUSTER ON s_child_a'); // sets pg_index.indisclustered only
    expect(await version()).not.toBe(before);
  });

  it('cadence: activity every run, counters after 60 s, estimates after 5 min, catalog checks when it changes', async () => {
    let now = Date.now();
    const only = ['idle-in-transaction', 'vacuum-lag', 'table-bloat', 'unindexed-foreign-key'];
    const watch = createDoctor({
      client,
      only,
      options: { 'idle-in-transaction': { minSeconds: 0 } },
      clock: () => now,
    });
    const first = await watch.run();
    expect(first.outcomes.map((o) => o.analyzerId).sort()).toEqual([...only].sort());
    expect(first.outcomes.every((o) => o.status === 'ok' && o.reusedFrom === undefined)).toBe(true);

    // Dead tuples in a new table (a catalog change), and a session left idle in a transaction.
    await db.admin.query(`
      CREATE TABLE s_cadence (id int PRIMARY KEY, v int) WITH (autovacuum_enabled = off);
      INSERT INTO s_cadence SELECT g, g FROM generate_series(1, 20000) g;
      ANALYZE s_cadence;
      UPDATE s_cadence SET v = v + 1;
    `);
    await db.flushStats();
    const idle = new pg.Client({ connectionString: db.url });
    await idle.connect();
    try {
      await idle.query("BEGIN; SELECT 'cadence'");
      now += 5_000;
      const second = await watch.run();
      const byId = new Map(second.outcomes.map((o) => [o.analyzerId, o]));
      expect(byId.get('idle-in-transaction')?.reusedFrom).toBeUndefined();
      expect(about(second.findings, 'idle-in-transaction', 'cadence').length).toBe(1);
      expect(byId.get('unindexed-foreign-key')?.reusedFrom).toBeUndefined(); // the catalog changed
      // not due yet: the last run's outcome, marked with its time, and a note saying so
      expect(byId.get('vacuum-lag')?.reusedFrom).toBe(new Date(now - 5_000).toISOString());
      expect(byId.get('table-bloat')?.reusedFrom).toBeDefined();
      expect(about(second.findings, 'vacuum-lag', 's_cadence')).toEqual([]);
      expect(second.notes.join('\n')).toMatch(/Watch cadence: 2 of 4 checks ran/);

      now += 60_000;
      const third = await watch.run();
      const [lag] = about(third.findings, 'vacuum-lag', 's_cadence');
      expect(Number(lag?.evidence.deadTuples)).toBeGreaterThanOrEqual(20_000);
      expect(third.outcomes.find((o) => o.analyzerId === 'table-bloat')?.reusedFrom).toBeDefined();
      now += 300_000;
      const fourth = await watch.run();
      expect(fourth.outcomes.every((o) => o.reusedFrom === undefined)).toBe(true);
      expect(watch.stats).toMatchObject({ runs: 4, checkRuns: 4 + 2 + 2 + 4 });
    } finally {
      await idle.query('ROLLBACK').catch(() => undefined);
      await idle.end();
    }
  });

  it('an unknown check id or option is refused when the session is created', () => {
    expect(() => createDoctor({ client, only: ['no-such-check'] })).toThrow(/unknown check/);
    expect(() => createDoctor({ client, options: { 'unused-index': { nope: 1 } } })).toThrow(/no option/);
  });

  it('dbsage doctor --watch re-runs in one session and prints a report per run; bad intervals are usage errors', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = {
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      stderrIsTTY: false,
      color: false,
      env: {},
      cwd: process.cwd(),
    };
    const args = ['doctor', db.url, '--check', 'unindexed-foreign-key', '--format', 'json'];
    const code = await main([...args, '--watch', '1s', '--watch-runs', '2'], io);
    expect(code).toBe(0);
    expect(out.length).toBe(2);
    for (const text of out) expect(JSON.parse(text)).toBeInstanceOf(Array);
    expect(err.join('')).toMatch(/run 1 at .*\n.*run 2 at/s);
    expect(await main([...args, '--watch', '500ms'], io)).toBe(2);
    expect(await main([...args, '--watch', '5s', '--snapshot', 'x.json'], io)).toBe(2);
    expect(await main([...args, '--watch-every-check'], io)).toBe(2);
    expect(err.join('')).toMatch(/--watch-every-check needs --watch/);
    out.length = 0;
    expect(await main([...args, '--watch', '1s', '--watch-runs', '1', '--watch-every-check'], io)).toBe(0);
    expect(out.length).toBe(1);
  });
});
