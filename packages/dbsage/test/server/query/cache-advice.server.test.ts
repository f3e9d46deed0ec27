import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import type { Finding } from '../../../src/findings/finding.js';
import { runCli } from '../../support/cli.js';

const PRODUCTS =
  'SELECT category, avg(price) AS avg_price, count(*) AS n FROM products WHERE category = $1 GROUP BY category';
const EVENTS = 'SELECT kind, count(*) AS n, max(at) AS last FROM events WHERE kind = $1 GROUP BY kind';

describe.skipIf(!hasTestPostgres())('dbsage cache-advice on PostgreSQL 15', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('cache');
    await db.admin.query(`
      CREATE TABLE products (id int PRIMARY KEY, category text NOT NULL, price numeric NOT NULL);
      INSERT INTO products SELECT g, 'c' || (g % 20), (g % 1000) / 10.0 FROM generate_series(1, 60000) g;
      CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind text NOT NULL, at timestamptz NOT NULL DEFAULT now());
      INSERT INTO events (kind) SELECT 'k' || (g % 5) FROM generate_series(1, 60000) g;
      ANALYZE products; ANALYZE events;`);
    await db.flushStats();
  });

  /** The application: frequent costly reads of both tables; products rarely written, events written all the time. */
  async function app(untilMillis: number): Promise<number> {
    const c = new pg.Client({ connectionString: db.url, application_name: 'shop' });
    await c.connect();
    let i = 0;
    try {
      for (const end = performance.now() + untilMillis; performance.now() < end; i++) {
        await c.query(PRODUCTS, [`c${i % 20}`]);
        await c.query(EVENTS, [`k${i % 5}`]);
        await c.query('INSERT INTO events (kind) VALUES ($1)', [`k${i % 5}`]);
        if (i % 40 === 0) await c.query('UPDATE products SET price = price + 1 WHERE id = $1', [i + 1]);
        if (i % 10 === 0) await c.query('SELECT pg_stat_force_next_flush()');
      }
      await c.query('SELECT pg_stat_force_next_flush()');
    } finally {
      await c.end();
    }
    return i;
  }

  afterAll(async () => {
    await db?.drop();
  });

  it('cumulative counters count the bulk load as writes: nothing recommended, and the note says so', async () => {
    await app(500);
    const r = await runCli(['cache-advice', db.url, '--format', 'markdown', '--min-calls', '5']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cumulative counters: bulk loads count as writes/);
    expect(r.stdout).not.toContain('cache-candidate');
  });

  it('over a sampled window: caches the product lookup (TTL, key, invalidation by products), not the events one', async () => {
    const [r] = await Promise.all([
      runCli(['cache-advice', db.url, '--format', 'json', '--sample', '4', '--min-calls', '20']),
      app(5000),
    ]);
    expect(r.code).toBe(0);
    const findings = JSON.parse(r.stdout) as Finding[];
    expect(findings.map((f) => f.evidence.query)).toEqual([PRODUCTS]);
    const f = findings[0]!;
    expect(f.ruleId).toBe('cache-candidate');
    expect(f.category).toBe('cache');
    const e = f.evidence as Record<string, unknown> & { tables: { table: string; writes: number }[] };
    expect(e.calls as number).toBeGreaterThanOrEqual(20);
    expect(e.meanMillis as number).toBeGreaterThanOrEqual(1);
    expect(e.tables.map((t) => t.table)).toEqual(['products']);
    // Only the app's occasional updates count, not the bulk load before the window.
    expect(e.tables[0]!.writes).toBeLessThanOrEqual((e.calls as number) / 10);
    expect(e.invalidatedBy).toEqual(['products']);
    expect(String(e.key)).toMatch(/^products:[0-9a-f]{8}:category=\{\$1\}$/);
    expect(NICE.includes(e.ttlSeconds as number)).toBe(true);
    expect(f.remediation?.steps?.[1]).toMatch(
      /Invalidate on every INSERT\/UPDATE\/DELETE of products \(the keys whose category match/,
    );
  });
});

const NICE = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
