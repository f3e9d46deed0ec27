import { beforeAll, describe, expect, it } from 'vitest';
import { fingerprintSql, loadParser, parseRaw, parseStatement } from '../../../src/sql/parser.js';
import {
  computeShape,
  exclusionReason,
  ShapeCache,
  shapeKey,
  stripComments,
} from '../../../src/workload/aggregate-shape.js';

beforeAll(() => loadParser());

describe('shapeKey', () => {
  it('erases literals, comments and whitespace runs, and keeps everything else', () => {
    expect(shapeKey("SELECT * FROM t WHERE a = 1 AND b = 'x''y' -- note\n  AND c IN (1.5, 2e-3, .5)")).toBe(
      'SELECT * FROM t WHERE a = ? AND b = ? AND c IN (?, ?, ?)',
    );
    expect(shapeKey('SELECT "t1"."c2", t1.c3 FROM "T1" t1 /* a /* nested */ comment */ WHERE x = $1')).toBe(
      'SELECT "t1"."c2", t1.c3 FROM "T1" t1 WHERE x = $1',
    );
    expect(shapeKey("SELECT E'it\\'s', $$a;'b$$, $fn$ x $fn$, B'0101', x::int FROM t")).toBe(
      'SELECT E?, ?, ?, B?, x::int FROM t',
    );
    // Where there was no whitespace there is none in the key: `a-1` and `a - 1` are kept apart.
    expect(shapeKey('SELECT a-1, a - 1, -1')).toBe('SELECT a-?, a - ?, -?');
  });

  it('gives up (null) where it is not sure, so the text is parsed instead', () => {
    for (const sql of [
      "SELECT 'unterminated",
      'SELECT "unterminated',
      'SELECT 1 /* unterminated',
      'SELECT $tag$ unterminated',
      'SELECT 1abc',
      'SELECT 0x1F',
      'SELECT 1_000',
      'SELECT 1.2.3',
      'SELECT 1e',
    ]) {
      expect(shapeKey(sql), sql).toBeNull();
    }
  });

  // Soundness: texts with one key must have one fingerprint. Variants differ in constants, comments, whitespace.
  const corpus: string[][] = [
    [
      'SELECT * FROM users WHERE id = 1',
      'SELECT  *  FROM users\n WHERE id = 99 /* trace_id=abc */',
      'SELECT * FROM users WHERE id = -0.5',
    ],
    ["SELECT * FROM orders WHERE status = 'paid' LIMIT 10", "SELECT * FROM orders WHERE status = E'x\\'y' LIMIT 500"],
    ['SELECT * FROM t WHERE id IN (1, 2, 3)', "SELECT * FROM t WHERE id IN ('a')", 'SELECT * FROM t WHERE id IN (1,2)'],
    ["SELECT now() - interval '1 day', $$body$$ FROM x", "SELECT now() - interval '7 days', $q$other$q$ FROM x"],
    ["INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')", "INSERT INTO t (a, b) VALUES (3, 'z')"],
    ["UPDATE t SET v = v + 1 WHERE k = 'é日本'", "UPDATE t SET v = v + 42 WHERE k = ''"],
    ['SELECT attributes @> \'{"a": 1}\'::jsonb FROM p', "SELECT attributes @> '[]'::jsonb FROM p -- x"],
  ];

  it('maps texts that share a key to one fingerprint, and different statements to different keys', () => {
    const keys = new Map<string, string>();
    for (const group of corpus) {
      for (const sql of group) {
        const key = shapeKey(sql);
        expect(key, sql).not.toBeNull();
        const fp = fingerprintSql(sql);
        const seen = keys.get(key!);
        if (seen !== undefined) expect(fp, sql).toBe(seen);
        keys.set(key!, fp);
      }
      expect(new Set(group.map(fingerprintSql)).size, group[0]).toBe(1);
    }
    expect(shapeKey('SELECT a FROM t WHERE id = 1')).not.toBe(shapeKey('SELECT b FROM t WHERE id = 1'));
  });
});

describe('ShapeCache', () => {
  it('parses once per shape, however many constants it sees', () => {
    const cache = new ShapeCache();
    const direct = computeShape('SELECT * FROM users WHERE id = 1');
    for (let i = 0; i < 1000; i++) {
      expect(cache.shapeOf(`SELECT * FROM users WHERE id = ${i} /* trace_id=${i} */`)).toEqual(direct);
    }
    expect(cache.parses).toBe(1);
  });

  it('starts over when full, still answering correctly', () => {
    const cache = new ShapeCache(2);
    const a = cache.shapeOf('SELECT a FROM t');
    cache.shapeOf('SELECT b FROM t');
    cache.shapeOf('SELECT c FROM t');
    expect(cache.shapeOf('SELECT a FROM t')).toEqual(a);
    expect(cache.parses).toBe(4);
  });

  it('splits multi-statement texts and reports parse failures', () => {
    const shape = computeShape("BEGIN READ ONLY; SET LOCAL statement_timeout = 5; SELECT x FROM t WHERE y = 'z'");
    expect(shape.ok && shape.parts.map((p) => [p.kind, p.exclusion, p.query])).toEqual([
      ['TransactionStmt', 'session-control', 'BEGIN READ ONLY'],
      ['VariableSetStmt', 'session-control', 'SET LOCAL statement_timeout = $1'],
      ['SelectStmt', null, 'SELECT x FROM t WHERE y = $1'],
    ]);
    expect(computeShape('SELEC 1')).toEqual({ ok: false, message: 'syntax error at or near "SELEC"' });
  });

  it('normalizes without comments, so a trace id never becomes part of the shape text', () => {
    const shape = computeShape("SELECT * FROM t WHERE id = 5 /* trace_id=abc */ -- tail\nAND k = 'x'");
    expect(shape.ok && shape.parts[0]!.query).toBe('SELECT * FROM t WHERE id = $1\nAND k = $2');
    expect(stripComments('SELECT 1 /* a */ FROM t -- b')).toBe('SELECT 1  FROM t');
  });
});

describe('exclusionReason', () => {
  const reason = (sql: string) => {
    const r = parseRaw(sql);
    if (!r.ok) throw new Error(r.failure.message);
    return exclusionReason(r.stmts[0]!.stmt);
  };

  it('leaves out session control, utility statements, catalog-only reads and pings', () => {
    expect(reason('BEGIN READ ONLY')).toBe('session-control');
    expect(reason('ROLLBACK')).toBe('session-control');
    expect(reason('SET LOCAL lock_timeout = 1000')).toBe('session-control');
    expect(reason('SHOW work_mem')).toBe('session-control');
    expect(reason('DISCARD ALL')).toBe('session-control');
    expect(reason('CREATE TABLE t (id int)')).toBe('utility');
    expect(reason('VACUUM ANALYZE t')).toBe('utility');
    expect(reason('EXPLAIN SELECT * FROM t')).toBe('utility');
    expect(reason('SELECT relname FROM pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace')).toBe(
      'system-catalog',
    );
    expect(reason('SELECT * FROM information_schema.tables')).toBe('system-catalog');
    expect(reason('SELECT query FROM public.pg_stat_statements')).toBe('system-catalog');
    expect(reason('SELECT 1')).toBe('no-relation');
    expect(reason("SELECT current_setting('server_version_num'), pg_backend_pid()")).toBe('no-relation');
  });

  it('keeps reads and writes of user tables and calls of user functions', () => {
    expect(reason('SELECT * FROM users u JOIN pg_class c ON c.relname = u.name')).toBeNull();
    expect(reason('WITH r AS (SELECT * FROM orders) SELECT * FROM r')).toBeNull();
    expect(reason('INSERT INTO t VALUES (1)')).toBeNull();
    expect(reason('UPDATE t SET x = 1')).toBeNull();
    expect(reason('DELETE FROM t')).toBeNull();
    expect(reason('SELECT refresh_totals(42)')).toBeNull();
    expect(reason('CALL archive_orders()')).toBeNull();
    expect(reason('COPY t FROM STDIN')).toBeNull();
  });
});

describe('catalog-only statements behind CTEs', () => {
  it('a CTE over pg_catalog read by name is still catalog-only; one over a user table is workload', async () => {
    await loadParser();
    expect(exclusionReason(parseStatement('WITH idx AS (SELECT * FROM pg_index) SELECT count(*) FROM idx'))).toBe(
      'system-catalog',
    );
    expect(exclusionReason(parseStatement('WITH o AS (SELECT * FROM orders) SELECT count(*) FROM o'))).toBeNull();
  });
});
