import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { adviseIndexes } from '../../../src/advisor/indexes/advise.js';
import { candidateDdl, makeCandidate } from '../../../src/advisor/indexes/candidate.js';
import { HypopgSession } from '../../../src/advisor/indexes/hypopg-engine.js';
import { readCatalog } from '../../../src/catalog/introspect.js';
import type { Catalog } from '../../../src/catalog/types.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import { fingerprintSql, loadParser } from '../../../src/sql/parser.js';
import type { Workload } from '../../../src/workload/types.js';

/**
 * The advisor under a storage budget on PostgreSQL 15 + HypoPG: B-tree sizes account for deduplication (HypoPG
 * alone assumes one tuple per row), and a composite that does not fit the budget gives way to its key prefix.
 * 200 000 orders-like rows: 2 000 accounts (100 rows each), 4 statuses, unique timestamps.
 */
const QUERY =
  'SELECT id, total, created_at FROM purchases WHERE account_id = $1 AND status = $2 ORDER BY created_at DESC LIMIT 20';

function workload(): Workload {
  return {
    source: 'replay',
    statements: [
      {
        fingerprint: fingerprintSql(QUERY),
        query: QUERY,
        example: QUERY,
        exampleParams: ['417', 'paid'],
        calls: 500,
        totalTimeMillis: 5000,
        meanTimeMillis: 10,
        rows: 10_000,
        queryId: null,
        location: null,
      },
    ],
    skipped: { count: 0, samples: [] },
    read: 500,
  };
}

const btree = (columns: string[]) =>
  makeCandidate({
    schema: 'public',
    table: 'purchases',
    method: 'btree',
    keys: columns.map((column) => ({ column, expression: null, descending: false, opclass: null })),
    include: [],
    predicate: null,
    predicateColumns: [],
    kinds: ['single'],
  });

describe.skipIf(!hasTestPostgres())('index advisor under a storage budget (PostgreSQL 15 + HypoPG)', () => {
  let db: TestDatabase;
  let client: ServerClient;
  let catalog: Catalog;

  beforeAll(async () => {
    db = await createTestDatabase('budget');
    await db.admin.query(`
      CREATE TABLE purchases (
        id bigint PRIMARY KEY,
        account_id int NOT NULL,
        status text NOT NULL,
        total numeric(12, 2) NOT NULL,
        created_at timestamptz NOT NULL,
        region char(8) NOT NULL
      );
      INSERT INTO purchases
        SELECT g, 1 + (g * 7919) % 2000, (ARRAY['pending', 'paid', 'shipped', 'cancelled'])[1 + g % 4],
               (g % 1000) / 10.0, timestamptz '2024-01-01' + g * interval '1 minute', 'r' || g % 7
          FROM generate_series(1, 200000) g;`);
    await db.admin.query('VACUUM ANALYZE purchases');
    client = await ServerClient.connect({ connectionString: db.url });
    catalog = await client.transaction((tx) => readCatalog(tx));
    await loadParser();
  });
  afterAll(async () => {
    await client?.close();
    await db?.drop();
  });

  async function builtSize(columns: string[]): Promise<number> {
    const c = btree(columns);
    await db.admin.query(candidateDdl(c, { concurrently: false, ifNotExists: false }));
    const r = await db.admin.query<{ size: string }>('SELECT pg_relation_size($1::regclass)::int8 AS size', [c.name]);
    await db.admin.query(`DROP INDEX ${c.name}`);
    return Number(r.rows[0]!.size);
  }

  it('estimates a deduplicated B-tree near its built size (HypoPG alone is 3× too big)', async () => {
    const session = await client.pin({ readOnly: true });
    try {
      const hypo = await HypopgSession.open(session, catalog, catalog.serverVersionNum);
      const accounts = btree(['account_id']);
      const created = btree(['created_at']);
      const region = btree(['region']);
      await hypo.register([accounts, created, region]);
      const raw = await session.query<{ size: string }>(
        'SELECT hypopg_relation_size(indexrelid)::int8 AS size FROM hypopg_create_index($1)',
        [candidateDdl(accounts, { concurrently: false, ifNotExists: false })],
      );
      await hypo.reset();
      const real = await builtSize(['account_id']);
      const estimate = hypo.info(accounts.id)!.sizeBytes;
      expect(Number(raw.rows[0]!.size)).toBeGreaterThan(2.5 * real);
      expect(estimate).toBeGreaterThanOrEqual(real * 0.9);
      expect(estimate).toBeLessThanOrEqual(real * 1.35);
      // Unique keys do not deduplicate: the estimate stays HypoPG's.
      const realUnique = await builtSize(['created_at']);
      expect(hypo.info(created.id)!.sizeBytes).toBeGreaterThanOrEqual(realUnique * 0.9);
      // Nor does char(n), however few its values (no equal-image support): never estimated below its built size.
      const realRegion = await builtSize(['region']);
      expect(hypo.info(region.id)!.sizeBytes).toBeGreaterThanOrEqual(realRegion * 0.9);
    } finally {
      await session.release();
    }
  });

  it('without a budget recommends the composite (account_id, status, created_at DESC)', async () => {
    const r = await adviseIndexes(client, workload(), { catalog });
    expect(r.recommendations.map((x) => x.candidate.keys.map((k) => k.column))).toEqual([
      ['account_id', 'status', 'created_at'],
    ]);
  });

  it('when the composite does not fit, recommends a key prefix that serves the statement', async () => {
    const unbounded = await adviseIndexes(client, workload(), { catalog });
    const composite = unbounded.recommendations[0]!;
    const budget = Math.floor(composite.sizeBytes * 0.6);
    const r = await adviseIndexes(client, workload(), { catalog, budget: { kind: 'bytes', bytes: budget } });
    expect(r.recommendations).toHaveLength(1);
    const rec = r.recommendations[0]!;
    const keys = rec.candidate.keys.map((k) => k.column);
    expect(keys[0]).toBe('account_id');
    expect(keys.length).toBeLessThan(3);
    expect(rec.sizeBytes).toBeLessThanOrEqual(budget);
    const st = r.statements[0]!;
    expect(st.servedBy).toEqual([rec.candidate.name]);
    expect(st.costAfter!).toBeLessThan(st.costBefore! / 10);
    // The prefix really is that small: built, it fits the budget too.
    expect(await builtSize(keys as string[])).toBeLessThanOrEqual(budget);
  });

  it('with a budget nothing fits, recommends nothing and says why', async () => {
    const r = await adviseIndexes(client, workload(), { catalog, budget: { kind: 'bytes', bytes: 64 * 1024 } });
    expect(r.recommendations).toEqual([]);
    expect(r.statements[0]!.reason).toBe('budget-exhausted');
  });
});
