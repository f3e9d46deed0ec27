import { expect } from 'vitest';
import type { AdvisorResult, Recommendation } from '../../../src/advisor/indexes/advise.js';
import type { Finding } from '../../../src/findings/finding.js';

/**
 * The index kinds the demo workload must produce, shared by the embedded and the server tier: each entry finds
 * the recommendation by its real shape (table, method, keys, opclass, INCLUDE, predicate), never by name.
 */
export const DEMO_EXPECTED_KINDS: Record<string, (r: Recommendation) => boolean> = {
  'composite (user_id, status, created_at DESC) on orders': (r) =>
    r.candidate.table === 'orders' &&
    r.candidate.method === 'btree' &&
    r.candidate.keys.length >= 3 &&
    r.candidate.keys[0]!.column === 'user_id' &&
    r.candidate.keys[1]!.column === 'status' &&
    r.candidate.keys[2]!.column === 'created_at' &&
    r.candidate.keys[2]!.descending,
  'lower(email) expression index on users': (r) =>
    r.candidate.table === 'users' &&
    r.candidate.method === 'btree' &&
    r.candidate.keys[0]?.expression === 'lower(email)',
  'GIN trigram on users.name': (r) =>
    r.candidate.table === 'users' &&
    r.candidate.method === 'gin' &&
    r.candidate.keys[0]?.column === 'name' &&
    r.candidate.keys[0]?.opclass === 'gin_trgm_ops',
  'GIN jsonb_path_ops on products.attributes': (r) =>
    r.candidate.table === 'products' &&
    r.candidate.method === 'gin' &&
    r.candidate.keys[0]?.column === 'attributes' &&
    r.candidate.keys[0]?.opclass === 'jsonb_path_ops',
  "full-text GIN on to_tsvector('english', body)": (r) =>
    r.candidate.table === 'posts' &&
    r.candidate.method === 'gin' &&
    r.candidate.keys[0]?.expression === "to_tsvector('english', body)",
  "partial index for users status = 'banned'": (r) =>
    r.candidate.table === 'users' && r.candidate.predicate === "status = 'banned'",
  'covering index on products (category) INCLUDE (name, price)': (r) =>
    r.candidate.table === 'products' &&
    r.candidate.keys[0]?.column === 'category' &&
    r.candidate.include.includes('name') &&
    r.candidate.include.includes('price'),
  'index on user_teams(user_id) for the N+1 child lookup': (r) =>
    r.candidate.table === 'user_teams' && r.candidate.keys[0]?.column === 'user_id',
};

/** Asserts every expected kind is recommended, serves a statement and has complete evidence in its finding. */
export function assertDemoRecommendations(result: AdvisorResult, findings: readonly Finding[]): void {
  for (const [label, match] of Object.entries(DEMO_EXPECTED_KINDS)) {
    const rec = result.recommendations.find(match);
    expect(
      rec,
      `expected a recommendation: ${label}; got ${result.recommendations.map((r) => r.ddl).join('; ')}`,
    ).toBeDefined();
    expect(rec!.statements.length, label).toBeGreaterThan(0);
    for (const s of rec!.statements) {
      expect(s.costAfter!, label).toBeLessThan(s.costBefore!);
      expect(s.planAfter.join(' '), label).toMatch(/Index|Bitmap/);
    }
    expect(rec!.sizeBytes, label).toBeGreaterThan(0);
    const f = findings.find((x) => x.ruleId === 'index-recommendation' && x.evidence.index === rec!.candidate.name);
    expect(f, label).toBeDefined();
    expect(f!.category).toBe('index');
    expect(f!.remediation?.sql).toMatch(/^CREATE INDEX CONCURRENTLY IF NOT EXISTS /);
    expect((f!.evidence.statements as unknown[]).length).toBeGreaterThan(0);
    expect(f!.evidence.sizeBytes).toBe(rec!.sizeBytes);
    expect(f!.impact?.predicted?.workloadGain).toBeGreaterThan(0);
  }
}
