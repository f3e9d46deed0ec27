import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { UsageError } from '../../../src/errors.js';
import {
  type InstrumentOptions,
  instrument,
  type RequestReport,
  type RuntimeNPlusOne,
} from '../../../src/instrument.js';
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

  /** instrument(pool) in `scope` (the default when absent), N+1 at any total time, collecting reports and hits. */
  function collect(scope?: InstrumentOptions['scope']) {
    const reports: RequestReport[] = [];
    const hits: RuntimeNPlusOne[] = [];
    const inst = instrument(pool, {
      ...(scope === undefined ? {} : { scope }),
      nPlusOne: { minTotalMillis: 0 },
      onNPlusOne: (h) => hits.push(h),
      onRequestEnd: (r) => reports.push(r),
    });
    return { inst, reports, hits };
  }

  async function loop(): Promise<void> {
    const authors = (await pool.query<{ id: number }>('SELECT id, name FROM authors ORDER BY id')).rows;
    for (const a of authors) await pool.query('SELECT id, title FROM books WHERE author_id = $1', [a.id]);
  }

  it("external scope: the application's own AsyncLocalStorage groups queries, no second one is created", async () => {
    const appContext = new AsyncLocalStorage<{ requestId: string }>();
    const { inst, reports, hits } = collect(appContext);
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
    const { inst, reports, hits } = collect('none');
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

  it("'als' reports the loop and follows timers; an unknown scope is a usage error", async () => {
    const { inst, reports, hits } = collect('als');
    try {
      await inst.runInRequest(loop, { name: 'GET /x' });
      expect(hits).toHaveLength(1);
      expect(hits[0]).toMatchObject({ request: 'GET /x', count: 8 });
      await inst.runInRequest(afterTimer, { name: 'GET /timer' });
      expect(reports[1]).toMatchObject({ name: 'GET /timer', queries: 2 });
    } finally {
      inst.restore();
    }
    // biome-ignore lint/suspicious/noExplicitAny: an invalid value on purpose
    expect(() => instrument(pool, { scope: 'thread' as any })).toThrow(UsageError);
  });

  /** One query, a timer, one more query. */
  async function afterTimer(): Promise<void> {
    await pool.query('SELECT 1');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await pool.query('SELECT 2');
  }

  /** A request that awaits in-memory async work before its first query (no I/O in between). */
  async function cachedThenLoop(): Promise<void> {
    await Promise.resolve();
    await (async () => 'from a cache')();
    await loop();
  }

  /** The loop through one checked-out connection. */
  async function checkoutLoop(): Promise<void> {
    const client = await pool.connect();
    try {
      const authors = (await client.query<{ id: number }>('SELECT id, name FROM authors ORDER BY id')).rows;
      for (const a of authors) await client.query('SELECT id, title FROM books WHERE author_id = $1', [a.id]);
    } finally {
      client.release();
    }
  }

  it("default ('continuation' on Node < 24, no async hook): concurrent requests on a saturated pool are kept apart", async () => {
    const { inst, reports, hits } = collect();
    try {
      // 6 requests on a pool of 3: connections are handed from one request to another while results arrive
      const names = ['a', 'b', 'c', 'd', 'e', 'f'];
      await Promise.all(names.map((name) => inst.runInRequest(loop, { name })));
      expect(reports.map((r) => [r.name, r.queries]).sort()).toEqual(names.map((n) => [n, 9]));
      expect(hits.map((h) => [h.request, h.count]).sort()).toEqual(names.map((n) => [n, 8]));
      expect(inst.stats().peakWaiting).toBeGreaterThan(0);
    } finally {
      inst.restore();
    }
  });

  it('continuation: in-memory awaits before the first query, checked-out connections, mixed with other requests', async () => {
    const { inst, reports, hits } = collect('continuation');
    try {
      await inst.runInRequest(cachedThenLoop, { name: 'cached' });
      expect(reports[0]).toMatchObject({ name: 'cached', queries: 9 });
      await Promise.all([
        inst.runInRequest(checkoutLoop, { name: 'checkout' }),
        inst.runInRequest(loop, { name: 'pool-1' }),
        inst.runInRequest(loop, { name: 'pool-2' }),
        // queries outside any request, from another callback, interleaved with the requests' results: not grouped
        // (code that runs in the very callback that started a request counts as that request until its first I/O)
        new Promise((resolve) => setImmediate(() => resolve(loop()))),
      ]);
      expect(
        reports
          .slice(1)
          .map((r) => [r.name, r.queries])
          .sort(),
      ).toEqual([
        ['checkout', 9],
        ['pool-1', 9],
        ['pool-2', 9],
      ]);
      expect(hits.map((h) => h.request).sort()).toEqual(['cached', 'checkout', 'pool-1', 'pool-2']);
      expect(inst.stats().queries).toBe(45);
    } finally {
      inst.restore();
    }
  });

  it('continuation: callback-style queries queued on one checked-out client are each recorded once, in order', async () => {
    const { inst, reports, hits } = collect('continuation');
    try {
      const titles = await inst.runInRequest(
        () =>
          new Promise<string[]>((resolve, reject) => {
            pool.connect((err, client, release) => {
              if (err || !client) return reject(err);
              client.query('SELECT id, name FROM authors ORDER BY id', (e1, authors) => {
                if (e1) return reject(e1);
                // all queued at once on the same connection: several callback queries in flight
                const out: string[] = [];
                let left = authors.rows.length;
                for (const a of authors.rows) {
                  client.query('SELECT id, title FROM books WHERE author_id = $1', [a.id], (e2, books) => {
                    if (e2) return reject(e2);
                    out.push(`${a.id}:${books.rowCount}`);
                    if (--left === 0) {
                      release();
                      resolve(out);
                    }
                  });
                }
              });
            });
          }),
        { name: 'callbacks' },
      );
      expect(titles).toEqual(['1:3', '2:4', '3:4', '4:4', '5:4', '6:4', '7:4', '8:3']);
      expect(reports).toEqual([expect.objectContaining({ name: 'callbacks', queries: 9 })]);
      expect(hits).toEqual([
        expect.objectContaining({
          request: 'callbacks',
          count: 8,
          childQuery: 'SELECT id, title FROM books WHERE author_id = $1',
        }),
      ]);
      // the slots were freed: the same connection serves a later callback query in another request
      await inst.runInRequest(
        () => new Promise<void>((resolve, reject) => pool.query('SELECT 1', (e) => (e ? reject(e) : resolve()))),
        { name: 'after' },
      );
      expect(reports[1]).toMatchObject({ name: 'after', queries: 1 });
    } finally {
      inst.restore();
    }
  });

  it('continuation: middleware() scopes an HTTP-style request until the response finishes', async () => {
    const reports: RequestReport[] = [];
    const inst = instrument(pool, { scope: 'continuation', onRequestEnd: (r) => reports.push(r) });
    try {
      const res = new EventEmitter();
      await new Promise<void>((resolve) => {
        inst.middleware()({ method: 'GET', url: '/authors?page=1' }, res, () => {
          void cachedThenLoop().then(() => {
            res.emit('finish');
            resolve();
          });
        });
      });
      expect(reports).toEqual([expect.objectContaining({ name: 'GET /authors', queries: 9 })]);
    } finally {
      inst.restore();
    }
  });

  it('continuation: after a timer the request is no longer current (documented); the timer does not inherit it', async () => {
    const reports: RequestReport[] = [];
    const inst = instrument(pool, { scope: 'continuation', onRequestEnd: (r) => reports.push(r) });
    try {
      await inst.runInRequest(afterTimer, { name: 'GET /timer' });
      // the query after the timer is counted for pool health, not attributed
      expect(reports).toEqual([expect.objectContaining({ name: 'GET /timer', queries: 1 })]);
      expect(inst.stats().queries).toBe(2);
      // a timer set while a request's result was being handled does not run in that request
      let inTimer: Promise<unknown> | undefined;
      await inst.runInRequest(
        async () => {
          await pool.query('SELECT 1');
          inTimer = new Promise((resolve) => setTimeout(() => resolve(pool.query('SELECT 3')), 0));
          await pool.query('SELECT 2');
        },
        { name: 'GET /spawn' },
      );
      await inTimer;
      expect(reports[1]).toMatchObject({ name: 'GET /spawn', queries: 2 });
    } finally {
      inst.restore();
    }
  });
});
