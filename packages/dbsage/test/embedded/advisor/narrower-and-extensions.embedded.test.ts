import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adviseIndexes } from '../../../src/advisor/indexes/advise.js';
import { generateCandidates } from '../../../src/advisor/indexes/candidates.js';
import { findDropCandidates } from '../../../src/advisor/indexes/existing.js';
import { advisorFindings } from '../../../src/advisor/indexes/findings.js';
import { migrationSql } from '../../../src/advisor/indexes/migration.js';
import { prepareWorkload } from '../../../src/advisor/indexes/statements.js';
import { readCatalog } from '../../../src/catalog/introspect.js';
import { EmbeddedClient } from '../../../src/engines/postgres/embedded-client.js';
import { fingerprintSql, loadParser } from '../../../src/sql/parser.js';
import type { Workload } from '../../../src/workload/types.js';

/**
 * The advisor beyond its own threshold: a B-tree on a key prefix of a wider existing index (much smaller thanks to
 * deduplication), a trigram index on a database where pg_trgm is only available, and the reason given when
 * nothing is recommended.
 */

function workload(...sqls: string[]): Workload {
  return {
    source: 'sql-file',
    statements: sqls.map((sql) => ({
      fingerprint: fingerprintSql(sql),
      query: sql,
      example: sql,
      exampleParams: null,
      calls: 10,
      totalTimeMillis: 100,
      meanTimeMillis: 10,
      rows: 0,
      queryId: null,
      location: null,
    })),
    skipped: { count: 0, samples: [] },
    read: sqls.length,
  };
}

const RANGE = 'SELECT order_id, line FROM lines WHERE order_id BETWEEN 1000 AND 9000';
const PATTERN = "SELECT order_id FROM lines WHERE note LIKE '%quartz%'";

describe('index advisor: narrower prefixes, extensions, empty advice (PGlite)', () => {
  let client: EmbeddedClient;

  beforeAll(async () => {
    await loadParser();
    client = await EmbeddedClient.open();
    // 4 lines per order: the primary key (order_id, line) is unique, a B-tree on order_id alone deduplicates.
    await client.execWrite(`
      CREATE TABLE lines (order_id int NOT NULL, line int NOT NULL, qty int, note text, PRIMARY KEY (order_id, line));
      INSERT INTO lines
        SELECT o, l, (o * 7 + l) % 50, md5((o * 4 + l)::text) || CASE WHEN (o + l) % 997 = 0 THEN ' quartz' ELSE '' END
          FROM generate_series(1, 40000) o, generate_series(1, 4) l;
      ANALYZE lines;`);
  }, 120_000);

  afterAll(async () => {
    await client?.close();
  });

  it('recommends a key prefix of the wider primary key when its smaller size makes the scan cheaper', async () => {
    const r = await adviseIndexes(client, workload(RANGE));
    const rec = r.recommendations.find((x) => x.candidate.keys.map((k) => k.column).join() === 'order_id');
    expect(rec, JSON.stringify(r.statements.map((s) => [s.reason, s.reasonDetail]))).toBeDefined();
    expect(rec!.candidate.kinds).toContain('narrower');
    const pk = r.catalog.tables.find((t) => t.name === 'lines')!.indexes.find((i) => i.primary)!;
    expect(rec!.sizeBytes).toBeLessThanOrEqual(0.75 * pk.sizeBytes);
    // The drop rule agrees: once built, the narrower index is not reported as redundant next to the primary key.
    await client.execWrite(`CREATE INDEX lines_order_only ON lines (order_id)`);
    try {
      const catalog = await client.transaction((tx) => readCatalog(tx));
      expect(findDropCandidates(catalog, []).find((d) => d.index === 'lines_order_only')?.reason).not.toBe('redundant');
      // …and the advisor does not propose it again.
      const again = await adviseIndexes(client, workload(RANGE), { catalog });
      expect(again.recommendations.map((x) => x.candidate.id)).not.toContain(rec!.candidate.id);
    } finally {
      await client.execWrite('DROP INDEX lines_order_only');
    }
  }, 120_000);

  it('a trigram index on a database without pg_trgm comes with CREATE EXTENSION, and the run installs nothing', async () => {
    const installed = async () =>
      (await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_extension WHERE extname = 'pg_trgm'"))
        .rows[0]!.n;
    expect(await installed()).toBe(0);
    const r = await adviseIndexes(client, workload(PATTERN), { trigram: true });
    const rec = r.recommendations.find((x) => x.candidate.kinds.includes('trigram'));
    expect(rec, JSON.stringify(r.candidateErrors)).toBeDefined();
    expect(r.requiredExtensions).toEqual(['pg_trgm']);
    const sql = migrationSql(r);
    expect(sql).toContain('CREATE EXTENSION IF NOT EXISTS pg_trgm;');
    expect(sql.search(/^CREATE EXTENSION/m)).toBeLessThan(sql.search(/^CREATE INDEX/m));
    const finding = advisorFindings(r).find((f) => f.evidence.index === rec!.candidate.name)!;
    expect(finding.remediation?.sql).toMatch(/^CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE INDEX/);
    expect(finding.evidence.requiresExtensions).toEqual(['pg_trgm']);
    expect(await installed()).toBe(0); // the what-if transaction was rolled back

    await client.execWrite('CREATE EXTENSION pg_trgm');
    try {
      const after = await adviseIndexes(client, workload(PATTERN), { trigram: true });
      expect(after.recommendations.some((x) => x.candidate.kinds.includes('trigram'))).toBe(true);
      expect(after.requiredExtensions).toEqual([]);
      expect(migrationSql(after)).not.toContain('CREATE EXTENSION');
    } finally {
      await client.execWrite('DROP EXTENSION pg_trgm');
    }
  }, 120_000);

  it('an IN over a subquery does not hide the ORDER BY: the sort keys alone are a candidate too', async () => {
    await client.execWrite('CREATE TABLE IF NOT EXISTS shipped (order_id int)');
    const catalog = await client.transaction((tx) => readCatalog(tx));
    const sql = 'SELECT order_id, note FROM lines WHERE order_id IN (SELECT order_id FROM shipped) ORDER BY note';
    const prepared = await prepareWorkload(workload(sql), catalog);
    const { candidates, perStatement } = generateCandidates(prepared, catalog);
    const mine = perStatement.get(prepared[0]!.id)!.candidateIds.map((id) => candidates.get(id)!);
    const keys = mine.filter((c) => c.method === 'btree').map((c) => c.keys.map((k) => k.column).join(','));
    expect(keys).toContain('note');
    // A constant IN list is an equality the index uses: no sort-only variant then.
    const constant = await prepareWorkload(
      workload('SELECT order_id, note FROM lines WHERE qty IN (1, 2) ORDER BY note'),
      catalog,
    );
    const other = generateCandidates(constant, catalog);
    const otherKeys = other.perStatement.get(constant[0]!.id)!.candidateIds.map((id) =>
      other.candidates
        .get(id)!
        .keys.map((k) => k.column)
        .join(','),
    );
    expect(otherKeys).not.toContain('note');
  });

  it('says why nothing is recommended', async () => {
    const tiny = await adviseIndexes(client, workload(RANGE), { budget: { kind: 'bytes', bytes: 8192 } });
    expect(tiny.recommendations).toEqual([]);
    expect(tiny.emptyReason).toMatch(/larger than what is left of the 8192-byte budget/);
    expect(tiny.statements[0]!.reason).toBe('already-indexed');
    expect(tiny.statements[0]!.reasonDetail).toMatch(/smaller index on a key prefix would help but does not fit/);

    const cheap = await adviseIndexes(
      client,
      workload('SELECT order_id, line FROM lines WHERE order_id = 5 AND line = 1'),
    );
    expect(cheap.recommendations).toEqual([]);
    expect(cheap.emptyReason).not.toBeNull();
    expect(cheap.statements[0]!.reason).toBe('already-indexed');
  }, 120_000);
});
