import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdvisorResult, adviseIndexes } from '../../../src/advisor/indexes/advise.js';
import { findDropCandidates } from '../../../src/advisor/indexes/existing.js';
import { advisorFindings } from '../../../src/advisor/indexes/findings.js';
import { type VerifyReport, verifyRecommendations } from '../../../src/advisor/indexes/verify.js';
import { analyzers } from '../../../src/analyzers/index-advisor.js';
import { readCatalog } from '../../../src/catalog/introspect.js';
import { buildDemoDatabase } from '../../../src/demo/build.js';
import { replayDemoWorkload } from '../../../src/demo/replay.js';
import { EmbeddedClient } from '../../../src/engines/postgres/embedded-client.js';
import { createAnalyzerContext } from '../../../src/findings/context.js';
import type { Finding } from '../../../src/findings/finding.js';
import { runAnalyzers } from '../../../src/findings/registry.js';
import { fingerprintSql, loadParser } from '../../../src/sql/parser.js';
import type { Workload, WorkloadStatement } from '../../../src/workload/types.js';
import { assertDemoRecommendations } from './demo-expectations.js';

const SCALE = 0.1;

/** Statements that must NOT get an index, each with the reason the advisor must give. */
const NEGATIVES: { sql: string; reason: string }[] = [
  { sql: 'SELECT id, name FROM teams WHERE id = 7', reason: 'already-indexed' },
  { sql: "SELECT count(*) FROM users WHERE status = 'active'", reason: 'no-selective-predicate' },
  { sql: 'SELECT name FROM teams ORDER BY name LIMIT 5', reason: 'low-cost' },
];

function statement(sql: string, calls: number, totalTimeMillis: number): WorkloadStatement {
  return {
    fingerprint: fingerprintSql(sql),
    query: sql,
    example: sql,
    exampleParams: null,
    calls,
    totalTimeMillis,
    meanTimeMillis: totalTimeMillis / calls,
    rows: 0,
    queryId: null,
    location: null,
  };
}

async function indexNames(client: EmbeddedClient): Promise<string[]> {
  const r = await client.query<{ indexname: string }>(
    "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
  );
  return r.rows.map((x) => x.indexname);
}

describe('index advisor on the demo workload (PGlite)', () => {
  let client: EmbeddedClient;
  let workload: Workload;
  let result: AdvisorResult;
  let findings: Finding[];
  let verify: VerifyReport;
  let indexesBefore: string[];

  beforeAll(async () => {
    await loadParser();
    client = await EmbeddedClient.open();
    await buildDemoDatabase((sql) => client.execWrite(sql), SCALE);
    const demo = await replayDemoWorkload(client, SCALE);
    workload = {
      ...demo,
      statements: [...demo.statements, ...NEGATIVES.map((n) => statement(n.sql, 20, 20))],
    };
    indexesBefore = await indexNames(client);
    result = await adviseIndexes(client, workload);
    verify = await verifyRecommendations(client, result);
    findings = advisorFindings(result, verify);
  });
  afterAll(async () => {
    await client?.close();
  });

  it('recommends every index kind the demo exercises, with evidence', () => {
    expect(result.engine).toBe('real-index');
    assertDemoRecommendations(result, findings);
    expect(result.candidateErrors).toEqual([]);
    expect(result.curve.at(-1)!.relativeCost).toBeLessThan(0.5);
  });

  it('gives a reason code to each statement it does not index', () => {
    for (const n of NEGATIVES) {
      const s = result.statements.find((x) => x.query === n.sql)!;
      expect(s.servedBy, n.sql).toEqual([]);
      expect(s.reason, n.sql).toBe(n.reason);
      const f = findings.find((x) => x.ruleId === 'index-no-recommendation' && x.evidence.query === n.sql);
      expect(f?.severity).toBe('info');
      expect(f?.evidence.reason).toBe(n.reason);
    }
    // and none of the demo's own statements is left without an index
    for (const s of result.statements.filter((x) => !NEGATIVES.some((n) => n.sql === x.query))) {
      expect(s.servedBy.length, s.query).toBeGreaterThan(0);
    }
  });

  it('records generic-plan costs next to the representative ones', () => {
    const ilike = result.statements.find((s) => s.query.includes('ILIKE'))!;
    expect(ilike.paramSource).toBe('example');
    expect(ilike.genericCostBefore).toBeGreaterThan(0);
    expect(ilike.genericCostAfter).toBeGreaterThan(0);
  });

  it('--verify confirms each recommendation by measured time and finds no regression', () => {
    expect(verify.runs).toBeGreaterThanOrEqual(3);
    for (const r of result.recommendations) {
      const v = verify.indexes.find((i) => i.name === r.candidate.name)!;
      expect(v.measuredGain, `${r.candidate.name}: measured ${v.millisBefore}→${v.millisAfter} ms`).toBeGreaterThan(0);
      expect(v.ratio, r.candidate.name).toBeGreaterThanOrEqual(0.5);
      expect(v.confirmed).toBe(true);
      const f = findings.find((x) => x.evidence.index === r.candidate.name)!;
      expect(f.impact?.measured?.confirmed).toBe(true);
    }
    expect(verify.statements.filter((s) => s.regressed)).toEqual([]);
  });

  it('leaves the database unchanged (everything ran in rolled-back transactions)', async () => {
    expect(await indexNames(client)).toEqual(indexesBefore);
  });

  it('orders by value and writes a cumulative curve that only goes down', () => {
    const costs = result.curve.map((p) => p.relativeCost);
    for (let i = 1; i < costs.length; i++) expect(costs[i]!).toBeLessThanOrEqual(costs[i - 1]! + 1e-9);
    expect(result.curve.length).toBe(result.recommendations.length + 1);
  });

  it('respects a storage budget and says which statements lost out to it', async () => {
    const smallest = Math.min(...result.recommendations.map((r) => r.sizeBytes));
    const tight = await adviseIndexes(client, workload, { budget: { kind: 'bytes', bytes: smallest * 2 } });
    const used = tight.recommendations.reduce((a, r) => a + r.sizeBytes, 0);
    expect(used).toBeLessThanOrEqual(smallest * 2);
    expect(tight.recommendations.length).toBeLessThan(result.recommendations.length);
    expect(tight.statements.some((s) => s.reason === 'budget-exhausted')).toBe(true);
  });

  it('--write-aware gives up an index whose maintenance on a hot UPDATE outweighs its reads', async () => {
    const update = 'UPDATE orders SET status = $1 WHERE id = $2';
    const heavy: Workload = {
      ...workload,
      statements: [
        ...workload.statements,
        { ...statement(update, 100_000, 50_000), example: update, exampleParams: ['paid', '5'] },
      ],
    };
    const plain = await adviseIndexes(client, heavy);
    const aware = await adviseIndexes(client, heavy, { writeAware: true });
    const onOrders = (r: AdvisorResult) => r.recommendations.filter((x) => x.candidate.table === 'orders');
    expect(onOrders(plain).length).toBe(1);
    expect(onOrders(aware)).toEqual([]);
    const s = aware.statements.find((x) => x.query.startsWith('SELECT id, total, created_at FROM orders'))!;
    expect(s.reason).toBe('write-heavy-table');
    // tables the UPDATE does not touch keep their indexes
    expect(aware.recommendations.length).toBe(plain.recommendations.length - 1);
  });

  it('runs as a discovered analyzer and returns findings', async () => {
    const ctx = createAnalyzerContext({ client, loadWorkload: async () => workload });
    const [outcome] = await runAnalyzers(analyzers, ctx);
    expect(outcome!.status).toBe('ok');
    expect(outcome!.findings.filter((f) => f.ruleId === 'index-recommendation').length).toBeGreaterThanOrEqual(8);
  });

  it('proposes duplicate, redundant and invalid indexes for dropping, never constraint indexes', async () => {
    await client.execWrite('CREATE INDEX products_sku_copy ON products (sku)');
    await client.execWrite('CREATE INDEX orders_user_only ON orders (user_id)');
    try {
      const catalog = await client.transaction((tx) => readCatalog(tx));
      const drops = findDropCandidates(
        catalog,
        result.recommendations.map((r) => r.candidate),
      );
      const dup = drops.find((d) => d.index === 'products_sku_copy');
      expect(dup).toMatchObject({ reason: 'duplicate', coveredBy: 'products_sku_unique' });
      const red = drops.find((d) => d.index === 'orders_user_only');
      expect(red?.reason).toBe('redundant');
      expect(red?.coveredByRecommendation).toBe(true);
      expect(drops.some((d) => d.index.endsWith('_pkey') || d.index === 'products_sku_unique')).toBe(false);
    } finally {
      await client.execWrite('DROP INDEX products_sku_copy; DROP INDEX orders_user_only');
    }
  });
});
