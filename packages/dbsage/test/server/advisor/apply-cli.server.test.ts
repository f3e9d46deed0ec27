import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { applyRecommendations } from '../../../src/advisor/indexes/apply.js';
import { makeCandidate } from '../../../src/advisor/indexes/candidate.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import { runCli } from '../../support/cli.js';

const SCHEMA = `
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, plan text NOT NULL,
                       created_at timestamptz NOT NULL, note text NOT NULL);
INSERT INTO accounts (email, plan, created_at, note)
  SELECT 'a' || g || '@example.com', CASE WHEN g % 50 = 0 THEN 'enterprise' ELSE 'free' END,
         timestamptz '2024-01-01' + g * interval '1 minute', 'note ' || md5(g::text)
    FROM generate_series(1, 60000) g;
ANALYZE accounts;`;

const WORKLOAD = `-- weight: 500
SELECT id, plan FROM accounts WHERE lower(email) = 'a77@example.com';
-- weight: 50
SELECT id FROM accounts WHERE note LIKE '%abc12%' LIMIT 10;
-- weight: 5
SELECT count(*) FROM accounts;
`;

async function indexRow(db: TestDatabase, name: string): Promise<{ valid: boolean } | undefined> {
  const r = await db.admin.query<{ valid: boolean }>(
    'SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass($1)',
    [name],
  );
  return r.rows[0];
}

/** Holds an open write transaction on accounts: concurrent index builds must wait for it. */
async function openWriter(db: TestDatabase): Promise<pg.Client> {
  const w = new pg.Client({ connectionString: db.url });
  await w.connect();
  await w.query('BEGIN');
  await w.query('UPDATE accounts SET note = note WHERE id = 1');
  return w;
}

describe.skipIf(!hasTestPostgres())('dbsage indexes CLI and --apply on PostgreSQL 15', () => {
  let db: TestDatabase;
  let client: ServerClient;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase('advapply');
    await db.admin.query(SCHEMA);
    client = await ServerClient.connect({ connectionString: db.url });
    dir = mkdtempSync(join(tmpdir(), 'dbsage-advisor-'));
    writeFileSync(join(dir, 'workload.sql'), WORKLOAD);
  });
  afterAll(async () => {
    await client?.close();
    await db?.drop();
  });

  it('prints findings as JSON and writes the migration with --out, creating nothing', async () => {
    const r = await runCli([
      'indexes',
      db.url,
      '--workload',
      join(dir, 'workload.sql'),
      '--format',
      'json',
      '--out',
      join(dir, 'm.sql'),
      '--quiet',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = { findings: JSON.parse(r.stdout) as { ruleId: string; evidence: Record<string, unknown> }[] };
    const recs = report.findings.filter((f) => f.ruleId === 'index-recommendation');
    expect(recs.map((f) => f.evidence.keys)).toEqual(
      expect.arrayContaining([['(lower(email))'], ['note gin_trgm_ops']]),
    );
    const none = report.findings.find((f) => f.ruleId === 'index-no-recommendation');
    expect(none?.evidence.query).toMatch(/count\(\*\)/);
    const sql = readFileSync(join(dir, 'm.sql'), 'utf8');
    expect(sql).toMatch(
      /CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_lower_email_idx ON accounts \(\(lower\(email\)\)\);/,
    );
    expect(sql).toMatch(/serves: SELECT id, plan FROM accounts WHERE lower\(email\)/);
    const indexes = await db.admin.query("SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'accounts'");
    expect(indexes.rows[0].n).toBe(1);
  });

  it('refuses --apply without confirmation when stdin is not a terminal', async () => {
    const r = await runCli(['indexes', db.url, '--workload', join(dir, 'workload.sql'), '--apply', '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--yes/);
    const indexes = await db.admin.query("SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'accounts'");
    expect(indexes.rows[0].n).toBe(1);
  });

  it('--apply --yes builds each index concurrently and valid', async () => {
    const r = await runCli([
      'indexes',
      db.url,
      '--workload',
      join(dir, 'workload.sql'),
      '--apply',
      '--yes',
      '--quiet',
      '--format',
      'markdown',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/apply accounts_lower_email_idx: created/);
    expect(r.stdout).toMatch(/apply accounts_note_trgm_idx: created/);
    expect(await indexRow(db, 'accounts_lower_email_idx')).toEqual({ valid: true });
    expect(await indexRow(db, 'accounts_note_trgm_idx')).toEqual({ valid: true });
    // a second run finds nothing left to do for those statements
    const again = await runCli([
      'indexes',
      db.url,
      '--workload',
      join(dir, 'workload.sql'),
      '--format',
      'json',
      '--quiet',
    ]);
    const f = JSON.parse(again.stdout) as { ruleId: string; evidence: { reason?: string } }[];
    expect(f.filter((x) => x.ruleId === 'index-recommendation')).toEqual([]);
    expect(f.filter((x) => x.evidence.reason === 'already-indexed').length).toBe(2);
  });

  it('shows pg_stat_progress_create_index phases while a build waits, and drops the INVALID index on failure', async () => {
    const c = makeCandidate({
      schema: 'public',
      table: 'accounts',
      method: 'btree',
      keys: [{ column: 'created_at', expression: null, descending: false, opclass: null }],
      include: [],
      predicate: null,
      predicateColumns: [],
      kinds: ['single'],
    });
    const writer = await openWriter(db);
    // the open transaction ends a while after the build has given up, as a real one would
    const release = setTimeout(() => void writer.query('ROLLBACK'), 3000);
    try {
      const phases: string[] = [];
      const out = await applyRecommendations(client, [c], {
        lockTimeoutMillis: 1500,
        pollMillis: 200,
        onProgress: (m) => phases.push(m),
      });
      expect(out[0]!.status).toBe('failed');
      expect(out[0]!.error).toMatch(/lock timeout/i);
      expect(out[0]!.droppedInvalid).toBe(true);
      expect(out[0]!.phases.some((p) => /waiting/.test(p))).toBe(true);
      expect(phases.some((m) => m.includes(`building ${c.name}: waiting`))).toBe(true);
      expect(phases.some((m) => m.startsWith(`dropping INVALID index ${c.name}`))).toBe(true);
      expect(await indexRow(db, c.name)).toBeUndefined();
    } finally {
      clearTimeout(release);
      await writer.query('ROLLBACK').catch(() => undefined);
      await writer.end();
    }
  });

  it('on cancellation (Ctrl-C) cancels the build and leaves no INVALID index', async () => {
    const c = makeCandidate({
      schema: 'public',
      table: 'accounts',
      method: 'btree',
      keys: [{ column: 'plan', expression: null, descending: false, opclass: null }],
      include: [],
      predicate: null,
      predicateColumns: [],
      kinds: ['single'],
    });
    const writer = await openWriter(db);
    const ac = new AbortController();
    try {
      const pending = applyRecommendations(client, [c], {
        lockTimeoutMillis: 60_000,
        pollMillis: 100,
        signal: ac.signal,
      });
      setTimeout(() => ac.abort(), 800);
      setTimeout(() => void writer.query('ROLLBACK'), 2500);
      const out = await pending;
      expect(out[0]!.status).toBe('cancelled');
      expect(out[0]!.droppedInvalid).toBe(true);
      expect(await indexRow(db, c.name)).toBeUndefined();
    } finally {
      await writer.query('ROLLBACK').catch(() => undefined);
      await writer.end();
    }
  });
});
