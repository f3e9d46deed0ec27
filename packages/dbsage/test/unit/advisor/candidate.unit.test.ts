import { describe, expect, it } from 'vitest';
import { candidateDdl, isKeyPrefix, makeCandidate } from '../../../src/advisor/indexes/candidate.js';
import { applyGinModel, DEFAULT_COST_SETTINGS } from '../../../src/advisor/indexes/gin-model.js';
import { budgetBytes, parseBudget, parseDuration } from '../../../src/advisor/indexes/options.js';
import { summarize } from '../../../src/advisor/indexes/plan.js';
import { extendsCandidate } from '../../../src/advisor/indexes/search.js';
import type { Table } from '../../../src/catalog/types.js';

const key = (
  column: string | null,
  extra: Partial<{ expression: string; descending: boolean; opclass: string }> = {},
) => ({
  column,
  expression: extra.expression ?? null,
  descending: extra.descending ?? false,
  opclass: extra.opclass ?? null,
});

const base = { schema: 'public', include: [] as string[], predicate: null, predicateColumns: [] as string[] };

describe('candidate names and DDL', () => {
  it('writes CREATE INDEX CONCURRENTLY IF NOT EXISTS with directions, opclasses, INCLUDE and predicates', () => {
    const composite = makeCandidate({
      ...base,
      table: 'orders',
      method: 'btree',
      keys: [key('user_id'), key('status'), key('created_at', { descending: true })],
      kinds: ['composite'],
    });
    expect(composite.name).toBe('orders_user_id_status_created_at_idx');
    expect(candidateDdl(composite)).toBe(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_id_status_created_at_idx ON orders (user_id, status, created_at DESC)',
    );
    const trgm = makeCandidate({
      ...base,
      table: 'users',
      method: 'gin',
      keys: [key('name', { opclass: 'gin_trgm_ops' })],
      kinds: ['trigram'],
    });
    expect(candidateDdl(trgm, { concurrently: false })).toBe(
      'CREATE INDEX IF NOT EXISTS users_name_trgm_idx ON users USING gin (name gin_trgm_ops)',
    );
    const fts = makeCandidate({
      ...base,
      table: 'posts',
      method: 'gin',
      keys: [key(null, { expression: "to_tsvector('english', body)" })],
      kinds: ['full-text'],
    });
    expect(fts.name).toBe('posts_to_tsvector_english_body_fts_idx');
    expect(candidateDdl(fts)).toContain("USING gin ((to_tsvector('english', body)))");
    const partial = makeCandidate({
      ...base,
      table: 'users',
      method: 'btree',
      keys: [key('created_at', { descending: true })],
      include: ['id', 'email'],
      predicate: "status = 'banned'",
      predicateColumns: ['status'],
      kinds: ['partial', 'covering'],
    });
    expect(partial.name).toBe('users_created_at_banned_covering_idx');
    expect(candidateDdl(partial)).toMatch(/INCLUDE \(id, email\) WHERE status = 'banned'$/);
  });

  it('keeps names within 63 bytes and unique against taken names', () => {
    const long = makeCandidate(
      {
        ...base,
        table: 'a_table_with_a_rather_long_name_for_testing',
        method: 'btree',
        keys: [key('first_long_column_name'), key('second_long_column_name')],
        kinds: ['composite'],
      },
      new Set(),
    );
    expect(long.name.length).toBeLessThanOrEqual(63);
    const taken = makeCandidate(
      { ...base, table: 't', method: 'btree', keys: [key('a')], kinds: ['single'] },
      new Set(['t_a_idx']),
    );
    expect(taken.name).toBe('t_a_idx_2');
    // quoting of identifiers that need it
    const quoted = makeCandidate({ ...base, table: 'Order', method: 'btree', keys: [key('user')], kinds: ['single'] });
    expect(candidateDdl(quoted)).toContain('ON "Order" ("user")');
  });

  it('recognises key prefixes and widenings, not different predicates or methods', () => {
    const a = makeCandidate({ ...base, table: 't', method: 'btree', keys: [key('a')], kinds: ['single'] });
    const ab = makeCandidate({
      ...base,
      table: 't',
      method: 'btree',
      keys: [key('a'), key('b')],
      kinds: ['composite'],
    });
    const aInc = makeCandidate({
      ...base,
      table: 't',
      method: 'btree',
      keys: [key('a')],
      include: ['c'],
      kinds: ['covering'],
    });
    const aPartial = makeCandidate({
      ...base,
      table: 't',
      method: 'btree',
      keys: [key('a')],
      predicate: 'b = 1',
      kinds: ['partial'],
    });
    const aHash = makeCandidate({ ...base, table: 't', method: 'hash', keys: [key('a')], kinds: ['hash'] });
    expect(isKeyPrefix(a, ab)).toBe(true);
    expect(extendsCandidate(a, ab)).toBe(true);
    expect(extendsCandidate(a, aInc)).toBe(true);
    expect(extendsCandidate(ab, a)).toBe(false);
    expect(extendsCandidate(a, aPartial)).toBe(false);
    expect(extendsCandidate(aHash, a)).toBe(false);
  });
});

describe('option parsing', () => {
  it('reads budgets as a share of the data size or as a size', () => {
    expect(parseBudget('20%')).toEqual({ kind: 'fraction', fraction: 0.2 });
    expect(parseBudget('500MB')).toEqual({ kind: 'bytes', bytes: 500 * 1024 ** 2 });
    expect(budgetBytes(parseBudget('2.5%'), 1000_000)).toBe(25_000);
    expect(() => parseBudget('lots')).toThrow(/--budget/);
    expect(() => parseBudget('0%')).toThrow(/positive/);
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(() => parseDuration('soon')).toThrow(/duration/);
  });
});

describe('GIN cost model (servers: HypoPG cannot simulate GIN)', () => {
  const table = { name: 'posts', schema: 'public', rowEstimate: 10_000, pages: 1000 } as Table;
  const fts = makeCandidate({
    ...base,
    table: 'posts',
    method: 'gin',
    keys: [key(null, { expression: "to_tsvector('english', body)" })],
    kinds: ['full-text'],
  });
  // A seq scan whose filter costs 0.25 per row (to_tsvector's procost 100 × cpu_operator_cost), under a LIMIT.
  const seqTotal = 1000 * 1 + 10_000 * (0.01 + 0.25);
  const plan = summarize({
    'Node Type': 'Limit',
    'Startup Cost': 0,
    'Total Cost': seqTotal,
    'Plan Rows': 20,
    Plans: [
      { 'Node Type': 'Seq Scan', 'Relation Name': 'posts', 'Startup Cost': 0, 'Total Cost': seqTotal, 'Plan Rows': 5 },
    ],
  });

  it('replaces a selective seq scan with a cheaper modelled bitmap scan', () => {
    const after = applyGinModel(plan, fts, table, fts.name, 800_000, DEFAULT_COST_SETTINGS);
    expect(after.totalCost).toBeLessThan(plan.totalCost / 10);
    expect(after.scans.map((s) => s.nodeType)).toEqual(['Bitmap Heap Scan', 'Bitmap Index Scan']);
    expect(after.scans[1]!.index).toBe(fts.name);
  });

  it('leaves the plan alone when the filter is not selective', () => {
    const broad = summarize({
      'Node Type': 'Seq Scan',
      'Relation Name': 'posts',
      'Startup Cost': 0,
      'Total Cost': 1000 + 10_000 * 0.0125,
      'Plan Rows': 9_000,
    });
    const after = applyGinModel(broad, fts, table, fts.name, 800_000, DEFAULT_COST_SETTINGS);
    expect(after).toBe(broad);
  });
});
