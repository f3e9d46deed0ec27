import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { UsageError } from '../../../src/errors.js';
import { instrument, type RequestReport, type RuntimeNPlusOne } from '../../../src/instrument.js';
import { loadParser } from '../../../src/sql/parser.js';

describe.skipIf(!hasTestPostgres())('instrument(pool) scoping modes on PostgreSQL 15', () => {
  let db: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    await loadParser();
    db = await createTestDatabase('instscope');
    await db.admin.query(`
      CREATE TABLE authors (id int PRIMARY KEY, name text NOT NULL);
      CREATE TABLE books (id int PRIMARY KEY, author_id int NOT NULL REFERENCES authors (id), title text NOT NULL);
      INSERT INTO authors SELECT g, 'author ' || g FROM generate_series(1, 8) g;
      INSERT INTO books SELECT g, 1 + g % 8, 'book ' || g FROM generate_series(1, 30) g;`);
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  async function loop(): Promise<void> {
    const authors = (await pool.query<{ id: number }>('SELECT id, name FROM authors ORDER BY id')).rows;
    for (const a of authors) await pool.query('SELECT id, title FROM books WHERE author_id = $1', [a.id]);
  }

  it("external scope: the application's own AsyncLocalStorage groups queries, no second one is created", async () => {
    const appContext = new AsyncLocalStorage<{ requestId: string }>();
    const hits: RuntimeNPlusOne[] = [];
    const reports: RequestReport[] = [];
    const inst = instrument(pool, {
      scope: appContext,
      nPlusOne: { minTotalMillis: 0 },
      onNPlusOne: (h) => hits.push(h),
      onRequestEnd: (r) => reports.push(r),
    });
    try {
      // two concurrent requests, each ended by runInRequest inside the app's context
      await Promise.all([
        appContext.run({ requestId: 'a' }, () => inst.runInRequest(loop, { name: 'GET /a' })),
        appContext.run({ requestId: 'b' }, () => inst.runInRequest(loop, { name: 'GET /b' })),
      ]);
      expect(reports.map((r) => [r.name, r.queries]).sort()).toEqual([
        ['GET /a', 9],
        ['GET /b', 9],
      ]);
      expect(hits.map((h) => h.request).sort()).toEqual(['GET /a', 'GET /b']);
      expect(hits[0]).toMatchObject({ parentQuery: 'SELECT id, name FROM authors ORDER BY id', count: 8 });
      // ended explicitly with endRequest(context)
      const ctx = { requestId: 'c' };
      await appContext.run(ctx, loop);
      expect(reports).toHaveLength(2);
      inst.endRequest(ctx);
      expect(reports).toHaveLength(3);
      expect(reports[2]!.queries).toBe(9);
      inst.endRequest(ctx); // already ended: nothing more
      expect(reports).toHaveLength(3);
      // outside any context: counted for pool health, not grouped
      await loop();
      expect(reports).toHaveLength(3);
      expect(inst.stats().queries).toBe(36);
    } finally {
      inst.restore();
    }
  });

  it("'none': runInRequest just runs, no request reports or N+1, pool health still recorded", async () => {
    const reports: RequestReport[] = [];
    const hits: RuntimeNPlusOne[] = [];
    const inst = instrument(pool, {
      scope: 'none',
      nPlusOne: { minTotalMillis: 0 },
      onNPlusOne: (h) => hits.push(h),
      onRequestEnd: (r) => reports.push(r),
    });
    try {
      await inst.runInRequest(loop);
      expect(reports).toEqual([]);
      expect(hits).toEqual([]);
      const s = inst.stats();
      expect(s.queries).toBe(9);
      expect(s.acquisitions).toBe(9);
    } finally {
      inst.restore();
    }
  });

  it("'als' (default) still reports the loop; an unknown scope is a usage error", async () => {
    const hits: RuntimeNPlusOne[] = [];
    const inst = instrument(pool, { nPlusOne: { minTotalMillis: 0 }, onNPlusOne: (h) => hits.push(h) });
    try {
      await inst.runInRequest(loop, { name: 'GET /x' });
      expect(hits).toHaveLength(1);
      expect(hits[0]).toMatchObject({ request: 'GET /x', count: 8 });
    } finally {
      inst.restore();
    }
    // biome-ignore lint/suspicious/noExplicitAny: an invalid value on purpose
    expect(() => instrument(pool, { scope: 'thread' as any })).toThrow(UsageError);
  });
});
