import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { type Instrumentation, instrument, type RequestReport } from '../../../src/instrument.js';

/**
 * `pool.query` under instrument() goes through dbsage's own result callback and promise (pg-pool's promise and its
 * catch() are not made): what a caller sees must be what the bare pool gives.
 */
describe.skipIf(!hasTestPostgres())('instrument(pool): the pool.query path on PostgreSQL 15', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('instpq');
  });

  afterAll(async () => {
    await db?.drop();
  });

  async function withPool<T>(options: pg.PoolConfig, run: (pool: pg.Pool) => Promise<T>): Promise<T> {
    const pool = new pg.Pool({ connectionString: db.url, ...options });
    try {
      return await run(pool);
    } finally {
      await pool.end();
    }
  }

  /** The awaiting application function that the error's stack must name, as pg-pool's does. */
  async function applicationCaller(pool: pg.Pool): Promise<unknown> {
    return await pool.query('SELECT 1 / $1::int', [0]);
  }

  it('a failing query rejects with the server error, its stack leading to the awaiting caller as without dbsage', async () => {
    await withPool({ max: 2 }, async (pool) => {
      const bare = await applicationCaller(pool).catch((e: Error) => e);
      const inst = instrument(pool);
      try {
        const instrumented = (await inst.runInRequest(() => applicationCaller(pool)).catch((e: Error) => e)) as Error;
        expect(bare).toBeInstanceOf(Error);
        expect(instrumented).toBeInstanceOf(Error);
        expect(instrumented.message).toBe('division by zero');
        expect((instrumented as { code?: string }).code).toBe('22012');
        expect((bare as Error).stack).toContain('applicationCaller');
        expect(instrumented.stack).toContain('applicationCaller');
        // and the pool is intact: the connection went back
        expect((await pool.query('SELECT 2 AS v')).rows).toEqual([{ v: 2 }]);
      } finally {
        inst.restore();
      }
    });
  });

  it('callback forms, config objects and a custom Promise behave as on the bare pool, and are attributed', async () => {
    class TaggedPromise<T> extends Promise<T> {}
    await withPool({ max: 2, Promise: TaggedPromise } as pg.PoolConfig, async (pool) => {
      const reports: RequestReport[] = [];
      const inst = instrument(pool, { onRequestEnd: (r) => reports.push(r) });
      try {
        await inst.runInRequest(async () => {
          const viaCallback = await new Promise<pg.QueryResult>((resolve, reject) =>
            pool.query('SELECT $1::int AS v', [7], (err: Error | undefined, res: pg.QueryResult) =>
              err ? reject(err) : resolve(res),
            ),
          );
          expect(viaCallback.rows).toEqual([{ v: 7 }]);
          const noValues = await new Promise<pg.QueryResult>((resolve, reject) =>
            pool.query('SELECT 8 AS v', (err: Error | undefined, res: pg.QueryResult) =>
              err ? reject(err) : resolve(res),
            ),
          );
          expect(noValues.rows).toEqual([{ v: 8 }]);
          const config = pool.query({ text: 'SELECT $1::text AS t', values: ['x'], rowMode: 'array' });
          expect(config).toBeInstanceOf(TaggedPromise);
          expect((await config).rows).toEqual([['x']]);
          // the callback form returns nothing, as pg-pool's does
          let returned: unknown = null;
          await new Promise<void>((resolve) => {
            returned = pool.query('SELECT 1', () => resolve());
          });
          expect(returned).toBeUndefined();
        });
        expect(reports).toHaveLength(1);
        expect(reports[0]!.queries).toBe(4);
        expect(inst.stats().queries).toBe(4);
      } finally {
        inst.restore();
      }
    });
  });

  it('pool health from pool.query: zero waits on an idle pool, real waits and peaks when it queues', async () => {
    await withPool({ max: 1 }, async (pool) => {
      await pool.query('SELECT 1'); // the one connection, opened before instrumenting
      const inst = instrument(pool, { longCheckoutMillis: 100 });
      try {
        for (let i = 0; i < 5; i++) await pool.query('SELECT $1::int', [i]);
        let s = inst.stats();
        expect(s.acquisitions).toBe(5);
        expect(s.acquireWaitMillis.max).toBe(0);
        expect(s.peakActive).toBe(1);
        expect(s.peakWaiting).toBe(0);
        // three at once on one connection: the second and third wait for the 150 ms of the ones before them
        await Promise.all([1, 2, 3].map(() => pool.query('SELECT pg_sleep(0.15)')));
        s = inst.stats();
        expect(s.acquisitions).toBe(8);
        expect(s.peakWaiting).toBe(2);
        expect(s.waitedAcquisitions).toBe(2);
        expect(s.acquireWaitMillis.max).toBeGreaterThan(250);
        // each held its connection for its own query (the wait is not counted as holding it)
        expect(s.longCheckouts).toHaveLength(3);
        for (const c of s.longCheckouts) {
          expect(c.heldMillis).toBeGreaterThanOrEqual(140);
          expect(c.heldMillis).toBeLessThan(250);
          expect(c.stack).toContain('pool.query');
        }
      } finally {
        inst.restore();
      }
    });
  });

  it('an explicit callback-style checkout: its queries are attributed and the release it is given is timed', async () => {
    await withPool({ max: 2 }, async (pool) => {
      const reports: RequestReport[] = [];
      const inst = instrument(pool, { longCheckoutMillis: 100, onRequestEnd: (r) => reports.push(r) });
      try {
        await inst.runInRequest(
          () =>
            new Promise<void>((resolve, reject) => {
              pool.connect((err, client, release) => {
                if (err || !client) return reject(err);
                client.query('SELECT pg_sleep(0.12)', (qErr: Error | undefined) => {
                  release();
                  if (qErr) reject(qErr);
                  else resolve();
                });
              });
            }),
        );
        expect(reports[0]!.queries).toBe(1);
        const s = inst.stats();
        expect(s.longCheckouts).toHaveLength(1);
        expect(s.longCheckouts[0]!.heldMillis).toBeGreaterThanOrEqual(110);
        expect(s.longCheckouts[0]!.stack).toContain('instrument-pool-query.server.test.ts');
        // released: the same client serves pool.query, not counted as the checkout's
        expect(pool.idleCount).toBeGreaterThan(0);
        await pool.query('SELECT 1');
        expect(inst.stats().longCheckouts).toHaveLength(1);
        expect(inst.stats().queries).toBe(2);
      } finally {
        inst.restore();
      }
    });
  });

  it('a long request: the report counts every statement, the N+1 rule sees the newest maxEventsPerRequest at most', async () => {
    await withPool({ max: 2 }, async (pool) => {
      const reports: RequestReport[] = [];
      const hits: unknown[] = [];
      const inst = instrument(pool, {
        maxEventsPerRequest: 10,
        nPlusOne: { minTotalMillis: 0 },
        onRequestEnd: (r) => reports.push(r),
        onNPlusOne: (h) => hits.push(h),
      });
      try {
        await inst.runInRequest(async () => {
          for (let i = 0; i < 25; i++) await pool.query('SELECT $1::int AS v', [i]);
          // a parent and 6 children within the last 10 kept
          await pool.query('SELECT g AS id FROM generate_series(1, 6) g');
          for (let i = 1; i <= 6; i++) await pool.query('SELECT $1::int * 2 AS w', [i]);
        });
        expect(reports[0]!.queries).toBe(32);
        expect(hits).toEqual([
          expect.objectContaining({ parentQuery: 'SELECT g AS id FROM generate_series(1, 6) g', count: 6 }),
        ]);
      } finally {
        inst.restore();
      }
    });
  });

  /** A pool of 3 instrumented in 'continuation' mode, with the request reports collected. */
  async function withContinuation(
    run: (pool: pg.Pool, inst: Instrumentation, reports: RequestReport[]) => Promise<void>,
  ) {
    await withPool({ max: 3 }, async (pool) => {
      const reports: RequestReport[] = [];
      const inst = instrument(pool, { scope: 'continuation', onRequestEnd: (r) => reports.push(r) });
      try {
        await run(pool, inst, reports);
      } finally {
        inst.restore();
      }
    });
  }

  /** A query made by another callback (an immediate), from that callback's microtasks. */
  function queryFromAnotherCallback(pool: pg.Pool, text: string): Promise<unknown> {
    return new Promise((resolve) => setImmediate(() => void Promise.resolve().then(() => resolve(pool.query(text)))));
  }

  it("'continuation': a request that awaits other I/O after a result lends its context to nothing else", async () => {
    await withContinuation(async (pool, inst, reports) => {
      await inst.runInRequest(
        async () => {
          await pool.query('SELECT 1');
          // another callback's microtasks query while this request waits for a timer: not this request's
          const background = queryFromAnotherCallback(pool, 'SELECT 99');
          await new Promise((resolve) => setTimeout(resolve, 20));
          await background;
        },
        { name: 'GET /waits' },
      );
      expect(reports).toEqual([expect.objectContaining({ name: 'GET /waits', queries: 1 })]);
      expect(inst.stats().queries).toBe(2);
    });
  });

  it("'continuation': a release in a result's microtasks does not end the request's context early", async () => {
    await withContinuation(async (pool, inst, reports) => {
      // two connections open: one for the checkout, one idle for the pool.query made before the release
      await Promise.all([pool.query('SELECT 0'), pool.query('SELECT 0')]);
      expect(pool.idleCount).toBe(2);
      await inst.runInRequest(
        async () => {
          const client = await pool.connect();
          await client.query('SELECT 1');
          // pool.query on an idle connection, then a release (pg-pool runs its queue synchronously), then another
          const a = pool.query('SELECT 2');
          client.release();
          const b = pool.query('SELECT 3');
          await Promise.all([a, b]);
          await pool.query('SELECT 4');
        },
        { name: 'GET /mixed' },
      );
      expect(reports).toEqual([expect.objectContaining({ name: 'GET /mixed', queries: 4 })]);
    });
  });

  it("'continuation': the context that pg-pool's hand-over tick ends does not reach another callback's microtasks", async () => {
    await withContinuation(async (pool, inst, reports) => {
      await Promise.all([pool.query('SELECT 0'), pool.query('SELECT 0')]); // idle connections
      await inst.runInRequest(
        async () => {
          await pool.query('SELECT 1');
          // a query on an idle connection right after a result: pg-pool's own tick ends the context; then another
          // callback's microtasks query while this request waits for a slow statement
          const slow = pool.query('SELECT pg_sleep(0.05)');
          const background = queryFromAnotherCallback(pool, 'SELECT 99');
          await slow;
          await background;
        },
        { name: 'GET /slow' },
      );
      expect(reports).toEqual([expect.objectContaining({ name: 'GET /slow', queries: 2 })]);
    });
  });
});
