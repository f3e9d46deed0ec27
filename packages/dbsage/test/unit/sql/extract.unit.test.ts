import { beforeAll, describe, expect, it } from 'vitest';
import { extractStatement } from '../../../src/sql/extract.js';
import { loadParser, parseStatement } from '../../../src/sql/parser.js';

beforeAll(() => loadParser());

const x = (sql: string, columns?: Record<string, string[]>) =>
  extractStatement(parseStatement(sql), columns ? { columnsOf: (t) => columns[t] } : {});
/** Predicates without locations, for exact comparisons. */
const preds = (sql: string, columns?: Record<string, string[]>) =>
  x(sql, columns).predicates.map(({ location: _l, ...p }) => p);
const p = (over: Record<string, unknown>) => ({
  table: 'users',
  schema: null,
  column: null,
  expression: null,
  functionName: null,
  inOr: false,
  negated: false,
  ...over,
});

describe('extractStatement predicates', () => {
  it('equality with a parameter and a constant, alias resolved', () => {
    expect(preds("SELECT * FROM users u WHERE u.id = $1 AND u.status = 'active'")).toEqual([
      p({ column: 'id', op: '=', value: { kind: 'param', index: 1 } }),
      p({ column: 'status', op: '=', value: { kind: 'const', value: 'active' } }),
    ]);
  });

  it('flips a value written on the left', () => {
    expect(preds('SELECT 1 FROM users WHERE 10 < age')).toEqual([
      p({ column: 'age', op: '>', value: { kind: 'const', value: 10 } }),
    ]);
  });

  it('IN lists, = ANY($1) and NOT IN', () => {
    expect(preds("SELECT 1 FROM users WHERE id IN (1, 2) AND team = ANY($1) AND kind NOT IN ('a')")).toEqual([
      p({
        column: 'id',
        op: 'IN',
        value: {
          kind: 'list',
          items: [
            { kind: 'const', value: 1 },
            { kind: 'const', value: 2 },
          ],
        },
      }),
      p({ column: 'team', op: 'IN', value: { kind: 'param', index: 1 } }),
      p({ column: 'kind', op: 'NOT IN', value: { kind: 'list', items: [{ kind: 'const', value: 'a' }] } }),
    ]);
  });

  it('ranges and BETWEEN with casts', () => {
    expect(
      preds('SELECT 1 FROM users WHERE created_at >= $1::timestamptz AND created_at < now() AND score BETWEEN 1 AND 5'),
    ).toEqual([
      p({ column: 'created_at', op: '>=', value: { kind: 'param', index: 1, type: 'timestamptz' } }),
      p({ column: 'created_at', op: '<', value: { kind: 'expr', text: 'now()', params: [] } }),
      p({ column: 'score', op: 'BETWEEN', value: { kind: 'const', value: 1 }, upper: { kind: 'const', value: 5 } }),
    ]);
  });

  it('IS NULL / IS NOT NULL, NOT pushes through', () => {
    expect(preds('SELECT 1 FROM users WHERE deleted_at IS NULL AND NOT (email IS NULL)')).toEqual([
      p({ column: 'deleted_at', op: 'IS NULL', value: { kind: 'const', value: null } }),
      p({ column: 'email', op: 'IS NOT NULL', value: { kind: 'const', value: null } }),
    ]);
  });

  it('LIKE, ILIKE and regex operators', () => {
    expect(
      preds("SELECT 1 FROM users WHERE name ILIKE '%ann%' AND email LIKE 'a%' AND name ~* '^b' AND name !~ 'x'"),
    ).toEqual([
      p({ column: 'name', op: 'ILIKE', value: { kind: 'const', value: '%ann%' } }),
      p({ column: 'email', op: 'LIKE', value: { kind: 'const', value: 'a%' } }),
      p({ column: 'name', op: '~*', value: { kind: 'const', value: '^b' } }),
      p({ column: 'name', op: '!~', value: { kind: 'const', value: 'x' } }),
    ]);
  });

  it('jsonb operators @> ? ?| ?&', () => {
    expect(
      preds(
        "SELECT 1 FROM products WHERE attributes @> '{\"color\":\"red\"}' AND attributes ? 'size' AND tags ?| $1 AND tags ?& array['a','b']",
      ),
    ).toEqual([
      p({ table: 'products', column: 'attributes', op: '@>', value: { kind: 'const', value: '{"color":"red"}' } }),
      p({ table: 'products', column: 'attributes', op: '?', value: { kind: 'const', value: 'size' } }),
      p({ table: 'products', column: 'tags', op: '?|', value: { kind: 'param', index: 1 } }),
      p({
        table: 'products',
        column: 'tags',
        op: '?&',
        value: {
          kind: 'list',
          items: [
            { kind: 'const', value: 'a' },
            { kind: 'const', value: 'b' },
          ],
        },
      }),
    ]);
  });

  it('full-text search @@ on a to_tsvector expression', () => {
    expect(preds("SELECT id FROM posts WHERE to_tsvector('english', body) @@ plainto_tsquery('english', $1)")).toEqual([
      p({
        table: 'posts',
        column: 'body',
        expression: "to_tsvector('english', body)",
        functionName: 'to_tsvector',
        op: '@@',
        value: { kind: 'expr', text: "plainto_tsquery('english', $1)", params: [1] },
      }),
    ]);
  });

  it('function-wrapped column: lower(email) = lower($1)', () => {
    expect(preds('SELECT id FROM users u WHERE lower(u.email) = lower($1)')).toEqual([
      p({
        column: 'email',
        expression: 'lower(email)',
        functionName: 'lower',
        op: '=',
        value: { kind: 'expr', text: 'lower($1)', params: [1] },
      }),
    ]);
  });

  it('marks predicates under OR', () => {
    expect(preds('SELECT 1 FROM users WHERE a = 1 OR b = 2').map((q) => [q.column, q.inOr])).toEqual([
      ['a', true],
      ['b', true],
    ]);
  });
});

describe('extractStatement structure', () => {
  it('join keys, per-table predicates, ORDER BY with direction, LIMIT/OFFSET, GROUP BY', () => {
    const m = x(
      `SELECT u.id, count(*) AS n FROM users u JOIN orders o ON o.user_id = u.id
        WHERE o.status = $1 AND u.created_at > $2 GROUP BY u.id ORDER BY n DESC, u.id LIMIT 20 OFFSET $3`,
    );
    expect(m.kind).toBe('select');
    expect(m.relations).toEqual([
      { name: 'users', schema: null, aliases: ['u'], access: 'read' },
      { name: 'orders', schema: null, aliases: ['o'], access: 'read' },
    ]);
    expect(m.joins).toEqual([
      { left: { table: 'orders', column: 'user_id' }, right: { table: 'users', column: 'id' }, type: 'INNER' },
    ]);
    expect(m.predicates.map((q) => [q.table, q.column, q.op])).toEqual([
      ['orders', 'status', '='],
      ['users', 'created_at', '>'],
    ]);
    expect(m.groupBy).toEqual([{ table: 'users', column: 'id', expression: null }]);
    expect(m.orderBy).toEqual([
      { table: null, column: 'n', expression: 'count(*)', descending: true, nullsFirst: null },
      { table: 'users', column: 'id', expression: null, descending: false, nullsFirst: null },
    ]);
    expect(m.limit).toEqual({ kind: 'const', value: 20 });
    expect(m.offset).toEqual({ kind: 'param', index: 3 });
    expect(m.aggregates).toEqual(['count']);
    expect(m.selected[0]).toEqual({ table: 'users', column: 'id', expression: null, star: false });
  });

  it('the seed filter+sort list query', () => {
    const m = x('SELECT * FROM orders WHERE user_id = $1 AND status = $2 ORDER BY created_at DESC LIMIT 20');
    expect(m.predicates.map((q) => [q.table, q.column, q.op, q.value])).toEqual([
      ['orders', 'user_id', '=', { kind: 'param', index: 1 }],
      ['orders', 'status', '=', { kind: 'param', index: 2 }],
    ]);
    expect(m.orderBy).toEqual([
      { table: 'orders', column: 'created_at', expression: null, descending: true, nullsFirst: null },
    ]);
    expect(m.selected).toEqual([{ table: null, column: null, expression: null, star: true }]);
  });

  it('resolves CTEs and subqueries to real tables', () => {
    const m = x(`WITH recent AS (SELECT id, user_id FROM orders WHERE created_at > now() - interval '1 day')
      SELECT r.id FROM recent r JOIN (SELECT id FROM users WHERE status = 'banned') b ON b.id = r.user_id
      WHERE EXISTS (SELECT 1 FROM comments c WHERE c.user_id = b.id)`);
    expect(m.ctes).toEqual(['recent']);
    expect(m.relations.map((r) => r.name).sort()).toEqual(['comments', 'orders', 'users']);
    expect(m.predicates.map((q) => [q.table, q.column, q.op])).toEqual([
      ['orders', 'created_at', '>'],
      ['users', 'status', '='],
    ]);
    expect(m.subqueries).toBe(2);
  });

  it('uses catalog columns to resolve unqualified columns in joins', () => {
    const m = x('SELECT 1 FROM users JOIN orders ON orders.user_id = users.id WHERE status = $1 AND email = $2', {
      users: ['id', 'email'],
      orders: ['id', 'user_id', 'status'],
    });
    expect(m.predicates.map((q) => [q.table, q.column])).toEqual([
      ['orders', 'status'],
      ['users', 'email'],
    ]);
  });

  it('INSERT target and columns, UPDATE SET columns, DELETE', () => {
    const ins = x('INSERT INTO app.users (id, email) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING');
    expect(ins.write).toEqual({
      kind: 'insert',
      table: 'users',
      schema: 'app',
      columns: ['id', 'email'],
      onConflict: true,
      unfiltered: false,
    });
    const upd = x('UPDATE users SET name = $1, updated_at = now() WHERE id = $2');
    expect(upd.write).toEqual({
      kind: 'update',
      table: 'users',
      schema: null,
      columns: ['name', 'updated_at'],
      onConflict: false,
      unfiltered: false,
    });
    expect(upd.predicates.map((q) => [q.column, q.op])).toEqual([['id', '=']]);
    expect(upd.relations).toEqual([{ name: 'users', schema: null, aliases: [], access: 'write' }]);
    const del = x('DELETE FROM sessions');
    expect(del.write).toMatchObject({ kind: 'delete', table: 'sessions', unfiltered: true });
  });
});
