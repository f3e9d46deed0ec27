import { beforeAll, describe, expect, it } from 'vitest';
import type { Catalog, Index, Table } from '../../../src/catalog/types.js';
import {
  checkAntiPatterns,
  statementsFromFile,
  statementsFromWorkload,
} from '../../../src/query/anti-patterns/check-anti-patterns.js';
import { loadParser } from '../../../src/sql/parser.js';
import type { WorkloadStatement } from '../../../src/workload/types.js';

beforeAll(loadParser);

const run = (sql: string, catalog?: Catalog) =>
  checkAntiPatterns(statementsFromFile(sql, 'q.sql'), catalog ? { catalog } : {});
const ids = (sql: string, catalog?: Catalog) => run(sql, catalog).map((f) => f.ruleId);

function index(table: string, name: string, keys: Partial<Index['keys'][number]>[], extra: Partial<Index> = {}): Index {
  return {
    name,
    schema: 'public',
    table,
    method: 'btree',
    keys: keys.map((k) => ({
      column: null,
      expression: null,
      descending: false,
      nullsFirst: false,
      opclass: null,
      collation: null,
      ...k,
    })),
    include: [],
    predicate: null,
    unique: false,
    primary: false,
    exclusion: false,
    constraintName: null,
    valid: true,
    ready: true,
    replicaIdentity: false,
    definition: '',
    sizeBytes: 0,
    scans: 0,
    tuplesRead: 0,
    tuplesFetched: 0,
    lastScan: null,
    ...extra,
  };
}

function table(name: string, columns: [string, boolean][], indexes: Index[]): Table {
  return {
    schema: 'public',
    name,
    columns: columns.map(([n, nullable], i) => ({
      name: n,
      nullable,
      position: i + 1,
      type: 'text',
      typeName: 'text',
    })),
    indexes,
    constraints: [],
  } as unknown as Table;
}

const catalog = {
  tables: [
    table(
      'users',
      [
        ['id', false],
        ['email', false],
        ['name', false],
        ['manager_id', true],
      ],
      [
        index('users', 'users_pkey', [{ column: 'id' }], { unique: true, primary: true }),
        index('users', 'users_email_key', [{ column: 'email' }], { unique: true }),
      ],
    ),
    table(
      'orders',
      [
        ['id', false],
        ['user_id', false],
        ['created_at', false],
      ],
      [index('orders', 'orders_created_at', [{ column: 'created_at' }])],
    ),
    table(
      'products',
      [
        ['id', false],
        ['name', false],
      ],
      [index('products', 'products_name_trgm', [{ column: 'name', opclass: 'gin_trgm_ops' }], { method: 'gin' })],
    ),
  ],
} as unknown as Catalog;

describe('SQL anti-patterns', () => {
  it('select-star: on statements (file = hot path) and on hot workload statements only', () => {
    expect(ids('SELECT * FROM users WHERE id = 1')).toContain('select-star');
    expect(ids('SELECT id, email FROM users WHERE id = 1')).not.toContain('select-star');
    const w = (calls: number): WorkloadStatement => ({
      fingerprint: `fp${calls}`,
      query: 'SELECT * FROM orders WHERE user_id = $1',
      example: null,
      exampleParams: null,
      calls,
      totalTimeMillis: calls,
      meanTimeMillis: 1,
      rows: calls,
      queryId: null,
      location: null,
    });
    const hot = checkAntiPatterns(statementsFromWorkload([w(5000), w(3)]));
    expect(hot.filter((f) => f.ruleId === 'select-star').map((f) => f.evidence.calls)).toEqual([5000]);
    expect(hot[0]!.location).toEqual({ object: 'statement fp5000' });
  });

  it('offset-pagination: suggests keyset on the ORDER BY key; a small constant OFFSET is left alone', () => {
    const [f] = run('SELECT id, created_at FROM orders ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET $1');
    expect(f!.ruleId).toBe('offset-pagination');
    expect(f!.remediation?.sql).toContain('WHERE (created_at, id) < ($last1, $last2)');
    expect(f!.location).toEqual({ file: 'q.sql', line: 1, column: 1 });
    expect(ids('SELECT id FROM orders ORDER BY id LIMIT 10 OFFSET 10')).not.toContain('offset-pagination');
    expect(ids('SELECT id FROM orders ORDER BY id LIMIT 10 OFFSET 50000')).toContain('offset-pagination');
  });

  it('not-in-nullable-subquery: only when the subquery column is nullable (with a catalog)', () => {
    const nullable = run('SELECT id FROM users WHERE id NOT IN (SELECT manager_id FROM users)', catalog);
    expect(nullable.map((f) => f.ruleId)).toContain('not-in-nullable-subquery');
    expect(nullable.find((f) => f.ruleId === 'not-in-nullable-subquery')!.evidence.nullable).toBe(true);
    expect(ids('SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM orders)', catalog)).not.toContain(
      'not-in-nullable-subquery',
    );
    expect(ids('SELECT id FROM users WHERE id IN (SELECT manager_id FROM users)', catalog)).not.toContain(
      'not-in-nullable-subquery',
    );
  });

  it('function-on-indexed-column: lower(email) and a cast on an indexed column; not on an unindexed one', () => {
    const found = run(
      "SELECT id FROM users WHERE lower(email) = lower($1) AND created_at::date = '2024-01-01'",
      catalog,
    );
    const f = found.find((x) => x.ruleId === 'function-on-indexed-column')!;
    expect(f.evidence).toMatchObject({
      column: 'email',
      expression: 'lower(email)',
      indexesOnColumn: ['users_email_key'],
    });
    expect(f.remediation?.sql).toBe('CREATE INDEX CONCURRENTLY ON users ((lower(email)));');
    expect(ids("SELECT id FROM orders WHERE created_at::date = '2024-01-01'", catalog)).toContain(
      'function-on-indexed-column',
    );
    expect(ids('SELECT id FROM users WHERE upper(name) = $1', catalog)).not.toContain('function-on-indexed-column');
  });

  it('leading-wildcard-like: reported without a trigram index, quiet with one, quiet for a prefix', () => {
    expect(ids("SELECT id FROM users WHERE name ILIKE '%' || $1 || '%'", catalog)).toContain('leading-wildcard-like');
    expect(ids("SELECT id FROM users WHERE email LIKE '%@example.com'", catalog)).toContain('leading-wildcard-like');
    expect(ids("SELECT id FROM products WHERE name ILIKE '%' || $1 || '%'", catalog)).not.toContain(
      'leading-wildcard-like',
    );
    expect(ids("SELECT id FROM users WHERE email LIKE 'bob%'", catalog)).not.toContain('leading-wildcard-like');
  });

  it('or-across-columns: different columns, not the same column twice', () => {
    const [f] = run('SELECT id FROM users WHERE email = $1 OR name = $2');
    expect(f!.ruleId).toBe('or-across-columns');
    expect(f!.evidence.columns).toEqual(['email', 'name']);
    expect(ids('SELECT id FROM users WHERE email = $1 OR email = $2')).not.toContain('or-across-columns');
  });

  it('count-for-existence: (SELECT count(*) …) > 0; not a real count', () => {
    expect(ids('SELECT id FROM users u WHERE (SELECT count(*) FROM orders o WHERE o.user_id = u.id) > 0')).toContain(
      'count-for-existence',
    );
    expect(
      ids('SELECT id FROM users u WHERE (SELECT count(*) FROM orders o WHERE o.user_id = u.id) > 5'),
    ).not.toContain('count-for-existence');
  });

  it('distinct-join-fanout: DISTINCT over a join that selects one side only', () => {
    const [f] = run(
      'SELECT DISTINCT u.id, u.email FROM users u JOIN orders o ON o.user_id = u.id WHERE o.created_at > $1',
    );
    expect(f!.ruleId).toBe('distinct-join-fanout');
    expect(f!.evidence).toMatchObject({ selectedFrom: 'users', joined: ['orders'] });
    expect(ids('SELECT DISTINCT u.id, o.id FROM users u JOIN orders o ON o.user_id = u.id')).not.toContain(
      'distinct-join-fanout',
    );
  });

  it('unbounded-select: a list without LIMIT; not a unique-key lookup, not an aggregate', () => {
    expect(ids('SELECT id, email FROM users ORDER BY email', catalog)).toContain('unbounded-select');
    expect(ids('SELECT id, email FROM users WHERE email = $1', catalog)).not.toContain('unbounded-select');
    expect(ids('SELECT count(*) FROM users', catalog)).not.toContain('unbounded-select');
    expect(ids('SELECT id FROM users ORDER BY email LIMIT 50', catalog)).not.toContain('unbounded-select');
  });

  it('correlated-subquery-select: a scalar subquery per outer row; an uncorrelated one is fine', () => {
    const [f] = run('SELECT u.id, (SELECT count(*) FROM orders o WHERE o.user_id = u.id) AS n FROM users u LIMIT 10');
    expect(f!.ruleId).toBe('correlated-subquery-select');
    expect(f!.evidence).toMatchObject({ subqueryFrom: 'o', correlatedOn: ['u.id'], column: 'n' });
    expect(ids('SELECT u.id, (SELECT max(id) FROM orders) AS m FROM users u LIMIT 10')).not.toContain(
      'correlated-subquery-select',
    );
  });

  it('a clean statement raises nothing; fingerprints are stable across constants', () => {
    expect(run('SELECT id, email FROM users WHERE id = $1', catalog)).toEqual([]);
    const a = run("SELECT * FROM users WHERE name ILIKE '%ab%'")[0]!.fingerprint;
    const b = run("SELECT * FROM users WHERE name ILIKE '%cd%'")[0]!.fingerprint;
    expect(a).toBe(b);
  });
});
