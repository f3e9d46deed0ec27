import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import type { Finding } from '../../../src/findings/finding.js';
import { runCli } from '../../support/cli.js';

describe.skipIf(!hasTestPostgres())('dbsage diagnose on PostgreSQL 15', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('diagnose');
    await db.admin.query(
      'CREATE TABLE accounts (id int PRIMARY KEY, balance int); INSERT INTO accounts SELECT g, 0 FROM generate_series(1, 1000) g',
    );
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('query-timeout: a session blocked behind a lock is the first cause, with both sessions in the evidence', async () => {
    const holder = new pg.Client({ connectionString: db.url, application_name: 'migration' });
    const waiter = new pg.Client({ connectionString: db.url, application_name: 'web' });
    await holder.connect();
    await waiter.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
      const blocked = waiter.query('SELECT sum(balance) FROM accounts').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 6000)); // past the check's 5 s minimum wait
      const r = await runCli(['diagnose', 'query-timeout', db.url, '--format', 'json']);
      expect(r.code).toBe(0);
      const findings = JSON.parse(r.stdout) as Finding[];
      expect(findings[0]!.ruleId).toBe('blocked-sessions');
      expect(findings[0]!.evidence.causeRank).toBe(1);
      expect(JSON.stringify(findings[0]!.evidence)).toContain('SELECT sum(balance) FROM accounts');
      await holder.query('ROLLBACK');
      await blocked;
    } finally {
      await holder.end();
      await waiter.end();
    }
  }, 60_000);

  it('deadlocks on a quiet database: no blocked sessions; unknown symptoms are usage errors', async () => {
    const r = await runCli(['diagnose', 'deadlocks', db.url, '--format', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Finding[]).map((f) => f.ruleId)).not.toContain('blocked-sessions');
    const bad = await runCli(['diagnose', 'slow', db.url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown symptom "slow": one of query-timeout, connections-exhausted/);
  });
});
