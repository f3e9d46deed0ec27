import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { instrument, type RequestReport, type RuntimeNPlusOne } from '../../../src/instrument.js';
import { loadParser } from '../../../src/sql/parser.js';

describe('instrument(PGlite): request scoping and the N+1 rule', () => {
  let db: PGlite;

  beforeAll(async () => {
    await loadParser();
    db = await PGlite.create();
    await db.exec(`
      CREATE TABLE authors (id int PRIMARY KEY, name text NOT NULL);
      CREATE TABLE books (id int PRIMARY KEY, author_id int NOT NULL REFERENCES authors (id), title text NOT NULL);
      INSERT INTO authors SELECT g, 'author ' || g FROM generate_series(1, 12) g;
      INSERT INTO books SELECT g, 1 + g % 10, 'book ' || g FROM generate_series(1, 40) g;`);
  });

  afterAll(async () => {
    await db?.close();
  });

  async function loop() {
    const authors = (await db.query<{ id: number }>('SELECT id, name FROM authors ORDER BY id')).rows;
    const out: unknown[][] = [];
    for (const a of authors)
      out.push((await db.query('SELECT id, title FROM books WHERE author_id = $1 ORDER BY id', [a.id])).rows);
    return out;
  }

  it('reports the loop at request end with a rewrite linked by the parameter values', async () => {
    const hits: RuntimeNPlusOne[] = [];
    const reports: RequestReport[] = [];
    const inst = instrument(db, {
      nPlusOne: { minTotalMillis: 0 },
      onNPlusOne: (h) => hits.push(h),
      onRequestEnd: (r) => reports.push(r),
    });
    try {
      await inst.runInRequest(loop, { name: 'GET /authors' });
      expect(reports).toHaveLength(1);
      expect(reports[0]).toMatchObject({ name: 'GET /authors', queries: 13 });
      expect(hits).toHaveLength(1);
      expect(hits[0]).toMatchObject({
        request: 'GET /authors',
        parentQuery: 'SELECT id, name FROM authors ORDER BY id',
        count: 12,
        link: {
          kind: 'one-to-many',
          childTable: 'books',
          childColumn: 'author_id',
          parentColumn: 'id',
          evidence: 'values',
        },
      });
      expect(hits[0]!.rewrite?.kind).toBe('json-agg');
      // Queries outside a request scope are not grouped: no report, no N+1.
      await loop();
      expect(reports).toHaveLength(1);
      const findings = await inst.findings();
      expect(findings.map((f) => f.ruleId)).toEqual(['n-plus-one']);
      expect(findings[0]!.evidence.rewriteCheck).toMatchObject({ parses: true, plans: null });
      // The rewrite gives the loop's rows.
      const expected = await loop();
      const rows = (await db.query<{ books: { id: number; title: string }[] }>(hits[0]!.rewrite!.sql)).rows;
      expect(rows.map((r) => [...r.books].sort((a, b) => a.id - b.id))).toEqual(expected);
    } finally {
      inst.restore();
    }
  });

  it('concurrent requests are kept apart; fast loops stay under the default 50 ms threshold', async () => {
    const hits: RuntimeNPlusOne[] = [];
    const reports: RequestReport[] = [];
    const inst = instrument(db, { onNPlusOne: (h) => hits.push(h), onRequestEnd: (r) => reports.push(r) });
    try {
      await Promise.all([
        inst.runInRequest(loop, { name: 'a' }),
        inst.runInRequest(async () => db.query('SELECT 1'), { name: 'b' }),
      ]);
      expect(reports.map((r) => [r.name, r.queries]).sort()).toEqual([
        ['a', 13],
        ['b', 1],
      ]);
      const a = reports.find((r) => r.name === 'a')!;
      if (a.totalQueryMillis < 50) expect(hits).toEqual([]);
    } finally {
      inst.restore();
    }
    // restore() really unwraps: nothing is recorded afterwards.
    const after = instrument(db, { onRequestEnd: (r) => reports.push(r) });
    after.restore();
    await db.query('SELECT 1');
    expect(reports).toHaveLength(2);
  });

  it("the default scope is AsyncLocalStorage here; 'continuation' needs a node-postgres pool", () => {
    // PGlite answers in-process, not from one I/O callback per connection: a continuation cannot be told apart
    expect(() => instrument(db, { scope: 'continuation' })).toThrow(UsageError);
  });
});
