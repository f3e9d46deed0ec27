import { beforeAll, describe, expect, it } from 'vitest';
import { detectFromStatements } from '../../../src/query/n-plus-one/detect-statements.js';
import { loadParser } from '../../../src/sql/parser.js';

beforeAll(() => loadParser());

const stat = (query: string, calls: number, rows: number) => ({
  fingerprint: query,
  query,
  calls,
  rows,
  totalMillis: calls,
});

describe('N+1 pairing from statement statistics', () => {
  it('pairs a child run once per parent row, several times per parent call', () => {
    const parent = stat('SELECT id, email FROM users ORDER BY created_at DESC LIMIT $1', 3, 75);
    const child = stat('SELECT team_id, role FROM user_teams WHERE user_id = $1', 75, 150);
    const pairs = detectFromStatements([parent, child], undefined);
    expect(pairs.map((p) => [p.parent.query, p.child.query, p.ratio])).toEqual([[parent.query, child.query, 1]]);
  });

  it('does not pair statements whose counts merely line up (2 child calls per parent call)', () => {
    const search = stat('SELECT id, name FROM users WHERE name ILIKE $1 LIMIT 20', 16, 36);
    const orders = stat('SELECT id, total FROM orders WHERE user_id = $1 AND status = $2', 32, 300);
    expect(detectFromStatements([search, orders], undefined)).toEqual([]);
    expect(detectFromStatements([search, orders], undefined, { minCallsPerParentCall: 2 })).toHaveLength(1);
  });
});
