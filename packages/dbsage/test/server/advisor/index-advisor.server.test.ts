import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { type AdvisorResult, adviseIndexes } from '../../../src/advisor/indexes/advise.js';
import { advisorFindings } from '../../../src/advisor/indexes/findings.js';
import { verifyRecommendations } from '../../../src/advisor/indexes/verify.js';
import { buildDemoDatabase } from '../../../src/demo/build.js';
import { replayDemoWorkload } from '../../../src/demo/replay.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import type { Finding } from '../../../src/findings/finding.js';
import type { Workload } from '../../../src/workload/types.js';
import { assertDemoRecommendations } from '../../embedded/advisor/demo-expectations.js';

const SCALE = 0.1;

/** Everything a plain advisor run must leave untouched: relations, indexes, statistics targets. */
async function catalogSnapshot(db: TestDatabase): Promise<string> {
  const r = await db.admin.query<{ line: string }>(
    `SELECT c.oid || ' ' || c.relname || ' ' || c.relkind::text || ' ' || coalesce(i.indisvalid::text, '') AS line
       FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
      ORDER BY c.oid`,
  );
  return r.rows.map((x) => x.line).join('\n');
}

describe.skipIf(!hasTestPostgres())('index advisor on the demo workload (PostgreSQL 15 + HypoPG)', () => {
  let db: TestDatabase;
  let client: ServerClient;
  let workload: Workload;
  let result: AdvisorResult;
  let findings: Finding[];
  let before: string;

  beforeAll(async () => {
    db = await createTestDatabase('advisor');
    await buildDemoDatabase((sql) => db.admin.query(sql), SCALE);
    client = await ServerClient.connect({ connectionString: db.url });
    workload = await replayDemoWorkload(client, SCALE);
    before = await catalogSnapshot(db);
    result = await adviseIndexes(client, workload);
    findings = advisorFindings(result);
  });
  afterAll(async () => {
    await client?.close();
    await db?.drop();
  });

  it('recommends every index kind the demo exercises, with HypoPG costs and evidence', () => {
    expect(result.engine).toBe('hypopg');
    assertDemoRecommendations(result, findings);
  });

  it('says how GIN costs were obtained (HypoPG cannot simulate GIN)', () => {
    const gins = result.recommendations.filter((r) => r.candidate.method === 'gin');
    expect(gins.length).toBe(3);
    for (const g of gins) {
      expect(g.costSource).toBe('model');
      const f = findings.find((x) => x.evidence.index === g.candidate.name)!;
      expect(f.evidence.costSource).toBe('model');
      expect(String(f.evidence.costNote)).toMatch(/HypoPG cannot simulate GIN/);
    }
    const btree = result.recommendations.find((r) => r.candidate.method === 'btree')!;
    expect(btree.costSource).toBe('hypopg');
    expect(btree.sizeSource).toBe('hypopg');
  });

  it('costs parameterized statements with a generic plan too (PREPARE + force_generic_plan on PG 15)', () => {
    const byCategory = result.statements.find((s) => s.query.includes('WHERE category = $1'))!;
    expect(byCategory.paramSource).toBe('example');
    expect(byCategory.genericCostBefore).toBeGreaterThan(0);
    expect(byCategory.genericCostAfter!).toBeLessThan(byCategory.genericCostBefore!);
  });

  it('leaves the catalog unchanged and no hypothetical index behind', async () => {
    expect(await catalogSnapshot(db)).toBe(before);
    // The pinned session went back to the pool: every pooled connection must be free of HypoPG state.
    const checks = await Promise.all(
      [1, 2, 3, 4].map(() => client.query<{ n: number }>('SELECT count(*)::int AS n FROM hypopg_list_indexes')),
    );
    for (const c of checks) expect(c.rows[0]!.n).toBe(0);
  });

  it('refuses --verify on a server unless it is a scratch copy', async () => {
    await expect(verifyRecommendations(client, result)).rejects.toMatchObject({ code: 'E_CAPABILITY' });
  });

  it('--verify --scratch confirms each recommendation by measured time, no regression', async () => {
    const verify = await verifyRecommendations(client, result, { scratch: true });
    for (const v of verify.indexes) {
      expect(
        v.confirmed,
        `${v.name}: ${v.millisBefore.toFixed(3)}→${v.millisAfter.toFixed(3)} ms, ratio ${v.ratio.toFixed(2)}`,
      ).toBe(true);
    }
    expect(verify.statements.filter((s) => s.regressed)).toEqual([]);
    // and the verification, too, was rolled back
    expect(await catalogSnapshot(db)).toBe(before);
  });
});
