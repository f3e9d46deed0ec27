import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../../test/support/pg-database.js';
import { buildDemoDatabase } from '../../../src/demo/build.js';
import { runDoctor } from '../../../src/doctor/runner.js';
import { ServerClient } from '../../../src/engines/postgres/server-client.js';
import type { Finding } from '../../../src/findings/finding.js';

/**
 * The demo database is a well-designed schema whose only deliberate flaw is that its foreign keys are left
 * unindexed (for the index advisor). The doctor must find those and none of the problems the demo does not have.
 */
const ABSENT_FROM_DEMO = [
  'exact-duplicate-index',
  'left-prefix-index',
  'invalid-index',
  'mostly-null-index',
  'index-bloat',
  'table-bloat',
  'vacuum-lag',
  'stale-vacuum-analyze',
  'autovacuum-disabled',
  'hot-update-efficiency',
  'missing-primary-key',
  'sequence-overflow',
  'xid-wraparound',
  'multixact-wraparound',
  'deadlocks',
  'rollback-ratio',
  'long-running-queries',
  'idle-in-transaction',
  'blocked-sessions',
  'prepared-transactions',
  'inactive-replication-slot',
  'pg-stat-statements-missing',
  'track-io-timing-off',
  'unused-index',
  'seq-scan-heavy-table',
  'connection-usage',
];

describe.skipIf(!hasTestPostgres())('doctor on the demo database', () => {
  let db: TestDatabase;
  let client: ServerClient;
  let findings: Finding[];

  beforeAll(async () => {
    db = await createTestDatabase('doctor_demo');
    await buildDemoDatabase((sql) => db.admin.query(sql), 0.02);
    await db.flushStats();
    client = await ServerClient.connect({ connectionString: db.url });
    const result = await runDoctor({ client });
    expect(result.outcomes.filter((o) => o.status === 'unknown')).toEqual([]);
    findings = result.findings;
  });
  afterAll(async () => {
    await client?.close();
    await db?.drop();
  });

  it('finds the unindexed foreign keys the demo really has', () => {
    const fks = findings
      .filter((f) => f.ruleId === 'unindexed-foreign-key')
      .map((f) => `${f.evidence.table}(${(f.evidence.columns as string[]).join(',')})`);
    expect(fks).toEqual(expect.arrayContaining(['public.orders(user_id)', 'public.order_items(product_id)']));
  });

  it('raises none of the bad findings the demo does not contain', () => {
    const bad = findings.filter((f) => ABSENT_FROM_DEMO.includes(f.ruleId));
    expect(bad.map((f) => `${f.ruleId}: ${f.title}`)).toEqual([]);
  });
});
