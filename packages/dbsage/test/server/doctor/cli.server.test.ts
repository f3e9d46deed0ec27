import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import type { CliIO } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import type { Finding } from '../../../src/findings/finding.js';

function captureIO(cwd: string): CliIO & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: () => out.join(''),
    err: () => err.join(''),
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    stderrIsTTY: false,
    color: false,
    env: {},
    cwd,
  };
}

describe.skipIf(!hasTestPostgres())('dbsage doctor / fix CLI on PostgreSQL 15', () => {
  let db: TestDatabase;
  let dir: string;
  const role = `doctor_ro_${Math.random().toString(16).slice(2, 8)}`;
  const run = async (...args: string[]) => {
    const io = captureIO(dir);
    const code = await main(args, io);
    return { code, out: io.out(), err: io.err() };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbsage-doctor-cli-'));
    db = await createTestDatabase('doctor_cli');
    await db.admin.query(`
      CREATE TABLE parent (id int PRIMARY KEY);
      INSERT INTO parent SELECT generate_series(1, 100);
      CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent, v int);
      INSERT INTO child SELECT g, g % 100 + 1, g FROM generate_series(1, 5000) g;
      CREATE INDEX child_v1 ON child (v);
      CREATE INDEX child_v2 ON child (v);
      CREATE TABLE uniq (x int);
      INSERT INTO uniq VALUES (1), (1);
      ANALYZE;`);
    await db.admin.query('CREATE UNIQUE INDEX CONCURRENTLY uniq_x ON uniq (x)').catch(() => undefined);
    await db.admin.query(`CREATE ROLE ${role} LOGIN`);
  });
  afterAll(async () => {
    await db?.drop();
    const admin = (await import('pg')).default;
    const c = new admin.Client({ connectionString: db.url.replace(/\/[^/]+$/, '/postgres') });
    await c.connect();
    await c.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await c.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--format json: every finding carries its evidence, remediation and fingerprint; --fail-on sets the exit code', async () => {
    const { code, out } = await run('doctor', db.url, '--format', 'json', '--fail-on', 'high');
    expect(code).toBe(1); // the invalid unique index is high
    const findings = JSON.parse(out) as Finding[];
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) {
      expect(Object.keys(f.evidence).length).toBeGreaterThan(0);
      expect(f.remediation?.sql ?? f.remediation?.steps?.[0]).toBeTruthy();
      expect(f.fingerprint.startsWith(`${f.ruleId}:`)).toBe(true);
    }
    const ids = new Set(findings.map((f) => f.ruleId));
    for (const id of ['exact-duplicate-index', 'invalid-index', 'unindexed-foreign-key']) expect(ids).toContain(id);
    const dup = findings.find((f) => f.ruleId === 'exact-duplicate-index');
    expect(dup?.remediation?.sql).toBe('DROP INDEX CONCURRENTLY child_v2;');
    expect((await run('doctor', db.url, '--format', 'json', '--fail-on', 'critical')).code).toBe(0);
  });

  it('--format markdown: evidence, remediation SQL and fingerprint of every finding', async () => {
    const { code, out } = await run(
      'doctor',
      db.url,
      '--format',
      'markdown',
      '--check',
      'exact-duplicate-index,invalid-index',
    );
    expect(code).toBe(0);
    expect(out).toContain('# dbsage doctor');
    expect(out).toContain('**Evidence**');
    expect(out).toContain('- duplicateDefinition: `CREATE INDEX child_v2 ON public.child USING btree (v)`');
    expect(out).toContain('```sql\nDROP INDEX CONCURRENTLY child_v2;\n```');
    expect(out).toContain('```sql\nREINDEX INDEX CONCURRENTLY uniq_x;\n```');
    expect(out.match(/fingerprint `/g)).toHaveLength(2);
  });

  it('--snapshot then --since: the window between the two, without resetting anything', async () => {
    for (let i = 0; i < 3; i++) await db.admin.query('SELECT pg_sleep(0.2)');
    const snap = join(dir, 'snap.json');
    const first = await run(
      'doctor',
      db.url,
      '--check',
      'slow-queries',
      '--snapshot',
      snap,
      '--format',
      'json',
      '--option',
      'slow-queries.minMeanMillis=150',
      '--option',
      'slow-queries.minCalls=1',
    );
    expect(first.code).toBe(0);
    expect(first.err).toContain('counters saved to');
    const saved = JSON.parse(readFileSync(snap, 'utf8'));
    expect(saved.format).toBe('dbsage-doctor-snapshot');
    expect(saved.databaseName).toBe(db.name);
    for (let i = 0; i < 2; i++) await db.admin.query("SELECT 'window', pg_sleep(0.2)");
    const opts = ['--option', 'slow-queries.minMeanMillis=150', '--option', 'slow-queries.minCalls=1'];
    // Only the pg_sleep statements: on a loaded machine a setup statement can cross 150 ms too.
    const sleeps = (out: string) =>
      (JSON.parse(out) as Finding[]).filter((f) => String(f.evidence.query).includes('pg_sleep'));
    const lifetime = sleeps((await run('doctor', db.url, '--check', 'slow-queries', '--format', 'json', ...opts)).out);
    expect(lifetime.map((f) => f.evidence.calls).sort()).toEqual([2, 3]);
    const windowed = await run(
      'doctor',
      db.url,
      '--check',
      'slow-queries',
      '--since',
      snap,
      '--format',
      'markdown',
      ...opts,
    );
    expect(windowed.out).toContain('Counters are for the window since the snapshot');
    const win = sleeps(
      (await run('doctor', db.url, '--check', 'slow-queries', '--since', snap, '--format', 'json', ...opts)).out,
    );
    expect(win).toHaveLength(1);
    expect(win[0]?.evidence.query).toBe('SELECT $1, pg_sleep($2)');
    expect(win[0]?.evidence.calls).toBe(2);
    // Nothing was reset: the lifetime counters still have the first statement's 3 calls.
    const again = sleeps((await run('doctor', db.url, '--check', 'slow-queries', '--format', 'json', ...opts)).out);
    expect(again.map((f) => f.evidence.calls).sort()).toEqual([2, 3]);
    // A snapshot of another database is refused.
    const other = JSON.stringify({ ...saved, databaseName: 'elsewhere' });
    const bad = join(dir, 'other.json');
    (await import('node:fs')).writeFileSync(bad, other);
    const refused = await run('doctor', db.url, '--since', bad);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('snapshot is of database elsewhere');
  });

  it('without pg_read_all_stats / pg_monitor: names the limited checks and the grant; not once granted', async () => {
    const url = db.url.replace('postgres@', `${role}@`);
    const limited = await run(
      'doctor',
      url,
      '--format',
      'markdown',
      '--check',
      'long-running-queries,connection-usage,table-bloat',
    );
    expect(limited.code).toBe(0);
    expect(limited.out).toContain('Limited without pg_read_all_stats / pg_monitor: long-running-queries');
    expect(limited.out).toContain(`GRANT pg_read_all_stats TO ${role};`);
    expect(limited.out).toContain('Limited without pg_stat_scan_tables / pg_monitor: table-bloat');
    await db.admin.query(`GRANT pg_monitor TO ${role}`);
    const granted = await run(
      'doctor',
      url,
      '--format',
      'markdown',
      '--check',
      'long-running-queries,connection-usage,table-bloat',
    );
    expect(granted.out).not.toContain('pg_read_all_stats / pg_monitor:');
    expect(granted.out).not.toContain('pg_stat_scan_tables / pg_monitor:');
  });

  it('a check that runs out of time is "unknown" with the reason; the run still succeeds', async () => {
    const { code, out } = await run(
      'doctor',
      db.url,
      '--format',
      'markdown',
      '--check',
      'table-bloat,exact-duplicate-index',
      '--check-timeout',
      '1',
    );
    expect(code).toBe(0);
    expect(out).toContain('## Checks that did not run');
    expect(out).toMatch(/`table-bloat` \(unknown\): timed out after 1 ms/);
  });

  it('bad options and check ids are usage errors (exit 2) before anything runs', async () => {
    const a = await run('doctor', db.url, '--option', 'slow-queries.minMean=5');
    expect(a.code).toBe(2);
    expect(a.err).toContain('check slow-queries has no option "minMean"');
    const b = await run('doctor', db.url, '--check', 'no-such-check');
    expect(b.code).toBe(2);
    expect(b.err).toContain('unknown check "no-such-check"');
    const c = await run('doctor', db.url, '--option', 'unused-index.minBytes=lots');
    expect(c.code).toBe(2);
    expect(c.err).toContain('takes a number');
  });

  it('dbsage fix: prints the SQL, refuses without --yes off a terminal, applies with --yes', async () => {
    const findings = JSON.parse(
      (await run('doctor', db.url, '--format', 'json', '--check', 'exact-duplicate-index')).out,
    ) as Finding[];
    const fp = findings[0]!.fingerprint;
    const refused = await run('fix', fp, db.url);
    expect(refused.code).toBe(2);
    expect(refused.out).toContain('DROP INDEX CONCURRENTLY child_v2;');
    expect(refused.err).toContain('pass --yes');
    expect((await db.admin.query("SELECT 1 FROM pg_class WHERE relname = 'child_v2'")).rowCount).toBe(1);
    const applied = await run('fix', fp, db.url, '--yes');
    expect(applied.code).toBe(0);
    expect(applied.out).toMatch(/ok \(\d+ ms\): DROP INDEX CONCURRENTLY child_v2/);
    expect((await db.admin.query("SELECT 1 FROM pg_class WHERE relname = 'child_v2'")).rowCount).toBe(0);
    // The condition is gone: the same fingerprint no longer matches anything.
    const gone = await run('fix', fp, db.url, '--yes');
    expect(gone.code).toBe(2);
    expect(gone.err).toContain('no current finding with fingerprint');
  });

  it('dbsage fix refuses statements outside its safe set (ALTER SYSTEM) and prints them for a human', async () => {
    const findings = JSON.parse(
      (await run('doctor', db.url, '--format', 'json', '--check', 'random-page-cost', '--storage', 'ssd')).out,
    ) as Finding[];
    const r = await run('fix', findings[0]!.fingerprint, db.url, '--yes', '--option', 'random-page-cost.storage=ssd');
    expect(r.code).toBe(2);
    expect(r.out).toContain('ALTER SYSTEM SET random_page_cost = 1.1;   -- not run by dbsage');
    expect(r.err).toContain('run it yourself');
  });
});
