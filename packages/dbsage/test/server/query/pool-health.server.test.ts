import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import type { Finding } from '../../../src/findings/finding.js';
import { instrument } from '../../../src/instrument.js';
import { runCli } from '../../support/cli.js';

describe.skipIf(!hasTestPostgres())('pool health and pool-advice on PostgreSQL 15', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase('pool');
    dir = mkdtempSync(join(tmpdir(), 'dbsage-pool-'));
  });

  afterAll(async () => {
    await db?.drop();
  });

  async function holdConnectionTooLong(pool: pg.Pool): Promise<void> {
    const c = await pool.connect(); // the stack recorded for the long checkout starts here
    try {
      await c.query('SELECT pg_sleep(0.25)');
    } finally {
      c.release();
    }
  }

  it('records acquire waits, peak active/waiting and long checkouts with the stack that took them', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const inst = instrument(pool, { longCheckoutMillis: 200 });
    try {
      await Promise.all(Array.from({ length: 8 }, () => pool.query('SELECT pg_sleep(0.05)')));
      await holdConnectionTooLong(pool);
      const s = inst.stats();
      expect(s.kind).toBe('pg-pool');
      expect(s.maxSize).toBe(2);
      expect(s.peakActive).toBe(2);
      expect(s.waitedAcquisitions).toBeGreaterThanOrEqual(5);
      // 8 queries of 50 ms through 2 connections: the last ones waited about 150 ms.
      expect(s.acquireWaitMillis.max).toBeGreaterThan(100);
      expect(s.acquisitions).toBe(9);
      expect(s.longCheckouts).toHaveLength(1);
      expect(s.longCheckouts[0]!.heldMillis).toBeGreaterThanOrEqual(200);
      expect(s.longCheckouts[0]!.stack).toContain('holdConnectionTooLong');
      expect(s.longCheckouts[0]!.stack).toContain('pool-health.server.test.ts');
      writeFileSync(join(dir, 'stats.json'), JSON.stringify(s));
    } finally {
      inst.restore();
      await pool.end();
    }
  });

  it('counts an acquisition that found an idle connection as a zero wait, and keeps the waits that queued', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const inst = instrument(pool);
    try {
      // two connections opened (their connect time is a wait), then 20 sequential queries on an idle pool
      await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 1')]);
      for (let i = 0; i < 20; i++) await pool.query('SELECT $1::int', [i]);
      const s = inst.stats();
      expect(s.acquisitions).toBe(22);
      expect(s.queries).toBe(22);
      expect(s.acquireWaitMillis.p50).toBe(0);
      // 20 of 22 waited 0: p95 and p99 are the two real waits
      expect(s.acquireWaitMillis.p95).toBeGreaterThan(0);
      // the first two waited for PostgreSQL to accept a connection: a real wait, measured
      expect(s.acquireWaitMillis.max).toBeGreaterThan(0);
      // and only those two: the mean is their sum over all 22 acquisitions
      expect(s.acquireWaitMillis.mean * 22).toBeLessThanOrEqual(2 * s.acquireWaitMillis.max + 1e-9);
      expect(s.waitedAcquisitions).toBeLessThanOrEqual(2);
      expect(s.peakActive).toBe(2);
    } finally {
      inst.restore();
      await pool.end();
    }
  });

  it('pool-advice: a saturated pool with the arithmetic spelled out, within max_connections', async () => {
    const r = await runCli(['pool-advice', db.url, '--instances', '3', '--stats', 'stats.json', '--format', 'json'], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    const [f] = JSON.parse(r.stdout) as Finding[];
    expect(f!.ruleId).toBe('pool-size');
    expect(f!.evidence).toMatchObject({
      maxConnections: 100,
      instances: 3,
      currentMax: 2,
      peakActive: 2,
      saturated: true,
    });
    const e = f!.evidence as {
      budgetPerInstance: number;
      suggestedPerInstance: number;
      reserved: number;
      otherClients: number;
      arithmetic: string[];
    };
    expect(e.budgetPerInstance).toBe(Math.floor((100 - e.reserved - e.otherClients - 10) / 3));
    // Saturated at 2: demand is at least 3, and within the budget.
    expect(e.suggestedPerInstance).toBe(3);
    expect(e.arithmetic.join('\n')).toMatch(
      /budget = max_connections 100 − reserved 3 − other clients \d+ − headroom 10 \(10 %\)/,
    );
    expect(e.arithmetic.join('\n')).toMatch(/saturated/);
    // 40 instances cannot fit 3 each in the budget.
    const many = await runCli(
      ['pool-advice', db.url, '--instances', '40', '--stats', 'stats.json', '--format', 'json'],
      {
        cwd: dir,
      },
    );
    const [g] = JSON.parse(many.stdout) as Finding[];
    expect(g!.severity).toBe('high');
    expect(g!.title).toMatch(/exceeds the connection budget/);
  });
});
